// The VFS's namespace operations: a tmpfs mounted at "/", and what the system
// calls do to names (open, mkdir, mknod, symlink, unlink, rmdir, rename,
// stat, readlink, access, getcwd), each on a kernel path relative to a base
// directory (the caller's cwd or dirfd; nullptr means the root).
//
// Every call takes the namespace lock (inode.h) for its lookup and its edit,
// so each is atomic with respect to the others. Each returns 0 (or a length)
// or -errno with Linux's errno for the case; the order of checks follows
// fs/namei.c.
//
// Every process runs as root (uid 0): permission bits are kept and reported
// but only access(X_OK) consults them, as for root on Linux (X_OK needs some
// execute bit on a non-directory).
//
// Invariants (vfs_check_invariants): inode.h's and tmpfs_dir.h's, tmpfs_file.h's
// for each regular file, and every regular file's and symlink's nlink equals
// the directory entries naming it.
#pragma once

#include "kernel/fs/fs_abi.h"
#include "kernel/lib/types.h"

namespace kernel {

struct Inode;
struct File;

// Resets the VFS (forgetting any previous boot's), mounts an empty tmpfs at
// "/" and makes /dev with console, tty, null, zero, random and urandom, and
// /tmp (mode 1777). 0 or -ENOMEM.
i64 vfs_init();
// The root directory (not referenced: it is never freed).
Inode* vfs_root();

// open(2) after the syscall layer has checked the flags: `mode` is the new
// file's permission bits with the umask applied. *out is a new description.
i64 vfs_open(Inode* base, const char* path, u32 flags, u32 mode, File** out);
i64 vfs_mkdir(Inode* base, const char* path, u32 mode);
i64 vfs_mknod_char(Inode* base, const char* path, u32 mode, u32 major, u32 minor);
i64 vfs_symlink(const char* target, Inode* base, const char* path);
i64 vfs_unlink(Inode* base, const char* path);
i64 vfs_rmdir(Inode* base, const char* path);
i64 vfs_rename(Inode* old_base, const char* old_path, Inode* new_base, const char* new_path);
// The inode a path names, referenced (inode_put it).
i64 vfs_lookup(Inode* base, const char* path, bool follow, Inode** out);
// A symlink's target, truncated to `size` bytes without a NUL: the bytes
// given, or -EINVAL when the path is not a symlink.
i64 vfs_readlink(Inode* base, const char* path, char* buffer, usize size);
// access(2) mode bits (R_OK, W_OK, X_OK) for root on `inode`.
i64 vfs_access(const Inode& inode, u32 mode);
// struct stat of an inode.
void vfs_stat(Inode& inode, linux::Stat* st);
// The absolute path of a directory, NUL-terminated, for getcwd: its length
// with the NUL, -ERANGE when `size` is too small, -ENOENT once it is removed.
i64 vfs_path_of(Inode* dir, char* buffer, usize size);
// Truncates a regular file: -EISDIR for a directory, -EINVAL for others.
i64 vfs_truncate(Inode& inode, u64 size);

// Reads a whole regular file into a kmalloc'd buffer (the caller kfrees *data;
// a kmalloc(1) buffer for an empty file): 0, or -ENOENT/-ENOTDIR/-ELOOP/...
// from the lookup, -EACCES when it is not a regular file, -ENOMEM.
i64 vfs_read_file(const char* path, u8** data, usize* size);
// The same with a relative path starting at `base` (execve's: the cwd).
i64 vfs_read_file_at(Inode* base, const char* path, u8** data, usize* size);

// Panics naming the inode unless every invariant above holds.
void vfs_check_invariants();

}  // namespace kernel
