// syscalls: a tight loop of cheap system calls, so the run time is the kernel
// entry and exit path (in the simulator: the interpreter's SYSCALL exit, the
// trap glue, the syscall table and the charged entry cost). close(-1) fails
// with EBADF the same way everywhere, so the output is deterministic.
//   usage: syscalls [CALLS=10000]
#define _GNU_SOURCE
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "workload.h"

int main(int argc, char** argv) {
    uint64_t calls = workload_arg(argc, argv, 1, 10000);
    uint64_t ebadf = 0;
    for (uint64_t i = 0; i < calls; i++)
        if (syscall(SYS_close, -1) == -1 && errno == EBADF) ebadf++;
    printf("syscalls %llu: close(-1) gave EBADF %llu times\n", (unsigned long long)calls, (unsigned long long)ebadf);
    return ebadf == calls ? 0 : 1;
}
