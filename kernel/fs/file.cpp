#include "kernel/fs/file.h"

#include "kernel/fs/char_device.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/pipe.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/new.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/string.h"
#include "kernel/mm/kmalloc.h"

namespace kernel {
namespace {

// The largest offset lseek may set (Linux's MAX_LFS_FILESIZE on 64-bit).
constexpr u64 kMaxOffset = 0x7fff'ffff'ffff'ffffull;

// Open flags a description keeps: the access mode and the status flags.
// The creation flags (O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC) and O_CLOEXEC
// (an fd flag) are not part of it, as in Linux's f_flags.
constexpr u32 kKeptFlags = ~(linux::kOCreat | linux::kOExcl | linux::kONoctty | linux::kOTrunc | linux::kOCloexec);

i64 check_readable(const File& file) {
    if (!file.readable()) return -linux::kEbadf;
    if (file.inode->is_dir()) return -linux::kEisdir;
    return 0;
}

i64 check_writable(const File& file) {
    if (!file.writable()) return -linux::kEbadf;
    return 0;
}

}  // namespace

File* file_create(Inode* inode, u32 flags) {
    void* p = kzalloc(sizeof(File));
    if (!p) return nullptr;
    File* file = new (p) File();
    inode_get(inode);
    file->inode = inode;
    file->flags = (flags & kKeptFlags) | linux::kOLargefile;
    if (inode->is_char_device() && !(flags & linux::kOPath)) file->device = find_char_device(inode->major, inode->minor);
    return file;
}

void file_get(File* file) {
    const u32 before = __atomic_fetch_add(&file->refs, 1u, __ATOMIC_ACQ_REL);
    KASSERT(before != 0, "file_get on a freed description");
}

void file_put(File* file) {
    if (!file) return;
    const u32 before = __atomic_fetch_sub(&file->refs, 1u, __ATOMIC_ACQ_REL);
    KASSERT(before != 0, "file_put without a reference");
    if (before != 1) return;
    if (file->pipe) pipe_release(*file);
    inode_put(file->inode);
    file->~File();
    kfree(file);
}

bool file_reads_fully(const File& file) { return file.inode->is_regular(); }

u32 file_poll(File& file) {
    using namespace linux;
    if (file.is_path_only()) return kPollnval;  // poll's fdget refuses O_PATH descriptions
    if (file.pipe) return pipe_poll(file);
    return kPollin | kPollout | kPollrdnorm | kPollwrnorm;
}

i64 file_read(File& file, u8* buffer, usize length) {
    if (const i64 rc = check_readable(file); rc < 0) return rc;
    if (file.device) return file.device->read(file, buffer, length);
    if (file.pipe) return pipe_read(file, buffer, length, true);
    if (!file.inode->is_regular()) return -linux::kEinval;
    SpinGuard guard(file.lock);
    const i64 n = tmpfs_read(*file.inode, file.offset, buffer, length);
    if (n > 0) file.offset += static_cast<u64>(n);
    return n;
}

i64 file_write(File& file, const u8* buffer, usize length) {
    if (const i64 rc = check_writable(file); rc < 0) return rc;
    if (file.device) return file.device->write(file, buffer, length);
    if (file.pipe) return pipe_write(file, buffer, length, length <= kPipeBuf);
    if (!file.inode->is_regular()) return -linux::kEinval;
    SpinGuard guard(file.lock);
    if (file.flags & linux::kOAppend) {
        u64 end = 0;
        const i64 n = tmpfs_append(*file.inode, buffer, length, &end);
        if (n >= 0) file.offset = end;
        return n;
    }
    if (file.offset > kMaxOffset - length) return -linux::kEfbig;
    const i64 n = tmpfs_write(*file.inode, file.offset, buffer, length);
    if (n > 0) file.offset += static_cast<u64>(n);
    return n;
}

i64 file_pread(File& file, u8* buffer, usize length, u64 offset) {
    if (const i64 rc = check_readable(file); rc < 0) return rc;
    if (file.pipe) return -linux::kEspipe;
    if (file.device) {
        if (file.device->terminal) return -linux::kEspipe;
        return file.device->read(file, buffer, length);
    }
    if (!file.inode->is_regular()) return -linux::kEinval;
    return tmpfs_read(*file.inode, offset, buffer, length);
}

i64 file_pwrite(File& file, const u8* buffer, usize length, u64 offset) {
    if (const i64 rc = check_writable(file); rc < 0) return rc;
    if (file.pipe) return -linux::kEspipe;
    if (file.device) {
        if (file.device->terminal) return -linux::kEspipe;
        return file.device->write(file, buffer, length);
    }
    if (!file.inode->is_regular()) return -linux::kEinval;
    // Linux appends even for pwrite on an O_APPEND description (man pwrite(2), BUGS).
    if (file.flags & linux::kOAppend) {
        u64 end = 0;
        return tmpfs_append(*file.inode, buffer, length, &end);
    }
    if (offset > kMaxOffset - length) return -linux::kEfbig;
    return tmpfs_write(*file.inode, offset, buffer, length);
}

void file_unread(File& file, u64 bytes) {
    if (!file.inode->is_regular()) return;  // a device's bytes are gone
    SpinGuard guard(file.lock);
    file.offset = bytes <= file.offset ? file.offset - bytes : 0;
}

i64 file_lseek(File& file, i64 offset, u32 whence) {
    using namespace linux;
    if (file.pipe || file.inode->is_fifo()) return -kEspipe;
    if (file.device) {
        // A tty cannot seek; mem.c's devices and random's say 0 to every seek.
        if (file.device->terminal) return -kEspipe;
        if (whence > kSeekHole) return -kEinval;
        SpinGuard guard(file.lock);
        file.offset = 0;
        return 0;
    }
    SpinGuard guard(file.lock);
    i64 base = 0;
    if (file.inode->is_dir()) {
        // tmpfs directories (dcache_dir_lseek): SEEK_SET and SEEK_CUR to a position.
        if (whence == kSeekCur) base = static_cast<i64>(file.offset);
        else if (whence != kSeekSet) return -kEinval;
    } else {
        u64 size;
        {
            SpinGuard inode_guard(file.inode->lock);
            size = file.inode->size;
        }
        switch (whence) {
            case kSeekSet: break;
            case kSeekCur: base = static_cast<i64>(file.offset); break;
            case kSeekEnd: base = static_cast<i64>(size); break;
            case kSeekData:
            case kSeekHole:
                // The generic answer (no hole search): data up to the size, a hole at it.
                if (offset < 0 || static_cast<u64>(offset) >= size) return -kEnxio;
                if (whence == kSeekHole) offset = static_cast<i64>(size);
                break;
            default: return -kEinval;
        }
    }
    i64 result;
    if (__builtin_add_overflow(base, offset, &result) || result < 0) return -kEinval;
    file.offset = static_cast<u64>(result);
    return result;
}

i64 file_getdents(File& file, u8* buffer, usize length) {
    using namespace linux;
    Inode& dir = *file.inode;
    if (!dir.is_dir()) return -kEnotdir;
    if (file.is_path_only()) return -kEbadf;
    // Lock order: a description's lock before the namespace lock.
    SpinGuard file_guard(file.lock);
    SpinGuard guard(vfs_lock());
    if (dir.nlink == 0) return -kEnoent;  // Linux's IS_DEADDIR
    usize filled = 0;
    u64 position = file.offset;
    // One record; false when it does not fit.
    auto emit = [&](u64 ino, const char* name, usize name_length, u8 type, u64 next) {
        const usize reclen = static_cast<usize>(align_up(kDirent64NameOffset + name_length + 1, 8));
        if (filled + reclen > length) return false;
        u8* rec = buffer + filled;
        mem_set(rec, 0, reclen);
        Dirent64 d;
        d.d_ino = ino;
        d.d_off = static_cast<i64>(next);
        d.d_reclen = static_cast<u16>(reclen);
        d.d_type = type;
        mem_copy(rec, &d, kDirent64NameOffset);
        mem_copy(rec + kDirent64NameOffset, name, name_length);
        filled += reclen;
        position = next;
        return true;
    };
    bool full = false;
    if (position == 0) full = !emit(dir.ino, ".", 1, kDtDir, 1);
    if (!full && position == 1) full = !emit(dir.parent->ino, "..", 2, kDtDir, 2);
    for (DirEntry* e = full ? nullptr : dir_seek(dir.dir, position); e; e = dir_next(dir.dir, e)) {
        u8 type = kDtUnknown;
        switch (e->inode->type) {
            case InodeType::kRegular: type = kDtReg; break;
            case InodeType::kDirectory: type = kDtDir; break;
            case InodeType::kCharDevice: type = kDtChr; break;
            case InodeType::kSymlink: type = kDtLnk; break;
            case InodeType::kFifo: type = kDtFifo; break;
        }
        if (!emit(e->inode->ino, e->name, e->name_length, type, e->seq + 1)) break;
    }
    file.offset = position;
    if (filled == 0 && (position < 2 || dir_seek(dir.dir, position))) return -kEinval;  // even one record is too big
    return static_cast<i64>(filled);
}

}  // namespace kernel
