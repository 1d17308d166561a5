// spin: user code that runs long enough for the timer to interrupt it
// (hal::timer_set_deadline, kernel/arch/x86_64/timer.cpp). Each worker spins
// for MS milliseconds of CLOCK_MONOTONIC, computing an integer and a floating-
// point sequence in registers; then it computes both again for exactly as many
// steps with no system call in between and requires the same results, so a
// register (general or SSE) the interrupt path or a context switch failed to
// restore shows. With CHILDREN > 0 the parent forks that many workers and
// waits for them; each reports when it first ran and when it finished in a
// file of its own, and the parent requires the runs to overlap: on one CPU
// they can only do so if the timer preempted one for another (without
// preemption each would run to its end before the next began).
//
//   spin [CHILDREN [MS]]      (default: 0 children, 200 ms)
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest_test.h"

#define MAX_CHILDREN 8

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct result {
    uint64_t x;
    double d;
};

// A step of each sequence: an LCG (Knuth's MMIX constants) and a bounded
// floating-point recurrence whose value depends on every earlier step.
static inline void step(uint64_t* x, double* d) {
    *x = *x * 6364136223846793005u + 1442695040888963407u;
    *d = *d * 0.999999 + (double)(*x >> 40) * 1e-9;
}

static struct result run_steps(uint64_t steps) {
    struct result r = {1, 1.0};
    for (uint64_t i = 0; i < steps; ++i) step(&r.x, &r.d);
    return r;
}

// Spins for ms milliseconds; returns 0 when the recomputation agrees.
static int worker(unsigned ms, uint64_t times[2]) {
    const uint64_t start = now_ns();
    const uint64_t end = start + (uint64_t)ms * 1000000u;
    struct result r = {1, 1.0};
    uint64_t steps = 0;
    do {
        for (int i = 0; i < 100000; ++i) step(&r.x, &r.d);
        steps += 100000;
    } while (now_ns() < end);
    const struct result again = run_steps(steps);
    times[0] = start;
    times[1] = now_ns();
    if (again.x != r.x || again.d != r.d) {
        printf("spin: %llu steps: %llx %a, then %llx %a\n", (unsigned long long)steps, (unsigned long long)r.x, r.d,
               (unsigned long long)again.x, again.d);
        return 1;
    }
    return 0;
}

static void path_of(char* buffer, size_t size, int child) { snprintf(buffer, size, "/tmp/spin.%d", child); }

int main(int argc, char** argv) {
    const int children = argc > 1 ? atoi(argv[1]) : 0;
    const unsigned ms = argc > 2 ? (unsigned)atoi(argv[2]) : 200;
    if (children < 0 || children > MAX_CHILDREN) {
        guest_fail("spin_arguments", "%d children (at most %d)", children, MAX_CHILDREN);
        return 1;
    }
    if (children == 0) {
        uint64_t times[2];
        CHECK("spin_registers_intact", worker(ms, times) == 0);
        return guest_failures ? 1 : 0;
    }
    pid_t pids[MAX_CHILDREN];
    for (int c = 0; c < children; ++c) {
        pids[c] = fork();
        if (pids[c] == 0) {
            uint64_t times[2];
            const int status = worker(ms, times);
            char path[32];
            path_of(path, sizeof path, c);
            int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
            if (fd < 0 || write(fd, times, sizeof times) != (ssize_t)sizeof times) _exit(2);
            close(fd);
            _exit(status);
        }
        if (pids[c] < 0) {
            guest_fail("spin_fork", "fork failed (errno %d)", errno);
            return 1;
        }
    }
    int all_ok = 1;
    for (int c = 0; c < children; ++c) {
        int status = 0;
        if (waitpid(pids[c], &status, 0) != pids[c] || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            printf("spin: child %d: wait status %#x\n", c, status);
            all_ok = 0;
        }
    }
    CHECK("spin_children_registers_intact", all_ok);
    // Every two runs overlap: each began before the other ended.
    uint64_t times[MAX_CHILDREN][2];
    int read_ok = 1;
    for (int c = 0; c < children; ++c) {
        char path[32];
        path_of(path, sizeof path, c);
        int fd = open(path, O_RDONLY);
        if (fd < 0 || read(fd, times[c], sizeof times[c]) != (ssize_t)sizeof times[c]) read_ok = 0;
        if (fd >= 0) close(fd);
    }
    CHECK("spin_times_recorded", read_ok);
    int overlap = read_ok;
    for (int a = 0; a < children && read_ok; ++a)
        for (int b = a + 1; b < children; ++b)
            if (!(times[a][0] < times[b][1] && times[b][0] < times[a][1])) {
                printf("spin: children %d [%llu, %llu] and %d [%llu, %llu] ran one after the other\n", a,
                       (unsigned long long)times[a][0], (unsigned long long)times[a][1], b,
                       (unsigned long long)times[b][0], (unsigned long long)times[b][1]);
                overlap = 0;
            }
    CHECK("spin_children_interleaved", overlap);
    return guest_failures ? 1 : 0;
}
