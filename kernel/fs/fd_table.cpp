#include "kernel/fs/fd_table.h"

#include "kernel/fs/file.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/new.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/string.h"
#include "kernel/mm/kmalloc.h"

namespace kernel {

FdTable* FdTable::create() {
    void* p = kzalloc(sizeof(FdTable));
    if (!p) return nullptr;
    FdTable* table = new (p) FdTable();
    table->slots_ = static_cast<Slot*>(kzalloc(kInitialSlots * sizeof(Slot)));
    if (!table->slots_) {
        table->~FdTable();
        kfree(table);
        return nullptr;
    }
    table->capacity_ = kInitialSlots;
    return table;
}

void FdTable::destroy(FdTable* table) {
    if (!table) return;
    for (u32 fd = 0; fd < table->capacity_; ++fd) file_put(table->slots_[fd].file);
    kfree(table->slots_);
    table->~FdTable();
    kfree(table);
}

FdTable* FdTable::clone() {
    FdTable* copy = create();
    if (!copy) return nullptr;
    SpinGuard guard(lock_);
    if (capacity_ > copy->capacity_) {
        Slot* bigger = static_cast<Slot*>(kzalloc(capacity_ * sizeof(Slot)));
        if (!bigger) {
            destroy(copy);
            return nullptr;
        }
        kfree(copy->slots_);
        copy->slots_ = bigger;
        copy->capacity_ = capacity_;
    }
    for (u32 fd = 0; fd < capacity_; ++fd) {
        if (!slots_[fd].file) continue;
        file_get(slots_[fd].file);
        copy->slots_[fd] = slots_[fd];
    }
    copy->used_ = used_;
    return copy;
}

bool FdTable::grow_for(u32 fd) {
    lock_.assert_held();
    if (fd < capacity_) return true;
    u32 capacity = capacity_;
    while (capacity <= fd) capacity *= 2;
    Slot* bigger = static_cast<Slot*>(kzalloc(capacity * sizeof(Slot)));
    if (!bigger) return false;
    mem_copy(bigger, slots_, capacity_ * sizeof(Slot));
    kfree(slots_);
    slots_ = bigger;
    capacity_ = capacity;
    return true;
}

i64 FdTable::allocate(File* file, u32 min_fd, bool cloexec) {
    if (min_fd >= kMaxFds) return -linux::kEinval;
    SpinGuard guard(lock_);
    u32 fd = min_fd;
    while (fd < capacity_ && slots_[fd].file) ++fd;
    if (fd >= kMaxFds) return -linux::kEmfile;
    if (!grow_for(fd)) return -linux::kEnomem;
    file_get(file);
    slots_[fd] = Slot{file, cloexec};
    ++used_;
    return fd;
}

i64 FdTable::install(u32 fd, File* file, bool cloexec) {
    if (fd >= kMaxFds) return -linux::kEbadf;
    SpinGuard guard(lock_);
    if (!grow_for(fd)) return -linux::kEnomem;
    if (slots_[fd].file) return -linux::kEbusy;
    file_get(file);
    slots_[fd] = Slot{file, cloexec};
    ++used_;
    return fd;
}

i64 FdTable::replace(u32 fd, File* file, bool cloexec) {
    if (fd >= kMaxFds) return -linux::kEbadf;
    File* old = nullptr;
    {
        SpinGuard guard(lock_);
        if (!grow_for(fd)) return -linux::kEnomem;
        old = slots_[fd].file;
        if (!old) ++used_;
        file_get(file);
        slots_[fd] = Slot{file, cloexec};
    }
    file_put(old);
    return fd;
}

File* FdTable::get(i64 fd) {
    SpinGuard guard(lock_);
    if (fd < 0 || fd >= capacity_) return nullptr;
    File* file = slots_[fd].file;
    if (file) file_get(file);
    return file;
}

i64 FdTable::close(i64 fd) {
    File* file = nullptr;
    {
        SpinGuard guard(lock_);
        if (fd < 0 || fd >= capacity_ || !slots_[fd].file) return -linux::kEbadf;
        file = slots_[fd].file;
        slots_[fd] = Slot{nullptr, false};
        --used_;
    }
    file_put(file);
    return 0;
}

i64 FdTable::cloexec(i64 fd) {
    SpinGuard guard(lock_);
    if (fd < 0 || fd >= capacity_ || !slots_[fd].file) return -linux::kEbadf;
    return slots_[fd].cloexec ? 1 : 0;
}

i64 FdTable::set_cloexec(i64 fd, bool on) {
    SpinGuard guard(lock_);
    if (fd < 0 || fd >= capacity_ || !slots_[fd].file) return -linux::kEbadf;
    slots_[fd].cloexec = on;
    return 0;
}

void FdTable::close_on_exec() {
    for (;;) {
        // One at a time, so each description is released outside the lock.
        File* file = nullptr;
        {
            SpinGuard guard(lock_);
            for (u32 fd = 0; fd < capacity_ && !file; ++fd) {
                if (slots_[fd].file && slots_[fd].cloexec) {
                    file = slots_[fd].file;
                    slots_[fd] = Slot{nullptr, false};
                    --used_;
                }
            }
        }
        if (!file) return;
        file_put(file);
    }
}

void FdTable::check_invariants() {
    SpinGuard guard(lock_);
    KASSERT(capacity_ >= kInitialSlots && capacity_ <= kMaxFds && (capacity_ & (capacity_ - 1)) == 0,
            "fd table capacity %u", capacity_);
    u32 used = 0;
    for (u32 fd = 0; fd < capacity_; ++fd) {
        const Slot& s = slots_[fd];
        if (!s.file) {
            KASSERT(!s.cloexec, "free fd %u is marked close-on-exec", fd);
            continue;
        }
        ++used;
        KASSERT(__atomic_load_n(&s.file->refs, __ATOMIC_RELAXED) >= 1, "fd %u holds a released description", fd);
        KASSERT(s.file->inode, "fd %u: description without an inode", fd);
    }
    KASSERT(used == used_, "fd table counts %u fds but holds %u", used_, used);
}

}  // namespace kernel
