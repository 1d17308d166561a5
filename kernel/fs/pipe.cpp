#include "kernel/fs/pipe.h"

#include "kernel/fs/file.h"
#include "kernel/fs/fs_abi.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/poll_wait.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/new.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/string.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal.h"
#include "kernel/proc/signal_numbers.h"

namespace kernel {
namespace {

u64 g_pipes = 0;  // atomic: pipes alive

// The page holding byte `position` and the offset in it.
usize page_of(u64 position) { return static_cast<usize>(position / kPipePageSize % kPipePages); }
usize offset_of(u64 position) { return static_cast<usize>(position % kPipePageSize); }

// Copies `length` bytes in at the tail (lock held, room checked, pages present).
void ring_put(Pipe& pipe, const u8* data, usize length) {
    while (length) {
        const usize off = offset_of(pipe.tail);
        const usize n = length < kPipePageSize - off ? length : kPipePageSize - off;
        mem_copy(pipe.pages[page_of(pipe.tail)] + off, data, n);
        pipe.tail += n;
        data += n;
        length -= n;
    }
}

// Copies `length` bytes out from the head (lock held, length <= used).
void ring_take(Pipe& pipe, u8* data, usize length) {
    while (length) {
        const usize off = offset_of(pipe.head);
        const usize n = length < kPipePageSize - off ? length : kPipePageSize - off;
        mem_copy(data, pipe.pages[page_of(pipe.head)] + off, n);
        pipe.head += n;
        data += n;
        length -= n;
    }
}

void free_pipe(Pipe* pipe) {
    for (u8* page : pipe->pages) kfree(page);
    pipe->~Pipe();
    kfree(pipe);
    __atomic_fetch_sub(&g_pipes, 1, __ATOMIC_RELAXED);
}

// SIGPIPE for the writer's process (Linux's send_sig(SIGPIPE, current, 0)),
// unless the process ignores it: then the write is only EPIPE.
void send_sigpipe() {
    Process* p = current_process();
    if (!p) return;  // a kernel caller (tests)
    {
        SpinGuard guard(p->signal_lock);
        if (p->actions[signal::kSigpipe - 1].handler == kSigIgn) return;
    }
    SigInfo info;
    info.signo = signal::kSigpipe;
    info.code = si::kUser;  // as send_sig with priv 0 gives
    info.pid = static_cast<i32>(p->pid);
    signal_send(p, signal::kSigpipe, info);
}

bool nonblocking(File& file) {
    SpinGuard guard(file.lock);
    return file.flags & linux::kONonblock;
}

}  // namespace

void Pipe::check_invariants() const {
    KASSERT(head <= tail, "pipe head %llu past tail %llu", static_cast<unsigned long long>(head),
            static_cast<unsigned long long>(tail));
    KASSERT(tail - head <= kPipeCapacity, "pipe holds %llu bytes, more than its capacity",
            static_cast<unsigned long long>(tail - head));
    for (u64 p = head; p < tail; p = (p / kPipePageSize + 1) * kPipePageSize)
        KASSERT(pages[page_of(p)] != nullptr, "pipe byte %llu in a missing page", static_cast<unsigned long long>(p));
}

u64 pipe_count() { return __atomic_load_n(&g_pipes, __ATOMIC_RELAXED); }

i64 pipe_create(u32 status_flags, File** read_end, File** write_end) {
    void* p = kzalloc(sizeof(Pipe));
    if (!p) return -linux::kEnomem;
    Pipe* pipe = new (p) Pipe();
    __atomic_fetch_add(&g_pipes, 1, __ATOMIC_RELAXED);
    Inode* inode;
    {
        // An unnamed FIFO, never linked: it lives while its two descriptions do.
        SpinGuard guard(vfs_lock());
        inode = inode_alloc(InodeType::kFifo, 0600);
    }
    if (!inode) {
        free_pipe(pipe);
        return -linux::kEnomem;
    }
    inode_get(inode);  // held while the descriptions are made
    File* r = file_create(inode, linux::kORdonly | status_flags);
    File* w = r ? file_create(inode, linux::kOWronly | status_flags) : nullptr;
    inode_put(inode);  // now each description's reference keeps it (or it goes)
    if (!w) {
        file_put(r);  // not a pipe description yet: frees just the file
        free_pipe(pipe);
        return -linux::kEnomem;
    }
    pipe->readers = 1;
    pipe->writers = 1;
    pipe->ends = 2;
    // Linux's pipe descriptions have no O_LARGEFILE (F_GETFL shows it).
    r->flags &= ~linux::kOLargefile;
    w->flags &= ~linux::kOLargefile;
    r->pipe = pipe;
    w->pipe = pipe;
    *read_end = r;
    *write_end = w;
    return 0;
}

i64 pipe_read(File& file, u8* buffer, usize length, bool may_block) {
    Pipe& pipe = *file.pipe;
    if (length == 0) return 0;
    const bool wait = may_block && !nonblocking(file);
    for (;;) {
        usize n = 0;
        bool writers;
        {
            SpinGuard guard(pipe.lock);
            const u64 used = pipe.used();
            n = used < length ? static_cast<usize>(used) : length;
            if (n) ring_take(pipe, buffer, n);
            writers = pipe.writers != 0;
        }
        if (n) {
            pipe.write_wait.wake_all();
            poll_notify();
            return static_cast<i64>(n);
        }
        if (!writers) return 0;  // end of file
        if (!wait) return -linux::kEagain;
        const bool woken = pipe.read_wait.wait_interruptible([&] {
            SpinGuard guard(pipe.lock);
            return pipe.used() != 0 || pipe.writers == 0;
        });
        if (!woken) return -kErestartsys;
    }
}

namespace {

// Makes sure the pages under [tail, tail + length) exist (lock held; kmalloc
// takes only its own locks and never sleeps, as tmpfs_write's frames under the
// inode lock). The bytes that may be put: length, or fewer when memory ran out.
usize ensure_pages_locked(Pipe& pipe, usize length) {
    usize ok = 0;
    u64 position = pipe.tail;
    while (ok < length) {
        u8*& page = pipe.pages[page_of(position)];
        if (!page) {
            page = static_cast<u8*>(kmalloc(kPipePageSize));
            if (!page) break;
        }
        const usize left = kPipePageSize - offset_of(position);
        const usize n = length - ok < left ? length - ok : left;
        ok += n;
        position += n;
    }
    return ok;
}

}  // namespace

i64 pipe_write(File& file, const u8* buffer, usize length, bool atomic) {
    Pipe& pipe = *file.pipe;
    if (length == 0) return 0;  // Linux returns before looking at the readers
    const bool wait = !nonblocking(file);
    usize done = 0;
    for (;;) {
        // An atomic write waits for room for all of it; another for one byte.
        const usize need = atomic ? length - done : 1;
        usize n = 0;
        bool readers, nomem = false;
        {
            SpinGuard guard(pipe.lock);
            readers = pipe.readers != 0;
            if (readers && pipe.room() >= need) {
                const usize left = length - done;
                n = pipe.room() < left ? static_cast<usize>(pipe.room()) : left;
                const usize ok = ensure_pages_locked(pipe, n);
                if (ok < n && atomic) n = 0;
                else n = ok;
                nomem = n == 0;
                if (n) ring_put(pipe, buffer + done, n);
            }
        }
        if (!readers) {
            send_sigpipe();
            return done ? static_cast<i64>(done) : -linux::kEpipe;
        }
        if (n) {
            done += n;
            pipe.read_wait.wake_all();
            poll_notify();
            if (done == length) return static_cast<i64>(done);
            continue;
        }
        if (nomem) return done ? static_cast<i64>(done) : -linux::kEnomem;
        if (!wait) return done ? static_cast<i64>(done) : -linux::kEagain;
        const bool woken = pipe.write_wait.wait_interruptible([&] {
            SpinGuard guard(pipe.lock);
            return pipe.readers == 0 || pipe.room() >= (atomic ? length - done : 1);
        });
        if (!woken) return done ? static_cast<i64>(done) : -kErestartsys;
    }
}

void pipe_unread(File& file, const u8* buffer, usize length) {
    Pipe& pipe = *file.pipe;
    {
        SpinGuard guard(pipe.lock);
        if (pipe.room() < length || pipe.head < length) return;  // a writer took the room: lost
        // The pages under [head - length, head) held these bytes a moment ago,
        // so they exist; the bytes go back in order before the rest.
        pipe.head -= length;
        u64 position = pipe.head;
        while (length) {
            const usize off = offset_of(position);
            const usize n = length < kPipePageSize - off ? length : kPipePageSize - off;
            mem_copy(pipe.pages[page_of(position)] + off, buffer, n);
            position += n;
            buffer += n;
            length -= n;
        }
    }
    pipe.read_wait.wake_all();
    poll_notify();
}

u32 pipe_poll(File& file) {
    using namespace linux;
    Pipe& pipe = *file.pipe;
    SpinGuard guard(pipe.lock);
    u32 mask = 0;
    if (file.readable()) {
        if (pipe.used()) mask |= kPollin | kPollrdnorm;
        if (pipe.writers == 0) mask |= kPollhup;
    }
    if (file.writable()) {
        if (pipe.room() >= kPipeBuf) mask |= kPollout | kPollwrnorm;
        if (pipe.readers == 0) mask |= kPollerr;
    }
    return mask;
}

u64 pipe_bytes(File& file) {
    SpinGuard guard(file.pipe->lock);
    return file.pipe->used();
}

void pipe_release(File& file) {
    Pipe* pipe = file.pipe;
    {
        SpinGuard guard(pipe->lock);
        if (file.readable()) {
            KASSERT(pipe->readers > 0, "pipe reader count underflow");
            --pipe->readers;
        }
        if (file.writable()) {
            KASSERT(pipe->writers > 0, "pipe writer count underflow");
            --pipe->writers;
        }
        pipe->check_invariants();
    }
    // Readers see EOF, writers EPIPE, pollers POLLHUP/POLLERR.
    pipe->read_wait.wake_all();
    pipe->write_wait.wake_all();
    poll_notify();
    file.pipe = nullptr;
    // Freed by the last description to get here, after its wake-ups: the
    // other end may still be inside its own.
    if (__atomic_fetch_sub(&pipe->ends, 1u, __ATOMIC_ACQ_REL) == 1) free_pipe(pipe);
}

}  // namespace kernel
