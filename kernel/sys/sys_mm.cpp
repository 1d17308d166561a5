#include "kernel/sys/sys_mm.h"

#include "kernel/fs/fd_table.h"
#include "kernel/fs/file.h"
#include "kernel/lib/errno.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/mman.h"
#include "kernel/proc/process.h"

namespace kernel {
namespace {

AddressSpace& space() { return *current_process()->space; }

}  // namespace

i64 sys_mmap(const SyscallArgs& a) {
    const u32 flags = static_cast<u32>(a.arg[3]);
    // File mappings come with the page cache (DESIGN.md "Page cache and
    // files"); until then only anonymous memory can be mapped. A bad
    // descriptor is EBADF first, as on Linux.
    if (!(flags & linux::kMapAnonymous)) {
        File* file = current_process()->files->get(static_cast<i32>(a.arg[4]));
        if (!file) return -linux::kEbadf;
        file_put(file);
        return -linux::kEnodev;
    }
    return space().mmap(a.arg[0], a.arg[1], static_cast<u32>(a.arg[2]), flags, static_cast<i32>(a.arg[4]), a.arg[5]);
}

i64 sys_munmap(const SyscallArgs& a) { return space().munmap(a.arg[0], a.arg[1]); }
i64 sys_mprotect(const SyscallArgs& a) { return space().mprotect(a.arg[0], a.arg[1], static_cast<u32>(a.arg[2])); }
i64 sys_brk(const SyscallArgs& a) { return static_cast<i64>(space().brk(a.arg[0])); }
i64 sys_madvise(const SyscallArgs& a) { return space().madvise(a.arg[0], a.arg[1], static_cast<i32>(a.arg[2])); }

}  // namespace kernel
