// smap_probe: the qemu SMAP test's init. It calls the kernel's test-only syscall
// 0x51a7 (enabled by the command line word "test_syscalls", kernel/sys/sys_proc.h)
// with a pointer to a page of its own that is mapped and present, so the kernel's
// plain load through it (hal::smap_violation_probe) can fault only because of SMAP.
// The kernel must panic naming a "SMAP violation"; reaching the end is a failure.
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SYS_SIMX_SMAP_PROBE 0x51a7

static volatile char page[4096] __attribute__((aligned(4096))) = {42};

int main(void) {
    page[0] = 42;  // present and writable: no demand fault can be the reason
    printf("smap_probe: calling syscall %#x on %p\n", SYS_SIMX_SMAP_PROBE, (void*)page);
    fflush(stdout);
    long r = syscall(SYS_SIMX_SMAP_PROBE, page);
    printf("FAIL smap_probe: the kernel read %ld through a user pointer outside uaccess and went on\n", r);
    return 1;
}
