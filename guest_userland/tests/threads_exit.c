// threads_exit: how a multi-threaded process ends. exit() and _exit() (exit_group)
// from a non-main thread while the others sleep in futex/condvar waits, in read() or
// spin; main calling pthread_exit while a worker carries on (and joins main); execve
// from a non-main thread while others run; a fatal signal in a non-main thread; SIGKILL
// to a process whose threads are all asleep. Each scenario runs in a forked child,
// which prints nothing: the parent checks its wait status (and bytes it wrote to a pipe).
//   usage: threads_exit [SELF]   (SELF: this program's path for execve; default argv[0])
//   threads_exit exec-child PID  is the image exec'd by the execve scenario: it prints
//   nothing and exits 7 if it is the main thread of process PID.
//   threads_exit main-exit-child FD / last-exit-child FD  are the pthread_exit-in-main
//   scenarios (exec'd too; they report through pipe FD and print nothing).
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest_test.h"
#include "guest_proc.h"

#define FUTEX_WAIT_PRIVATE 128

// Everything a child reports besides its status goes down this pipe.
static int report[2];

// Reads what the (now reaped) child wrote, as a string; the child's end is closed.
static void read_report(char* buf, size_t size) {
    size_t n = 0;
    ssize_t r;
    while (n + 1 < size && (r = read(report[0], buf + n, size - 1 - n)) > 0) n += (size_t)r;
    buf[n] = 0;
    close(report[0]);
}

static pid_t start_child(void) {
    pipe(report);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        close(report[0]);
        alarm(10);  // a child that fails to end dies of SIGALRM instead of hanging the test
    } else {
        close(report[1]);
    }
    return child;
}

// ---- sleepers the ending thread leaves behind -------------------------------------------------

static atomic_int ready;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static int futex_word;

static void* condvar_sleeper(void* arg) {
    pthread_mutex_lock(&lock);
    atomic_fetch_add(&ready, 1);
    for (;;) pthread_cond_wait(&never, &lock);
    return NULL;
}

static void* futex_sleeper(void* arg) {
    atomic_fetch_add(&ready, 1);
    for (;;) syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    return NULL;
}

static volatile unsigned long spins;
static void* spinner(void* arg) {
    atomic_fetch_add(&ready, 1);
    for (;;) spins++;
    return NULL;
}

// Two condvar sleepers, a raw-futex sleeper and a spinner. Returns once all are (very
// nearly) in place: each bumps `ready` just before it blocks or spins.
static void start_sleepers(void) {
    pthread_t t;
    pthread_create(&t, NULL, condvar_sleeper, NULL);
    pthread_create(&t, NULL, condvar_sleeper, NULL);
    pthread_create(&t, NULL, futex_sleeper, NULL);
    pthread_create(&t, NULL, spinner, NULL);
    while (atomic_load(&ready) < 4) sched_yield();
    sleep_ms(10);  // let them get to sleep
}

static void at_exit_handler(void) { write(report[1], "a", 1); }

static void* exit_caller(void* arg) {
    int how = (int)(intptr_t)arg;
    while (atomic_load(&ready) < 4) sched_yield();
    sleep_ms(10);
    write(report[1], "t", 1);
    if (how == 0) exit(42);
    _exit(43);
}

// ---- exit() / _exit() from a non-main thread ----------------------------------------------

static void test_exit_from_thread(void) {
    pid_t child = start_child();
    if (child == 0) {
        atexit(at_exit_handler);
        pthread_t t;
        pthread_create(&t, NULL, exit_caller, (void*)(intptr_t)0);
        start_sleepers();
        int p[2];
        pipe(p);
        char c;
        read(p[0], &c, 1);  // main sleeps in read() until the process ends
        _exit(1);
    }
    int status = wait_status_of(child);
    char buf[16];
    read_report(buf, sizeof buf);
    CHECK("exit_in_thread_exited", WIFEXITED(status));
    CHECK_EQ("exit_in_thread_status", WEXITSTATUS(status), 42);
    CHECK("exit_in_thread_ran_atexit", strcmp(buf, "ta") == 0);

    child = start_child();
    if (child == 0) {
        atexit(at_exit_handler);
        pthread_t t;
        pthread_create(&t, NULL, exit_caller, (void*)(intptr_t)1);
        start_sleepers();
        pthread_join(t, NULL);  // main sleeps in pthread_join (a futex wait)
        _exit(1);
    }
    status = wait_status_of(child);
    read_report(buf, sizeof buf);
    CHECK("_exit_in_thread_exited", WIFEXITED(status));
    CHECK_EQ("_exit_in_thread_status", WEXITSTATUS(status), 43);
    CHECK("_exit_in_thread_skips_atexit", strcmp(buf, "t") == 0);
}

// ---- main calls pthread_exit; a worker finishes the process ---------------------------------
// These run in a freshly exec'd image, not just a forked child: musl 1.2.3's fork does
// not re-register the child's tid address (set_tid_address), so when a forked child's
// main thread exits, musl's thread-list lock is never released and the surviving
// threads hang (a musl limitation the host shows too).

static pthread_t main_thread;
static pid_t main_pid;

static void* survivor(void* arg) {
    void* r = NULL;
    // pthread_join on the main thread returns its pthread_exit value once it is gone
    // (musl waits for the kernel to clear the set_tid_address word at its exit).
    int joined = pthread_join(main_thread, &r) == 0 && (intptr_t)r == 55;
    sleep_ms(10);
    int same_process = getpid() == main_pid && tid_now() != main_pid;
    write(report[1], joined ? "j" : "-", 1);
    write(report[1], same_process ? "p" : "-", 1);
    exit(0);
}

static void* last_thread(void* arg) {
    sleep_ms(10);
    write(report[1], "w", 1);
    pthread_exit(NULL);  // the last thread: the process ends with status 0
}

// The exec'd image for these scenarios: argv = {name, MODE, REPORT_FD}.
static int run_main_exit_child(const char* mode, int fd) {
    report[1] = fd;
    atexit(at_exit_handler);
    main_thread = pthread_self();
    main_pid = getpid();
    pthread_t t;
    pthread_create(&t, NULL, strcmp(mode, "main-exit-child") == 0 ? survivor : last_thread, NULL);
    pthread_exit((void*)(intptr_t)55);
}

static const char* self_path;

// Forks, and execs this program in MODE with the report pipe's write end.
static pid_t start_exec_child(const char* mode) {
    pid_t child = start_child();
    if (child == 0) {
        char fd_text[16];
        snprintf(fd_text, sizeof fd_text, "%d", report[1]);
        char* args[] = {"threads_exit", (char*)mode, fd_text, NULL};
        char* env[] = {NULL};
        execve(self_path, args, env);
        _exit(100 + errno);
    }
    return child;
}

static void test_main_pthread_exit(void) {
    pid_t child = start_exec_child("main-exit-child");
    int status = wait_status_of(child);
    char buf[16];
    read_report(buf, sizeof buf);
    CHECK("main_pthread_exit_exited", WIFEXITED(status));
    CHECK_EQ("main_pthread_exit_status", WEXITSTATUS(status), 0);
    CHECK("main_pthread_exit_join_main", buf[0] == 'j');
    CHECK("main_pthread_exit_process_lives", buf[0] && buf[1] == 'p');
    CHECK("main_pthread_exit_worker_ran_atexit", strcmp(buf, "jpa") == 0);

    // When the last thread calls pthread_exit too, the process ends with status 0.
    child = start_exec_child("last-exit-child");
    status = wait_status_of(child);
    read_report(buf, sizeof buf);
    CHECK("last_pthread_exit_status", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK("last_pthread_exit_ran_atexit", strcmp(buf, "wa") == 0);
}

// ---- execve from a non-main thread ----------------------------------------------------------

static void* exec_caller(void* arg) {
    while (atomic_load(&ready) < 4) sched_yield();
    sleep_ms(10);
    char pid_text[24];
    snprintf(pid_text, sizeof pid_text, "%d", (int)getpid());
    char* args[] = {"threads_exit", "exec-child", pid_text, NULL};
    char* env[] = {NULL};
    execve(self_path, args, env);
    _exit(100 + errno);  // the exec failed
}

static void test_exec_from_thread(void) {
    pid_t child = start_child();
    if (child == 0) {
        pthread_t t;
        pthread_create(&t, NULL, exec_caller, NULL);
        start_sleepers();
        pthread_join(t, NULL);
        _exit(1);
    }
    int status = wait_status_of(child);
    close(report[0]);
    CHECK("exec_in_thread_exited", WIFEXITED(status));
    CHECK_EQ("exec_in_thread_status", WEXITSTATUS(status), 7);
}

// ---- fatal signals ---------------------------------------------------------------------------

static void* crasher(void* arg) {
    while (atomic_load(&ready) < 4) sched_yield();
    sleep_ms(10);
    *(volatile int*)(uintptr_t)arg = 1;  // arg is 0: SIGSEGV in this thread kills them all
    return NULL;
}

static void test_fatal_signals(void) {
    pid_t child = start_child();
    if (child == 0) {
        pthread_t t;
        pthread_create(&t, NULL, crasher, NULL);
        start_sleepers();
        pthread_join(t, NULL);
        _exit(1);
    }
    int status = wait_status_of(child);
    close(report[0]);
    CHECK("segv_in_thread_kills_process", WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);

    child = start_child();
    if (child == 0) {
        start_sleepers();
        write(report[1], "r", 1);
        pthread_mutex_lock(&lock);
        for (;;) pthread_cond_wait(&never, &lock);
    }
    char c = 0;
    read(report[0], &c, 1);  // the child's threads are all started
    sleep_ms(10);
    kill(child, SIGKILL);
    status = wait_status_of(child);
    close(report[0]);
    CHECK("sigkill_multithreaded", c == 'r' && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

int main(int argc, char** argv) {
    if (argc >= 2 && strcmp(argv[1], "exec-child") == 0) {
        // The exec'd image: whichever thread called execve, it is now the process's only
        // thread, and has taken over the process id.
        int ok = argc >= 3 && getpid() == atoi(argv[2]) && tid_now() == getpid();
        return ok ? 7 : 8;
    }
    if (argc >= 3 && (strcmp(argv[1], "main-exit-child") == 0 || strcmp(argv[1], "last-exit-child") == 0))
        return run_main_exit_child(argv[1], atoi(argv[2]));
    self_path = argc >= 2 ? argv[1] : argv[0];
    alarm(30);  // safety net
    test_exit_from_thread();
    test_main_pthread_exit();
    test_exec_from_thread();
    test_fatal_signals();
    return guest_finish("threads_exit");
}
