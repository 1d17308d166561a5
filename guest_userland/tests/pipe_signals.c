// pipe_signals: pipes meeting signals (issue 6, item 6): SIGPIPE's default
// action and a SIGPIPE handler, a blocking read interrupted by a handler
// (EINTR) or restarted (SA_RESTART), a blocking write interrupted after part
// of it went in (the partial count), and poll interrupted (EINTR). Each case
// runs in a child that reports through its exit status; the parent waits 20 ms
// (modeled time under simx) before it signals, so the child is asleep in the
// call by then.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest_test.h"
#include "guest_proc.h"

static volatile sig_atomic_t handled;
static void on_signal(int sig) { handled = sig; }

static void set_handler(int sig, int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void pause_ms(long ms) {
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static int exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status); }

int main(void) {
    int p[2];

    // A write with no reader kills a process that keeps SIGPIPE's default.
    CHECK("pipe", pipe(p) == 0);
    close(p[0]);
    pid_t child = fork();
    if (child == 0) {
        signal(SIGPIPE, SIG_DFL);
        (void)!write(p[1], "x", 1);
        _exit(0);
    }
    int status = wait_status_of(child);
    CHECK("sigpipe_kills", WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE);
    close(p[1]);

    // With a handler: the handler runs and the write is EPIPE.
    CHECK("pipe_handler", pipe(p) == 0);
    close(p[0]);
    child = fork();
    if (child == 0) {
        set_handler(SIGPIPE, 0);
        ssize_t w = write(p[1], "x", 1);
        _exit(w == -1 && errno == EPIPE && handled == SIGPIPE ? 0 : 1);
    }
    CHECK_EQ("sigpipe_handler_and_epipe", exit_code(wait_status_of(child)), 0);
    close(p[1]);

    // A blocking read on an empty pipe, interrupted by a handler without SA_RESTART: EINTR.
    CHECK("pipe_eintr", pipe(p) == 0);
    child = fork();
    if (child == 0) {
        close(p[1]);
        set_handler(SIGUSR1, 0);
        char c;
        ssize_t r = read(p[0], &c, 1);
        _exit(r == -1 && errno == EINTR && handled == SIGUSR1 ? 0 : 1);
    }
    pause_ms(20);
    kill(child, SIGUSR1);
    CHECK_EQ("read_eintr", exit_code(wait_status_of(child)), 0);
    close(p[0]);
    close(p[1]);

    // The same with SA_RESTART: the read goes on and gets the byte written later.
    CHECK("pipe_restart", pipe(p) == 0);
    child = fork();
    if (child == 0) {
        close(p[1]);
        set_handler(SIGUSR1, SA_RESTART);
        char c = 0;
        ssize_t r = read(p[0], &c, 1);
        _exit(r == 1 && c == 'r' && handled == SIGUSR1 ? 0 : 1);
    }
    close(p[0]);
    pause_ms(20);
    kill(child, SIGUSR1);
    pause_ms(20);
    CHECK_EQ("write_after_signal", write(p[1], "r", 1), 1);
    CHECK_EQ("read_restarted", exit_code(wait_status_of(child)), 0);
    close(p[1]);

    // A blocking write larger than the pipe, interrupted once the pipe is full:
    // it returns what went in (64 KiB).
    CHECK("pipe_partial", pipe(p) == 0);
    child = fork();
    if (child == 0) {
        close(p[0]);
        set_handler(SIGUSR1, 0);
        static char big[128 * 1024];
        ssize_t w = write(p[1], big, sizeof big);
        _exit(w == 65536 && handled == SIGUSR1 ? 0 : 1);
    }
    close(p[1]);
    pause_ms(20);
    kill(child, SIGUSR1);
    CHECK_EQ("write_partial_on_signal", exit_code(wait_status_of(child)), 0);
    close(p[0]);

    // poll without a timeout, interrupted by a handler: EINTR.
    CHECK("pipe_poll", pipe(p) == 0);
    child = fork();
    if (child == 0) {
        close(p[1]);
        set_handler(SIGUSR1, SA_RESTART);
        struct pollfd pf = {p[0], POLLIN, 0};
        int n = poll(&pf, 1, -1);
        _exit(n == -1 && errno == EINTR && handled == SIGUSR1 ? 0 : 1);
    }
    pause_ms(20);
    kill(child, SIGUSR1);
    CHECK_EQ("poll_eintr", exit_code(wait_status_of(child)), 0);
    close(p[0]);
    close(p[1]);

    return guest_finish("pipe_signals");
}
