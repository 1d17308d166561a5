// poll_mask: the signal masks of ppoll and pselect6 are in force during the
// wait. With SIGUSR1 blocked, a call whose mask unblocks it is interrupted by
// it (EINTR, the handler ran) and SIGUSR1 is blocked again afterwards; a call
// whose mask blocks everything sleeps through the signal to its timeout and
// leaves it pending.
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest_test.h"

static volatile sig_atomic_t hits;
static void on_usr1(int sig) {
    (void)sig;
    hits++;
}

// A child that sends SIGUSR1 to its parent after a short while.
static pid_t signal_me_soon(void) {
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    return pid;
}

static int usr1_blocked(void) {
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    return sigismember(&now, SIGUSR1);
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t block_usr1, empty, all;
    sigemptyset(&block_usr1);
    sigaddset(&block_usr1, SIGUSR1);
    sigemptyset(&empty);
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &block_usr1, NULL);
    int fds[2];
    pipe(fds);
    struct pollfd p = {fds[0], POLLIN, 0};

    // ppoll's mask unblocks SIGUSR1: the wait ends with EINTR.
    pid_t pid = signal_me_soon();
    struct timespec two_s = {2, 0};
    errno = 0;
    int r = ppoll(&p, 1, &two_s, &empty);
    CHECK("ppoll_interrupted", r == -1 && errno == EINTR && hits == 1);
    CHECK("ppoll_mask_back", usr1_blocked());
    waitpid(pid, NULL, 0);

    // ppoll's mask blocks it: the timeout ends the wait, the signal stays pending.
    pid = signal_me_soon();
    waitpid(pid, NULL, 0);  // sent (and pending) before the call
    struct timespec short_wait = {0, 20 * 1000 * 1000};
    r = ppoll(&p, 1, &short_wait, &all);
    sigset_t pending;
    sigpending(&pending);
    CHECK("ppoll_blocked_times_out", r == 0 && hits == 1);
    CHECK("ppoll_signal_still_pending", sigismember(&pending, SIGUSR1));
    // Taking it: unblocked by a sigsuspend-like ppoll with the empty mask.
    r = ppoll(&p, 1, &short_wait, &empty);
    CHECK("ppoll_takes_pending", r == -1 && errno == EINTR && hits == 2 && usr1_blocked());

    // pselect's mask likewise.
    pid = signal_me_soon();
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(fds[0], &rd);
    errno = 0;
    r = pselect(fds[0] + 1, &rd, NULL, NULL, &two_s, &empty);
    CHECK("pselect_interrupted", r == -1 && errno == EINTR && hits == 3);
    CHECK("pselect_mask_back", usr1_blocked());
    waitpid(pid, NULL, 0);

    // Data ready: no wait, no signal taken, the mask restored at once.
    write(fds[1], "x", 1);
    r = ppoll(&p, 1, &two_s, &empty);
    CHECK("ppoll_ready", r == 1 && (p.revents & POLLIN) && usr1_blocked());
    return guest_finish("poll_mask");
}
