#include "kernel/fs/tmpfs_dir.h"

#include "kernel/lib/new.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/string.h"
#include "kernel/mm/kmalloc.h"

namespace kernel {

DirEntry* dir_find(const TmpfsDir& dir, const char* name, usize length) {
    DirEntry* found = nullptr;
    dir.entries.for_each([&](const DirEntry& e) {
        if (!found && e.name_length == length && mem_compare(e.name, name, length) == 0)
            found = const_cast<DirEntry*>(&e);
    });
    return found;
}

bool dir_add(TmpfsDir& dir, const char* name, usize length, Inode* inode) {
    KASSERT(length >= 1 && length <= 255, "directory entry name of %zu bytes", length);
    void* p = kmalloc(__builtin_offsetof(DirEntry, name) + length + 1);
    if (!p) return false;
    DirEntry* e = new (p) DirEntry();
    e->seq = dir.next_seq++;
    e->inode = inode;
    e->name_length = static_cast<u8>(length);
    mem_copy(e->name, name, length);
    e->name[length] = '\0';
    dir.entries.push_back(*e);
    return true;
}

void dir_remove(TmpfsDir& dir, DirEntry* entry) {
    dir.entries.remove(*entry);
    entry->~DirEntry();
    kfree(entry);
}

DirEntry* dir_seek(const TmpfsDir& dir, u64 position) {
    DirEntry* found = nullptr;
    dir.entries.for_each([&](const DirEntry& e) {
        if (!found && e.seq >= position) found = const_cast<DirEntry*>(&e);
    });
    return found;
}

DirEntry* dir_next(const TmpfsDir& dir, DirEntry* entry) {
    // seq increases along the list, so the next one is the first with a larger seq.
    return dir_seek(dir, entry->seq + 1);
}

DirEntry* dir_find_inode(const TmpfsDir& dir, const Inode* inode) {
    DirEntry* found = nullptr;
    dir.entries.for_each([&](const DirEntry& e) {
        if (!found && e.inode == inode) found = const_cast<DirEntry*>(&e);
    });
    return found;
}

}  // namespace kernel
