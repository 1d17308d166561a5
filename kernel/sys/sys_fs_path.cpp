#include "kernel/fs/fd_table.h"
#include "kernel/fs/file.h"
#include "kernel/fs/fs_abi.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/vfs.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"
#include "kernel/sys/sys_fs.h"
#include "kernel/sys/sys_fs_common.h"

namespace kernel {

using namespace linux;
using sys_fs::as_int;
using sys_fs::UserPath;

namespace sys_fs {

UserPath::~UserPath() { kfree(buffer_); }

i64 UserPath::copy(u64 user_path, bool allow_empty) {
    buffer_ = static_cast<char*>(kmalloc(kPathMax));
    if (!buffer_) return -kEnomem;
    buffer_[0] = '\0';
    if (user_path == 0 && allow_empty) return 0;  // AT_EMPTY_PATH may pass NULL (Linux 6.11)
    const i64 n = strncpy_from_user(buffer_, user_path, kPathMax);
    if (n < 0) {
        buffer_[0] = '\0';
        return n;
    }
    if (n == 0 && !allow_empty) return -kEnoent;
    return 0;
}

i64 at_base(u64 dirfd, const char* path, Inode** base) {
    *base = nullptr;
    if (path[0] == '/') return 0;
    const i32 fd = as_int(dirfd);
    if (fd == kAtFdcwd) {
        *base = cwd();
        return 0;
    }
    File* file = fd_file(static_cast<u32>(fd));
    if (!file) return -kEbadf;
    Inode* inode = file->inode;
    inode_get(inode);
    file_put(file);
    if (!inode->is_dir() && path[0] != '\0') {
        inode_put(inode);
        return -kEnotdir;
    }
    *base = inode;
    return 0;
}

}  // namespace sys_fs

namespace {

// A path argument and the base it is relative to, for one call.
class AtPath {
public:
    AtPath() = default;
    ~AtPath() { inode_put(base_); }
    AtPath(const AtPath&) = delete;
    AtPath& operator=(const AtPath&) = delete;

    // Linux's order: the name is copied in first (EFAULT, ENAMETOOLONG,
    // ENOENT for ""), then dirfd is looked at (EBADF, ENOTDIR).
    i64 copy(u64 user_path, bool allow_empty = false) { return path_.copy(user_path, allow_empty); }
    i64 find_base(u64 dirfd) { return sys_fs::at_base(dirfd, path_.get(), &base_); }
    i64 resolve(u64 dirfd, u64 user_path, bool allow_empty = false) {
        if (const i64 rc = copy(user_path, allow_empty); rc < 0) return rc;
        return find_base(dirfd);
    }
    Inode* base() const { return base_; }
    const char* path() const { return path_.get(); }
    bool empty() const { return path_.empty(); }

private:
    UserPath path_;
    Inode* base_ = nullptr;
};

constexpr u64 kAtFdcwdArg = static_cast<u64>(static_cast<i64>(kAtFdcwd));

i64 do_openat(u64 dirfd, u64 user_path, u64 flags_arg, u64 mode_arg) {
    u32 flags = static_cast<u32>(flags_arg);
    if (flags & kOTmpfileBit) return -kEopnotsupp;                    // O_TMPFILE: no unnamed files here
    if ((flags & kOCreat) && (flags & kODirectory)) return -kEinval;  // as Linux 6.4 and later
    if (flags & kOPath) flags &= kOPath | kODirectory | kONofollow | kOCloexec;
    const u32 mode = (flags & kOCreat) ? (static_cast<u32>(mode_arg) & 07777 & ~sys_fs::umask()) : 0;
    AtPath at;
    if (const i64 rc = at.copy(user_path); rc < 0) return rc;
    FdTable* table = sys_fs::fd_table();
    if (!table) return -kEmfile;
    // Linux reserves the fd before the lookup: a full table is EMFILE whatever the path.
    if (table->used() >= FdTable::kMaxFds) return -kEmfile;
    if (const i64 rc = at.find_base(dirfd); rc < 0) return rc;
    File* file = nullptr;
    if (const i64 rc = vfs_open(at.base(), at.path(), flags, mode, &file); rc < 0) return rc;
    const i64 fd = table->allocate(file, 0, flags & kOCloexec);
    file_put(file);
    return fd;
}

// The inode an fstatat-like call names: dirfd itself for an empty path
// (AT_EMPTY_PATH), else the lookup. Referenced.
i64 stat_target(const AtPath& at, u64 flags, Inode** out) {
    if (at.empty()) {
        Inode* inode = at.base();  // never nullptr: an empty path is relative
        inode_get(inode);
        *out = inode;
        return 0;
    }
    return vfs_lookup(at.base(), at.path(), !(flags & kAtSymlinkNofollow), out);
}

i64 do_stat(u64 dirfd, u64 user_path, u64 user_stat, u64 flags) {
    if (flags & ~u64{kAtSymlinkNofollow | kAtEmptyPath | kAtNoAutomount}) return -kEinval;
    AtPath at;
    if (const i64 rc = at.resolve(dirfd, user_path, flags & kAtEmptyPath); rc < 0) return rc;
    Inode* inode = nullptr;
    // AT_EMPTY_PATH: dirfd itself (any kind of file), or the cwd.
    if (const i64 rc = stat_target(at, flags, &inode); rc < 0) return rc;
    Stat st;
    vfs_stat(*inode, &st);
    inode_put(inode);
    return put_user(user_stat, st);
}

i64 do_access(u64 dirfd, u64 user_path, u64 mode, u64 flags) {
    if (mode & ~u64{kROk | kWOk | kXOk}) return -kEinval;
    constexpr u64 kAtEaccess = 0x200;
    if (flags & ~u64{kAtEaccess | kAtSymlinkNofollow | kAtEmptyPath}) return -kEinval;
    AtPath at;
    if (const i64 rc = at.resolve(dirfd, user_path, flags & kAtEmptyPath); rc < 0) return rc;
    Inode* inode = nullptr;
    if (const i64 rc = stat_target(at, flags, &inode); rc < 0) return rc;
    const i64 rc = vfs_access(*inode, static_cast<u32>(mode));
    inode_put(inode);
    return rc;
}

i64 do_mkdirat(u64 dirfd, u64 user_path, u64 mode) {
    AtPath at;
    if (const i64 rc = at.resolve(dirfd, user_path); rc < 0) return rc;
    return vfs_mkdir(at.base(), at.path(), static_cast<u32>(mode) & 01777 & ~sys_fs::umask());
}

i64 do_unlinkat(u64 dirfd, u64 user_path, u64 flags) {
    if (flags & ~u64{kAtRemovedir}) return -kEinval;
    AtPath at;
    if (const i64 rc = at.resolve(dirfd, user_path); rc < 0) return rc;
    return (flags & kAtRemovedir) ? vfs_rmdir(at.base(), at.path()) : vfs_unlink(at.base(), at.path());
}

i64 do_renameat(u64 olddirfd, u64 old_path, u64 newdirfd, u64 new_path, u64 flags) {
    // RENAME_NOREPLACE, RENAME_EXCHANGE and RENAME_WHITEOUT are not supported.
    if (flags) return -kEinval;
    AtPath from, to;
    if (const i64 rc = from.resolve(olddirfd, old_path); rc < 0) return rc;
    if (const i64 rc = to.resolve(newdirfd, new_path); rc < 0) return rc;
    return vfs_rename(from.base(), from.path(), to.base(), to.path());
}

i64 do_symlinkat(u64 user_target, u64 newdirfd, u64 user_path) {
    UserPath target;
    if (const i64 rc = target.copy(user_target); rc < 0) return rc;
    AtPath at;
    if (const i64 rc = at.resolve(newdirfd, user_path); rc < 0) return rc;
    return vfs_symlink(target.get(), at.base(), at.path());
}

i64 do_readlinkat(u64 dirfd, u64 user_path, u64 user_buffer, u64 size_arg) {
    const i32 size = as_int(size_arg);
    if (size <= 0) return -kEinval;
    AtPath at;
    if (const i64 rc = at.resolve(dirfd, user_path, true); rc < 0) return rc;
    if (at.empty()) {
        // An empty path names dirfd itself, which works only for a symlink
        // opened with O_PATH | O_NOFOLLOW (Linux: otherwise ENOENT).
        if (!at.base() || !at.base()->is_symlink()) return -kEnoent;
    }
    const usize want = static_cast<usize>(size) < kPathMax ? static_cast<usize>(size) : kPathMax;
    char* buffer = static_cast<char*>(kmalloc(want));
    if (!buffer) return -kEnomem;
    i64 n;
    if (at.empty()) {
        Inode* link = at.base();
        n = static_cast<i64>(link->size < want ? link->size : want);
        mem_copy(buffer, link->target, static_cast<usize>(n));
    } else {
        n = vfs_readlink(at.base(), at.path(), buffer, want);
    }
    if (n > 0 && copy_to_user(user_buffer, buffer, static_cast<usize>(n)) < 0) n = -kEfault;
    kfree(buffer);
    return n;
}

}  // namespace

i64 sys_open(const SyscallArgs& a) { return do_openat(kAtFdcwdArg, a.arg[0], a.arg[1], a.arg[2]); }
i64 sys_openat(const SyscallArgs& a) { return do_openat(a.arg[0], a.arg[1], a.arg[2], a.arg[3]); }

i64 sys_stat(const SyscallArgs& a) { return do_stat(kAtFdcwdArg, a.arg[0], a.arg[1], 0); }
i64 sys_lstat(const SyscallArgs& a) { return do_stat(kAtFdcwdArg, a.arg[0], a.arg[1], kAtSymlinkNofollow); }
i64 sys_newfstatat(const SyscallArgs& a) { return do_stat(a.arg[0], a.arg[1], a.arg[2], a.arg[3]); }

i64 sys_access(const SyscallArgs& a) { return do_access(kAtFdcwdArg, a.arg[0], a.arg[1], 0); }
// faccessat has no flags argument (faccessat2 added it).
i64 sys_faccessat(const SyscallArgs& a) { return do_access(a.arg[0], a.arg[1], a.arg[2], 0); }
i64 sys_faccessat2(const SyscallArgs& a) { return do_access(a.arg[0], a.arg[1], a.arg[2], a.arg[3]); }

i64 sys_getcwd(const SyscallArgs& a) {
    char* buffer = static_cast<char*>(kmalloc(kPathMax));
    if (!buffer) return -kEnomem;
    Inode* dir = sys_fs::cwd();
    i64 n = vfs_path_of(dir, buffer, kPathMax);
    inode_put(dir);
    if (n > 0 && static_cast<u64>(n) > a.arg[1]) n = -kErange;
    if (n > 0 && copy_to_user(a.arg[0], buffer, static_cast<usize>(n)) < 0) n = -kEfault;
    kfree(buffer);
    return n;
}

i64 sys_chdir(const SyscallArgs& a) {
    UserPath path;
    if (const i64 rc = path.copy(a.arg[0]); rc < 0) return rc;
    Inode* base = sys_fs::cwd();
    Inode* dir = nullptr;
    i64 rc = vfs_lookup(base, path.get(), true, &dir);
    inode_put(base);
    if (rc < 0) return rc;
    if (dir->is_dir()) sys_fs::set_cwd(dir);
    else rc = -kEnotdir;
    inode_put(dir);
    return rc;
}

i64 sys_rename(const SyscallArgs& a) { return do_renameat(kAtFdcwdArg, a.arg[0], kAtFdcwdArg, a.arg[1], 0); }
i64 sys_renameat(const SyscallArgs& a) { return do_renameat(a.arg[0], a.arg[1], a.arg[2], a.arg[3], 0); }
i64 sys_renameat2(const SyscallArgs& a) {
    return do_renameat(a.arg[0], a.arg[1], a.arg[2], a.arg[3], static_cast<u32>(a.arg[4]));
}

i64 sys_mkdir(const SyscallArgs& a) { return do_mkdirat(kAtFdcwdArg, a.arg[0], a.arg[1]); }
i64 sys_mkdirat(const SyscallArgs& a) { return do_mkdirat(a.arg[0], a.arg[1], a.arg[2]); }
i64 sys_rmdir(const SyscallArgs& a) { return do_unlinkat(kAtFdcwdArg, a.arg[0], kAtRemovedir); }
i64 sys_unlink(const SyscallArgs& a) { return do_unlinkat(kAtFdcwdArg, a.arg[0], 0); }
i64 sys_unlinkat(const SyscallArgs& a) { return do_unlinkat(a.arg[0], a.arg[1], static_cast<u32>(a.arg[2])); }
i64 sys_symlink(const SyscallArgs& a) { return do_symlinkat(a.arg[0], kAtFdcwdArg, a.arg[1]); }
i64 sys_symlinkat(const SyscallArgs& a) { return do_symlinkat(a.arg[0], a.arg[1], a.arg[2]); }
i64 sys_readlink(const SyscallArgs& a) { return do_readlinkat(kAtFdcwdArg, a.arg[0], a.arg[1], a.arg[2]); }
i64 sys_readlinkat(const SyscallArgs& a) { return do_readlinkat(a.arg[0], a.arg[1], a.arg[2], a.arg[3]); }

i64 sys_statx(const SyscallArgs& a) {
    const u64 flags = a.arg[2];
    const u32 mask = static_cast<u32>(a.arg[3]);
    if (flags & ~u64{kAtSymlinkNofollow | kAtEmptyPath | kAtNoAutomount | kAtStatxSyncType}) return -kEinval;
    if ((flags & kAtStatxSyncType) == kAtStatxSyncType) return -kEinval;
    if (mask & kStatxReserved) return -kEinval;
    AtPath at;
    if (const i64 rc = at.resolve(a.arg[0], a.arg[1], flags & kAtEmptyPath); rc < 0) return rc;
    Inode* inode = nullptr;
    if (const i64 rc = stat_target(at, flags, &inode); rc < 0) return rc;
    Stat st;
    vfs_stat(*inode, &st);
    inode_put(inode);
    // Every basic field is known whatever was asked (Linux may give more than the mask).
    Statx sx;
    mem_set(&sx, 0, sizeof sx);
    sx.stx_mask = kStatxBasicStats;
    sx.stx_blksize = static_cast<u32>(st.st_blksize);
    sx.stx_nlink = static_cast<u32>(st.st_nlink);
    sx.stx_mode = static_cast<u16>(st.st_mode);
    sx.stx_ino = st.st_ino;
    sx.stx_size = static_cast<u64>(st.st_size);
    sx.stx_blocks = static_cast<u64>(st.st_blocks);
    sx.stx_rdev_major = static_cast<u32>((st.st_rdev >> 8) & 0xfff);
    sx.stx_rdev_minor = static_cast<u32>((st.st_rdev & 0xff) | ((st.st_rdev >> 12) & ~u64{0xff}));
    sx.stx_dev_major = static_cast<u32>((st.st_dev >> 8) & 0xfff);
    sx.stx_dev_minor = static_cast<u32>((st.st_dev & 0xff) | ((st.st_dev >> 12) & ~u64{0xff}));
    return put_user(a.arg[4], sx);
}

i64 sys_truncate(const SyscallArgs& a) {
    UserPath path;
    if (const i64 rc = path.copy(a.arg[0]); rc < 0) return rc;
    const i64 length = static_cast<i64>(a.arg[1]);
    if (length < 0) return -kEinval;
    Inode* base = sys_fs::cwd();
    Inode* inode = nullptr;
    i64 rc = vfs_lookup(base, path.get(), true, &inode);
    inode_put(base);
    if (rc < 0) return rc;
    rc = vfs_truncate(*inode, static_cast<u64>(length));
    inode_put(inode);
    return rc;
}

}  // namespace kernel
