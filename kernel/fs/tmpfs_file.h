// A tmpfs regular file's data: whole frames from the pmm, indexed by page
// number in a three-level radix tree of 512-slot nodes (the shape of an x86-64
// page table, and of the page cache DESIGN.md plans), so a sparse file costs
// only the pages written. A missing page reads as zeros.
//
// Invariants (check): every present page lies below the file size rounded up
// to a page; the bytes of a present page at or beyond the size are zero (a
// shrinking truncate zeroes the tail of the last page), so growing a file by a
// write past the end or a truncate never exposes old data; page_count() counts
// the present pages.
//
// Locking: the owning Inode's lock serializes every call.
#pragma once

#include "kernel/lib/types.h"

namespace kernel {

struct Page;

class TmpfsPages {
public:
    static constexpr u32 kFanoutShift = 9;
    static constexpr u64 kFanout = u64{1} << kFanoutShift;
    static constexpr u64 kMaxPages = u64{1} << (3 * kFanoutShift);  // 512 GiB of data
    static constexpr u64 kMaxBytes = kMaxPages << kPageShift;

    TmpfsPages() = default;
    TmpfsPages(const TmpfsPages&) = delete;
    TmpfsPages& operator=(const TmpfsPages&) = delete;

    // The page holding file page `index`, or nullptr for a hole.
    Page* find(u64 index) const;
    // The page at `index`, a zeroed one allocated if it was a hole; nullptr
    // when memory runs out.
    Page* find_or_create(u64 index);
    // Frees every page at `first` and above (first = 0: everything, nodes too).
    void free_from(u64 first);
    u64 page_count() const { return pages_; }

    // Calls fn(index, page) for each present page in increasing index order.
    template <typename Fn>
    void for_each(Fn&& fn) const {
        if (!root_) return;
        for (u64 i = 0; i < kFanout; ++i) {
            void** mid = static_cast<void**>(root_[i]);
            if (!mid) continue;
            for (u64 j = 0; j < kFanout; ++j) {
                Page** leaf = static_cast<Page**>(mid[j]);
                if (!leaf) continue;
                for (u64 k = 0; k < kFanout; ++k)
                    if (leaf[k]) fn((i << (2 * kFanoutShift)) | (j << kFanoutShift) | k, leaf[k]);
            }
        }
    }

private:
    Page** leaf_for(u64 index, bool create);

    void** root_ = nullptr;  // kFanout pointers to mid nodes, each kFanout pointers to leaves
    u64 pages_ = 0;
};

struct Inode;

// Byte-level access to a regular file (inode lock taken inside). Reads stop
// at the size; writes grow it and return the bytes written, or -ENOSPC /
// -EFBIG when not even one byte could be.
i64 tmpfs_read(Inode& inode, u64 offset, u8* buffer, usize length);
i64 tmpfs_write(Inode& inode, u64 offset, const u8* buffer, usize length);
// Sets the size: shrinking frees the pages past it, growing leaves a hole.
// 0 or -EFBIG. An O_APPEND write takes the size as its offset under the same lock.
i64 tmpfs_truncate(Inode& inode, u64 size);
i64 tmpfs_append(Inode& inode, const u8* buffer, usize length, u64* end_offset);

}  // namespace kernel
