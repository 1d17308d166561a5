#include "kernel/fs/namei.h"

#include "kernel/fs/fs_abi.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/vfs.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"
#include "kernel/mm/kmalloc.h"

namespace kernel {
namespace {

// The walk itself; `buf` holds the path (PATH_MAX bytes, NUL-terminated) and
// is rewritten in place when a symlink is spliced in.
i64 walk_buffer(Inode* base, char* buf, u32 flags, PathWalk* out) {
    Inode* const root = vfs_root();
    Inode* cur = buf[0] == '/' ? root : base;
    usize pos = 0;
    u32 links = 0;
    for (;;) {
        while (buf[pos] == '/') ++pos;
        if (buf[pos] == '\0') {
            // Only slashes (or a symlink to "/") were left: the path names cur itself.
            out->dir = cur;
            out->inode = cur;
            out->kind = LastKind::kRoot;
            out->trailing_slash = true;
            return cur->is_dir() ? 0 : -linux::kEnotdir;
        }
        const usize start = pos;
        while (buf[pos] != '\0' && buf[pos] != '/') ++pos;
        const usize length = pos - start;
        if (length > linux::kNameMax) return -linux::kEnametoolong;
        usize after = pos;
        while (buf[after] == '/') ++after;
        const bool last = buf[after] == '\0';
        const bool trailing = last && after > pos;
        if (!cur->is_dir()) return -linux::kEnotdir;

        Inode* next = nullptr;
        LastKind kind = LastKind::kNormal;
        if (length == 1 && buf[start] == '.') {
            next = cur;
            kind = LastKind::kDot;
        } else if (length == 2 && buf[start] == '.' && buf[start + 1] == '.') {
            kind = LastKind::kDotDot;
            next = cur == root ? root : cur->parent;
            if (!next) return -linux::kEnoent;  // cur was removed: its parent is forgotten
        } else {
            if (cur->nlink == 0) return -linux::kEnoent;  // a removed directory holds nothing
            DirEntry* e = dir_find(cur->dir, buf + start, length);
            next = e ? e->inode : nullptr;
        }

        const bool parent_only = flags & walk_flag::kParent;
        const bool follow_last = (flags & walk_flag::kFollow) || (trailing && !parent_only);
        if (next && next->is_symlink() && (!last || follow_last)) {
            if (++links > linux::kMaxSymlinks) return -linux::kEloop;
            const usize target = static_cast<usize>(next->size);
            const usize rest = str_length(buf + pos);
            if (target + rest >= linux::kPathMax) return -linux::kEnametoolong;
            mem_move(buf + target, buf + pos, rest + 1);
            mem_copy(buf, next->target, target);
            pos = 0;
            // A relative target resolves in the directory holding the link.
            if (buf[0] == '/') cur = root;
            continue;
        }
        if (last) {
            const bool may_be_missing = flags & (walk_flag::kCreate | walk_flag::kParent);
            if (!next && !may_be_missing) return -linux::kEnoent;
            if (next && trailing && !parent_only && !next->is_dir()) return -linux::kEnotdir;
            out->dir = cur;
            out->inode = next;
            out->kind = kind;
            out->trailing_slash = trailing;
            out->name_length = static_cast<u8>(length);
            mem_copy(out->name, buf + start, length);
            out->name[length] = '\0';
            return 0;
        }
        if (!next) return -linux::kEnoent;
        if (!next->is_dir()) return -linux::kEnotdir;
        cur = next;
        pos = after;
    }
}

}  // namespace

i64 path_walk(Inode* base, const char* path, u32 flags, PathWalk* out) {
    vfs_lock().assert_held();
    const usize length = str_length(path);
    if (length == 0) return -linux::kEnoent;
    if (length >= linux::kPathMax) return -linux::kEnametoolong;
    char* buf = static_cast<char*>(kmalloc(linux::kPathMax));
    if (!buf) return -linux::kEnomem;
    mem_copy(buf, path, length + 1);
    *out = PathWalk{};
    const i64 rc = walk_buffer(base ? base : vfs_root(), buf, flags, out);
    kfree(buf);
    return rc;
}

}  // namespace kernel
