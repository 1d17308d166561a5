// Pipes (man 7 pipe; Linux's fs/pipe.c): a byte ring of kPipeCapacity bytes
// (16 pages, Linux's default pipe size) shared by a read end and a write end,
// each an open file description (file.h) of one unnamed FIFO inode.
//
// The ring's pages are allocated when bytes first reach them and freed with
// the pipe. Positions are running byte counts: `head` bytes were ever read,
// `tail` bytes ever written, so tail - head is what the pipe holds and byte p
// lives in page (p / 4096) % 16 at offset p % 4096.
//
// Semantics, as Linux's:
//   - a read returns what the pipe holds (up to the length asked); while it is
//     empty it waits if a writer exists, and returns 0 (end of file) if none;
//   - a write waits while the pipe is full and a reader exists; a write of at
//     most kPipeBuf bytes is atomic: it waits until it fits as a whole, so two
//     writers' small writes never interleave inside one; a larger write goes
//     in pieces as room appears;
//   - O_NONBLOCK (on the description, so F_SETFL reaches it): EAGAIN instead
//     of waiting; a non-blocking large write writes what fits;
//   - a write with no reader left is EPIPE, and the writer's process gets
//     SIGPIPE unless it ignores it;
//   - a wait ends on a pending signal: -kErestartsys (signal.h) when nothing
//     was transferred, so SA_RESTART restarts the call; otherwise the bytes
//     moved so far;
//   - the last close of either end wakes the other side (EOF, EPIPE) and the
//     pollers.
//
// Locking: `lock` (a spinlock) covers the ring and the end counts; it is never
// held across a user copy (callers move data through a kernel buffer, as
// kernel/sys/sys_fs does) nor while waking a wait queue. Sleepers wait on
// read_wait / write_wait with a condition that takes `lock` for a moment;
// a waker changes the state under `lock`, drops it, then wakes, so no
// wake-up is lost (wait_queue.h). Every state change also calls
// poll_notify() (poll_wait.h), so pollers rescan.
//
// Invariants (check_invariants): head <= tail, tail - head <= kPipeCapacity;
// every page holding a byte in [head, tail) is allocated; readers and
// writers count the open descriptions of each end (the pipe is freed when
// both are 0).
#pragma once

#include "kernel/lib/spinlock.h"
#include "kernel/lib/types.h"
#include "kernel/sched/wait_queue.h"

namespace kernel {

struct File;

inline constexpr usize kPipeBuf = 4096;          // PIPE_BUF: the atomic write size
inline constexpr usize kPipePages = 16;          // Linux's PIPE_DEF_BUFFERS
inline constexpr usize kPipePageSize = 4096;
inline constexpr usize kPipeCapacity = kPipePages * kPipePageSize;  // 64 KiB

struct Pipe {
    SpinLock lock{"pipe"};
    u64 head = 0;               // bytes read so far
    u64 tail = 0;               // bytes written so far
    u32 readers = 0;            // open descriptions of the read end
    u32 writers = 0;            // and of the write end
    u32 ends = 0;               // atomic: descriptions not yet through pipe_release
    u8* pages[kPipePages] = {}; // kmalloc'd on first use
    WaitQueue read_wait{"pipe read"};
    WaitQueue write_wait{"pipe write"};

    u64 used() const { return tail - head; }
    u64 room() const { return kPipeCapacity - used(); }
    // Panics, naming the broken invariant, unless the header's hold (lock held).
    void check_invariants() const;
};

// pipe2(2)'s kernel half: a new pipe and its two descriptions, *read_end
// (O_RDONLY) and *write_end (O_WRONLY), both with `status_flags` (O_NONBLOCK
// or 0). 0 or -ENOMEM.
i64 pipe_create(u32 status_flags, File** read_end, File** write_end);

// The data calls of a pipe's description on kernel buffers (file_read and
// file_write dispatch here). may_block false makes an empty (or full) pipe
// EAGAIN whatever O_NONBLOCK says: the syscall layer's later chunks of a
// read never wait once some bytes were delivered. `atomic`: the whole write
// is at most kPipeBuf bytes and must go in at once.
i64 pipe_read(File& file, u8* buffer, usize length, bool may_block);
i64 pipe_write(File& file, const u8* buffer, usize length, bool atomic);
// Puts back in front of the pipe the `length` bytes a pipe_read just took but
// its caller could not deliver (the user buffer faulted), if there is still
// room for them (a writer may have filled it meanwhile: then they are lost).
void pipe_unread(File& file, const u8* buffer, usize length);
// poll(2) readiness of this end: POLLIN|POLLRDNORM when the pipe holds bytes,
// POLLHUP when no writer is left (read end); POLLOUT|POLLWRNORM when a
// kPipeBuf write would not wait, POLLERR when no reader is left (write end).
u32 pipe_poll(File& file);
// FIONREAD: the bytes the pipe holds.
u64 pipe_bytes(File& file);
// The last reference to a pipe description went (file_put): the end counts
// drop, the other side and the pollers wake, the pipe is freed with its last end.
void pipe_release(File& file);

// Pipes alive (for leak checks in tests).
u64 pipe_count();

}  // namespace kernel
