// A process's file descriptor table (Linux's files_struct): fd numbers to
// open file descriptions (file.h), each with its close-on-exec flag.
//
// New fds take the lowest free number at or above a floor (POSIX), up to
// kMaxFds (RLIMIT_NOFILE's usual 1024): beyond it, EMFILE. The slot array
// starts small and doubles as fds are used, up to that limit.
//
// Locking: one lock per table for its slots. A description taken out (get)
// is referenced, so a concurrent close cannot free it under its user; a
// description is released after the lock is dropped, since releasing may
// free an inode under the namespace lock.
//
// Invariants (check_invariants): used() counts the occupied slots; every
// occupied slot holds a live description (refs >= 1); capacity is a power of
// two between kInitialSlots and kMaxFds; no cloexec flag on a free slot.
#pragma once

#include "kernel/lib/spinlock.h"
#include "kernel/lib/types.h"

namespace kernel {

struct File;

class FdTable {
public:
    static constexpr u32 kMaxFds = 1024;
    static constexpr u32 kInitialSlots = 64;

    // An empty table, or nullptr when memory runs out.
    static FdTable* create();
    // Closes every fd and frees the table.
    static void destroy(FdTable* table);
    // A copy sharing every description (fork), or nullptr.
    FdTable* clone();

    FdTable(const FdTable&) = delete;
    FdTable& operator=(const FdTable&) = delete;

    // Installs `file` (taking a reference) at the lowest free fd >= min_fd:
    // the fd, -EMFILE when none is left below kMaxFds, -EINVAL for a floor at
    // or above it, -ENOMEM.
    i64 allocate(File* file, u32 min_fd, bool cloexec);
    // Installs at exactly `fd`, which must be free: fd, -EBUSY, -EBADF, -ENOMEM.
    i64 install(u32 fd, File* file, bool cloexec);
    // dup2/dup3: installs at `fd`, closing what was there: fd, -EBADF for an fd
    // out of range, -ENOMEM.
    i64 replace(u32 fd, File* file, bool cloexec);
    // The description at fd, referenced (file_put it), or nullptr.
    File* get(i64 fd);
    // 0 or -EBADF.
    i64 close(i64 fd);
    // 0/1, or -EBADF.
    i64 cloexec(i64 fd);
    i64 set_cloexec(i64 fd, bool on);
    // Closes every fd marked close-on-exec (execve).
    void close_on_exec();
    u32 used() const { return used_; }
    // Slots allocated now (Linux's fdt->max_fds: select looks no further).
    u32 capacity() const { return __atomic_load_n(&capacity_, __ATOMIC_RELAXED); }

    // Panics, naming the fd, unless every invariant above holds.
    void check_invariants();

private:
    struct Slot {
        File* file;
        bool cloexec;
    };

    FdTable() = default;
    // Makes room for fd (lock held); false when memory runs out.
    bool grow_for(u32 fd);

    SpinLock lock_{"fd table"};
    Slot* slots_ = nullptr;
    u32 capacity_ = 0;
    u32 used_ = 0;
};

}  // namespace kernel
