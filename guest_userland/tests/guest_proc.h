// guest_proc.h: process, thread and time helpers several guest tests share
// (each includes it after guest_test.h, with _GNU_SOURCE defined first).
#ifndef SIMX_GUEST_PROC_H
#define SIMX_GUEST_PROC_H

#include <errno.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// The calling thread's id (musl 1.2.3 has no gettid wrapper).
static inline pid_t tid_now(void) { return (pid_t)syscall(SYS_gettid); }

// Sleeps `ms` milliseconds, on through signal handlers that interrupt it.
static inline void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

// The wait status of child `pid` once it ended, or -1.
static inline int wait_status_of(pid_t pid) {
    int status = -1;
    if (waitpid(pid, &status, 0) != pid) return -1;
    return status;
}

// `clock`'s time `ms` milliseconds from now: an absolute timeout.
static inline struct timespec clock_plus_ms(clockid_t clock, long ms) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    ts.tv_nsec += ms * 1000000L;
    while (ts.tv_nsec >= 1000000000L) {
        ts.tv_nsec -= 1000000000L;
        ts.tv_sec++;
    }
    return ts;
}

#endif
