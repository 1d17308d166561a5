// File system calls (Linux x86-64 numbers in sys_fs_table.inc): descriptors
// and I/O in sys_fs.cpp, names and directories in sys_fs_path.cpp.
//
// Each follows Linux's semantics and the order in which Linux checks its
// arguments, so a program sees the same errno for the same mistake: e.g.
// read(2) on a descriptor not open for reading is EBADF before its buffer is
// looked at (EFAULT), and a directory is EISDIR after both.
//
// User memory is reached only through kernel/mm/uaccess.h. Data moves
// between user memory and the file in bounded chunks through a kernel
// buffer (kernel/fs/file.h says why). A transfer that faults after some bytes
// returns the bytes moved, as Linux does; one that faults before any
// returns EFAULT.
//
// Fd arguments are C `int`s or `unsigned int`s, so only the low 32 bits of the
// register count, as on Linux.
#pragma once

#include "kernel/sys/syscall.h"

namespace kernel {

// sys_fs.cpp
i64 sys_read(const SyscallArgs& a);
i64 sys_write(const SyscallArgs& a);
i64 sys_close(const SyscallArgs& a);
i64 sys_fstat(const SyscallArgs& a);
i64 sys_lseek(const SyscallArgs& a);
i64 sys_sendfile(const SyscallArgs& a);
i64 sys_ioctl(const SyscallArgs& a);
i64 sys_pread64(const SyscallArgs& a);
i64 sys_pwrite64(const SyscallArgs& a);
i64 sys_readv(const SyscallArgs& a);
i64 sys_writev(const SyscallArgs& a);
i64 sys_dup(const SyscallArgs& a);
i64 sys_dup2(const SyscallArgs& a);
i64 sys_dup3(const SyscallArgs& a);
i64 sys_fcntl(const SyscallArgs& a);
i64 sys_ftruncate(const SyscallArgs& a);
i64 sys_getdents64(const SyscallArgs& a);
i64 sys_fchdir(const SyscallArgs& a);
i64 sys_umask(const SyscallArgs& a);
i64 sys_fsync(const SyscallArgs& a);
i64 sys_fdatasync(const SyscallArgs& a);

// sys_fs_path.cpp
i64 sys_open(const SyscallArgs& a);
i64 sys_openat(const SyscallArgs& a);
i64 sys_stat(const SyscallArgs& a);
i64 sys_lstat(const SyscallArgs& a);
i64 sys_newfstatat(const SyscallArgs& a);
i64 sys_access(const SyscallArgs& a);
i64 sys_faccessat(const SyscallArgs& a);
i64 sys_faccessat2(const SyscallArgs& a);
i64 sys_getcwd(const SyscallArgs& a);
i64 sys_chdir(const SyscallArgs& a);
i64 sys_rename(const SyscallArgs& a);
i64 sys_renameat(const SyscallArgs& a);
i64 sys_renameat2(const SyscallArgs& a);
i64 sys_mkdir(const SyscallArgs& a);
i64 sys_mkdirat(const SyscallArgs& a);
i64 sys_rmdir(const SyscallArgs& a);
i64 sys_unlink(const SyscallArgs& a);
i64 sys_unlinkat(const SyscallArgs& a);
i64 sys_symlink(const SyscallArgs& a);
i64 sys_symlinkat(const SyscallArgs& a);
i64 sys_readlink(const SyscallArgs& a);
i64 sys_readlinkat(const SyscallArgs& a);
i64 sys_truncate(const SyscallArgs& a);
i64 sys_statx(const SyscallArgs& a);

}  // namespace kernel
