#include "kernel/fs/fs_context.h"

#include "kernel/fs/inode.h"
#include "kernel/fs/vfs.h"
#include "kernel/lib/new.h"
#include "kernel/lib/panic.h"
#include "kernel/mm/kmalloc.h"

namespace kernel {

FsContext* FsContext::create() {
    void* p = kzalloc(sizeof(FsContext));
    if (!p) return nullptr;
    // cwd_ stays nullptr, "the root", until a chdir: a process can be made
    // before the VFS is mounted (and by tests that never mount one).
    return new (p) FsContext();
}

void FsContext::destroy(FsContext* context) {
    if (!context) return;
    inode_put(context->cwd_);
    context->~FsContext();
    kfree(context);
}

FsContext* FsContext::clone() {
    FsContext* copy = create();
    if (!copy) return nullptr;
    Inode* dir = cwd();
    copy->set_cwd(dir);
    inode_put(dir);
    copy->exchange_umask(umask());
    return copy;
}

Inode* FsContext::cwd() {
    SpinGuard guard(lock_);
    Inode* dir = cwd_ ? cwd_ : vfs_root();
    inode_get(dir);
    return dir;
}

void FsContext::set_cwd(Inode* dir) {
    KASSERT(dir->is_dir(), "cwd set to inode %llu, not a directory", static_cast<unsigned long long>(dir->ino));
    inode_get(dir);
    Inode* old;
    {
        SpinGuard guard(lock_);
        old = cwd_;
        cwd_ = dir;
    }
    inode_put(old);  // outside our lock: it may take the namespace lock
}

u32 FsContext::umask() {
    SpinGuard guard(lock_);
    return umask_;
}

u32 FsContext::exchange_umask(u32 mask) {
    SpinGuard guard(lock_);
    const u32 old = umask_;
    umask_ = mask & 0777;
    return old;
}

void FsContext::check_invariants() {
    SpinGuard guard(lock_);
    if (!cwd_) return;  // the root
    KASSERT(cwd_->is_dir(), "cwd is not a directory");
    KASSERT(__atomic_load_n(&cwd_->refs, __ATOMIC_RELAXED) >= 1, "cwd inode %llu is not referenced",
            static_cast<unsigned long long>(cwd_->ino));
    KASSERT((umask_ & ~0777u) == 0, "umask %o", umask_);
}

}  // namespace kernel
