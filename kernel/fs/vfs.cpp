#include "kernel/fs/vfs.h"

#include "kernel/fs/char_device.h"
#include "kernel/fs/file.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/namei.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/string.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/pmm.h"

namespace kernel {
namespace {

Inode* g_root = nullptr;

// Links a new inode under w.dir as w.name; the walk found the name missing.
// Namespace lock held. The inode is freed if the entry cannot be made.
i64 link_new_locked(const PathWalk& w, Inode* inode) {
    if (!dir_add(w.dir->dir, w.name, w.name_length, inode)) {
        inode_free(inode);
        return -linux::kEnomem;
    }
    if (inode->is_dir()) {
        inode->nlink = 2;
        inode->parent = w.dir;
        ++w.dir->nlink;
    } else {
        inode->nlink = 1;
    }
    return 0;
}

// The checks every creation of a name makes (Linux's filename_create): the
// name must be a plain one and absent; a trailing slash is only for mkdir.
i64 check_create_locked(const PathWalk& w, bool directory) {
    if (w.kind != LastKind::kNormal || w.inode) return -linux::kEexist;
    if (w.trailing_slash && !directory) return -linux::kEnoent;
    if (w.dir->nlink == 0) return -linux::kEnoent;
    return 0;
}

i64 create_locked(Inode* base, const char* path, InodeType type, u32 mode, Inode** out) {
    PathWalk w;
    i64 rc = path_walk(base, path, walk_flag::kParent, &w);
    if (rc < 0) return rc;
    rc = check_create_locked(w, type == InodeType::kDirectory);
    if (rc < 0) return rc;
    Inode* inode = inode_alloc(type, mode);
    if (!inode) return -linux::kEnomem;
    rc = link_new_locked(w, inode);
    if (rc == 0 && out) *out = inode;
    return rc;
}

bool dir_empty(const Inode& dir) { return dir.dir.entries.empty(); }

// Is `dir` inside the tree rooted at `ancestor` (or `ancestor` itself)?
bool is_within(const Inode* dir, const Inode* ancestor) {
    for (const Inode* d = dir; d; d = d->parent) {
        if (d == ancestor) return true;
        if (d == g_root) break;
    }
    return false;
}

}  // namespace

Inode* vfs_root() {
    KASSERT(g_root, "vfs_init has not run");
    return g_root;
}

i64 vfs_init() {
    inode_reset();
    {
        SpinGuard guard(vfs_lock());
        g_root = inode_alloc(InodeType::kDirectory, 0755);
        if (!g_root) return -linux::kEnomem;
        g_root->nlink = 2;
        g_root->parent = g_root;
    }
    struct Node {
        const char* path;
        u32 mode;
        u32 major, minor;  // 0, 0: a directory
    };
    static constexpr Node kNodes[] = {
        {"/dev", 0755, 0, 0},         {"/tmp", 01777, 0, 0},        {"/dev/console", 0600, 5, 1},
        {"/dev/tty", 0666, 5, 0},     {"/dev/null", 0666, 1, 3},    {"/dev/zero", 0666, 1, 5},
        {"/dev/random", 0666, 1, 8},  {"/dev/urandom", 0666, 1, 9},
    };
    for (const Node& n : kNodes) {
        const i64 rc = n.major == 0 ? vfs_mkdir(nullptr, n.path, n.mode)
                                    : vfs_mknod_char(nullptr, n.path, n.mode, n.major, n.minor);
        if (rc < 0) return rc;
    }
    return 0;
}

i64 vfs_open(Inode* base, const char* path, u32 flags, u32 mode, File** out) {
    using namespace linux;
    Inode* inode = nullptr;
    {
        SpinGuard guard(vfs_lock());
        const bool create = flags & kOCreat;
        // O_CREAT|O_EXCL never follows a final symlink: it must not exist at all.
        const bool follow = !(flags & kONofollow) && !(create && (flags & kOExcl));
        PathWalk w;
        i64 rc = path_walk(base, path, (create ? walk_flag::kCreate : 0) | (follow ? walk_flag::kFollow : 0), &w);
        if (rc < 0) return rc;
        inode = w.inode;
        if (create) {
            if (w.kind != LastKind::kNormal) return -kEisdir;  // "/", "." or ".." exist, and are directories
            if (!inode) {
                if (w.trailing_slash) return -kEisdir;
                if (w.dir->nlink == 0) return -kEnoent;
                inode = inode_alloc(InodeType::kRegular, mode);
                if (!inode) return -kEnomem;
                rc = link_new_locked(w, inode);
                if (rc < 0) return rc;
            } else if (flags & kOExcl) {
                return -kEexist;
            } else if (inode->is_dir()) {
                return -kEisdir;
            }
        }
        if (inode->is_symlink() && !(flags & kOPath)) return -kEloop;  // O_NOFOLLOW met a link
        if ((flags & kODirectory) && !inode->is_dir()) return -kEnotdir;
        if (!(flags & kOPath) && inode->is_dir() &&
            ((flags & kOAccmode) != kORdonly || (flags & kOTrunc)))
            return -kEisdir;
        if (inode->is_char_device() && !(flags & kOPath) && !find_char_device(inode->major, inode->minor))
            return -kEnxio;
        inode_get(inode);
    }
    if ((flags & kOTrunc) && !(flags & kOPath) && inode->is_regular()) {
        const i64 rc = tmpfs_truncate(*inode, 0);
        if (rc < 0) {
            inode_put(inode);
            return rc;
        }
    }
    File* file = file_create(inode, flags);
    inode_put(inode);  // the description holds its own reference
    if (!file) return -linux::kEnomem;
    *out = file;
    return 0;
}

i64 vfs_mkdir(Inode* base, const char* path, u32 mode) {
    SpinGuard guard(vfs_lock());
    return create_locked(base, path, InodeType::kDirectory, mode, nullptr);
}

i64 vfs_mknod_char(Inode* base, const char* path, u32 mode, u32 major, u32 minor) {
    SpinGuard guard(vfs_lock());
    Inode* inode = nullptr;
    const i64 rc = create_locked(base, path, InodeType::kCharDevice, mode, &inode);
    if (rc == 0) {
        inode->major = major;
        inode->minor = minor;
    }
    return rc;
}

i64 vfs_symlink(const char* target, Inode* base, const char* path) {
    const usize length = str_length(target);
    if (length == 0) return -linux::kEnoent;
    if (length >= linux::kPathMax) return -linux::kEnametoolong;
    char* copy = static_cast<char*>(kmalloc(length + 1));
    if (!copy) return -linux::kEnomem;
    mem_copy(copy, target, length + 1);
    SpinGuard guard(vfs_lock());
    Inode* inode = nullptr;
    const i64 rc = create_locked(base, path, InodeType::kSymlink, 0777, &inode);
    if (rc < 0) {
        kfree(copy);
        return rc;
    }
    inode->target = copy;
    inode->size = length;
    return 0;
}

i64 vfs_unlink(Inode* base, const char* path) {
    SpinGuard guard(vfs_lock());
    PathWalk w;
    const i64 rc = path_walk(base, path, walk_flag::kParent, &w);
    if (rc < 0) return rc;
    if (w.kind != LastKind::kNormal) return -linux::kEisdir;
    if (!w.inode) return -linux::kEnoent;
    if (w.inode->is_dir()) return -linux::kEisdir;
    if (w.trailing_slash) return -linux::kEnotdir;
    dir_remove(w.dir->dir, dir_find(w.dir->dir, w.name, w.name_length));
    inode_unlink_locked(w.inode);
    return 0;
}

i64 vfs_rmdir(Inode* base, const char* path) {
    SpinGuard guard(vfs_lock());
    PathWalk w;
    const i64 rc = path_walk(base, path, walk_flag::kParent, &w);
    if (rc < 0) return rc;
    switch (w.kind) {
        case LastKind::kDot: return -linux::kEinval;
        case LastKind::kDotDot: return -linux::kEnotempty;
        case LastKind::kRoot: return -linux::kEbusy;
        case LastKind::kNormal: break;
    }
    Inode* dir = w.inode;
    if (!dir) return -linux::kEnoent;
    if (!dir->is_dir()) return -linux::kEnotdir;
    if (!dir_empty(*dir)) return -linux::kEnotempty;
    dir_remove(w.dir->dir, dir_find(w.dir->dir, w.name, w.name_length));
    --w.dir->nlink;
    dir->parent = nullptr;
    inode_unlink_locked(dir);
    return 0;
}

i64 vfs_rename(Inode* old_base, const char* old_path, Inode* new_base, const char* new_path) {
    SpinGuard guard(vfs_lock());
    PathWalk from, to;
    i64 rc = path_walk(old_base, old_path, walk_flag::kParent, &from);
    if (rc < 0) return rc;
    rc = path_walk(new_base, new_path, walk_flag::kParent, &to);
    if (rc < 0) return rc;
    if (from.kind != LastKind::kNormal || to.kind != LastKind::kNormal) return -linux::kEbusy;
    Inode* moving = from.inode;
    Inode* replaced = to.inode;
    if (!moving) return -linux::kEnoent;
    if (!moving->is_dir() && (from.trailing_slash || to.trailing_slash)) return -linux::kEnotdir;
    if (to.dir->nlink == 0) return -linux::kEnoent;
    if (moving == replaced) return 0;  // the same file under both names: nothing to do
    if (moving->is_dir()) {
        if (replaced && !replaced->is_dir()) return -linux::kEnotdir;
        if (is_within(to.dir, moving)) return -linux::kEinval;  // into its own subtree
    } else if (replaced && replaced->is_dir()) {
        return -linux::kEisdir;
    }
    if (replaced && replaced->is_dir() && !dir_empty(*replaced)) return -linux::kEnotempty;

    if (replaced) {
        // Reuse the target's entry, so nothing can fail from here on.
        dir_find(to.dir->dir, to.name, to.name_length)->inode = moving;
    } else if (!dir_add(to.dir->dir, to.name, to.name_length, moving)) {
        return -linux::kEnomem;
    }
    dir_remove(from.dir->dir, dir_find(from.dir->dir, from.name, from.name_length));
    if (moving->is_dir() && from.dir != to.dir) {
        --from.dir->nlink;
        ++to.dir->nlink;
        moving->parent = to.dir;
    }
    if (replaced) {
        if (replaced->is_dir()) {
            --to.dir->nlink;
            replaced->parent = nullptr;
        }
        inode_unlink_locked(replaced);
    }
    return 0;
}

i64 vfs_lookup(Inode* base, const char* path, bool follow, Inode** out) {
    SpinGuard guard(vfs_lock());
    PathWalk w;
    const i64 rc = path_walk(base, path, follow ? walk_flag::kFollow : 0, &w);
    if (rc < 0) return rc;
    inode_get(w.inode);
    *out = w.inode;
    return 0;
}

i64 vfs_readlink(Inode* base, const char* path, char* buffer, usize size) {
    SpinGuard guard(vfs_lock());
    PathWalk w;
    const i64 rc = path_walk(base, path, 0, &w);
    if (rc < 0) return rc;
    if (!w.inode->is_symlink()) return -linux::kEinval;
    const usize n = w.inode->size < size ? static_cast<usize>(w.inode->size) : size;
    mem_copy(buffer, w.inode->target, n);
    return static_cast<i64>(n);
}

i64 vfs_access(const Inode& inode, u32 mode) {
    // Root may read and write anything; it may execute a directory (search)
    // or a file with at least one execute bit.
    if ((mode & linux::kXOk) && inode.type != InodeType::kDirectory && !(inode.mode & 0111)) return -linux::kEacces;
    return 0;
}

void vfs_stat(Inode& inode, linux::Stat* st) {
    mem_set(st, 0, sizeof *st);
    st->st_dev = kTmpfsDevice;
    st->st_ino = inode.ino;
    st->st_nlink = __atomic_load_n(&inode.nlink, __ATOMIC_RELAXED);
    st->st_mode = inode.mode;
    st->st_blksize = static_cast<i64>(kPageSize);
    if (inode.is_char_device()) st->st_rdev = encode_device(inode.major, inode.minor);
    if (inode.is_regular()) {
        SpinGuard guard(inode.lock);
        st->st_size = static_cast<i64>(inode.size);
        st->st_blocks = static_cast<i64>(inode.pages.page_count() * (kPageSize / 512));
    } else if (inode.is_symlink()) {
        st->st_size = static_cast<i64>(inode.size);
    } else if (inode.is_dir()) {
        // Linux's tmpfs: a directory's size grows by BOGO_DIRENT_SIZE (20) per entry.
        SpinGuard guard(vfs_lock());
        st->st_size = static_cast<i64>(20 * inode.dir.entries.size());
    }
}

i64 vfs_path_of(Inode* dir, char* buffer, usize size) {
    SpinGuard guard(vfs_lock());
    if (dir->nlink == 0) return -linux::kEnoent;
    // Built backwards from the end of a scratch buffer, one name per parent.
    char* scratch = static_cast<char*>(kmalloc(linux::kPathMax));
    if (!scratch) return -linux::kEnomem;
    usize start = linux::kPathMax - 1;
    scratch[start] = '\0';
    i64 rc = 0;
    for (Inode* d = dir; d != g_root; d = d->parent) {
        const DirEntry* e = dir_find_inode(d->parent->dir, d);
        KASSERT(e, "directory inode %llu is not named by its parent", static_cast<unsigned long long>(d->ino));
        if (e->name_length + 1u > start) {
            rc = -linux::kEnametoolong;
            break;
        }
        start -= e->name_length;
        mem_copy(scratch + start, e->name, e->name_length);
        scratch[--start] = '/';
    }
    if (rc == 0) {
        if (start == linux::kPathMax - 1) scratch[--start] = '/';  // the root itself
        const usize length = linux::kPathMax - start;  // with the NUL
        if (length > size) rc = -linux::kErange;
        else {
            mem_copy(buffer, scratch + start, length);
            rc = static_cast<i64>(length);
        }
    }
    kfree(scratch);
    return rc;
}

i64 vfs_truncate(Inode& inode, u64 size) {
    if (inode.is_dir()) return -linux::kEisdir;
    if (!inode.is_regular()) return -linux::kEinval;
    return tmpfs_truncate(inode, size);
}

i64 vfs_read_file(const char* path, u8** data, usize* size) { return vfs_read_file_at(nullptr, path, data, size); }

i64 vfs_read_file_at(Inode* base, const char* path, u8** data, usize* size) {
    Inode* inode = nullptr;
    i64 rc = vfs_lookup(base, path, true, &inode);
    if (rc < 0) return rc;
    if (!inode->is_regular()) {
        inode_put(inode);
        return -linux::kEacces;
    }
    u64 bytes;
    {
        SpinGuard guard(inode->lock);
        bytes = inode->size;
    }
    u8* buffer = static_cast<u8*>(kmalloc(bytes ? static_cast<usize>(bytes) : 1));
    if (!buffer) {
        inode_put(inode);
        return -linux::kEnomem;
    }
    // A writer may have shrunk the file since: keep what was read.
    rc = tmpfs_read(*inode, 0, buffer, static_cast<usize>(bytes));
    inode_put(inode);
    if (rc < 0) {
        kfree(buffer);
        return rc;
    }
    *data = buffer;
    *size = static_cast<usize>(rc);
    return 0;
}

void vfs_check_invariants() {
    SpinGuard guard(vfs_lock());
    KASSERT(g_root && g_root->parent == g_root && g_root->is_dir(), "the root is not its own parent");
    for_each_inode([](Inode& inode) { inode.check_links = 0; });
    for_each_inode([](Inode& inode) {
        const auto ino = static_cast<unsigned long long>(inode.ino);
        KASSERT(inode.nlink > 0 || inode.refs > 0, "inode %llu is neither linked nor referenced", ino);
        if (!inode.is_dir()) return;
        if (inode.nlink == 0) {
            KASSERT(inode.parent == nullptr && inode.dir.entries.empty(), "removed directory %llu keeps a parent or entries", ino);
            return;
        }
        u32 subdirs = 0;
        u64 last_seq = 1;
        inode.dir.entries.for_each([&](DirEntry& e) {
            KASSERT(e.name_length >= 1 && e.name[e.name_length] == '\0', "directory %llu: bad entry name", ino);
            for (u32 i = 0; i < e.name_length; ++i)
                KASSERT(e.name[i] != '/' && e.name[i] != '\0', "directory %llu: entry '%s' has a '/' or NUL", ino, e.name);
            KASSERT(!(e.name_length == 1 && e.name[0] == '.') && !(e.name_length == 2 && e.name[0] == '.' && e.name[1] == '.'),
                    "directory %llu has an entry '%s'", ino, e.name);
            KASSERT(e.seq > last_seq && e.seq < inode.dir.next_seq, "directory %llu: entry '%s' out of sequence", ino, e.name);
            last_seq = e.seq;
            KASSERT(dir_find(inode.dir, e.name, e.name_length) == &e, "directory %llu: name '%s' appears twice", ino, e.name);
            KASSERT(detail::inode_list().contains(*e.inode), "directory %llu: entry '%s' names a freed inode", ino, e.name);
            ++e.inode->check_links;
            if (e.inode->is_dir()) {
                ++subdirs;
                KASSERT(e.inode->parent == &inode, "directory '%s' in %llu names another parent", e.name, ino);
            }
        });
        KASSERT(inode.nlink == 2 + subdirs, "directory %llu: nlink %u but %u subdirectories", ino, inode.nlink, subdirs);
        if (&inode != g_root) KASSERT(inode.parent && inode.parent->nlink > 0, "linked directory %llu has no live parent", ino);
    });
    for_each_inode([](Inode& inode) {
        const auto ino = static_cast<unsigned long long>(inode.ino);
        if (inode.is_dir()) {
            KASSERT(inode.nlink == 0 || &inode == g_root || inode.check_links == 1,
                    "directory %llu is named %u times", ino, inode.check_links);
            return;
        }
        KASSERT(inode.nlink == inode.check_links, "inode %llu: nlink %u but %u entries", ino, inode.nlink, inode.check_links);
        if (inode.is_symlink())
            KASSERT(inode.target && inode.size >= 1 && str_length(inode.target) == inode.size, "symlink %llu: bad target", ino);
        if (!inode.is_regular()) return;
        SpinGuard file_guard(inode.lock);
        const u64 end_page = align_up(inode.size, kPageSize) >> kPageShift;
        u64 count = 0;
        inode.pages.for_each([&](u64 index, Page* page) {
            ++count;
            KASSERT(index < end_page, "file %llu: page %llu past its size %llu", ino,
                    static_cast<unsigned long long>(index), static_cast<unsigned long long>(inode.size));
            if (index == end_page - 1 && (inode.size & (kPageSize - 1))) {
                const u8* bytes = static_cast<const u8*>(pmm::page_to_virt(page));
                for (u64 i = inode.size & (kPageSize - 1); i < kPageSize; ++i)
                    KASSERT(bytes[i] == 0, "file %llu: byte %llu past the end is not zero", ino,
                            static_cast<unsigned long long>((index << kPageShift) + i));
            }
        });
        KASSERT(count == inode.pages.page_count(), "file %llu: %llu pages found, %llu counted", ino,
                static_cast<unsigned long long>(count), static_cast<unsigned long long>(inode.pages.page_count()));
    });
}

}  // namespace kernel
