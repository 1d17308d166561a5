#include "kernel/sys/sys_mm.h"

#include "kernel/fs/fd_table.h"
#include "kernel/fs/file.h"
#include "kernel/fs/inode.h"
#include "kernel/lib/errno.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/mman.h"
#include "kernel/proc/elf_loader.h"
#include "kernel/proc/process.h"

namespace kernel {
namespace {

AddressSpace& space() { return *current_process()->space; }

// Copies file bytes [offset, offset + n) to user address va of `as` (the
// range is mapped writable), a page at a time through a bounce buffer. 0 or
// -errno.
i64 copy_file_to_user(AddressSpace& as, File& file, u64 va, u64 offset, u64 n) {
    u8* buffer = static_cast<u8*>(kmalloc(kPageSize));
    if (!buffer) return -linux::kEnomem;
    i64 result = 0;
    while (n) {
        const usize chunk = static_cast<usize>(n < kPageSize ? n : kPageSize);
        const i64 got = file_pread(file, buffer, chunk, offset);
        if (got <= 0) {  // end of file (it shrank meanwhile) or an error: the rest stays zero
            result = got < 0 ? got : 0;
            break;
        }
        if (const i64 r = user_write(as, va, buffer, static_cast<usize>(got)); r < 0) {
            result = r;
            break;
        }
        va += static_cast<u64>(got);
        offset += static_cast<u64>(got);
        n -= static_cast<u64>(got);
    }
    kfree(buffer);
    return result;
}

// A private file mapping, made by copy until the page cache exists
// (DESIGN.md "Page cache and files"): a private anonymous mapping of the
// same range, rights and flags, filled with the file's bytes now. A private
// mapping never writes back, so a program sees what Linux would show except
// (1) after the file changes (Linux shows new bytes on pages not yet
// written; here they keep the bytes of mmap time), and (2) on pages wholly
// past the end of the file (Linux raises SIGBUS there; here they read zero).
// This is what musl's dynamic loader needs to map shared libraries.
//
// The anonymous mmap makes every check of the address and the rights (W^X
// included), so a refused call changes nothing; the fill then makes the
// range writable for the kernel's copy and gives the rights back. A failure
// after the mapping was made unmaps it (with MAP_FIXED the old mapping is
// gone, as when Linux fails late).
i64 map_file_private(File& file, u64 addr, u64 length, u32 prot, u32 flags, u64 offset) {
    AddressSpace& as = space();
    const i64 mapped = as.mmap(addr, length, prot, flags | linux::kMapAnonymous);
    if (mapped < 0) return mapped;
    const u64 start = static_cast<u64>(mapped);
    const u64 len = align_up(length, kPageSize);
    const u64 size = file.inode->size;  // a snapshot: copy_file_to_user stops at the real end
    if (offset >= size) return mapped;
    const u64 n = size - offset < len ? size - offset : len;
    const u32 fill = linux::kProtRead | linux::kProtWrite;
    i64 r = prot == fill ? 0 : as.mprotect(start, len, fill);
    if (r == 0) r = copy_file_to_user(as, file, start, offset, n);
    if (r == 0 && prot != fill) r = as.mprotect(start, len, prot);
    if (r < 0) {
        as.munmap(start, len);
        return r == -linux::kEfault ? -linux::kEnomem : r;
    }
    return mapped;
}

}  // namespace

i64 sys_mmap(const SyscallArgs& a) {
    const u64 addr = a.arg[0], length = a.arg[1], offset = a.arg[5];
    const u32 prot = static_cast<u32>(a.arg[2]);
    const u32 flags = static_cast<u32>(a.arg[3]);
    if (flags & linux::kMapAnonymous) return space().mmap(addr, length, prot, flags, static_cast<i32>(a.arg[4]), offset);

    // A file mapping: Linux's order (x86 sys_mmap, then do_mmap).
    if (offset & (kPageSize - 1)) return -linux::kEinval;
    File* file = current_process()->files->get(static_cast<i32>(a.arg[4]));
    if (!file) return -linux::kEbadf;
    i64 r;
    if (file->is_path_only()) {
        r = -linux::kEbadf;  // an O_PATH descriptor cannot be mapped
    } else if (length == 0) {
        r = -linux::kEinval;
    } else if (length > ~u64{0} - (kPageSize - 1) ||
               (offset >> kPageShift) + (align_up(length, kPageSize) >> kPageShift) < (offset >> kPageShift)) {
        r = length > ~u64{0} - (kPageSize - 1) ? -linux::kEnomem : -linux::kEoverflow;
    } else if (!file->inode || !file->inode->is_regular()) {
        r = -linux::kEnodev;  // no mmap for directories and devices (/dev/zero: later)
    } else if ((flags & linux::kMapType) != linux::kMapPrivate) {
        // Shared file mappings need the page cache: refused until it exists.
        r = (flags & linux::kMapType) == linux::kMapShared || (flags & linux::kMapType) == linux::kMapSharedValidate
                ? -linux::kEnodev
                : -linux::kEinval;
    } else if (!file->readable()) {
        r = -linux::kEacces;
    } else {
        r = map_file_private(*file, addr, length, prot, flags, offset);
    }
    file_put(file);
    return r;
}

i64 sys_munmap(const SyscallArgs& a) { return space().munmap(a.arg[0], a.arg[1]); }
i64 sys_mprotect(const SyscallArgs& a) { return space().mprotect(a.arg[0], a.arg[1], static_cast<u32>(a.arg[2])); }
i64 sys_brk(const SyscallArgs& a) { return static_cast<i64>(space().brk(a.arg[0])); }
i64 sys_madvise(const SyscallArgs& a) { return space().madvise(a.arg[0], a.arg[1], static_cast<i32>(a.arg[2])); }

}  // namespace kernel
