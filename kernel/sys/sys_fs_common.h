// What the file system calls share (sys_fs.cpp, sys_fs_path.cpp): the
// calling process's descriptors and context, user paths, and the base
// directory of an *at call. Internal to kernel/sys.
#pragma once

#include "kernel/fs/fs_abi.h"
#include "kernel/lib/types.h"

namespace kernel {

struct File;
struct Inode;
class FdTable;
class FsContext;

namespace sys_fs {

// Descriptors move data through a kernel buffer of this size at a time.
inline constexpr usize kChunk = 4096;

// The description at `fd` of the calling process, referenced, or nullptr.
File* fd_file(u64 fd);
// The calling process's table (nullptr: it has none, and every fd is EBADF).
FdTable* fd_table();
// The calling process's working directory, referenced (the root without a context).
Inode* cwd();
u32 umask();
void set_cwd(Inode* dir);

// A path copied in from user memory (Linux's getname): PATH_MAX bytes at
// most with the NUL, into a buffer freed with the object.
class UserPath {
public:
    UserPath() = default;
    ~UserPath();
    UserPath(const UserPath&) = delete;
    UserPath& operator=(const UserPath&) = delete;

    // 0, -EFAULT, -ENAMETOOLONG, -ENOMEM; ENOENT for an empty path unless
    // allow_empty.
    i64 copy(u64 user_path, bool allow_empty = false);
    const char* get() const { return buffer_; }
    bool empty() const { return buffer_[0] == '\0'; }

private:
    char* buffer_ = nullptr;
};

// The directory a relative path of an *at call starts from (Linux's
// path_init), referenced: the cwd for AT_FDCWD, else dirfd's inode (EBADF;
// ENOTDIR when it is not a directory and the path is relative). *base is
// nullptr (the root) for an absolute path, whatever dirfd is.
i64 at_base(u64 dirfd, const char* path, Inode** base);

// read(2)/write(2) of `count` bytes at `user` on a pipe's description
// (sys_pipe.cpp): the pipe's own loops, which wait only before the first byte
// of a read and keep a write of at most PIPE_BUF bytes atomic. Bytes moved,
// or -errno (-kErestartsys when a signal came before any byte).
// A read waits for its first byte only when may_block.
i64 pipe_read_to_user(File& file, u64 user, u64 count, bool may_block = true);
i64 pipe_write_from_user(File& file, u64 user, u64 count);
// readv/writev on a pipe (segments checked by import_iovec): a readv fills
// segment after segment from what the pipe holds, waiting only for the first
// byte; a writev of at most PIPE_BUF bytes in all is gathered and written
// atomically as one, as Linux's pipe_write sees the whole iov_iter.
i64 pipe_readv(File& file, const linux::Iovec* iov, u64 count);
i64 pipe_writev(File& file, const linux::Iovec* iov, u64 count);

// Linux's `int` arguments: the low 32 bits, sign-extended.
inline i32 as_int(u64 v) { return static_cast<i32>(static_cast<u32>(v)); }

}  // namespace sys_fs
}  // namespace kernel
