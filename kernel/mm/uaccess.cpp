#include "kernel/mm/uaccess.h"

#include "kernel/lib/errno.h"
#include "kernel/mm/layout.h"

namespace kernel {

bool user_range_ok(u64 address, u64 n) {
    if (n == 0) return true;
    const u64 end = address + n;
    return end > address && end <= layout().user_end;
}

i64 copy_from_user(void* dst, u64 user_src, usize n) {
    if (!user_range_ok(user_src, n)) return -linux::kEfault;
    return hal::copy_from_user(dst, user_src, n) == 0 ? 0 : -linux::kEfault;
}

i64 copy_to_user(u64 user_dst, const void* src, usize n) {
    if (!user_range_ok(user_dst, n)) return -linux::kEfault;
    return hal::copy_to_user(user_dst, src, n) == 0 ? 0 : -linux::kEfault;
}

i64 user_cmpxchg_u32(u64 user_address, u32 expected, u32 desired, u32* old) {
    if (user_address & 3) return -linux::kEinval;
    if (!user_range_ok(user_address, 4)) return -linux::kEfault;
    return hal::user_cmpxchg_u32(user_address, expected, desired, old) ? 0 : -linux::kEfault;
}

i64 clear_user(u64 user_dst, usize n) {
    if (!user_range_ok(user_dst, n)) return -linux::kEfault;
    return hal::clear_user(user_dst, n) == 0 ? 0 : -linux::kEfault;
}

i64 strncpy_from_user(char* dst, u64 user_src, usize n) {
    if (n == 0) return -linux::kEnametoolong;
    // Only the part inside the user half may be read; a string running past
    // its end faults there, as it would on a real page boundary.
    const u64 user_end = layout().user_end;
    if (user_src >= user_end) return -linux::kEfault;
    const usize limit = user_src + n > user_end || user_src + n < user_src ? static_cast<usize>(user_end - user_src) : n;
    const i64 length = hal::strncpy_from_user(dst, user_src, limit);
    if (length < 0) return -linux::kEfault;
    if (static_cast<usize>(length) == limit) return limit < n ? -linux::kEfault : -linux::kEnametoolong;
    return length;
}

}  // namespace kernel
