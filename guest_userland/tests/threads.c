// threads: musl pthreads on top of clone(CLONE_VM|CLONE_THREAD|...) and futexes.
// Create/join with return values, a mutex-protected counter, a condition-variable
// bounded queue, __thread variables, pthread_once, barriers, rwlocks, semaphores,
// timed waits that time out, detached threads, pthread_exit, sched_yield ping-pong,
// gettid, pthread_self/pthread_equal. Every check prints only an outcome that does
// not depend on interleaving or on the number of CPUs.
//   usage: threads
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "guest_test.h"
#include "guest_proc.h"

// Linux never ends a timed wait before its deadline.
static int past(const struct timespec* deadline) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return now.tv_sec > deadline->tv_sec || (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

// ---- create / join with return values --------------------------------------------

static void* square_plus_one(void* arg) {
    intptr_t i = (intptr_t)arg;
    return (void*)(i * i + 1);
}

static void test_create_join(void) {
    enum { N = 8 };
    pthread_t t[N];
    int created = 0;
    for (intptr_t i = 0; i < N; i++) created += pthread_create(&t[i], NULL, square_plus_one, (void*)i) == 0;
    CHECK_EQ("create_8", created, N);
    long sum = 0;
    int joined = 0, all_right = 1;
    for (intptr_t i = 0; i < N; i++) {
        void* ret = NULL;
        joined += pthread_join(t[i], &ret) == 0;
        all_right &= (intptr_t)ret == i * i + 1;
        sum += (intptr_t)ret;
    }
    CHECK_EQ("join_8", joined, N);
    CHECK("join_return_values", all_right);
    CHECK_EQ("join_return_sum", sum, 148);  // sum of i*i+1 for i < 8
}

// ---- mutex-protected counter -------------------------------------------------------

enum { COUNT_THREADS = 4, COUNT_EACH = 20000 };
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;  // deliberately non-atomic: only the mutex protects it

static void* count_worker(void* arg) {
    for (int i = 0; i < COUNT_EACH; i++) {
        pthread_mutex_lock(&count_lock);
        long v = counter;
        if ((i & 255) == 0) sched_yield();  // widen the window a broken mutex would show
        counter = v + 1;
        pthread_mutex_unlock(&count_lock);
    }
    return NULL;
}

static void test_mutex_counter(void) {
    pthread_t t[COUNT_THREADS];
    counter = 0;
    for (int i = 0; i < COUNT_THREADS; i++) pthread_create(&t[i], NULL, count_worker, NULL);
    for (int i = 0; i < COUNT_THREADS; i++) pthread_join(t[i], NULL);
    CHECK_EQ("mutex_counter", counter, (long)COUNT_THREADS * COUNT_EACH);
    CHECK_EQ("mutex_trylock_free", pthread_mutex_trylock(&count_lock), 0);
    pthread_mutex_unlock(&count_lock);
}

// ---- condition variables: a bounded queue -------------------------------------------

enum { QCAP = 4, PRODUCERS = 2, CONSUMERS = 2, ITEMS_EACH = 300 };
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t q_not_full = PTHREAD_COND_INITIALIZER;
static int q_items[QCAP], q_head, q_len, q_taken;
static long q_sum[CONSUMERS];
static int q_max_len;

static void* producer(void* arg) {
    int base = (int)(intptr_t)arg * ITEMS_EACH;
    for (int i = 1; i <= ITEMS_EACH; i++) {
        pthread_mutex_lock(&q_lock);
        while (q_len == QCAP) pthread_cond_wait(&q_not_full, &q_lock);
        q_items[(q_head + q_len) % QCAP] = base + i;
        q_len++;
        if (q_len > q_max_len) q_max_len = q_len;
        pthread_cond_signal(&q_not_empty);
        pthread_mutex_unlock(&q_lock);
    }
    return NULL;
}

static void* consumer(void* arg) {
    int me = (int)(intptr_t)arg;
    for (;;) {
        pthread_mutex_lock(&q_lock);
        while (q_len == 0 && q_taken < PRODUCERS * ITEMS_EACH) pthread_cond_wait(&q_not_empty, &q_lock);
        if (q_len == 0) {  // everything has been taken
            pthread_mutex_unlock(&q_lock);
            return NULL;
        }
        int item = q_items[q_head];
        q_head = (q_head + 1) % QCAP;
        q_len--;
        q_taken++;
        if (q_taken == PRODUCERS * ITEMS_EACH) pthread_cond_broadcast(&q_not_empty);  // release the others
        pthread_cond_signal(&q_not_full);
        pthread_mutex_unlock(&q_lock);
        q_sum[me] += item;
    }
}

static void test_condvar_queue(void) {
    pthread_t p[PRODUCERS], c[CONSUMERS];
    for (int i = 0; i < CONSUMERS; i++) pthread_create(&c[i], NULL, consumer, (void*)(intptr_t)i);
    for (int i = 0; i < PRODUCERS; i++) pthread_create(&p[i], NULL, producer, (void*)(intptr_t)i);
    for (int i = 0; i < PRODUCERS; i++) pthread_join(p[i], NULL);
    for (int i = 0; i < CONSUMERS; i++) pthread_join(c[i], NULL);
    long total = 0;
    for (int i = 0; i < CONSUMERS; i++) total += q_sum[i];
    long n = PRODUCERS * ITEMS_EACH;
    CHECK_EQ("condvar_queue_count", q_taken, n);
    CHECK_EQ("condvar_queue_sum", total, n * (n + 1) / 2);
    CHECK("condvar_queue_bounded", q_max_len >= 1 && q_max_len <= QCAP);
}

// Broadcast wakes every waiter: each waits for the generation to change.
enum { BCAST_WAITERS = 3 };
static pthread_mutex_t b_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t b_cond = PTHREAD_COND_INITIALIZER;
static int b_generation, b_waiting, b_woken;

static void* bcast_waiter(void* arg) {
    pthread_mutex_lock(&b_lock);
    int gen = b_generation;
    b_waiting++;
    while (b_generation == gen) pthread_cond_wait(&b_cond, &b_lock);
    b_woken++;
    pthread_mutex_unlock(&b_lock);
    return NULL;
}

static void test_broadcast(void) {
    pthread_t t[BCAST_WAITERS];
    for (int i = 0; i < BCAST_WAITERS; i++) pthread_create(&t[i], NULL, bcast_waiter, NULL);
    for (;;) {  // wait until all are inside the wait (they set b_waiting under the lock)
        pthread_mutex_lock(&b_lock);
        int n = b_waiting;
        pthread_mutex_unlock(&b_lock);
        if (n == BCAST_WAITERS) break;
        sched_yield();
    }
    pthread_mutex_lock(&b_lock);
    b_generation++;
    pthread_cond_broadcast(&b_cond);
    pthread_mutex_unlock(&b_lock);
    for (int i = 0; i < BCAST_WAITERS; i++) pthread_join(t[i], NULL);
    CHECK_EQ("condvar_broadcast_wakes_all", b_woken, BCAST_WAITERS);
}

// ---- thread-local storage ---------------------------------------------------------------

enum { TLS_THREADS = 4 };
static __thread int tls_index = -1;             // .tdata: a nonzero initial value
static __thread long tls_zero;                  // .tbss: starts at zero in every thread
static __thread char tls_buf[64] = "initial";   // .tdata image copied per thread
static pthread_barrier_t tls_barrier;

static void* tls_worker(void* arg) {
    int me = (int)(intptr_t)arg;
    int fresh = tls_index == -1 && tls_zero == 0 && strcmp(tls_buf, "initial") == 0;
    tls_index = me;
    tls_zero = 1000 + me;
    tls_buf[0] = (char)('A' + me);
    pthread_barrier_wait(&tls_barrier);  // every thread has written its own copy now
    for (int i = 0; i < 10; i++) sched_yield();
    int kept = tls_index == me && tls_zero == 1000 + me && tls_buf[0] == 'A' + me;
    return (void*)(intptr_t)(fresh * 1 + kept * 2);
}

static void test_tls(void) {
    tls_index = 100;
    tls_zero = 7;
    strcpy(tls_buf, "main");
    pthread_barrier_init(&tls_barrier, NULL, TLS_THREADS);
    pthread_t t[TLS_THREADS];
    for (int i = 0; i < TLS_THREADS; i++) pthread_create(&t[i], NULL, tls_worker, (void*)(intptr_t)i);
    int fresh = 0, kept = 0;
    for (int i = 0; i < TLS_THREADS; i++) {
        void* r;
        pthread_join(t[i], &r);
        fresh += ((intptr_t)r & 1) != 0;
        kept += ((intptr_t)r & 2) != 0;
    }
    pthread_barrier_destroy(&tls_barrier);
    CHECK_EQ("tls_starts_from_image", fresh, TLS_THREADS);
    CHECK_EQ("tls_distinct_per_thread", kept, TLS_THREADS);
    CHECK("tls_main_untouched", tls_index == 100 && tls_zero == 7 && strcmp(tls_buf, "main") == 0);
}

// ---- pthread_once -------------------------------------------------------------------------

static pthread_once_t once = PTHREAD_ONCE_INIT;
static atomic_int once_runs;
static void once_init(void) {
    for (int i = 0; i < 20; i++) sched_yield();  // give the others time to arrive
    atomic_fetch_add(&once_runs, 1);
}
static void* once_worker(void* arg) {
    pthread_once(&once, once_init);
    return (void*)(intptr_t)atomic_load(&once_runs);  // must already be 1 on return
}

static void test_once(void) {
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, once_worker, NULL);
    int saw_done = 0;
    for (int i = 0; i < 4; i++) {
        void* r;
        pthread_join(t[i], &r);
        saw_done += (intptr_t)r == 1;
    }
    pthread_once(&once, once_init);
    CHECK_EQ("once_ran_once", atomic_load(&once_runs), 1);
    CHECK_EQ("once_done_on_return", saw_done, 4);
}

// ---- barriers -------------------------------------------------------------------------------

enum { BAR_THREADS = 4, BAR_ROUNDS = 5 };
static pthread_barrier_t barrier;
static int bar_slot[BAR_THREADS];
static atomic_int bar_serial;

static void* barrier_worker(void* arg) {
    int me = (int)(intptr_t)arg, ok = 1;
    for (int round = 1; round <= BAR_ROUNDS; round++) {
        bar_slot[me] = round * (me + 1);
        if (pthread_barrier_wait(&barrier) == PTHREAD_BARRIER_SERIAL_THREAD) atomic_fetch_add(&bar_serial, 1);
        int sum = 0;
        for (int i = 0; i < BAR_THREADS; i++) sum += bar_slot[i];
        ok &= sum == round * (1 + 2 + 3 + 4);  // everyone's write of this round is visible
        pthread_barrier_wait(&barrier);       // nobody starts the next round early
    }
    return (void*)(intptr_t)ok;
}

static void test_barrier(void) {
    pthread_barrier_init(&barrier, NULL, BAR_THREADS);
    pthread_t t[BAR_THREADS];
    for (int i = 0; i < BAR_THREADS; i++) pthread_create(&t[i], NULL, barrier_worker, (void*)(intptr_t)i);
    int ok = 0;
    for (int i = 0; i < BAR_THREADS; i++) {
        void* r;
        pthread_join(t[i], &r);
        ok += (intptr_t)r == 1;
    }
    pthread_barrier_destroy(&barrier);
    CHECK_EQ("barrier_all_see_round", ok, BAR_THREADS);
    CHECK_EQ("barrier_one_serial_per_round", atomic_load(&bar_serial), BAR_ROUNDS);
}

// ---- rwlocks ---------------------------------------------------------------------------------

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long rw_a, rw_b;  // writers keep them equal; readers check
static atomic_int rw_torn;

static void* rw_try_worker(void* arg) {
    // main holds a read lock: another reader gets in, a writer does not.
    int r = pthread_rwlock_tryrdlock(&rw);
    int rd_ok = r == 0;
    if (r == 0) pthread_rwlock_unlock(&rw);
    int wr_busy = pthread_rwlock_trywrlock(&rw) == EBUSY;
    return (void*)(intptr_t)(rd_ok + 2 * wr_busy);
}

static void* rw_worker(void* arg) {
    int writer = (int)(intptr_t)arg & 1;
    for (int i = 0; i < 500; i++) {
        if (writer) {
            pthread_rwlock_wrlock(&rw);
            rw_a++;
            if ((i & 63) == 0) sched_yield();
            rw_b++;
        } else {
            pthread_rwlock_rdlock(&rw);
            if (rw_a != rw_b) atomic_fetch_add(&rw_torn, 1);
        }
        pthread_rwlock_unlock(&rw);
    }
    return NULL;
}

static void test_rwlock(void) {
    pthread_rwlock_rdlock(&rw);
    pthread_t t;
    void* r;
    pthread_create(&t, NULL, rw_try_worker, NULL);
    pthread_join(t, &r);
    pthread_rwlock_unlock(&rw);
    CHECK("rwlock_shared_readers", ((intptr_t)r & 1) != 0);
    CHECK("rwlock_writer_excluded", ((intptr_t)r & 2) != 0);

    pthread_t w[4];
    for (int i = 0; i < 4; i++) pthread_create(&w[i], NULL, rw_worker, (void*)(intptr_t)i);
    for (int i = 0; i < 4; i++) pthread_join(w[i], NULL);
    CHECK_EQ("rwlock_writes", rw_a + rw_b, 2 * 2 * 500);
    CHECK_EQ("rwlock_no_torn_reads", atomic_load(&rw_torn), 0);
}

// ---- semaphores ------------------------------------------------------------------------------

enum { PING_ROUNDS = 200 };
static sem_t ping, pong;
static int ping_value;

static void* pong_worker(void* arg) {
    for (int i = 0; i < PING_ROUNDS; i++) {
        sem_wait(&ping);
        ping_value++;  // strictly alternating with main: no lock needed
        sem_post(&pong);
    }
    return NULL;
}

static void test_semaphores(void) {
    sem_init(&ping, 0, 0);
    sem_init(&pong, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, pong_worker, NULL);
    int alternated = 1;
    for (int i = 0; i < PING_ROUNDS; i++) {
        ping_value++;
        sem_post(&ping);
        sem_wait(&pong);
        alternated &= ping_value == 2 * (i + 1);
    }
    pthread_join(t, NULL);
    CHECK("sem_ping_pong", alternated && ping_value == 2 * PING_ROUNDS);
    int v = -1;
    sem_getvalue(&pong, &v);
    CHECK_EQ("sem_value_after", v, 0);
    CHECK_ERR("sem_trywait_empty", sem_trywait(&pong), EAGAIN);
    sem_post(&pong);
    sem_post(&pong);
    sem_getvalue(&pong, &v);
    CHECK_EQ("sem_value_counts", v, 2);
    sem_destroy(&ping);
    sem_destroy(&pong);
}

// ---- timed waits that time out --------------------------------------------------------------

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static sem_t held_taken, held_release;

static void* holder(void* arg) {
    pthread_mutex_lock(&held);
    sem_post(&held_taken);
    sem_wait(&held_release);
    pthread_mutex_unlock(&held);
    return NULL;
}

static void test_timeouts(void) {
    sem_t empty;
    sem_init(&empty, 0, 0);
    struct timespec dl = clock_plus_ms(CLOCK_REALTIME, 20);
    CHECK_ERR("sem_timedwait_timeout", sem_timedwait(&empty, &dl), ETIMEDOUT);
    CHECK("sem_timedwait_not_early", past(&dl));
    sem_destroy(&empty);
    // An already-passed deadline times out at once.
    struct timespec old = {0, 0};
    sem_init(&empty, 0, 0);
    CHECK_ERR("sem_timedwait_past_deadline", sem_timedwait(&empty, &old), ETIMEDOUT);
    sem_destroy(&empty);

    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    pthread_mutex_lock(&m);
    dl = clock_plus_ms(CLOCK_REALTIME, 20);
    int r = pthread_cond_timedwait(&c, &m, &dl);
    int relocked = pthread_mutex_trylock(&m) == EBUSY;  // the mutex is held again on return
    pthread_mutex_unlock(&m);
    CHECK_EQ("cond_timedwait_timeout", r, ETIMEDOUT);
    CHECK("cond_timedwait_not_early", past(&dl));
    CHECK("cond_timedwait_relocks", relocked);

    sem_init(&held_taken, 0, 0);
    sem_init(&held_release, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, holder, NULL);
    sem_wait(&held_taken);
    dl = clock_plus_ms(CLOCK_REALTIME, 20);
    r = pthread_mutex_timedlock(&held, &dl);
    CHECK_EQ("mutex_timedlock_timeout", r, ETIMEDOUT);
    CHECK("mutex_timedlock_not_early", past(&dl));
    CHECK_EQ("mutex_trylock_held_elsewhere", pthread_mutex_trylock(&held), EBUSY);
    sem_post(&held_release);
    pthread_join(t, NULL);
    dl = clock_plus_ms(CLOCK_REALTIME, 1000);
    r = pthread_mutex_timedlock(&held, &dl);
    CHECK_EQ("mutex_timedlock_free", r, 0);
    if (r == 0) pthread_mutex_unlock(&held);
    sem_destroy(&held_taken);
    sem_destroy(&held_release);
}

// ---- detached threads ------------------------------------------------------------------------

enum { DETACHED = 4 };
static sem_t detached_done;
static atomic_int detached_sum;

static void* detached_worker(void* arg) {
    atomic_fetch_add(&detached_sum, (int)(intptr_t)arg);
    sem_post(&detached_done);
    return NULL;
}

static void test_detached(void) {
    sem_init(&detached_done, 0, 0);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int created = 0;
    for (int i = 1; i <= DETACHED; i++) {
        pthread_t t;
        created += pthread_create(&t, &attr, detached_worker, (void*)(intptr_t)(i * 10)) == 0;
    }
    pthread_attr_destroy(&attr);
    // pthread_detach on a joinable thread too.
    pthread_t t;
    if (pthread_create(&t, NULL, detached_worker, (void*)(intptr_t)5) == 0) {
        created++;
        CHECK_EQ("pthread_detach", pthread_detach(t), 0);
    }
    for (int i = 0; i < created; i++) sem_wait(&detached_done);
    CHECK_EQ("detached_created", created, DETACHED + 1);
    CHECK_EQ("detached_sum", atomic_load(&detached_sum), 10 + 20 + 30 + 40 + 5);
    // Give the detached threads time to finish exiting before the semaphore goes away.
    for (int i = 0; i < 50; i++) sched_yield();
}

// ---- pthread_exit ------------------------------------------------------------------------------

// pthread_exit from a nested call: the stack frames in between are simply abandoned.
static __attribute__((noinline)) void exit_inner(int v) { pthread_exit((void*)(intptr_t)v); }
static __attribute__((noinline)) void exit_outer(int v) { exit_inner(v + 7); }
static void* exiting_worker(void* arg) {
    exit_outer(70);
    return (void*)(intptr_t)1;  // not reached
}

static int cleanup_ran;
static void cleanup_handler(void* arg) { cleanup_ran = (int)(intptr_t)arg; }
static void* cleanup_worker(void* arg) {
    pthread_cleanup_push(cleanup_handler, (void*)(intptr_t)9);
    pthread_exit((void*)(intptr_t)88);
    pthread_cleanup_pop(0);
    return NULL;
}

static void test_pthread_exit(void) {
    pthread_t t;
    void* r = NULL;
    pthread_create(&t, NULL, exiting_worker, NULL);
    pthread_join(t, &r);
    CHECK_EQ("pthread_exit_value", (intptr_t)r, 77);
    pthread_create(&t, NULL, cleanup_worker, NULL);
    pthread_join(t, &r);
    CHECK_EQ("pthread_exit_cleanup_value", (intptr_t)r, 88);
    CHECK_EQ("pthread_exit_runs_cleanup", cleanup_ran, 9);
}

// ---- sched_yield ping-pong ---------------------------------------------------------------------

enum { YIELD_ROUNDS = 100 };
static atomic_int turn;
static void* yield_worker(void* arg) {
    // On one CPU this only progresses if sched_yield (or preemption) lets the other run.
    int me = (int)(intptr_t)arg;
    for (int i = 0; i < YIELD_ROUNDS; i++) {
        while (atomic_load(&turn) != me) sched_yield();
        atomic_store(&turn, 1 - me);
    }
    return NULL;
}

static void test_yield(void) {
    int ok = 1;
    for (int i = 0; i < 50; i++) ok &= sched_yield() == 0;
    CHECK("sched_yield_returns_0", ok);
    atomic_store(&turn, 0);
    pthread_t a, b;
    pthread_create(&a, NULL, yield_worker, (void*)(intptr_t)0);
    pthread_create(&b, NULL, yield_worker, (void*)(intptr_t)1);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    CHECK_EQ("sched_yield_ping_pong", atomic_load(&turn), 0);
}

// ---- identity ----------------------------------------------------------------------------------

static pthread_t main_self;
enum { LIVE = 4 };
static pid_t live_tids[LIVE];
static pthread_barrier_t live_barrier;

static void* live_worker(void* arg) {
    *(pid_t*)arg = tid_now();
    pthread_barrier_wait(&live_barrier);
    pthread_barrier_wait(&live_barrier);
    return NULL;
}
static void* identity_worker(void* arg) {
    int r = 0;
    if (tid_now() != getpid()) r |= 1;
    if (gettid() == tid_now()) r |= 2;
    if (pthread_equal(pthread_self(), pthread_self())) r |= 4;
    if (!pthread_equal(pthread_self(), main_self)) r |= 8;
    *(pthread_t*)arg = pthread_self();
    return (void*)(intptr_t)r;
}

static void test_identity(void) {
    main_self = pthread_self();
    CHECK("gettid_equals_pid_in_main", tid_now() == getpid());
    pthread_t t, seen;
    void* r;
    pthread_create(&t, NULL, identity_worker, &seen);
    pthread_join(t, &r);
    intptr_t bits = (intptr_t)r;
    CHECK("gettid_differs_in_thread", (bits & 1) != 0);
    CHECK("gettid_libc_matches_syscall", (bits & 2) != 0);
    CHECK("pthread_equal_self", (bits & 4) != 0);
    CHECK("pthread_self_not_main", (bits & 8) != 0);
    CHECK("pthread_self_matches_create", pthread_equal(t, seen) != 0);
    CHECK("pthread_self_main", pthread_equal(pthread_self(), main_self) != 0 && !pthread_equal(t, main_self));

    // Concurrently live threads have distinct tids, none of them the pid.
    pthread_barrier_init(&live_barrier, NULL, LIVE + 1);
    pthread_t live[LIVE];
    for (int i = 0; i < LIVE; i++) pthread_create(&live[i], NULL, live_worker, &live_tids[i]);
    pthread_barrier_wait(&live_barrier);  // all are alive now
    int distinct = 1;
    for (int i = 0; i < LIVE; i++) {
        distinct &= live_tids[i] != getpid() && live_tids[i] > 0;
        for (int j = 0; j < i; j++) distinct &= live_tids[i] != live_tids[j];
    }
    pthread_barrier_wait(&live_barrier);  // let them exit
    for (int i = 0; i < LIVE; i++) pthread_join(live[i], NULL);
    pthread_barrier_destroy(&live_barrier);
    CHECK("tids_distinct", distinct);
}

int main(void) {
    alarm(20);  // safety net: a hang becomes SIGALRM, not a stuck run
    test_create_join();
    test_mutex_counter();
    test_condvar_queue();
    test_broadcast();
    test_tls();
    test_once();
    test_barrier();
    test_rwlock();
    test_semaphores();
    test_timeouts();
    test_detached();
    test_pthread_exit();
    test_yield();
    test_identity();
    return guest_finish("threads");
}
