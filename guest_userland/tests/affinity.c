// affinity: sched_setaffinity, sched_getaffinity and getcpu. A thread pinned
// to a CPU runs there (sched_getcpu) through yields and sleeps; the mask is
// inherited by threads and forked children; bad masks and lengths are refused
// as Linux refuses them. Prints outcomes only, the same on any CPU count.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest_test.h"

static int highest_cpu(const cpu_set_t* set) {
    int last = -1;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, set)) last = c;
    return last;
}

// Pins the caller to `cpu` and checks it stays there across yields and sleeps.
static int pinned_stays(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) return 0;
    for (int i = 0; i < 20; i++) {
        if (sched_getcpu() != cpu) return 0;
        if (i % 2) sched_yield();
        else {
            struct timespec ts = {0, 100000};
            nanosleep(&ts, NULL);
        }
    }
    return 1;
}

static int thread_target;
static void* pinned_thread(void* arg) {
    (void)arg;
    cpu_set_t set;
    // A new thread starts with its creator's mask.
    int inherited = sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) == 1 &&
                    CPU_ISSET(thread_target, &set) && sched_getcpu() == thread_target;
    return (void*)(long)(inherited && pinned_stays(thread_target));
}

int main(void) {
    cpu_set_t all;
    CHECK("getaffinity", sched_getaffinity(0, sizeof all, &all) == 0);
    CHECK("getaffinity_has_cpu0", CPU_ISSET(0, &all));
    const int last = highest_cpu(&all);
    CHECK("getcpu_in_mask", sched_getcpu() >= 0 && CPU_ISSET(sched_getcpu(), &all));
    unsigned cpu = 99, node = 99;
    CHECK("getcpu_syscall", syscall(SYS_getcpu, &cpu, &node, NULL) == 0 && CPU_ISSET(cpu, &all) && node < 64);

    CHECK("pin_to_cpu0", pinned_stays(0));
    CHECK("pin_to_last_cpu", pinned_stays(last));

    thread_target = 0;
    pinned_stays(0);
    pthread_t t;
    void* ok = NULL;
    pthread_create(&t, NULL, pinned_thread, NULL);
    pthread_join(t, &ok);
    CHECK("thread_inherits_and_stays", ok != NULL);

    pid_t pid = fork();
    if (pid == 0) {
        cpu_set_t set;
        _exit(sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) == 1 && CPU_ISSET(0, &set) ? 0 : 1);
    }
    int status = 0;
    CHECK("fork_inherits", waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);

    // Back to every CPU.
    CHECK("unpin", sched_setaffinity(0, sizeof all, &all) == 0);
    cpu_set_t now;
    CHECK("unpinned_mask", sched_getaffinity(0, sizeof now, &now) == 0 && CPU_EQUAL(&now, &all));

    // Refusals (raw syscalls: the libc wrappers check some of these themselves).
    cpu_set_t none;
    CPU_ZERO(&none);
    CHECK_ERR("empty_mask_EINVAL", sched_setaffinity(0, sizeof none, &none), EINVAL);
    unsigned long small = 0;
    CHECK_ERR("short_length_EINVAL", syscall(SYS_sched_getaffinity, 0, 4, &small), EINVAL);
    CHECK_ERR("odd_length_EINVAL", syscall(SYS_sched_getaffinity, 0, 12, &small), EINVAL);
    CHECK_ERR("no_such_thread_ESRCH", sched_getaffinity(999999, sizeof all, &all), ESRCH);
    CHECK_ERR("bad_pointer_EFAULT", syscall(SYS_sched_setaffinity, 0, sizeof all, (void*)8), EFAULT);
    return guest_finish("affinity");
}
