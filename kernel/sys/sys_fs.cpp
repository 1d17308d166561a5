#include "kernel/sys/sys_fs.h"

#include "kernel/fs/char_device.h"
#include "kernel/fs/fd_table.h"
#include "kernel/fs/file.h"
#include "kernel/fs/fs_abi.h"
#include "kernel/fs/fs_context.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/pipe.h"
#include "kernel/fs/vfs.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"
#include "kernel/sys/sys_fs_common.h"

namespace kernel {

using namespace linux;
using sys_fs::as_int;
using sys_fs::fd_file;

// ---------------------------------------------------------------- the process's files

namespace sys_fs {

FdTable* fd_table() {
    Process* p = current_process();
    return p ? p->files : nullptr;
}

File* fd_file(u64 fd) {
    FdTable* table = fd_table();
    // An fd argument is an unsigned int: -1 becomes 0xffffffff, never valid.
    return table ? table->get(static_cast<u32>(fd)) : nullptr;
}

Inode* cwd() {
    Process* p = current_process();
    if (p && p->fs) return p->fs->cwd();
    Inode* root = vfs_root();
    inode_get(root);
    return root;
}

u32 umask() {
    Process* p = current_process();
    return p && p->fs ? p->fs->umask() : 022;
}

void set_cwd(Inode* dir) {
    Process* p = current_process();
    if (p && p->fs) p->fs->set_cwd(dir);
}

}  // namespace sys_fs

namespace {

// Holds a description for the length of a call.
class FileRef {
public:
    explicit FileRef(u64 fd) : file_(fd_file(fd)) {}
    ~FileRef() { file_put(file_); }
    FileRef(const FileRef&) = delete;
    FileRef& operator=(const FileRef&) = delete;
    File* get() const { return file_; }
    File* operator->() const { return file_; }
    explicit operator bool() const { return file_ != nullptr; }

private:
    File* file_;
};

void count_read(i64 n) {
    if (Process* p = current_process(); p && n > 0) __atomic_fetch_add(&p->counters.bytes_read, static_cast<u64>(n), __ATOMIC_RELAXED);
}
void count_written(i64 n) {
    if (Process* p = current_process(); p && n > 0) __atomic_fetch_add(&p->counters.bytes_written, static_cast<u64>(n), __ATOMIC_RELAXED);
}

// Does a data call on this file go on after a full chunk? Regular files and
// the memory devices do; a terminal returns what one read gave.
bool continues(const File& file) {
    return file.inode->is_regular() || (file.device && !file.device->terminal);
}

// Reads up to `count` bytes into user memory at `user`, at the file offset
// (offset == nullptr) or at *offset (pread, advanced here). Checks done: the
// description is readable and the user range lies in the user half.
i64 read_to_user(File& file, u64 user, u64 count, u64* offset) {
    if (count > kMaxRwCount) count = kMaxRwCount;
    if (file.pipe && !offset) return sys_fs::pipe_read_to_user(file, user, count);
    const usize chunk = count < sys_fs::kChunk ? static_cast<usize>(count) : sys_fs::kChunk;
    u8* buffer = static_cast<u8*>(kmalloc(chunk ? chunk : 1));
    if (!buffer) return -kEnomem;
    u64 done = 0;
    i64 rc = 0;
    do {
        const usize want = count - done < chunk ? static_cast<usize>(count - done) : chunk;
        const i64 n = offset ? file_pread(file, buffer, want, *offset + done) : file_read(file, buffer, want);
        if (n < 0) {
            rc = n;
            break;
        }
        if (n > 0 && copy_to_user(user + done, buffer, static_cast<usize>(n)) < 0) {
            if (!offset) file_unread(file, static_cast<u64>(n));
            rc = -kEfault;
            break;
        }
        done += static_cast<u64>(n);
        if (static_cast<usize>(n) < want || !continues(file)) break;
    } while (done < count);
    kfree(buffer);
    if (offset) *offset += done;
    return done ? static_cast<i64>(done) : rc;
}

i64 write_from_user(File& file, u64 user, u64 count, u64* offset) {
    if (count > kMaxRwCount) count = kMaxRwCount;
    if (file.pipe && !offset) return sys_fs::pipe_write_from_user(file, user, count);
    const usize chunk = count < sys_fs::kChunk ? static_cast<usize>(count) : sys_fs::kChunk;
    u8* buffer = static_cast<u8*>(kmalloc(chunk ? chunk : 1));
    if (!buffer) return -kEnomem;
    u64 done = 0;
    i64 rc = 0;
    do {
        const usize want = count - done < chunk ? static_cast<usize>(count - done) : chunk;
        if (copy_from_user(buffer, user + done, want) < 0) {
            rc = -kEfault;
            break;
        }
        const i64 n = offset ? file_pwrite(file, buffer, want, *offset + done) : file_write(file, buffer, want);
        if (n < 0) {
            rc = n;
            break;
        }
        done += static_cast<u64>(n);
        if (static_cast<usize>(n) < want) break;
    } while (done < count);
    kfree(buffer);
    if (offset) *offset += done;
    return done ? static_cast<i64>(done) : rc;
}

// The checks vfs_read / vfs_write make before moving data, in their order.
i64 check_read(const File& file, u64 user, u64 count) {
    if (!file.readable()) return -kEbadf;
    if (!user_range_ok(user, count > kMaxRwCount ? kMaxRwCount : count)) return -kEfault;
    if (file.inode->is_dir()) return -kEisdir;
    return 0;
}
i64 check_write(const File& file, u64 user, u64 count) {
    if (!file.writable()) return -kEbadf;
    if (!user_range_ok(user, count > kMaxRwCount ? kMaxRwCount : count)) return -kEfault;
    return 0;
}

// A terminal or a pipe cannot pread/pwrite (no FMODE_PREAD).
bool positional(const File& file) { return !(file.device && file.device->terminal) && !file.pipe; }

// readv/writev: the iovec array copied in and checked (Linux's import_iovec):
// more than UIO_MAXIOV is EINVAL, a negative length or a total past
// SSIZE_MAX is EINVAL, a segment outside the user half is EFAULT. The total
// is capped at MAX_RW_COUNT by shortening the segments after it.
i64 import_iovec(u64 user_iov, u64 count, Iovec** out) {
    if (count > kUioMaxiov) return -kEinval;
    *out = nullptr;
    if (count == 0) return 0;
    Iovec* iov = static_cast<Iovec*>(kmalloc(static_cast<usize>(count) * sizeof(Iovec)));
    if (!iov) return -kEnomem;
    if (copy_from_user(iov, user_iov, static_cast<usize>(count) * sizeof(Iovec)) < 0) {
        kfree(iov);
        return -kEfault;
    }
    u64 total = 0;
    for (u64 i = 0; i < count; ++i) {
        u64 len = iov[i].iov_len;
        if (static_cast<i64>(len) < 0) {
            kfree(iov);
            return -kEinval;
        }
        if (!user_range_ok(iov[i].iov_base, len)) {
            kfree(iov);
            return -kEfault;
        }
        if (len > kMaxRwCount - total) len = kMaxRwCount - total;
        iov[i].iov_len = len;
        total += len;
    }
    *out = iov;
    return 0;
}

i64 vector_io(const SyscallArgs& a, bool write) {
    FileRef f(a.arg[0]);
    if (!f) return -kEbadf;
    if (write ? !f->writable() : !f->readable()) return -kEbadf;
    Iovec* iov = nullptr;
    const u64 count = a.arg[2];
    // iovcnt is an int: a negative one is EINVAL too (it is huge unsigned).
    if (const i64 rc = import_iovec(a.arg[1], static_cast<u64>(static_cast<i64>(as_int(count))) , &iov); rc < 0) return rc;
    if (!write && f->inode->is_dir()) {
        kfree(iov);
        return -kEisdir;
    }
    i64 total = 0, rc = 0;
    if (f->pipe) {
        const u64 segments = iov ? static_cast<u32>(as_int(count)) : 0;
        const i64 n = write ? sys_fs::pipe_writev(*f.get(), iov, segments) : sys_fs::pipe_readv(*f.get(), iov, segments);
        kfree(iov);
        if (n > 0) write ? count_written(n) : count_read(n);
        return n;
    }
    // A writev to a terminal of at most a page goes out in one write, as a
    // tty's does: a line stdio hands over as several segments is not split
    // by another CPU's output (the qemu build's serial console is shared).
    if (write && f->device && f->device->terminal && iov) {
        const u64 segments = static_cast<u32>(as_int(count));
        u64 bytes = 0;
        for (u64 i = 0; i < segments; ++i) bytes += iov[i].iov_len;
        if (bytes > 0 && bytes <= kPageSize) {
            u8* gathered = static_cast<u8*>(kmalloc(static_cast<usize>(bytes)));
            if (!gathered) {
                kfree(iov);
                return -kEnomem;
            }
            // A segment that faults ends the gather: what came before it is
            // written, as Linux writes the segments before a bad one.
            u64 at = 0;
            bool fault = false;
            for (u64 i = 0; i < segments && !fault; ++i) {
                if (iov[i].iov_len && copy_from_user(gathered + at, iov[i].iov_base, iov[i].iov_len) < 0) fault = true;
                else at += iov[i].iov_len;
            }
            const i64 n = at ? file_write(*f.get(), gathered, static_cast<usize>(at)) : -kEfault;
            kfree(gathered);
            kfree(iov);
            if (n > 0) count_written(n);
            return n;
        }
    }
    for (u64 i = 0; iov && i < static_cast<u32>(as_int(count)); ++i) {
        if (iov[i].iov_len == 0) continue;
        const i64 n = write ? write_from_user(*f.get(), iov[i].iov_base, iov[i].iov_len, nullptr)
                            : read_to_user(*f.get(), iov[i].iov_base, iov[i].iov_len, nullptr);
        if (n < 0) {
            rc = n;
            break;
        }
        total += n;
        if (static_cast<u64>(n) < iov[i].iov_len) break;
        if (!write && !continues(*f.get())) break;  // a terminal: one read per call
    }
    kfree(iov);
    if (total) {
        write ? count_written(total) : count_read(total);
        return total;
    }
    return rc;
}

}  // namespace

// ---------------------------------------------------------------- read and write

i64 sys_read(const SyscallArgs& a) {
    FileRef f(a.arg[0]);
    if (!f) return -kEbadf;
    if (const i64 rc = check_read(*f.get(), a.arg[1], a.arg[2]); rc < 0) return rc;
    const i64 n = read_to_user(*f.get(), a.arg[1], a.arg[2], nullptr);
    count_read(n);
    return n;
}

i64 sys_write(const SyscallArgs& a) {
    FileRef f(a.arg[0]);
    if (!f) return -kEbadf;
    if (const i64 rc = check_write(*f.get(), a.arg[1], a.arg[2]); rc < 0) return rc;
    const i64 n = write_from_user(*f.get(), a.arg[1], a.arg[2], nullptr);
    count_written(n);
    return n;
}

i64 sys_pread64(const SyscallArgs& a) {
    const i64 pos = static_cast<i64>(a.arg[3]);
    if (pos < 0) return -kEinval;
    FileRef f(a.arg[0]);
    if (!f) return -kEbadf;
    if (!positional(*f.get())) return -kEspipe;
    if (const i64 rc = check_read(*f.get(), a.arg[1], a.arg[2]); rc < 0) return rc;
    u64 offset = static_cast<u64>(pos);
    const i64 n = read_to_user(*f.get(), a.arg[1], a.arg[2], &offset);
    count_read(n);
    return n;
}

i64 sys_pwrite64(const SyscallArgs& a) {
    const i64 pos = static_cast<i64>(a.arg[3]);
    if (pos < 0) return -kEinval;
    FileRef f(a.arg[0]);
    if (!f) return -kEbadf;
    if (!positional(*f.get())) return -kEspipe;
    if (const i64 rc = check_write(*f.get(), a.arg[1], a.arg[2]); rc < 0) return rc;
    u64 offset = static_cast<u64>(pos);
    const i64 n = write_from_user(*f.get(), a.arg[1], a.arg[2], &offset);
    count_written(n);
    return n;
}

i64 sys_readv(const SyscallArgs& a) { return vector_io(a, false); }
i64 sys_writev(const SyscallArgs& a) { return vector_io(a, true); }

// sendfile(out_fd, in_fd, offset, count) (fs/read_write.c do_sendfile): in_fd
// must be a regular file open for reading (what Linux's splice-read needs),
// out_fd anything open for writing; with an offset pointer the input is read
// from *offset, its file position unchanged, and *offset advanced; the bytes
// moved, short when the output takes fewer (a pipe, a signal) or the input ends.
i64 sys_sendfile(const SyscallArgs& a) {
    FileRef out(a.arg[0]), in(a.arg[1]);
    if (!out || !in) return -kEbadf;
    if (!in->readable() || !out->writable()) return -kEbadf;
    if (!in->inode->is_regular()) return -kEinval;
    if (out->flags & kOAppend) return -kEinval;  // Linux refuses an O_APPEND output
    u64 offset = 0;
    const u64 offset_at = a.arg[2];
    if (offset_at && get_user(offset, offset_at) != 0) return -kEfault;
    if (offset_at && static_cast<i64>(offset) < 0) return -kEinval;
    u64 count = a.arg[3] > kMaxRwCount ? kMaxRwCount : a.arg[3];
    u8* buffer = static_cast<u8*>(kmalloc(sys_fs::kChunk));
    if (!buffer) return -kEnomem;
    u64 done = 0;
    i64 rc = 0;
    while (done < count) {
        const usize want = count - done < sys_fs::kChunk ? static_cast<usize>(count - done) : sys_fs::kChunk;
        const i64 got = offset_at ? file_pread(*in.get(), buffer, want, offset + done) : file_read(*in.get(), buffer, want);
        if (got <= 0) {
            rc = got;
            break;
        }
        const i64 put = file_write(*out.get(), buffer, static_cast<usize>(got));
        if (put < 0) {
            if (!offset_at) file_unread(*in.get(), static_cast<u64>(got));
            rc = put;
            break;
        }
        done += static_cast<u64>(put);
        if (put < got) {
            if (!offset_at) file_unread(*in.get(), static_cast<u64>(got - put));
            break;
        }
    }
    kfree(buffer);
    if (offset_at && put_user(offset_at, offset + done) != 0 && !done) return -kEfault;
    if (done) {
        count_read(static_cast<i64>(done));
        count_written(static_cast<i64>(done));
        return static_cast<i64>(done);
    }
    return rc;
}

i64 sys_lseek(const SyscallArgs& a) {
    FileRef f(a.arg[0]);
    if (!f) return -kEbadf;
    const u32 whence = static_cast<u32>(a.arg[2]);
    if (whence > kSeekHole) return -kEinval;
    if (f->is_path_only()) return -kEbadf;
    return file_lseek(*f.get(), static_cast<i64>(a.arg[1]), whence);
}

i64 sys_ftruncate(const SyscallArgs& a) {
    const i64 length = static_cast<i64>(a.arg[1]);
    if (length < 0) return -kEinval;
    FileRef f(a.arg[0]);
    if (!f) return -kEbadf;
    if (f->is_path_only()) return -kEbadf;
    if (!f->inode->is_regular() || !f->writable()) return -kEinval;
    return vfs_truncate(*f->inode, static_cast<u64>(length));
}

// ---------------------------------------------------------------- descriptors

i64 sys_close(const SyscallArgs& a) {
    FdTable* table = sys_fs::fd_table();
    return table ? table->close(static_cast<u32>(a.arg[0])) : -kEbadf;
}

i64 sys_dup(const SyscallArgs& a) {
    FileRef f(a.arg[0]);
    if (!f) return -kEbadf;
    return sys_fs::fd_table()->allocate(f.get(), 0, false);
}

namespace {

i64 dup_to(u64 oldfd, u64 newfd, bool cloexec) {
    const u32 target = static_cast<u32>(newfd);
    if (target >= FdTable::kMaxFds) return -kEbadf;
    FileRef f(oldfd);
    if (!f) return -kEbadf;
    return sys_fs::fd_table()->replace(target, f.get(), cloexec);
}

}  // namespace

i64 sys_dup2(const SyscallArgs& a) {
    if (static_cast<u32>(a.arg[0]) == static_cast<u32>(a.arg[1])) {
        // dup2(fd, fd) only checks fd.
        FileRef f(a.arg[0]);
        return f ? static_cast<u32>(a.arg[1]) : -kEbadf;
    }
    return dup_to(a.arg[0], a.arg[1], false);
}

i64 sys_dup3(const SyscallArgs& a) {
    const u64 flags = a.arg[2];
    if (flags & ~u64{kOCloexec}) return -kEinval;
    if (static_cast<u32>(a.arg[0]) == static_cast<u32>(a.arg[1])) return -kEinval;
    return dup_to(a.arg[0], a.arg[1], flags & kOCloexec);
}

i64 sys_fcntl(const SyscallArgs& a) {
    FileRef f(a.arg[0]);
    if (!f) return -kEbadf;
    FdTable* table = sys_fs::fd_table();
    const u32 cmd = static_cast<u32>(a.arg[1]);
    const u64 arg = a.arg[2];
    switch (cmd) {
        case kFDupfd:
        case kFDupfdCloexec:
            if (arg >= FdTable::kMaxFds) return -kEinval;
            return table->allocate(f.get(), static_cast<u32>(arg), cmd == kFDupfdCloexec);
        case kFGetfd: {
            const i64 on = table->cloexec(static_cast<u32>(a.arg[0]));
            return on < 0 ? on : (on ? static_cast<i64>(kFdCloexec) : 0);
        }
        case kFSetfd: return table->set_cloexec(static_cast<u32>(a.arg[0]), arg & kFdCloexec);
        case kFGetfl: {
            SpinGuard guard(f->lock);
            return f->flags;
        }
        case kFSetfl: {
            // Only these status flags change (Linux's SETFL_MASK); the rest of arg is ignored.
            constexpr u32 kSettable = kOAppend | kONonblock | kOAsync | kODirect | kONoatime;
            SpinGuard guard(f->lock);
            f->flags = (f->flags & ~kSettable) | (static_cast<u32>(arg) & kSettable);
            return 0;
        }
        default: return -kEinval;
    }
}

// ---------------------------------------------------------------- ioctl

i64 sys_ioctl(const SyscallArgs& a) {
    FileRef f(a.arg[0]);
    if (!f) return -kEbadf;
    if (f->is_path_only()) return -kEbadf;  // ioctl's fdget refuses O_PATH descriptions
    const u32 cmd = static_cast<u32>(a.arg[1]);
    const u64 arg = a.arg[2];
    // The generic ones every file answers (fs/ioctl.c do_vfs_ioctl).
    switch (cmd) {
        case kFioclex: return sys_fs::fd_table()->set_cloexec(static_cast<u32>(a.arg[0]), true);
        case kFionclex: return sys_fs::fd_table()->set_cloexec(static_cast<u32>(a.arg[0]), false);
        case kFionbio: {
            i32 on = 0;
            if (get_user(on, arg) < 0) return -kEfault;
            SpinGuard guard(f->lock);
            f->flags = on ? (f->flags | kONonblock) : (f->flags & ~kONonblock);
            return 0;
        }
        default: break;
    }
    if (f->pipe && cmd == kFionread) {
        // The bytes a read would find now (pipe_ioctl's FIONREAD), as an int.
        const u64 held = pipe_bytes(*f.get());
        const i32 n = static_cast<i32>(held);
        return put_user(arg, n);
    }
    if (!f->device || !f->device->terminal) return -kEnotty;
    switch (cmd) {
        case kTcgets: {
            // A console in its boot state (Linux's tty_std_termios): canonical
            // mode with echo, 38400 baud, 8 bits, CR to NL on input, NL to CR-NL on output.
            Termios t;
            mem_set(&t, 0, sizeof t);
            t.c_iflag = kIcrnl | kIxon;
            t.c_oflag = kOpost | kOnlcr;
            t.c_cflag = kB38400 | kCs8 | kCread | kHupcl;
            t.c_lflag = kIsig | kIcanon | kEcho | kEchoe | kEchok | kEchoctl | kEchoke | kIexten;
            static constexpr u8 kCc[kNccs] = {3, 034, 0177, 025, 4, 0, 1, 0, 021, 023, 032, 0, 022, 017, 027, 026, 0, 0, 0};
            mem_copy(t.c_cc, kCc, kNccs);
            return put_user(arg, t);
        }
        case kTcsets:
        case kTcsetsw:
        case kTcsetsf: {
            // Accepted and ignored: the terminal has no line discipline here.
            Termios t;
            return get_user(t, arg);
        }
        case kTiocgwinsz: {
            const Winsize w{24, 80, 0, 0};
            return put_user(arg, w);
        }
        case kTiocswinsz: {
            Winsize w;
            return get_user(w, arg);
        }
        case kTiocgpgrp: {
            // The console's foreground process group: the caller's own.
            Process* p = current_process();
            const i32 pgrp = p ? static_cast<i32>(p->pid) : 0;
            return put_user(arg, pgrp);
        }
        case kTiocspgrp: {
            i32 pgrp = 0;
            return get_user(pgrp, arg);
        }
        default: return -kEnotty;
    }
}

// ---------------------------------------------------------------- metadata and directories

i64 sys_fstat(const SyscallArgs& a) {
    FileRef f(a.arg[0]);
    if (!f) return -kEbadf;
    Stat st;
    vfs_stat(*f->inode, &st);
    return put_user(a.arg[1], st);
}

i64 sys_getdents64(const SyscallArgs& a) {
    FileRef f(a.arg[0]);
    if (!f) return -kEbadf;
    if (!f->inode->is_dir()) return -kEnotdir;
    const u64 count = static_cast<u32>(a.arg[2]);  // unsigned int
    if (!user_range_ok(a.arg[1], count)) return -kEfault;
    // One kernel buffer per call; a larger user buffer just gets this much.
    constexpr usize kMaxBuffer = 32768;
    const usize length = count < kMaxBuffer ? static_cast<usize>(count) : kMaxBuffer;
    u8* buffer = static_cast<u8*>(kmalloc(length ? length : 1));
    if (!buffer) return -kEnomem;
    u64 before;
    {
        SpinGuard guard(f->lock);
        before = f->offset;
    }
    const i64 n = file_getdents(*f.get(), buffer, length);
    i64 rc = n;
    if (n > 0 && copy_to_user(a.arg[1], buffer, static_cast<usize>(n)) < 0) {
        // Nothing reached the caller: the entries stay unread.
        SpinGuard guard(f->lock);
        f->offset = before;
        rc = -kEfault;
    }
    kfree(buffer);
    return rc;
}

i64 sys_fchdir(const SyscallArgs& a) {
    FileRef f(a.arg[0]);
    if (!f) return -kEbadf;
    if (!f->inode->is_dir()) return -kEnotdir;
    sys_fs::set_cwd(f->inode);
    return 0;
}

// tmpfs keeps everything in memory: there is nothing to write back.
i64 sys_fsync(const SyscallArgs& a) {
    FileRef f(a.arg[0]);
    if (!f || f->is_path_only()) return -kEbadf;
    return 0;
}
i64 sys_fdatasync(const SyscallArgs& a) { return sys_fsync(a); }

i64 sys_umask(const SyscallArgs& a) {
    Process* p = current_process();
    if (!p || !p->fs) return 022;
    return p->fs->exchange_umask(static_cast<u32>(a.arg[0]));
}

}  // namespace kernel
