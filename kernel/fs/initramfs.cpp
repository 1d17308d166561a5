#include "kernel/fs/initramfs.h"

#include "kernel/fs/file.h"
#include "kernel/fs/fs_abi.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/vfs.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"
#include "kernel/mm/kmalloc.h"

namespace kernel {
namespace {

constexpr usize kHeaderSize = 110;
constexpr usize kFields = 13;

// The thirteen fields in header order.
enum Field : u32 { kIno, kMode, kUid, kGid, kNlink, kMtime, kFilesize, kDevMajor, kDevMinor, kRdevMajor, kRdevMinor, kNamesize, kCheck };

bool parse_hex8(const u8* p, u32* out) {
    u32 v = 0;
    for (usize i = 0; i < 8; ++i) {
        const u8 c = p[i];
        u32 digit;
        if (c >= '0' && c <= '9') digit = c - '0';
        else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10u;
        else if (c >= 'A' && c <= 'F') digit = c - 'A' + 10u;
        else return false;
        v = (v << 4) | digit;
    }
    *out = v;
    return true;
}

constexpr usize align4(usize v) { return (v + 3) & ~usize{3}; }

// Removes whatever `path` names if it is in the way of a new member of the
// given kind (Linux's clean_path): a directory stays for a directory.
i64 clear_way(const char* path, bool directory) {
    Inode* existing = nullptr;
    if (vfs_lookup(nullptr, path, false, &existing) < 0) return 0;
    const bool was_dir = existing->is_dir();
    inode_put(existing);
    if (was_dir && directory) return 0;
    return was_dir ? vfs_rmdir(nullptr, path) : vfs_unlink(nullptr, path);
}

// Makes every missing directory above the last component of `path` (an
// absolute path in a writable buffer).
i64 make_parents(char* path) {
    for (usize i = 1; path[i]; ++i) {
        if (path[i] != '/') continue;
        path[i] = '\0';
        const i64 rc = vfs_mkdir(nullptr, path, 0755);
        path[i] = '/';
        if (rc < 0 && rc != -linux::kEexist) return rc;
    }
    return 0;
}

struct Member {
    u32 field[kFields];
    const char* name;      // NUL-terminated inside the archive
    const u8* data;
    usize data_size;
};

i64 write_all(File* file, const u8* data, usize size) {
    usize done = 0;
    while (done < size) {
        const i64 n = file_write(*file, data + done, size - done);
        if (n <= 0) return n < 0 ? n : -linux::kEnospc;
        done += static_cast<usize>(n);
    }
    return 0;
}

i64 unpack_member(const Member& m, const char** reason) {
    using namespace linux;
    // Relative to "/": drop leading slashes and "./" prefixes.
    const char* name = m.name;
    for (;;) {
        if (name[0] == '/') ++name;
        else if (name[0] == '.' && name[1] == '/') name += 2;
        else break;
    }
    if (name[0] == '\0' || (name[0] == '.' && name[1] == '\0')) return 0;  // the root itself
    const usize length = str_length(name);
    if (length + 2 > kPathMax) {
        *reason = "member name too long";
        return -kEinval;
    }
    char* path = static_cast<char*>(kmalloc(length + 2));
    if (!path) {
        *reason = "out of memory";
        return -kEnomem;
    }
    path[0] = '/';
    mem_copy(path + 1, name, length + 1);
    const u32 type = m.field[kMode] & kSIfmt;
    const u32 permissions = m.field[kMode] & kSPermMask;
    i64 rc = make_parents(path);
    if (rc < 0) *reason = "cannot make a member's parent directory";
    if (rc == 0) {
        rc = clear_way(path, type == kSIfdir);
        if (rc < 0) *reason = "cannot replace an existing file";
    }
    if (rc == 0) {
        switch (type) {
            case kSIfdir:
                rc = vfs_mkdir(nullptr, path, permissions);
                if (rc == -kEexist) rc = 0;  // kept (clear_way left only a directory there)
                if (rc < 0) *reason = "cannot make a directory";
                break;
            case kSIfreg: {
                File* file = nullptr;
                rc = vfs_open(nullptr, path, kOWronly | kOCreat | kOExcl, permissions, &file);
                if (rc == 0) {
                    rc = write_all(file, m.data, m.data_size);
                    file_put(file);
                }
                if (rc < 0) *reason = "cannot write a regular file";
                break;
            }
            case kSIflnk: {
                char* target = static_cast<char*>(kmalloc(m.data_size + 1));
                if (!target) {
                    rc = -kEnomem;
                } else {
                    mem_copy(target, m.data, m.data_size);
                    target[m.data_size] = '\0';
                    rc = vfs_symlink(target, nullptr, path);
                    kfree(target);
                }
                if (rc < 0) *reason = "cannot make a symlink";
                break;
            }
            case kSIfchr:
                rc = vfs_mknod_char(nullptr, path, permissions, m.field[kRdevMajor], m.field[kRdevMinor]);
                if (rc < 0) *reason = "cannot make a character device";
                break;
            default: break;  // validated: only the skipped kinds reach here
        }
    }
    kfree(path);
    return rc;
}

}  // namespace

i64 initramfs_unpack(const u8* data, usize size, const char** reason) {
    using namespace linux;
    const char* ignored = nullptr;
    if (!reason) reason = &ignored;
    *reason = nullptr;
    auto bad = [&](const char* why) {
        *reason = why;
        return -kEinval;
    };
    if (!data && size) return bad("no archive buffer");
    usize pos = 0;
    bool in_archive = false;  // a member was read since the last trailer
    for (;;) {
        if (!in_archive) {
            // Between archives: zero padding (Linux skips it in 4-byte steps).
            while (pos < size && data[pos] == 0) ++pos;
            if (pos == size) return 0;
        }
        if (size - pos < kHeaderSize) return bad(pos == size ? "archive ends without TRAILER!!!" : "truncated member header");
        const u8* h = data + pos;
        if (mem_compare(h, "07070", 5) != 0 || (h[5] != '1' && h[5] != '2')) return bad("bad magic (not a cpio newc archive)");
        Member m{};
        for (usize i = 0; i < kFields; ++i)
            if (!parse_hex8(h + 6 + 8 * i, &m.field[i])) return bad("header field is not 8 hexadecimal digits");
        const usize namesize = m.field[kNamesize];
        if (namesize == 0) return bad("empty member name");
        if (namesize > kPathMax) return bad("member name longer than PATH_MAX");
        const usize name_start = pos + kHeaderSize;
        if (namesize > size - name_start) return bad("member name runs past the end of the archive");
        const char* name = reinterpret_cast<const char*>(data + name_start);
        if (name[namesize - 1] != '\0') return bad("member name is not NUL-terminated");
        if (str_length(name) != namesize - 1) return bad("member name contains a NUL");
        const usize data_start = align4(name_start + namesize);
        if (data_start > size) return bad("name padding runs past the end of the archive");
        const usize filesize = m.field[kFilesize];
        if (filesize > size - data_start) return bad("member data runs past the end of the archive");
        const usize next = align4(data_start + filesize);
        if (next > size) return bad("data padding runs past the end of the archive");
        m.name = name;
        m.data = data + data_start;
        m.data_size = filesize;

        if (str_compare(name, "TRAILER!!!") == 0) {
            if (filesize != 0) return bad("TRAILER!!! with data");
            in_archive = false;
            pos = next;
            continue;
        }
        in_archive = true;
        switch (m.field[kMode] & kSIfmt) {
            case kSIfdir:
                if (filesize) return bad("directory member with data");
                break;
            case kSIfchr:
                if (filesize) return bad("device member with data");
                break;
            case kSIfreg: break;
            case kSIflnk:
                if (filesize == 0 || filesize >= kPathMax) return bad("symlink target of a bad length");
                for (usize i = 0; i < filesize; ++i)
                    if (m.data[i] == 0) return bad("symlink target contains a NUL");
                break;
            case kSIfifo:
            case kSIfsock:
            case kSIfblk:
                pos = next;  // kinds we do not keep
                continue;
            default: return bad("unknown file type in mode");
        }
        const i64 rc = unpack_member(m, reason);
        if (rc < 0) return rc;
        pos = next;
    }
}

}  // namespace kernel
