// Memory syscalls: thin wrappers over the current process's AddressSpace
// (kernel/mm/address_space.h), which has Linux's semantics and errno values.
#pragma once

#include "kernel/sys/syscall.h"

namespace kernel {

i64 sys_mmap(const SyscallArgs& a);
i64 sys_munmap(const SyscallArgs& a);
i64 sys_mprotect(const SyscallArgs& a);
i64 sys_brk(const SyscallArgs& a);
i64 sys_madvise(const SyscallArgs& a);

}  // namespace kernel
