// The initramfs unpacker: a cpio archive in the "newc" format (magic 070701;
// 070702, the "crc" variant, is taken too and its checksum ignored), the
// format Linux's init/initramfs.c reads and `cpio -o -H newc` writes.
//
// Each member is a 110-byte header of ASCII fields — the magic and thirteen
// 8-digit hexadecimal numbers (ino, mode, uid, gid, nlink, mtime, filesize,
// devmajor, devminor, rdevmajor, rdevminor, namesize, check) — then the name
// (namesize bytes with its NUL), padded so header and name end on a 4-byte
// boundary, then filesize bytes of data padded to 4. "TRAILER!!!" ends an
// archive; zero padding and further archives may follow (Linux accepts
// concatenated archives, as bootloaders append them).
//
// Members unpacked: directories, regular files, symlinks (the data is the
// target) and character devices (the rdev numbers); a member of another type
// (FIFO, socket, block device) is skipped, as are "." and names that reduce to
// the root. Names are taken relative to "/" ("./a", "/a" and "a" are the same)
// with missing parent directories made (mode 0755). An existing directory is
// kept; an existing file is replaced.
//
// Validation, before anything of the member is unpacked: every header field
// must be 8 hex digits, the header, name and data must lie inside the buffer,
// namesize must be 1..PATH_MAX with the NUL last and no NUL before it, a
// directory or device must have no data, a symlink's target must be 1 to
// PATH_MAX-1 bytes without a NUL, the mode's type must be known. A bad
// archive gives -EINVAL and a reason string (static storage); the members
// before the bad one stay unpacked (Linux likewise keeps what it unpacked and
// reports "broken padding", "junk within compressed archive", ...).
//
// Departure from Linux: hard links (nlink > 1 with a repeated ino) are not
// reassembled; each member becomes a file of its own.
#pragma once

#include "kernel/lib/types.h"

namespace kernel {

// 0, -EINVAL with *reason set for a malformed archive, or another -errno
// (ENOMEM, or what creating a member gave, e.g. ENOTDIR when a member's
// parent is a file) with *reason naming what failed.
i64 initramfs_unpack(const u8* data, usize size, const char** reason);

}  // namespace kernel
