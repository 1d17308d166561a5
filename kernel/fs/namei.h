// Path lookup (Linux's fs/namei.c, path_lookupat and friends): walks a path
// component by component from the root ("/...") or a base directory, with
// "." and "..", repeated and trailing slashes, and symbolic links followed in
// place (their target spliced in front of the rest of the path), at most
// linux::kMaxSymlinks (40) per lookup: one more is ELOOP.
//
// Errors as Linux gives them: an empty path is ENOENT; a path of PATH_MAX
// (4096) bytes or more, or a component longer than NAME_MAX (255), is
// ENAMETOOLONG; a component that is not a directory but has more path after
// it is ENOTDIR (so is a trailing slash after a non-directory); a missing one
// is ENOENT; a name looked up in a removed directory is ENOENT. ".." of the
// root is the root.
//
// Departure from Linux: a symlink's target and the rest of the path must fit
// in PATH_MAX together (Linux keeps them apart on a stack of up to 40 links);
// a longer splice is ENAMETOOLONG.
//
// Locking: the namespace lock is held by the caller for the walk and for as
// long as it uses the inodes the walk returned (they are not referenced).
#pragma once

#include "kernel/lib/types.h"

namespace kernel {

struct Inode;

namespace walk_flag {
inline constexpr u32 kFollow = 1u << 0;  // follow a symlink in the final component
inline constexpr u32 kCreate = 1u << 1;  // a missing final component is fine (open O_CREAT)
// A parent lookup (mkdir, unlink, rmdir, rename, symlink): a missing final
// component is fine, the final one is never followed and a trailing slash is
// left to the caller.
inline constexpr u32 kParent = 1u << 2;
}  // namespace walk_flag

// What the final component was (Linux's LAST_NORM, LAST_DOT, LAST_DOTDOT, LAST_ROOT).
enum class LastKind : u8 { kNormal, kDot, kDotDot, kRoot };

struct PathWalk {
    Inode* dir = nullptr;     // the directory the final component was looked up in
    Inode* inode = nullptr;   // what it names; nullptr when missing (kCreate, kParent)
    LastKind kind = LastKind::kNormal;
    bool trailing_slash = false;
    u8 name_length = 0;
    char name[256] = {};      // the final component (kNormal), NUL-terminated
};

// 0 or -errno; `base` is where a relative path starts (a directory, or ENOTDIR).
i64 path_walk(Inode* base, const char* path, u32 flags, PathWalk* out);

}  // namespace kernel
