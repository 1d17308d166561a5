// A tmpfs directory: its entries, each a name and the inode it names, on a
// list in creation order. Each entry has a sequence number that never changes
// and increases along the list; getdents64 positions are those numbers
// (0 and 1 stand for "." and ".."), so a reader resumes correctly after
// entries before or after its position are removed or added (Linux's tmpfs
// keeps a cursor in the dcache for the same reason).
//
// Lookup walks the list: directories here are small (initramfs trees, /tmp of
// a test). A name index is the change to make when they are not.
//
// Invariants (check in vfs.cpp): names are 1..255 bytes, contain neither '/'
// nor NUL, are neither "." nor ".." and are unique in the directory; sequence
// numbers strictly increase along the list and are below next_seq.
//
// Locking: the VFS namespace lock (inode.h) covers every call.
#pragma once

#include "kernel/lib/list.h"
#include "kernel/lib/types.h"

namespace kernel {

struct Inode;

struct DirEntry {
    ListNode link;
    u64 seq;            // getdents64 position
    Inode* inode;       // counted in inode->nlink, not in its refs
    u8 name_length;
    char name[1];       // name_length bytes and a NUL (allocated to fit)
};

struct TmpfsDir {
    IntrusiveList<DirEntry, &DirEntry::link> entries;
    u64 next_seq = 2;
};

DirEntry* dir_find(const TmpfsDir& dir, const char* name, usize length);
// Adds an entry; false when memory runs out. The name must not be present.
bool dir_add(TmpfsDir& dir, const char* name, usize length, Inode* inode);
void dir_remove(TmpfsDir& dir, DirEntry* entry);
// The first entry whose seq >= position, or nullptr.
DirEntry* dir_seek(const TmpfsDir& dir, u64 position);
DirEntry* dir_next(const TmpfsDir& dir, DirEntry* entry);
// The entry naming `inode` (for getcwd), or nullptr.
DirEntry* dir_find_inode(const TmpfsDir& dir, const Inode* inode);

}  // namespace kernel
