#include "kernel/fs/inode.h"

#include "kernel/lib/new.h"
#include "kernel/lib/panic.h"
#include "kernel/mm/kmalloc.h"

namespace kernel {
namespace {

// Static storage constructed by inode_reset: a test process boots many
// machines, and the qemu build prefers no global constructors.
struct InodeState {
    SpinLock lock{"vfs namespace"};
    IntrusiveList<Inode, &Inode::all> inodes;
    u64 next_ino = 1;
};
alignas(InodeState) unsigned char g_state_storage[sizeof(InodeState)];
InodeState* g_state = nullptr;

InodeState& state() {
    KASSERT(g_state, "vfs_init has not run");
    return *g_state;
}

// Frees if neither a link nor a reference is left; namespace lock held.
void free_if_unused(Inode* inode) {
    if (inode->nlink == 0 && __atomic_load_n(&inode->refs, __ATOMIC_ACQUIRE) == 0) inode_free(inode);
}

}  // namespace

namespace detail {
IntrusiveList<Inode, &Inode::all>& inode_list() { return state().inodes; }
}  // namespace detail

void inode_reset() { g_state = new (g_state_storage) InodeState(); }

SpinLock& vfs_lock() { return state().lock; }

Inode* inode_alloc(InodeType type, u32 permissions) {
    InodeState& s = state();
    s.lock.assert_held();
    void* p = kzalloc(sizeof(Inode));
    if (!p) return nullptr;
    Inode* inode = new (p) Inode();
    inode->type = type;
    u32 format = 0;
    switch (type) {
        case InodeType::kRegular: format = 0100000; break;
        case InodeType::kDirectory: format = 0040000; break;
        case InodeType::kCharDevice: format = 0020000; break;
        case InodeType::kSymlink: format = 0120000; break;
        case InodeType::kFifo: format = 0010000; break;
    }
    inode->mode = format | (permissions & 07777);
    inode->ino = s.next_ino++;
    s.inodes.push_back(*inode);
    return inode;
}

void inode_free(Inode* inode) {
    state().lock.assert_held();
    KASSERT(inode->nlink == 0 && inode->refs == 0, "freeing inode %llu with nlink %u refs %u",
            static_cast<unsigned long long>(inode->ino), inode->nlink, inode->refs);
    KASSERT(inode->dir.entries.empty(), "freeing directory inode %llu that has entries",
            static_cast<unsigned long long>(inode->ino));
    state().inodes.remove(*inode);
    inode->pages.free_from(0);
    kfree(inode->target);
    inode->~Inode();
    kfree(inode);
}

void inode_get(Inode* inode) {
    const u32 before = __atomic_fetch_add(&inode->refs, 1u, __ATOMIC_ACQ_REL);
    KASSERT(before + 1 != 0, "inode %llu reference count overflow", static_cast<unsigned long long>(inode->ino));
}

void inode_put_locked(Inode* inode) {
    state().lock.assert_held();
    const u32 before = __atomic_fetch_sub(&inode->refs, 1u, __ATOMIC_ACQ_REL);
    KASSERT(before != 0, "inode %llu put without a reference", static_cast<unsigned long long>(inode->ino));
    if (before == 1) free_if_unused(inode);
}

void inode_put(Inode* inode) {
    if (!inode) return;
    SpinGuard guard(state().lock);
    inode_put_locked(inode);
}

void inode_unlink_locked(Inode* inode) {
    state().lock.assert_held();
    KASSERT(inode->nlink > 0, "inode %llu unlinked with nlink 0", static_cast<unsigned long long>(inode->ino));
    // A directory goes from 2 (its own "." and its parent's entry) straight to 0.
    inode->nlink = inode->is_dir() ? 0 : inode->nlink - 1;
    free_if_unused(inode);
}

u64 inode_count() {
    SpinGuard guard(state().lock);
    return state().inodes.size();
}

}  // namespace kernel
