// threads_fork: fork in a multi-threaded process. The child has only the thread that
// called fork: the workers' memory is there but the workers are not (a counter one of
// them bumps stands still in the child), pthread_create/join still work in it, and the
// two address spaces are private to each other in both directions. Then fork from a
// non-main thread: the child continues on that thread's stack and TLS, as the main
// (pid == tid) thread of a new process. Children report through exit statuses.
//   usage: threads_fork
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest_test.h"
#include "guest_proc.h"

// A child's exit status: 64 | one bit per failed check (bits 0..5), so that the parent
// can print each check by name. 64 alone means all passed.
#define CHILD_OK 64
static int check_child_status(const char* name, int status) {
    int ok = WIFEXITED(status) && (WEXITSTATUS(status) & ~63) == CHILD_OK;
    if (!ok) guest_fail(name, "child status 0x%x", status);
    else guest_pass(name);
    return ok ? WEXITSTATUS(status) & 63 : 63;
}

enum { WORKERS = 3 };
static __thread int my_role = 0;
static long worker_data[WORKERS][512];  // written by the workers before the fork
static volatile long spin_count;        // bumped by the spinning worker until told to stop
static atomic_int stop;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static sem_t ready;
static long shared_word = 1000;  // both sides write it after the fork

static void* spinner(void* arg) {
    int me = (int)(intptr_t)arg;
    my_role = me + 1;
    for (int i = 0; i < 512; i++) worker_data[me][i] = me * 1000 + i;
    sem_post(&ready);
    while (!atomic_load(&stop)) spin_count++;
    return (void*)(intptr_t)my_role;
}

static void* sleeper(void* arg) {
    int me = (int)(intptr_t)arg;
    my_role = me + 1;
    for (int i = 0; i < 512; i++) worker_data[me][i] = me * 1000 + i;
    pthread_mutex_lock(&lock);
    sem_post(&ready);
    while (!atomic_load(&stop)) pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    return (void*)(intptr_t)my_role;
}

static void* child_thread(void* arg) { return (void*)((intptr_t)arg * 3); }

// In a child: pthread_create + join work and give the value back.
static int child_can_thread(void) {
    pthread_t t;
    void* r = NULL;
    if (pthread_create(&t, NULL, child_thread, (void*)(intptr_t)14) != 0) return 0;
    if (pthread_join(t, &r) != 0) return 0;
    return (intptr_t)r == 42;
}

static void test_fork_with_workers(void) {
    pthread_t t[WORKERS];
    pthread_create(&t[0], NULL, spinner, (void*)(intptr_t)0);
    pthread_create(&t[1], NULL, sleeper, (void*)(intptr_t)1);
    pthread_create(&t[2], NULL, sleeper, (void*)(intptr_t)2);
    for (int i = 0; i < WORKERS; i++) sem_wait(&ready);
    // The sleepers post while holding the lock; once main gets it, both are inside
    // pthread_cond_wait and the lock is free at the fork.
    pthread_mutex_lock(&lock);
    pthread_mutex_unlock(&lock);

    int to_child[2], to_parent[2];
    pipe(to_child);
    pipe(to_parent);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        int fails = 0;
        // 1: the workers' writes from before the fork are here.
        int seen = 1;
        for (int w = 0; w < WORKERS; w++)
            for (int i = 0; i < 512; i++) seen &= worker_data[w][i] == w * 1000 + i;
        if (!seen) fails |= 1;
        // 2: only this thread was copied: the spinner's counter stands still, and this
        // thread is the new process's main thread.
        long before = spin_count;
        sleep_ms(20);
        if (spin_count != before || tid_now() != getpid() || my_role != 0) fails |= 2;
        // 4: threads can be made in the child.
        if (!child_can_thread()) fails |= 4;
        // 8: the parent's write after the fork is invisible here.
        char c;
        if (read(to_child[0], &c, 1) != 1 || shared_word != 1000) fails |= 8;
        // 16: our write is ours alone (the parent checks its copy after this).
        shared_word = 2000;
        write(to_parent[1], "x", 1);
        // 32: the mutex, free at the fork, is free in the child.
        if (pthread_mutex_trylock(&lock) != 0 || pthread_mutex_unlock(&lock) != 0 || shared_word != 2000)
            fails |= 32;
        _exit(CHILD_OK | fails);
    }
    CHECK("fork_with_threads", child > 0);
    shared_word = 3000;  // the child must not see this
    write(to_child[1], "x", 1);
    char c;
    int got = read(to_parent[0], &c, 1) == 1;
    int parent_kept = shared_word == 3000;  // the child's write must not show here
    int status = wait_status_of(child);
    int fails = check_child_status("fork_child_status", status);
    CHECK("child_sees_worker_memory", !(fails & 1));
    CHECK("child_has_one_thread", !(fails & 2));
    CHECK("child_can_create_threads", !(fails & 4));
    CHECK("child_private_from_parent", !(fails & 8));
    CHECK("child_mutex_usable", !(fails & 32));
    CHECK("parent_private_from_child", got && parent_kept);

    // The parent's threads are all still alive and running.
    long before = spin_count;
    while (spin_count == before) sched_yield();
    CHECK("parent_spinner_still_runs", 1);
    pthread_mutex_lock(&lock);
    atomic_store(&stop, 1);
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    int roles = 0;
    for (int i = 0; i < WORKERS; i++) {
        void* r;
        pthread_join(t[i], &r);
        roles += (int)(intptr_t)r;
    }
    CHECK_EQ("parent_workers_joined", roles, 1 + 2 + 3);
    close(to_child[0]);
    close(to_child[1]);
    close(to_parent[0]);
    close(to_parent[1]);
}

// ---- fork from a non-main thread ----------------------------------------------------------

static atomic_int other_stop;
static void* other_worker(void* arg) {
    my_role = 9;
    while (!atomic_load(&other_stop)) sched_yield();
    return NULL;
}

static void* forking_thread(void* arg) {
    my_role = 5;
    volatile long on_stack = 0x5eed;
    pid_t parent_pid = getpid();
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        int fails = 0;
        // 1: still this thread's TLS and stack.
        if (my_role != 5 || on_stack != 0x5eed) fails |= 1;
        // 2: a new process whose only thread is us: pid == tid, parent is the old process.
        if (tid_now() != getpid() || getpid() == parent_pid || getppid() != parent_pid) fails |= 2;
        // 4: threads still work.
        if (!child_can_thread()) fails |= 4;
        // exit() (not _exit): atexit handlers and stdio teardown run on this thread.
        exit(CHILD_OK | fails);
    }
    if (child < 0) return (void*)(intptr_t)-1;
    return (void*)(intptr_t)wait_status_of(child);  // reaped by a non-main thread
}

static void test_fork_from_thread(void) {
    pthread_t other, forker;
    pthread_create(&other, NULL, other_worker, NULL);
    pthread_create(&forker, NULL, forking_thread, NULL);
    void* r;
    pthread_join(forker, &r);
    atomic_store(&other_stop, 1);
    pthread_join(other, NULL);
    int fails = check_child_status("fork_from_thread_status", (int)(intptr_t)r);
    CHECK("fork_from_thread_keeps_tls_and_stack", !(fails & 1));
    CHECK("fork_from_thread_child_is_main", !(fails & 2));
    CHECK("fork_from_thread_child_can_thread", !(fails & 4));
    CHECK("parent_tls_unchanged", my_role == 0);
}

// ---- many forks while threads churn ------------------------------------------------------

static atomic_int churn_stop, churn_made;
static void* churner(void* arg) {
    // Create and join short threads continuously while main forks.
    while (!atomic_load(&churn_stop)) {
        pthread_t t;
        void* r;
        if (pthread_create(&t, NULL, child_thread, (void*)(intptr_t)1) != 0 || pthread_join(t, &r) != 0)
            return (void*)(intptr_t)0;
        atomic_fetch_add(&churn_made, 1);
    }
    return (void*)(intptr_t)1;
}

static void test_fork_while_churning(void) {
    pthread_t t;
    pthread_create(&t, NULL, churner, NULL);
    while (atomic_load(&churn_made) == 0) sched_yield();  // it is churning
    enum { FORKS = 8 };
    int good = 0;
    for (int i = 0; i < FORKS; i++) {
        fflush(stdout);
        pid_t child = fork();
        if (child == 0) _exit(child_can_thread() && tid_now() == getpid() ? 10 + i : 1);
        int status = wait_status_of(child);
        good += WIFEXITED(status) && WEXITSTATUS(status) == 10 + i;
    }
    atomic_store(&churn_stop, 1);
    void* r;
    pthread_join(t, &r);
    CHECK_EQ("fork_while_threads_churn", good, FORKS);
    CHECK("churner_made_threads", (intptr_t)r == 1);
}

int main(void) {
    alarm(20);  // safety net
    sem_init(&ready, 0, 0);
    test_fork_with_workers();
    test_fork_from_thread();
    test_fork_while_churning();
    return guest_finish("threads_fork");
}
