// Process syscalls: fork, vfork, clone (new processes), execve, exit, wait4,
// identity, uname, arch_prctl, set_tid_address, sched_yield, getrandom, and
// the SMAP test syscall.
#pragma once

#include "kernel/sys/syscall.h"

namespace kernel {

// A syscall number Linux does not use (far above its table), answered only
// when the command line has "test_syscalls": the kernel reads a byte through
// the user pointer in arg 0 *outside* uaccess, which SMAP must catch.
inline constexpr u32 kSysSmapProbe = 0x51a7;

i64 sys_exit(const SyscallArgs& a);
i64 sys_exit_group(const SyscallArgs& a);
i64 sys_getpid(const SyscallArgs& a);
i64 sys_gettid(const SyscallArgs& a);
i64 sys_getppid(const SyscallArgs& a);
i64 sys_getuid(const SyscallArgs& a);
i64 sys_uname(const SyscallArgs& a);
i64 sys_arch_prctl(const SyscallArgs& a);
i64 sys_set_tid_address(const SyscallArgs& a);
i64 sys_sched_yield(const SyscallArgs& a);
i64 sys_getrandom(const SyscallArgs& a);
i64 sys_fork(const SyscallArgs& a);
i64 sys_vfork(const SyscallArgs& a);
i64 sys_clone(const SyscallArgs& a);
i64 sys_clone3(const SyscallArgs& a);
i64 sys_sched_getaffinity(const SyscallArgs& a);
i64 sys_sched_setaffinity(const SyscallArgs& a);
i64 sys_getcpu(const SyscallArgs& a);
i64 sys_wait4(const SyscallArgs& a);
i64 sys_waitid(const SyscallArgs& a);
i64 sys_execve(const SyscallArgs& a);
i64 sys_prctl(const SyscallArgs& a);
i64 sys_getrlimit(const SyscallArgs& a);
i64 sys_setrlimit(const SyscallArgs& a);
i64 sys_prlimit64(const SyscallArgs& a);
i64 sys_smap_probe(const SyscallArgs& a);

// Enables kSysSmapProbe (from the command line); until then it is ENOSYS.
void enable_test_syscalls();
void set_test_syscalls(bool on);
bool test_syscalls_enabled();
// ASLR for programs started by execve (the command line's norandmaps turns it off).
void set_exec_randomize(bool on);
bool exec_randomize();

}  // namespace kernel
