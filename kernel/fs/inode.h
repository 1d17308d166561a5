// The VFS inode: one file of any kind (regular, directory, character device,
// symbolic link) and the namespace lock.
//
// There is one filesystem type, tmpfs, mounted at "/" (vfs.h), so an inode
// carries tmpfs's own data directly rather than through an operations table;
// a second filesystem type would add the table here. Character devices are
// dispatched by their device number (char_device.h).
//
// Lifetime: an inode lives while it is linked (nlink > 0: some directory
// names it, or it is the root) or referenced (refs > 0: an open file, a
// working directory, a lookup in progress). The last of the two to drop frees
// it. nlink changes only under the namespace lock and the final put decides
// under it too, so a lookup that finds the inode in a directory (under the
// lock) can never race with its freeing.
//
// Locks, in order: the namespace lock (vfs_lock(): directory contents, nlink,
// parent, the inode list), then an inode's own lock (a regular file's size and
// pages). refs is atomic: a holder of a reference may take another without a
// lock.
//
// Invariants (vfs_check_invariants): every live inode is on the inode list;
// each has nlink > 0 or refs > 0; a directory's nlink is 2 plus its
// subdirectories while linked (0 once removed, with parent == nullptr); the
// root is its own parent; a linked directory's parent names it.
#pragma once

#include "kernel/fs/tmpfs_dir.h"
#include "kernel/fs/tmpfs_file.h"
#include "kernel/lib/list.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/types.h"

namespace kernel {

// kFifo: a pipe's inode (kernel/fs/pipe.h), never linked into a directory.
enum class InodeType : u8 { kRegular, kDirectory, kCharDevice, kSymlink, kFifo };

// Linux's st_dev of our tmpfs (an anonymous device number, as tmpfs gets).
inline constexpr u64 kTmpfsDevice = 0x15;

// Linux's new_encode_dev for st_rdev: major in bits 8..19, minor in 0..7 and 20..31.
constexpr u64 encode_device(u32 major, u32 minor) {
    return (minor & 0xff) | (u64{major & 0xfff} << 8) | (u64{minor & ~0xffu} << 12);
}

struct Inode {
    ListNode all;             // on the inode list (namespace lock)
    u64 ino = 0;
    InodeType type = InodeType::kRegular;
    u32 mode = 0;             // type bits and permissions, as st_mode
    u32 nlink = 0;            // namespace lock
    u32 refs = 0;             // atomic
    u32 major = 0, minor = 0; // character devices
    SpinLock lock{"inode"};   // a regular file's size and pages
    u64 size = 0;             // regular: bytes; symlink: target length; directory: 0
    Inode* parent = nullptr;  // directories: the one that names it (root: itself)
    TmpfsDir dir;             // directories
    TmpfsPages pages;         // regular files
    char* target = nullptr;   // symlinks: kmalloc'd, NUL-terminated, never changed
    u32 check_links = 0;      // vfs_check_invariants: entries found naming it

    bool is_dir() const { return type == InodeType::kDirectory; }
    bool is_regular() const { return type == InodeType::kRegular; }
    bool is_symlink() const { return type == InodeType::kSymlink; }
    bool is_char_device() const { return type == InodeType::kCharDevice; }
    bool is_fifo() const { return type == InodeType::kFifo; }
};

// The namespace lock.
SpinLock& vfs_lock();

// A new inode of `type` with permission bits `permissions`, nlink 0 and refs 0;
// nullptr when memory runs out. The caller links it or frees it with inode_free
// while still holding the namespace lock.
Inode* inode_alloc(InodeType type, u32 permissions);
void inode_free(Inode* inode);

// Another reference; the caller holds one, or the namespace lock.
void inode_get(Inode* inode);
// Drops a reference; frees the inode if it was the last and it is unlinked.
void inode_put(Inode* inode);
void inode_put_locked(Inode* inode);
// Drops a link (namespace lock held); frees the inode if it was the last and
// nothing references it.
void inode_unlink_locked(Inode* inode);

// Live inodes (for leak checks).
u64 inode_count();
// Calls fn(inode) for each live inode; namespace lock held.
template <typename Fn>
void for_each_inode(Fn&& fn);

// Forgets every inode of a previous boot (vfs_init calls it first).
void inode_reset();

namespace detail {
IntrusiveList<Inode, &Inode::all>& inode_list();
}
template <typename Fn>
void for_each_inode(Fn&& fn) {
    detail::inode_list().for_each(fn);
}

}  // namespace kernel
