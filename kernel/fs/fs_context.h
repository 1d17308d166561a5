// A process's filesystem context (Linux's fs_struct): its working directory
// and its umask. The root is the VFS's (no chroot).
//
// Locking: one lock for the pair. cwd() hands out a reference, so a chdir on
// another thread cannot free the directory under a lookup.
//
// Invariants (check_invariants): the cwd is nullptr (the root: a context can
// be made before the VFS is mounted) or a directory the context holds a
// reference on; the umask has no bits outside 0777.
#pragma once

#include "kernel/lib/spinlock.h"
#include "kernel/lib/types.h"

namespace kernel {

struct Inode;

class FsContext {
public:
    // cwd "/" and umask 022 (Linux's default for init), or nullptr.
    static FsContext* create();
    static void destroy(FsContext* context);
    // The same cwd and umask (fork), or nullptr.
    FsContext* clone();

    FsContext(const FsContext&) = delete;
    FsContext& operator=(const FsContext&) = delete;

    // The working directory, referenced (inode_put it).
    Inode* cwd();
    // Makes `dir` (a directory; the caller keeps its own reference) the cwd.
    void set_cwd(Inode* dir);
    u32 umask();
    // Sets the umask (masked to 0777) and returns the old one.
    u32 exchange_umask(u32 mask);

    void check_invariants();

private:
    FsContext() = default;

    SpinLock lock_{"fs context"};
    Inode* cwd_ = nullptr;
    u32 umask_ = 022;
};

}  // namespace kernel
