// An open file description (Linux's struct file): what open() makes and every
// fd that dup() copies shares — the inode, the access mode and status flags,
// and the offset.
//
// The data calls work on kernel buffers; the syscall layer (kernel/sys/sys_fs)
// moves bytes between them and user memory in chunks, so no lock is held
// across a user copy (which may fault and, later, sleep).
//
// Locking: `lock` covers offset and flags. A read or write of a regular file
// takes the offset, transfers, and stores the new offset under it, so two
// threads sharing the description never read the same bytes of one chunk
// (Linux's f_pos_lock; a transfer larger than a chunk is not atomic as a
// whole here). Console reads block, so they are done without the lock.
//
// Invariants: refs counts the fd slots holding the description plus calls in
// flight; the inode is referenced for the description's whole life.
#pragma once

#include "kernel/fs/fs_abi.h"
#include "kernel/hal/hal.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/types.h"

namespace kernel {

struct Inode;
struct CharDevice;
struct Pipe;

struct File {
    u32 refs = 1;                 // atomic
    u32 flags = 0;                // access mode | status flags (open flags minus creation ones)
    Inode* inode = nullptr;
    const CharDevice* device = nullptr;  // character devices
    hal::TerminalStream stream = hal::TerminalStream::kOutput;  // the console: where writes go
    Pipe* pipe = nullptr;         // a pipe's read or write end (pipe.h), released with the description
    SpinLock lock{"file"};
    u64 offset = 0;

    u32 access_mode() const { return flags & linux::kOAccmode; }
    bool is_path_only() const { return flags & linux::kOPath; }
    bool readable() const {
        return !is_path_only() && (access_mode() == linux::kORdonly || access_mode() == linux::kORdwr);
    }
    bool writable() const {
        return !is_path_only() && (access_mode() == linux::kOWronly || access_mode() == linux::kORdwr);
    }
};

// A description of `inode` (a new reference is taken) with `flags`; nullptr
// when memory runs out. A character device is bound to its driver here.
File* file_create(Inode* inode, u32 flags);
void file_get(File* file);
void file_put(File* file);

// read/write at the file offset (advancing it), pread/pwrite at `offset`. They
// return bytes (0 at end of file) or -errno: EBADF (not open for it), EISDIR,
// EINVAL (a symlink opened O_PATH), ESPIPE (pread/pwrite on the console).
i64 file_read(File& file, u8* buffer, usize length);
i64 file_write(File& file, const u8* buffer, usize length);
i64 file_pread(File& file, u8* buffer, usize length, u64 offset);
i64 file_pwrite(File& file, const u8* buffer, usize length, u64 offset);
// Gives back `bytes` a file_read of a regular file took but its caller could
// not deliver (the user buffer faulted), so the next read sees them again, as
// Linux advances the offset only by what reached the caller.
void file_unread(File& file, u64 bytes);
// lseek(2): the new offset or -EINVAL / -ESPIPE (a terminal, a pipe) / -ENXIO.
i64 file_lseek(File& file, i64 offset, u32 whence);
// getdents64 records into `buffer` from the file position: bytes filled, 0 at
// the end, -EINVAL when not even one record fits, -ENOTDIR, -ENOENT for a
// removed directory.
i64 file_getdents(File& file, u8* buffer, usize length);
// poll(2) readiness (POLLIN, POLLOUT, POLLHUP, POLLERR, ... of fs_abi.h):
// a pipe's from its state; regular files and directories are always ready,
// as Linux's DEFAULT_POLLMASK; devices are always ready too — the console
// included, since the sim's terminal cannot tell whether input waits
// without blocking for it, so POLLIN is reported and a read may block.
u32 file_poll(File& file);
// Reading a regular file may return a short count only at its end; a device
// (the console) may return what it has. The syscall layer stops there.
bool file_reads_fully(const File& file);

}  // namespace kernel
