// Kernel access to user memory (DESIGN.md "The HAL and the trap ABI"): the
// only way kernel code reads or writes through a user address. Each call
// checks that the range lies in the user half (Linux's access_ok) and then
// copies through the HAL, which lifts SMAP for the copy alone; a fault the
// page-fault handler cannot resolve stops the copy and gives -EFAULT.
//
// Kernel code never dereferences a user address: in the sim build the kernel
// runs natively and a user address is not a host pointer at all; in the qemu
// build SMAP faults it (hal::smap_violation_probe is the test of that).
#pragma once

#include "kernel/hal/hal.h"
#include "kernel/lib/types.h"

namespace kernel {

// Is [address, address + n) inside the user half? n = 0 is always fine.
bool user_range_ok(u64 address, u64 n);

// 0, or -EFAULT when the range is bad or a page could not be reached (some
// bytes may have been copied before it).
i64 copy_from_user(void* dst, u64 user_src, usize n);
i64 copy_to_user(u64 user_dst, const void* src, usize n);
i64 clear_user(u64 user_dst, usize n);
// The string's length (without its NUL), -ENAMETOOLONG when no NUL comes
// within n bytes (n includes the NUL), or -EFAULT.
i64 strncpy_from_user(char* dst, u64 user_src, usize n);

// The atomic compare-exchange of an aligned 32-bit user word
// (hal::user_cmpxchg_u32): 0 with *old set, -EINVAL when unaligned, or -EFAULT.
i64 user_cmpxchg_u32(u64 user_address, u32 expected, u32 desired, u32* old);

template <typename T>
i64 get_user(T& value, u64 user_src) {
    return copy_from_user(&value, user_src, sizeof(T));
}
template <typename T>
i64 put_user(u64 user_dst, const T& value) {
    return copy_to_user(user_dst, &value, sizeof(T));
}

}  // namespace kernel
