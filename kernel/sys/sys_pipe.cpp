#include "kernel/sys/sys_pipe.h"

#include "kernel/fs/fd_table.h"
#include "kernel/fs/file.h"
#include "kernel/fs/fs_abi.h"
#include "kernel/fs/pipe.h"
#include "kernel/lib/errno.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/uaccess.h"
#include "kernel/sys/sys_fs_common.h"

namespace kernel {

using namespace linux;

namespace sys_fs {

i64 pipe_read_to_user(File& file, u64 user, u64 count, bool may_block) {
    if (count == 0) return 0;
    const usize chunk = count < kChunk ? static_cast<usize>(count) : kChunk;
    u8* buffer = static_cast<u8*>(kmalloc(chunk));
    if (!buffer) return -kEnomem;
    u64 done = 0;
    i64 rc = 0;
    while (done < count) {
        const usize want = count - done < chunk ? static_cast<usize>(count - done) : chunk;
        // Only the first chunk waits: once bytes were delivered, the call
        // returns what the pipe held (Linux's pipe_read).
        const i64 n = pipe_read(file, buffer, want, may_block && done == 0);
        if (n <= 0) {
            rc = n;
            break;
        }
        if (copy_to_user(user + done, buffer, static_cast<usize>(n)) < 0) {
            pipe_unread(file, buffer, static_cast<usize>(n));
            rc = -kEfault;
            break;
        }
        done += static_cast<u64>(n);
        if (static_cast<usize>(n) < want) break;
    }
    kfree(buffer);
    return done ? static_cast<i64>(done) : rc;
}

i64 pipe_write_from_user(File& file, u64 user, u64 count) {
    if (count == 0) return 0;
    // A write of at most PIPE_BUF bytes is one chunk, put in as a whole.
    const bool atomic = count <= kPipeBuf;
    const usize chunk = count < kChunk ? static_cast<usize>(count) : kChunk;
    u8* buffer = static_cast<u8*>(kmalloc(chunk));
    if (!buffer) return -kEnomem;
    u64 done = 0;
    i64 rc = 0;
    while (done < count) {
        const usize want = count - done < chunk ? static_cast<usize>(count - done) : chunk;
        if (copy_from_user(buffer, user + done, want) < 0) {
            rc = -kEfault;
            break;
        }
        const i64 n = pipe_write(file, buffer, want, atomic);
        if (n < 0) {
            rc = n;
            break;
        }
        done += static_cast<u64>(n);
        if (static_cast<usize>(n) < want) break;  // non-blocking and full, or a signal
    }
    kfree(buffer);
    return done ? static_cast<i64>(done) : rc;
}

i64 pipe_readv(File& file, const Iovec* iov, u64 count) {
    i64 total = 0;
    for (u64 i = 0; i < count; ++i) {
        if (iov[i].iov_len == 0) continue;
        const i64 n = pipe_read_to_user(file, iov[i].iov_base, iov[i].iov_len, total == 0);
        if (n < 0) return total ? total : n;  // EAGAIN once bytes came: what came
        total += n;
        if (static_cast<u64>(n) < iov[i].iov_len) break;
    }
    return total;
}

i64 pipe_writev(File& file, const Iovec* iov, u64 count) {
    u64 sum = 0;
    for (u64 i = 0; i < count; ++i) sum += iov[i].iov_len;  // capped at MAX_RW_COUNT by import_iovec
    if (sum == 0) return 0;
    if (sum > kPipeBuf) {
        i64 total = 0;
        for (u64 i = 0; i < count; ++i) {
            if (iov[i].iov_len == 0) continue;
            const i64 n = pipe_write_from_user(file, iov[i].iov_base, iov[i].iov_len);
            if (n < 0) return total ? total : n;
            total += n;
            if (static_cast<u64>(n) < iov[i].iov_len) break;
        }
        return total;
    }
    u8* buffer = static_cast<u8*>(kmalloc(static_cast<usize>(sum)));
    if (!buffer) return -kEnomem;
    usize gathered = 0;
    for (u64 i = 0; i < count; ++i) {
        if (copy_from_user(buffer + gathered, iov[i].iov_base, static_cast<usize>(iov[i].iov_len)) < 0) break;
        gathered += static_cast<usize>(iov[i].iov_len);
    }
    // A segment that faults ends the gather; what came before it is written.
    const i64 rc = gathered ? pipe_write(file, buffer, gathered, true) : -kEfault;
    kfree(buffer);
    return rc;
}

}  // namespace sys_fs

namespace {

// Flags pipe2 takes. O_DIRECT (packet mode) and O_NOTIFICATION_PIPE are not
// supported: EINVAL, as a kernel built without them answers.
constexpr u64 kPipe2Flags = kOCloexec | kONonblock;

i64 do_pipe2(u64 user_fds, u64 flags) {
    if (flags & ~kPipe2Flags) return -kEinval;
    FdTable* table = sys_fs::fd_table();
    if (!table) return -kEmfile;
    File* r = nullptr;
    File* w = nullptr;
    if (const i64 rc = pipe_create(static_cast<u32>(flags & kONonblock), &r, &w); rc < 0) return rc;
    const bool cloexec = flags & kOCloexec;
    const i64 rfd = table->allocate(r, 0, cloexec);
    const i64 wfd = rfd < 0 ? rfd : table->allocate(w, 0, cloexec);
    // The table holds its own references now (or failed to take them).
    file_put(r);
    file_put(w);
    if (wfd < 0) {
        if (rfd >= 0) table->close(rfd);
        return wfd;
    }
    const i32 fds[2] = {static_cast<i32>(rfd), static_cast<i32>(wfd)};
    if (copy_to_user(user_fds, fds, sizeof fds) < 0) {
        // Linux never installs them; here another thread could glimpse them.
        table->close(rfd);
        table->close(wfd);
        return -kEfault;
    }
    return 0;
}

}  // namespace

i64 sys_pipe(const SyscallArgs& a) { return do_pipe2(a.arg[0], 0); }
i64 sys_pipe2(const SyscallArgs& a) { return do_pipe2(a.arg[0], static_cast<u32>(a.arg[1])); }

}  // namespace kernel
