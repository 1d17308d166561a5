// futex: the futex(2) system call used raw, and robust lists. WAIT/WAKE (value
// mismatch, relative timeouts, wake counts), REQUEUE and CMP_REQUEUE, WAKE_OP,
// WAIT_BITSET/WAKE_BITSET (absolute timeouts on both clocks, disjoint bitsets), the
// PRIVATE flag, and the errors (EINVAL, EFAULT, ENOSYS, EAGAIN). Robust futexes: a
// robust mutex whose owner dies gives EOWNERDEAD — via musl's own cleanup when a thread
// ends through pthread_exit, and via the kernel's robust-list walk when a thread ends
// by a raw SYS_exit or a process by _exit; set_robust_list/get_robust_list.
//
// A waker cannot see whether a waiter is already asleep, so every wake is retried
// (with sched_yield) until the waiter is counted: the return values of the calls that
// finally succeed are deterministic, the number of retries is not and is never printed.
//   usage: futex
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest_test.h"
#include "guest_proc.h"

// <linux/futex.h> is not in musl's include path: the ABI constants.
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_MATCH_ANY 0xffffffff
#define FUTEX_OP_SET 0
#define FUTEX_OP_ADD 1
#define FUTEX_OP_OR 2
#define FUTEX_OP_OPARG_SHIFT 8
#define FUTEX_OP_CMP_EQ 0
#define FUTEX_OP_CMP_NE 1
#define FUTEX_OP_CMP_GT 4
#define FUTEX_OP(op, oparg, cmp, cmparg) \
    ((((op)&0xf) << 28) | (((cmp)&0xf) << 24) | (((oparg)&0xfff) << 12) | ((cmparg)&0xfff))

static long futex(int* uaddr, int op, int val, const struct timespec* timeout, int* uaddr2, unsigned val3) {
    return syscall(SYS_futex, uaddr, op, val, timeout, uaddr2, val3);
}
// The REQUEUE and WAKE_OP forms pass a count (val2) where the timeout pointer goes.
static long futex2(int* uaddr, int op, int val, long val2, int* uaddr2, unsigned val3) {
    return syscall(SYS_futex, uaddr, op, val, (void*)val2, uaddr2, val3);
}

static long ms_between(const struct timespec* a, const struct timespec* b) {
    return (b->tv_sec - a->tv_sec) * 1000L + (b->tv_nsec - a->tv_nsec) / 1000000L;
}

// A time certainly in the past on `clock`, and a valid timespec.
static struct timespec half_of_now(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    long long ns = ((long long)ts.tv_sec * 1000000000LL + ts.tv_nsec) / 2;
    ts.tv_sec = (time_t)(ns / 1000000000LL);
    ts.tv_nsec = (long)(ns % 1000000000LL);
    return ts;
}

static int reached(clockid_t clock, const struct timespec* deadline) {
    struct timespec now;
    clock_gettime(clock, &now);
    return now.tv_sec > deadline->tv_sec || (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

// ---- waiter threads ---------------------------------------------------------------------------

struct waiter {
    int* word;
    int op;           // FUTEX_WAIT or FUTEX_WAIT_BITSET, maybe | FUTEX_PRIVATE_FLAG
    int val;          // the value it expects to find
    unsigned bitset;  // for WAIT_BITSET
    atomic_int ready;
    long ret;
    int err;
    pthread_t thread;
};

static void* waiter_main(void* arg) {
    struct waiter* w = arg;
    atomic_store(&w->ready, 1);
    errno = 0;
    w->ret = futex(w->word, w->op, w->val, NULL, NULL, w->bitset);
    w->err = errno;
    return NULL;
}

static void start_waiter(struct waiter* w, int* word, int op, int val, unsigned bitset) {
    w->word = word;
    w->op = op;
    w->val = val;
    w->bitset = bitset;
    atomic_store(&w->ready, 0);
    w->ret = -2;
    w->err = 0;
    pthread_create(&w->thread, NULL, waiter_main, w);
    while (!atomic_load(&w->ready)) sched_yield();
}

// Joins and tells whether the wait returned 0 (a real wake-up).
static int join_waiter(struct waiter* w) {
    pthread_join(w->thread, NULL);
    return w->ret == 0;
}

// Retries of a wake before giving up (and failing the check instead of hanging): far
// more than a runnable waiter needs to get to sleep.
#define RETRIES 200000L

// Repeats a wake until it has woken `want` in total; returns the total (bounded by the
// alarm in main). Any call that wakes more than asked for shows up as a bigger total.
static long wake_until(int* word, int op, long want) {
    long total = 0;
    for (long tries = 0; total < want && tries < RETRIES; tries++) {
        long r = futex(word, op, INT_MAX, NULL, NULL, FUTEX_BITSET_MATCH_ANY);
        if (r < 0) return r;
        total += r;
        if (total < want) sched_yield();
    }
    return total;
}

// ---- WAIT / WAKE basics ------------------------------------------------------------------------

static int word_a, word_b;

static void test_wait_wake(void) {
    word_a = 1;
    CHECK_ERR("wait_value_mismatch", futex(&word_a, FUTEX_WAIT, 0, NULL, NULL, 0), EAGAIN);
    CHECK_ERR("wait_private_value_mismatch", futex(&word_a, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0), EAGAIN);

    word_a = 0;
    struct timespec ten_ms = {0, 10 * 1000000L}, t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_ERR("wait_relative_timeout", futex(&word_a, FUTEX_WAIT, 0, &ten_ms, NULL, 0), ETIMEDOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK("wait_timeout_not_early", ms_between(&t0, &t1) >= 10);
    CHECK_ERR("wait_private_relative_timeout", futex(&word_a, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, &ten_ms, NULL, 0),
              ETIMEDOUT);
    struct timespec zero = {0, 0};
    CHECK_ERR("wait_zero_timeout", futex(&word_a, FUTEX_WAIT, 0, &zero, NULL, 0), ETIMEDOUT);
    struct timespec bad_ns = {0, 1000000000L};
    CHECK_ERR("wait_bad_timespec", futex(&word_a, FUTEX_WAIT, 0, &bad_ns, NULL, 0), EINVAL);

    CHECK_EQ("wake_nobody", futex(&word_a, FUTEX_WAKE, 1, NULL, NULL, 0), 0);
    CHECK_EQ("wake_private_nobody", futex(&word_a, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, INT_MAX, NULL, NULL, 0), 0);

    struct waiter w;
    start_waiter(&w, &word_a, FUTEX_WAIT, 0, 0);
    long woken = 0;
    for (long tries = 0; (woken = futex(&word_a, FUTEX_WAKE, 1, NULL, NULL, 0)) == 0 && tries < RETRIES; tries++)
        sched_yield();
    CHECK_EQ("wake_one_waiter", woken, 1);
    CHECK("woken_waiter_returns_0", join_waiter(&w));

    start_waiter(&w, &word_a, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, 0);
    CHECK_EQ("wake_private_one_waiter", wake_until(&word_a, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1), 1);
    CHECK("woken_private_waiter_returns_0", join_waiter(&w));

    // Three waiters, one WAKE of INT_MAX (repeated until all three were asleep to be counted).
    struct waiter ws[3];
    for (int i = 0; i < 3; i++) start_waiter(&ws[i], &word_a, FUTEX_WAIT, 0, 0);
    long total = wake_until(&word_a, FUTEX_WAKE, 3);
    int ok = 0;
    for (int i = 0; i < 3; i++) ok += join_waiter(&ws[i]);
    CHECK_EQ("wake_all_count", total, 3);
    CHECK_EQ("wake_all_returned_0", ok, 3);
    CHECK_EQ("wake_all_none_left", futex(&word_a, FUTEX_WAKE, INT_MAX, NULL, NULL, 0), 0);

    // Private and shared futexes on the same word are different futexes to Linux (the
    // shared key of a private anonymous page is marked "mm-shared"): a wake of one kind
    // never finds a waiter of the other.
    start_waiter(&w, &word_a, FUTEX_WAIT, 0, 0);
    for (int i = 0; i < 20; i++) sched_yield();
    long r = futex(&word_a, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, INT_MAX, NULL, NULL, 0);
    CHECK_EQ("private_wake_misses_shared_waiter", r, 0);
    if (r == 0) wake_until(&word_a, FUTEX_WAKE, 1);  // (if it was woken wrongly, it is gone)
    join_waiter(&w);
    start_waiter(&w, &word_a, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, 0);
    for (int i = 0; i < 20; i++) sched_yield();
    r = futex(&word_a, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
    CHECK_EQ("shared_wake_misses_private_waiter", r, 0);
    if (r == 0) wake_until(&word_a, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1);
    join_waiter(&w);
}

// ---- REQUEUE / CMP_REQUEUE ---------------------------------------------------------------------

static void test_requeue(void) {
    word_a = 0;
    word_b = 0;
    struct waiter ws[3];
    for (int i = 0; i < 3; i++) start_waiter(&ws[i], &word_a, FUTEX_WAIT, 0, 0);
    // Wake none, move all: repeated until all three were asleep on word_a and moved.
    long moved = 0;
    for (long tries = 0; moved < 3 && tries < RETRIES; tries++) {
        long r = futex2(&word_a, FUTEX_REQUEUE, 0, INT_MAX, &word_b, 0);
        if (r < 0) break;
        moved += r;
        if (moved < 3) sched_yield();
    }
    CHECK_EQ("requeue_moved", moved, 3);
    CHECK_EQ("requeue_source_empty", futex(&word_a, FUTEX_WAKE, INT_MAX, NULL, NULL, 0), 0);
    CHECK_EQ("requeue_wake_target", futex(&word_b, FUTEX_WAKE, INT_MAX, NULL, NULL, 0), 3);
    int ok = 0;
    for (int i = 0; i < 3; i++) ok += join_waiter(&ws[i]);
    CHECK_EQ("requeued_returned_0", ok, 3);

    word_a = 5;
    CHECK_ERR("cmp_requeue_wrong_val3", futex2(&word_a, FUTEX_CMP_REQUEUE, 1, 1, &word_b, 4), EAGAIN);
    CHECK_EQ("cmp_requeue_nobody", futex2(&word_a, FUTEX_CMP_REQUEUE, 1, 1, &word_b, 5), 0);
    CHECK_ERR("cmp_requeue_negative_count", futex2(&word_a, FUTEX_CMP_REQUEUE, 1, -1, &word_b, 5), EINVAL);

    // CMP_REQUEUE moves two private waiters; then wakes of one take them one at a time.
    for (int i = 0; i < 2; i++) start_waiter(&ws[i], &word_a, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 5, 0);
    moved = 0;
    for (long tries = 0; moved < 2 && tries < RETRIES; tries++) {
        long r = futex2(&word_a, FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG, 0, INT_MAX, &word_b, 5);
        if (r < 0) break;
        moved += r;
        if (moved < 2) sched_yield();
    }
    CHECK_EQ("cmp_requeue_moved", moved, 2);
    long w1 = futex(&word_b, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
    long w2 = futex(&word_b, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
    long w3 = futex(&word_b, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
    CHECK("wake_one_at_a_time", w1 == 1 && w2 == 1 && w3 == 0);
    ok = 0;
    for (int i = 0; i < 2; i++) ok += join_waiter(&ws[i]);
    CHECK_EQ("cmp_requeued_returned_0", ok, 2);
}

// ---- WAKE_OP -----------------------------------------------------------------------------------

static void test_wake_op(void) {
    word_a = 0;
    word_b = 0;
    long r = futex2(&word_a, FUTEX_WAKE_OP, 1, 1, &word_b, FUTEX_OP(FUTEX_OP_SET, 5, FUTEX_OP_CMP_EQ, 0));
    CHECK("wake_op_set", r == 0 && word_b == 5);
    r = futex2(&word_a, FUTEX_WAKE_OP, 1, 1, &word_b, FUTEX_OP(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_GT, 100));
    CHECK("wake_op_add", r == 0 && word_b == 8);
    r = futex2(&word_a, FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG, 1, 1, &word_b,
               FUTEX_OP(FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT, 4, FUTEX_OP_CMP_EQ, 0));
    CHECK("wake_op_or_shifted", r == 0 && word_b == 24);

    // A waiter on the second word: a false comparison never wakes it; a true one does.
    // (SET to the value it already has, so retries do not change the word.)
    word_b = 24;
    struct waiter w;
    start_waiter(&w, &word_b, FUTEX_WAIT, 24, 0);
    long false_wakes = 0;
    for (int i = 0; i < 10; i++) {
        false_wakes += futex2(&word_a, FUTEX_WAKE_OP, 1, 1, &word_b, FUTEX_OP(FUTEX_OP_SET, 24, FUTEX_OP_CMP_NE, 24));
        sched_yield();
    }
    CHECK_EQ("wake_op_cmp_false_no_wake", false_wakes, 0);
    long woken = 0;
    for (long tries = 0; woken == 0 && tries < RETRIES; tries++) {
        woken = futex2(&word_a, FUTEX_WAKE_OP, 1, 1, &word_b, FUTEX_OP(FUTEX_OP_SET, 24, FUTEX_OP_CMP_EQ, 24));
        if (woken < 0) break;
        if (woken == 0) sched_yield();
    }
    CHECK_EQ("wake_op_cmp_true_wakes", woken, 1);
    CHECK("wake_op_waiter_returned_0", join_waiter(&w));

    // A waiter on the first word is woken by the plain-wake half (nr_wake2 = 0).
    word_a = 0;
    start_waiter(&w, &word_a, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, 0);
    woken = 0;
    for (long tries = 0; woken == 0 && tries < RETRIES; tries++) {
        woken = futex2(&word_a, FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG, 1, 0, &word_b,
                       FUTEX_OP(FUTEX_OP_SET, 24, FUTEX_OP_CMP_EQ, 24));
        if (woken < 0) break;
        if (woken == 0) sched_yield();
    }
    CHECK_EQ("wake_op_first_word", woken, 1);
    CHECK("wake_op_first_waiter_returned_0", join_waiter(&w));
}

// ---- WAIT_BITSET / WAKE_BITSET -----------------------------------------------------------------

static void test_bitset(void) {
    word_a = 0;
    // (Half of "now", not now minus a second: a simulated machine's monotonic clock may
    // be under a second since boot, and a negative tv_sec is EINVAL.)
    struct timespec past = half_of_now(CLOCK_MONOTONIC);
    CHECK_ERR("wait_bitset_monotonic_past", futex(&word_a, FUTEX_WAIT_BITSET, 0, &past, NULL, FUTEX_BITSET_MATCH_ANY),
              ETIMEDOUT);
    past = half_of_now(CLOCK_REALTIME);
    CHECK_ERR("wait_bitset_realtime_past",
              futex(&word_a, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME | FUTEX_PRIVATE_FLAG, 0, &past, NULL,
                    FUTEX_BITSET_MATCH_ANY),
              ETIMEDOUT);
    // A near absolute deadline: times out, not before it.
    struct timespec deadline = clock_plus_ms(CLOCK_MONOTONIC, 10);
    CHECK_ERR("wait_bitset_monotonic_deadline",
              futex(&word_a, FUTEX_WAIT_BITSET, 0, &deadline, NULL, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
    CHECK("wait_bitset_monotonic_not_early", reached(CLOCK_MONOTONIC, &deadline));
    deadline = clock_plus_ms(CLOCK_REALTIME, 10);
    CHECK_ERR("wait_bitset_realtime_deadline",
              futex(&word_a, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 0, &deadline, NULL, FUTEX_BITSET_MATCH_ANY),
              ETIMEDOUT);
    CHECK("wait_bitset_realtime_not_early", reached(CLOCK_REALTIME, &deadline));
    word_a = 3;
    CHECK_ERR("wait_bitset_mismatch", futex(&word_a, FUTEX_WAIT_BITSET, 0, NULL, NULL, 1), EAGAIN);
    word_a = 0;
    CHECK_ERR("wait_bitset_zero", futex(&word_a, FUTEX_WAIT_BITSET, 0, NULL, NULL, 0), EINVAL);
    CHECK_ERR("wake_bitset_zero", futex(&word_a, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0), EINVAL);
    CHECK_ERR("clock_realtime_on_wake", futex(&word_a, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0), ENOSYS);

    struct waiter w;
    start_waiter(&w, &word_a, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 0, 0x1);
    long disjoint = 0;
    for (int i = 0; i < 10; i++) {
        disjoint += futex(&word_a, FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG, INT_MAX, NULL, NULL, 0x2);
        sched_yield();
    }
    CHECK_EQ("wake_bitset_disjoint_wakes_nobody", disjoint, 0);
    long woken = 0;
    for (long tries = 0; woken == 0 && tries < RETRIES; tries++) {
        woken = futex(&word_a, FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG, INT_MAX, NULL, NULL, 0x3);
        if (woken < 0) break;
        if (woken == 0) sched_yield();
    }
    CHECK_EQ("wake_bitset_overlapping", woken, 1);
    CHECK("bitset_waiter_returned_0", join_waiter(&w));

    // A plain FUTEX_WAKE matches any bitset; a plain waiter matches any wake bitset.
    start_waiter(&w, &word_a, FUTEX_WAIT_BITSET, 0, 0x40);
    CHECK_EQ("plain_wake_wakes_bitset_waiter", wake_until(&word_a, FUTEX_WAKE, 1), 1);
    join_waiter(&w);
    start_waiter(&w, &word_a, FUTEX_WAIT, 0, 0);
    woken = 0;
    for (long tries = 0; woken == 0 && tries < RETRIES; tries++) {
        woken = futex(&word_a, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0x80);
        if (woken < 0) break;
        if (woken == 0) sched_yield();
    }
    CHECK_EQ("wake_bitset_wakes_plain_waiter", woken, 1);
    join_waiter(&w);
}

// ---- errors --------------------------------------------------------------------------------------

static void test_errors(void) {
    static int words[2];
    int* unaligned = (int*)((char*)words + 1);
    CHECK_ERR("wait_unaligned", futex(unaligned, FUTEX_WAIT, 0, NULL, NULL, 0), EINVAL);
    CHECK_ERR("wake_unaligned", futex(unaligned, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0), EINVAL);

    char* page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(page, 4096);
    int* gone = (int*)page;
    CHECK_ERR("wait_bad_address", futex(gone, FUTEX_WAIT, 0, NULL, NULL, 0), EFAULT);
    CHECK_ERR("wait_private_bad_address", futex(gone, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0), EFAULT);
    words[0] = 0;
    CHECK_ERR("wait_bad_timeout_pointer", futex(&words[0], FUTEX_WAIT, 0, (struct timespec*)page, NULL, 0), EFAULT);
    CHECK_ERR("wake_op_bad_second_word",
              futex2(&words[0], FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG, 1, 1, gone,
                     FUTEX_OP(FUTEX_OP_SET, 1, FUTEX_OP_CMP_EQ, 0)),
              EFAULT);
    words[0] = 1;
    CHECK_ERR("cmp_requeue_bad_address", futex2(gone, FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG, 1, 1, &words[0], 0),
              EFAULT);

    CHECK_ERR("unknown_op", futex(&words[0], 99, 0, NULL, NULL, 0), ENOSYS);
    CHECK_ERR("unknown_op_private", futex(&words[0], 15 | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0), ENOSYS);
}

// ---- robust mutexes and robust lists --------------------------------------------------------------

struct robust_head {  // the kernel's struct robust_list_head
    void* list;
    long futex_offset;
    void* list_op_pending;
};

static long get_robust_list(int tid, struct robust_head** head, size_t* len) {
    return syscall(SYS_get_robust_list, tid, head, len);
}

static void init_robust(pthread_mutex_t* m, int pshared) {
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    if (pshared) pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
}

static pthread_mutex_t robust_m, robust_unfixed;

static void* lock_and_return(void* arg) {
    pthread_mutex_lock(arg);
    return NULL;  // pthread_exit with the mutex held
}

// Linux starts every new thread (and a fork child) with no robust list registered.
static void* fresh_thread_robust_list(void* arg) {
    struct robust_head* head = (void*)1;
    size_t len = 0;
    long r = get_robust_list(0, &head, &len);
    return (void*)(intptr_t)(r == 0 && head == NULL);
}

static void test_robust_userspace(void) {
    // musl registers a robust list lazily, on a thread's first process-shared robust lock.
    pthread_t t;
    void* r;
    pthread_create(&t, NULL, fresh_thread_robust_list, NULL);
    pthread_join(t, &r);
    CHECK("new_thread_robust_list_empty", (intptr_t)r == 1);

    init_robust(&robust_m, 0);
    pthread_create(&t, NULL, lock_and_return, &robust_m);
    pthread_join(t, NULL);
    CHECK_EQ("robust_owner_died", pthread_mutex_lock(&robust_m), EOWNERDEAD);
    CHECK_EQ("robust_consistent", pthread_mutex_consistent(&robust_m), 0);
    CHECK_EQ("robust_unlock", pthread_mutex_unlock(&robust_m), 0);
    CHECK_EQ("robust_relock", pthread_mutex_lock(&robust_m), 0);

    pthread_mutex_unlock(&robust_m);

    // Unlocking without pthread_mutex_consistent makes the mutex unrecoverable.
    init_robust(&robust_unfixed, 0);
    pthread_create(&t, NULL, lock_and_return, &robust_unfixed);
    pthread_join(t, NULL);
    CHECK_EQ("robust_owner_died_again", pthread_mutex_lock(&robust_unfixed), EOWNERDEAD);
    pthread_mutex_unlock(&robust_unfixed);
    CHECK_EQ("robust_not_recoverable", pthread_mutex_lock(&robust_unfixed), ENOTRECOVERABLE);
}

// A process-shared robust mutex in shared memory, locked by a child that then _exits
// without unlocking: only the kernel's robust-list walk at the child's exit can mark it
// (musl's _exit does no cleanup).
static void test_robust_process(void) {
    pthread_mutex_t* m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        guest_fail("robust_process_mmap", "mmap MAP_SHARED failed (errno %d)", errno);
        return;
    }
    init_robust(m, 1);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        struct robust_head* head = (void*)1;
        size_t len = 0;
        // The forked child starts with no robust list either.
        int clean = get_robust_list(0, &head, &len) == 0 && head == NULL;
        int locked = pthread_mutex_lock(m) == 0;
        _exit(clean && locked ? 21 : 1);  // exit_group, mutex still held
    }
    int status = -1;
    waitpid(child, &status, 0);
    CHECK("robust_process_child_status", WIFEXITED(status) && WEXITSTATUS(status) == 21);
    CHECK_EQ("robust_process_owner_died", pthread_mutex_lock(m), EOWNERDEAD);
    CHECK_EQ("robust_process_consistent", pthread_mutex_consistent(m), 0);

    // main now holds a process-shared robust mutex, so musl has registered main's robust
    // list with the kernel (it does so only for process-shared ones), and the mutex is on it.
    struct robust_head* head = NULL;
    size_t len = 0;
    CHECK_EQ("get_robust_list_self", get_robust_list(0, &head, &len), 0);
    CHECK("get_robust_list_head_set", head != NULL);
    CHECK_EQ("get_robust_list_len", len, sizeof(struct robust_head));
    CHECK("robust_list_holds_mutex", head != NULL && head->list != (void*)head);
    CHECK_ERR("set_robust_list_bad_len", syscall(SYS_set_robust_list, head, 1), EINVAL);
    CHECK_ERR("get_robust_list_no_such_tid", get_robust_list(0x3fffffff, &head, &len), ESRCH);
    pthread_mutex_unlock(m);
    munmap(m, 4096);
}

// The same within one process: a thread locks and then ends with a raw SYS_exit, skipping
// musl's cleanup. The kernel must mark the mutex and wake main if it is already waiting.
// Process-shared, so that musl registers the thread's robust list with the kernel.
// (Run last: musl still counts the vanished thread, so no thread is created after it.)
static pthread_mutex_t robust_raw;
static atomic_int raw_locked;
static void* lock_and_vanish(void* arg) {
    pthread_mutex_lock(&robust_raw);
    atomic_store(&raw_locked, 1);
    for (int i = 0; i < 5; i++) sched_yield();  // main is often already waiting by now
    syscall(SYS_exit, 0);
    return NULL;  // not reached
}

static void test_robust_raw_exit(void) {
    init_robust(&robust_raw, 1);
    pthread_t t;
    pthread_create(&t, NULL, lock_and_vanish, NULL);
    while (!atomic_load(&raw_locked)) sched_yield();
    CHECK_EQ("robust_kernel_walk_owner_died", pthread_mutex_lock(&robust_raw), EOWNERDEAD);
    CHECK_EQ("robust_kernel_walk_consistent", pthread_mutex_consistent(&robust_raw), 0);
    CHECK_EQ("robust_kernel_walk_unlock", pthread_mutex_unlock(&robust_raw), 0);
}

int main(void) {
    alarm(20);  // safety net: a lost wake-up becomes SIGALRM, not a stuck run
    test_wait_wake();
    test_requeue();
    test_wake_op();
    test_bitset();
    test_errors();
    test_robust_userspace();
    test_robust_process();
    test_robust_raw_exit();
    return guest_finish("futex");
}
