// threads_signals: signals in a multi-threaded process. Per-thread masks decide which
// thread takes a process-directed signal; pthread_kill (tgkill) targets one thread and
// stays pending on it while it blocks the signal; sigwait in one thread takes a signal
// blocked everywhere; a read() on a pipe interrupted by a handler gives EINTR without
// SA_RESTART and is restarted with it. Handlers record which thread ran them through a
// __thread role; only those roles and counts are printed.
//   usage: threads_signals
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "guest_test.h"
#include "guest_proc.h"

static __thread int my_role;  // 0 in main, set by every worker on entry
static atomic_int handled_count;
static atomic_int handled_role = -1;
static atomic_int handled_code, handled_pid_ok;

static void record(int sig, siginfo_t* info, void* uc) {
    atomic_store(&handled_role, my_role);
    atomic_store(&handled_code, info->si_code);
    atomic_store(&handled_pid_ok, info->si_pid == getpid());
    atomic_fetch_add(&handled_count, 1);
}

static void catch_sig(int sig, int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = record;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void reset_record(void) {
    atomic_store(&handled_count, 0);
    atomic_store(&handled_role, -1);
    atomic_store(&handled_code, 0);
    atomic_store(&handled_pid_ok, 0);
}

static void set_mask(int how, int sig) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    pthread_sigmask(how, &s, NULL);
}

// Spin (yielding) until handled_count reaches n; bounded by the alarm in main.
static void wait_handled(int n) {
    while (atomic_load(&handled_count) < n) sched_yield();
}

static atomic_int stop_flag;
static sem_t ready;

// ---- a process-directed signal goes to the one thread that does not block it -------------

static void* blocked_worker(void* arg) {
    my_role = (int)(intptr_t)arg;
    sem_post(&ready);
    while (!atomic_load(&stop_flag)) sched_yield();
    return NULL;
}

static void* unblocking_worker(void* arg) {
    my_role = (int)(intptr_t)arg;
    set_mask(SIG_UNBLOCK, SIGUSR1);
    sem_post(&ready);
    // Running (not sleeping) when the signal comes: the kernel must interrupt it.
    while (atomic_load(&handled_count) == 0) sched_yield();
    return NULL;
}

static void* suspending_worker(void* arg) {
    my_role = (int)(intptr_t)arg;
    sigset_t during;
    pthread_sigmask(SIG_BLOCK, NULL, &during);
    sigdelset(&during, SIGUSR1);
    sem_post(&ready);
    // Asleep in sigsuspend when (or after) the signal comes; it may already be pending.
    while (atomic_load(&handled_count) == 0) sigsuspend(&during);
    return NULL;
}

static void test_process_directed(void) {
    catch_sig(SIGUSR1, 0);
    set_mask(SIG_BLOCK, SIGUSR1);  // main, and every thread it creates from now on
    atomic_store(&stop_flag, 0);

    for (int variant = 0; variant < 2; variant++) {
        reset_record();
        pthread_t other, target;
        pthread_create(&other, NULL, blocked_worker, (void*)(intptr_t)1);
        pthread_create(&target, NULL, variant == 0 ? unblocking_worker : suspending_worker, (void*)(intptr_t)2);
        sem_wait(&ready);
        sem_wait(&ready);
        kill(getpid(), SIGUSR1);
        pthread_join(target, NULL);
        atomic_store(&stop_flag, 1);
        pthread_join(other, NULL);
        atomic_store(&stop_flag, 0);
        if (variant == 0) {
            CHECK_EQ("process_signal_to_running_unblocked_thread", atomic_load(&handled_role), 2);
            CHECK_EQ("process_signal_delivered_once", atomic_load(&handled_count), 1);
            CHECK_EQ("process_signal_code_si_user", atomic_load(&handled_code), SI_USER);
            CHECK("process_signal_si_pid", atomic_load(&handled_pid_ok));
        } else {
            CHECK_EQ("process_signal_to_sigsuspend_thread", atomic_load(&handled_role), 2);
            CHECK_EQ("process_signal_sigsuspend_once", atomic_load(&handled_count), 1);
        }
    }
    sigset_t pending;
    sigpending(&pending);
    CHECK("process_signal_not_left_pending", !sigismember(&pending, SIGUSR1));
    set_mask(SIG_UNBLOCK, SIGUSR1);
    CHECK_EQ("main_never_ran_handler", atomic_load(&handled_count), 1);
}

// ---- pthread_kill targets one thread --------------------------------------------------------

enum { KILL_WORKERS = 3 };
static pthread_mutex_t stop_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stop_cond = PTHREAD_COND_INITIALIZER;
static int stop_now;

static void* waiting_worker(void* arg) {
    my_role = (int)(intptr_t)arg;
    sem_post(&ready);
    pthread_mutex_lock(&stop_lock);
    while (!stop_now) pthread_cond_wait(&stop_cond, &stop_lock);  // restarted after handlers
    pthread_mutex_unlock(&stop_lock);
    return NULL;
}

static sem_t go;
static void* blocking_target(void* arg) {
    my_role = (int)(intptr_t)arg;
    set_mask(SIG_BLOCK, SIGUSR2);
    sem_post(&ready);
    sem_wait(&go);  // main has sent SIGUSR2 at us by now
    sigset_t pending;
    sigpending(&pending);
    int was_pending = sigismember(&pending, SIGUSR2) == 1;
    int before = atomic_load(&handled_count);
    set_mask(SIG_UNBLOCK, SIGUSR2);  // delivered here, on this thread
    int after = atomic_load(&handled_count);
    return (void*)(intptr_t)(was_pending + 2 * (before == 0) + 4 * (after == 1));
}

static void test_pthread_kill(void) {
    catch_sig(SIGUSR2, 0);
    reset_record();
    stop_now = 0;
    pthread_t t[KILL_WORKERS];
    for (int i = 0; i < KILL_WORKERS; i++) pthread_create(&t[i], NULL, waiting_worker, (void*)(intptr_t)(i + 1));
    for (int i = 0; i < KILL_WORKERS; i++) sem_wait(&ready);
    CHECK_EQ("pthread_kill_probe", pthread_kill(t[1], 0), 0);
    CHECK_EQ("pthread_kill_sends", pthread_kill(t[1], SIGUSR2), 0);
    wait_handled(1);
    sleep_ms(5);  // a stray second delivery would show in the count
    CHECK_EQ("pthread_kill_runs_on_target", atomic_load(&handled_role), 2);
    CHECK_EQ("pthread_kill_once", atomic_load(&handled_count), 1);
    CHECK_EQ("pthread_kill_code_si_tkill", atomic_load(&handled_code), SI_TKILL);
    CHECK("pthread_kill_si_pid", atomic_load(&handled_pid_ok));

    reset_record();
    pthread_kill(t[2], SIGUSR2);
    wait_handled(1);
    CHECK_EQ("pthread_kill_other_target", atomic_load(&handled_role), 3);

    // To itself: the handler has run by the time pthread_kill returns.
    reset_record();
    pthread_kill(pthread_self(), SIGUSR2);
    CHECK("pthread_kill_self_synchronous", atomic_load(&handled_count) == 1 && atomic_load(&handled_role) == 0);

    pthread_mutex_lock(&stop_lock);
    stop_now = 1;
    pthread_cond_broadcast(&stop_cond);
    pthread_mutex_unlock(&stop_lock);
    for (int i = 0; i < KILL_WORKERS; i++) pthread_join(t[i], NULL);

    // A thread-directed signal the target blocks stays pending on that thread, even though
    // main does not block it.
    reset_record();
    sem_init(&go, 0, 0);
    pthread_t b;
    pthread_create(&b, NULL, blocking_target, (void*)(intptr_t)7);
    sem_wait(&ready);
    pthread_kill(b, SIGUSR2);
    sleep_ms(5);
    CHECK_EQ("thread_signal_not_rerouted", atomic_load(&handled_count), 0);
    sem_post(&go);
    void* r;
    pthread_join(b, &r);
    intptr_t bits = (intptr_t)r;
    CHECK("thread_signal_pending_in_target", (bits & 1) != 0);
    CHECK("thread_signal_held_while_blocked", (bits & 2) != 0);
    CHECK("thread_signal_delivered_on_unblock", (bits & 4) != 0);
    CHECK_EQ("thread_signal_ran_on_target", atomic_load(&handled_role), 7);
    sem_destroy(&go);
}

// ---- sigwait for a signal blocked everywhere -----------------------------------------------------

static void* sigwait_worker(void* arg) {
    my_role = 1;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sem_post(&ready);
    int sig = 0;
    int r = sigwait(&set, &sig);
    return (void*)(intptr_t)(r == 0 ? sig : -1);
}

static void* sigtimedwait_worker(void* arg) {
    my_role = 1;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    siginfo_t si;
    struct timespec short_wait = {0, 10 * 1000000L};
    errno = 0;
    int r = sigtimedwait(&set, &si, &short_wait);
    int timed_out = r == -1 && errno == EAGAIN;
    sem_post(&ready);
    struct timespec long_wait = {10, 0};
    memset(&si, 0, sizeof si);
    r = sigtimedwait(&set, &si, &long_wait);
    int got = r == SIGUSR2 && si.si_signo == SIGUSR2 && si.si_code == SI_TKILL && si.si_pid == getpid();
    return (void*)(intptr_t)(timed_out + 2 * got);
}

static void test_sigwait(void) {
    catch_sig(SIGUSR2, 0);  // a handler exists, but sigwait takes the signal first
    reset_record();
    set_mask(SIG_BLOCK, SIGUSR2);
    pthread_t t;
    void* r;
    pthread_create(&t, NULL, sigwait_worker, NULL);
    sem_wait(&ready);
    kill(getpid(), SIGUSR2);
    pthread_join(t, &r);
    CHECK_EQ("sigwait_in_thread_gets_process_signal", (intptr_t)r, SIGUSR2);
    CHECK_EQ("sigwait_no_handler_ran", atomic_load(&handled_count), 0);

    pthread_create(&t, NULL, sigtimedwait_worker, NULL);
    sem_wait(&ready);
    pthread_kill(t, SIGUSR2);
    pthread_join(t, &r);
    CHECK("sigtimedwait_times_out", ((intptr_t)r & 1) != 0);
    CHECK("sigtimedwait_gets_thread_signal", ((intptr_t)r & 2) != 0);

    sigset_t pending;
    sigpending(&pending);
    CHECK("sigwait_consumed", !sigismember(&pending, SIGUSR2));
    set_mask(SIG_UNBLOCK, SIGUSR2);
    CHECK_EQ("sigwait_nothing_left_for_main", atomic_load(&handled_count), 0);
}

// ---- a blocking read interrupted: EINTR, or restarted with SA_RESTART ---------------------------------

static int pipefd[2];
static atomic_int read_done;

static void* reader(void* arg) {
    my_role = 1;
    char buf[16] = {0};
    sem_post(&ready);
    errno = 0;
    ssize_t n = read(pipefd[0], buf, sizeof buf);
    int err = errno;
    atomic_store(&read_done, 1);
    if (n == -1) return (void*)(intptr_t)(-err);
    return (void*)(intptr_t)(n == 5 && memcmp(buf, "hello", 5) == 0 ? 5 : 1000 + n);
}

static void test_read_interrupted(void) {
    set_mask(SIG_UNBLOCK, SIGUSR1);
    pipe(pipefd);

    // Without SA_RESTART: keep poking the reader until its read returns. A signal that
    // lands before the read starts only runs the handler; the next one interrupts it.
    catch_sig(SIGUSR1, 0);
    reset_record();
    atomic_store(&read_done, 0);
    pthread_t t;
    void* r;
    pthread_create(&t, NULL, reader, NULL);
    sem_wait(&ready);
    for (int i = 0; i < 2000 && !atomic_load(&read_done); i++) {
        sleep_ms(2);
        if (!atomic_load(&read_done)) pthread_kill(t, SIGUSR1);
    }
    pthread_join(t, &r);
    CHECK_EQ("read_eintr_without_sa_restart", (intptr_t)r, -EINTR);
    CHECK("read_eintr_handler_on_reader", atomic_load(&handled_count) >= 1 && atomic_load(&handled_role) == 1);

    // With SA_RESTART: the handler runs and the read goes back to sleep until data comes.
    catch_sig(SIGUSR1, SA_RESTART);
    reset_record();
    atomic_store(&read_done, 0);
    pthread_create(&t, NULL, reader, NULL);
    sem_wait(&ready);
    sleep_ms(20);  // (very likely) asleep in read by now
    pthread_kill(t, SIGUSR1);
    wait_handled(1);
    sleep_ms(20);
    int still_blocked = !atomic_load(&read_done);
    write(pipefd[1], "hello", 5);
    pthread_join(t, &r);
    CHECK("read_restart_handler_ran", atomic_load(&handled_count) == 1 && atomic_load(&handled_role) == 1);
    CHECK("read_restart_still_blocked", still_blocked);
    CHECK_EQ("read_restart_gets_data", (intptr_t)r, 5);
    close(pipefd[0]);
    close(pipefd[1]);
    signal(SIGUSR1, SIG_DFL);
}

int main(void) {
    alarm(20);  // safety net: a lost signal becomes SIGALRM, not a stuck run
    sem_init(&ready, 0, 0);
    test_process_directed();
    test_pthread_kill();
    test_sigwait();
    test_read_interrupted();
    return guest_finish("threads_signals");
}
