// futex(2), set_robust_list(2), get_robust_list(2): the syscall side of
// kernel/sync/futex.h (argument decoding, timeouts, the operations Linux has).
#pragma once

#include "kernel/sys/syscall.h"

namespace kernel {

i64 sys_futex(const SyscallArgs& a);
i64 sys_set_robust_list(const SyscallArgs& a);
i64 sys_get_robust_list(const SyscallArgs& a);

}  // namespace kernel
