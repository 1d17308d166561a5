#include "kernel/fs/tmpfs_file.h"

#include "kernel/fs/inode.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/string.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/pmm.h"

namespace kernel {
namespace {

constexpr u64 kMask = TmpfsPages::kFanout - 1;
constexpr usize kNodeBytes = TmpfsPages::kFanout * sizeof(void*);

u8* page_bytes(Page* page) { return static_cast<u8*>(pmm::page_to_virt(page)); }

}  // namespace

Page** TmpfsPages::leaf_for(u64 index, bool create) {
    KASSERT(index < kMaxPages, "file page %llu beyond the tmpfs limit", static_cast<unsigned long long>(index));
    if (!root_) {
        if (!create) return nullptr;
        root_ = static_cast<void**>(kzalloc(kNodeBytes));
        if (!root_) return nullptr;
    }
    void**& mid = reinterpret_cast<void**&>(root_[index >> (2 * kFanoutShift)]);
    if (!mid) {
        if (!create) return nullptr;
        mid = static_cast<void**>(kzalloc(kNodeBytes));
        if (!mid) return nullptr;
    }
    void*& leaf = mid[(index >> kFanoutShift) & kMask];
    if (!leaf) {
        if (!create) return nullptr;
        leaf = kzalloc(kNodeBytes);
        if (!leaf) return nullptr;
    }
    return static_cast<Page**>(leaf);
}

Page* TmpfsPages::find(u64 index) const {
    Page** leaf = const_cast<TmpfsPages*>(this)->leaf_for(index, false);
    return leaf ? leaf[index & kMask] : nullptr;
}

Page* TmpfsPages::find_or_create(u64 index) {
    Page** leaf = leaf_for(index, true);
    if (!leaf) return nullptr;
    Page*& slot = leaf[index & kMask];
    if (!slot) {
        pmm::AllocFlags flags;
        flags.zero = true;
        slot = pmm::alloc_page(flags);
        if (slot) ++pages_;
    }
    return slot;
}

void TmpfsPages::free_from(u64 first) {
    if (!root_) return;
    for (u64 i = 0; i < kFanout; ++i) {
        void** mid = static_cast<void**>(root_[i]);
        if (!mid) continue;
        for (u64 j = 0; j < kFanout; ++j) {
            Page** leaf = static_cast<Page**>(mid[j]);
            if (!leaf) continue;
            for (u64 k = 0; k < kFanout; ++k) {
                const u64 index = (i << (2 * kFanoutShift)) | (j << kFanoutShift) | k;
                if (leaf[k] && index >= first) {
                    pmm::free_page(leaf[k]);
                    leaf[k] = nullptr;
                    --pages_;
                }
            }
            if (first == 0) kfree(leaf);
        }
        if (first == 0) kfree(mid);
    }
    if (first == 0) {
        kfree(root_);
        root_ = nullptr;
    }
}

i64 tmpfs_read(Inode& inode, u64 offset, u8* buffer, usize length) {
    KASSERT(inode.is_regular(), "tmpfs_read of inode %llu", static_cast<unsigned long long>(inode.ino));
    SpinGuard guard(inode.lock);
    if (offset >= inode.size) return 0;
    if (length > inode.size - offset) length = static_cast<usize>(inode.size - offset);
    usize done = 0;
    while (done < length) {
        const u64 at = offset + done;
        const u64 in_page = at & (kPageSize - 1);
        const usize chunk = static_cast<usize>(length - done < kPageSize - in_page ? length - done : kPageSize - in_page);
        Page* page = inode.pages.find(at >> kPageShift);
        if (page) mem_copy(buffer + done, page_bytes(page) + in_page, chunk);
        else mem_set(buffer + done, 0, chunk);  // a hole reads as zeros
        done += chunk;
    }
    return static_cast<i64>(done);
}

namespace {

// Writes at offset with the inode lock held.
i64 write_locked(Inode& inode, u64 offset, const u8* buffer, usize length) {
    if (length == 0) return 0;
    if (offset >= TmpfsPages::kMaxBytes) return -linux::kEfbig;
    if (length > TmpfsPages::kMaxBytes - offset) length = static_cast<usize>(TmpfsPages::kMaxBytes - offset);
    usize done = 0;
    while (done < length) {
        const u64 at = offset + done;
        const u64 in_page = at & (kPageSize - 1);
        const usize chunk = static_cast<usize>(length - done < kPageSize - in_page ? length - done : kPageSize - in_page);
        Page* page = inode.pages.find_or_create(at >> kPageShift);
        if (!page) break;
        mem_copy(page_bytes(page) + in_page, buffer + done, chunk);
        done += chunk;
        if (at + chunk > inode.size) inode.size = at + chunk;
    }
    return done ? static_cast<i64>(done) : -linux::kEnospc;
}

}  // namespace

i64 tmpfs_write(Inode& inode, u64 offset, const u8* buffer, usize length) {
    KASSERT(inode.is_regular(), "tmpfs_write of inode %llu", static_cast<unsigned long long>(inode.ino));
    SpinGuard guard(inode.lock);
    return write_locked(inode, offset, buffer, length);
}

i64 tmpfs_append(Inode& inode, const u8* buffer, usize length, u64* end_offset) {
    KASSERT(inode.is_regular(), "tmpfs_append of inode %llu", static_cast<unsigned long long>(inode.ino));
    SpinGuard guard(inode.lock);
    const i64 n = write_locked(inode, inode.size, buffer, length);
    *end_offset = inode.size;
    return n;
}

i64 tmpfs_truncate(Inode& inode, u64 size) {
    KASSERT(inode.is_regular(), "tmpfs_truncate of inode %llu", static_cast<unsigned long long>(inode.ino));
    if (size > TmpfsPages::kMaxBytes) return -linux::kEfbig;
    SpinGuard guard(inode.lock);
    if (size < inode.size) {
        inode.pages.free_from(align_up(size, kPageSize) >> kPageShift);
        // Keep "bytes past the size are zero" for the page the new end falls in.
        const u64 in_page = size & (kPageSize - 1);
        if (in_page) {
            if (Page* page = inode.pages.find(size >> kPageShift))
                mem_set(page_bytes(page) + in_page, 0, static_cast<usize>(kPageSize - in_page));
        }
    }
    inode.size = size;
    return 0;
}

}  // namespace kernel
