// The Linux x86-64 file ABI, written out because the kernel includes no host
// header: open flags (include/uapi/asm-generic/fcntl.h), mode bits
// (include/uapi/linux/stat.h), struct stat (arch/x86/include/uapi/asm/stat.h),
// struct linux_dirent64 (include/linux/dirent.h), struct iovec, and the
// terminal's termios and winsize (include/uapi/asm-generic/termbits.h,
// termios.h). Sizes and offsets are asserted against what x86-64 Linux lays out.
#pragma once

#include "kernel/lib/types.h"

namespace kernel::linux {

// ---- open(2) flags (octal, as the uapi header writes them)
inline constexpr u32 kOAccmode = 03;
inline constexpr u32 kORdonly = 00;
inline constexpr u32 kOWronly = 01;
inline constexpr u32 kORdwr = 02;
inline constexpr u32 kOCreat = 0100;
inline constexpr u32 kOExcl = 0200;
inline constexpr u32 kONoctty = 0400;
inline constexpr u32 kOTrunc = 01000;
inline constexpr u32 kOAppend = 02000;
inline constexpr u32 kONonblock = 04000;
inline constexpr u32 kODsync = 010000;
inline constexpr u32 kOAsync = 020000;
inline constexpr u32 kODirect = 040000;
inline constexpr u32 kOLargefile = 0100000;  // forced on by 64-bit open (force_o_largefile)
inline constexpr u32 kODirectory = 0200000;
inline constexpr u32 kONofollow = 0400000;
inline constexpr u32 kONoatime = 01000000;
inline constexpr u32 kOCloexec = 02000000;
inline constexpr u32 kOSync = 04010000;
inline constexpr u32 kOPath = 010000000;
inline constexpr u32 kOTmpfileBit = 020000000;  // __O_TMPFILE

// ---- *at(2)
inline constexpr i32 kAtFdcwd = -100;
inline constexpr u32 kAtSymlinkNofollow = 0x100;
inline constexpr u32 kAtRemovedir = 0x200;
inline constexpr u32 kAtSymlinkFollow = 0x400;
inline constexpr u32 kAtNoAutomount = 0x800;
inline constexpr u32 kAtEmptyPath = 0x1000;
inline constexpr u32 kAtStatxSyncType = 0x6000;

// ---- access(2)
inline constexpr u32 kFOk = 0, kXOk = 1, kWOk = 2, kROk = 4;

// ---- lseek(2)
inline constexpr u32 kSeekSet = 0, kSeekCur = 1, kSeekEnd = 2, kSeekData = 3, kSeekHole = 4;

// ---- fcntl(2)
inline constexpr u32 kFDupfd = 0, kFGetfd = 1, kFSetfd = 2, kFGetfl = 3, kFSetfl = 4;
inline constexpr u32 kFDupfdCloexec = 1030;
inline constexpr u64 kFdCloexec = 1;

// ---- mode bits
inline constexpr u32 kSIfmt = 0170000;
inline constexpr u32 kSIfsock = 0140000;
inline constexpr u32 kSIflnk = 0120000;
inline constexpr u32 kSIfreg = 0100000;
inline constexpr u32 kSIfblk = 0060000;
inline constexpr u32 kSIfdir = 0040000;
inline constexpr u32 kSIfchr = 0020000;
inline constexpr u32 kSIfifo = 0010000;
inline constexpr u32 kSPermMask = 07777;

// ---- d_type in linux_dirent64
inline constexpr u8 kDtUnknown = 0, kDtFifo = 1, kDtChr = 2, kDtDir = 4, kDtReg = 8, kDtLnk = 10;

// ---- limits
inline constexpr usize kPathMax = 4096;    // PATH_MAX, the NUL included
inline constexpr usize kNameMax = 255;     // NAME_MAX
inline constexpr u32 kMaxSymlinks = 40;    // MAXSYMLINKS: links followed in one lookup
inline constexpr u32 kUioMaxiov = 1024;    // UIO_MAXIOV
inline constexpr u64 kMaxRwCount = 0x7ffff000;  // MAX_RW_COUNT: INT_MAX & PAGE_MASK

// struct stat as x86-64 Linux returns it from stat/fstat/lstat/newfstatat.
struct Stat {
    u64 st_dev;
    u64 st_ino;
    u64 st_nlink;
    u32 st_mode;
    u32 st_uid;
    u32 st_gid;
    u32 pad0;
    u64 st_rdev;
    i64 st_size;
    i64 st_blksize;
    i64 st_blocks;  // 512-byte units
    u64 st_atime_sec, st_atime_nsec;
    u64 st_mtime_sec, st_mtime_nsec;
    u64 st_ctime_sec, st_ctime_nsec;
    i64 unused[3];
};
static_assert(sizeof(Stat) == 144, "x86-64 struct stat is 144 bytes");
static_assert(__builtin_offsetof(Stat, st_mode) == 24 && __builtin_offsetof(Stat, st_rdev) == 40 &&
              __builtin_offsetof(Stat, st_size) == 48 && __builtin_offsetof(Stat, st_atime_sec) == 72,
              "x86-64 struct stat layout");

// struct linux_dirent64: a record of getdents64, d_reclen bytes long (a
// multiple of 8), the name NUL-terminated.
struct Dirent64 {
    u64 d_ino;
    i64 d_off;      // the position of the next record
    u16 d_reclen;
    u8 d_type;
    char d_name[1];
};
inline constexpr usize kDirent64NameOffset = 19;
static_assert(__builtin_offsetof(Dirent64, d_name) == kDirent64NameOffset, "linux_dirent64 layout");

// struct statx (include/uapi/linux/stat.h): 256 bytes.
struct StatxTimestamp {
    i64 tv_sec;
    u32 tv_nsec;
    i32 reserved;
};
struct Statx {
    u32 stx_mask;
    u32 stx_blksize;
    u64 stx_attributes;
    u32 stx_nlink;
    u32 stx_uid;
    u32 stx_gid;
    u16 stx_mode;
    u16 spare0;
    u64 stx_ino;
    u64 stx_size;
    u64 stx_blocks;
    u64 stx_attributes_mask;
    StatxTimestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
    u32 stx_rdev_major, stx_rdev_minor;
    u32 stx_dev_major, stx_dev_minor;
    u64 stx_mnt_id;
    u32 stx_dio_mem_align, stx_dio_offset_align;
    u64 spare3[12];
};
static_assert(sizeof(Statx) == 256 && __builtin_offsetof(Statx, stx_ino) == 32 &&
              __builtin_offsetof(Statx, stx_atime) == 64 && __builtin_offsetof(Statx, stx_rdev_major) == 128,
              "struct statx layout");
inline constexpr u32 kStatxBasicStats = 0x7ff;   // type, mode, nlink, uid, gid, times, ino, size, blocks
inline constexpr u32 kStatxReserved = 0x80000000u;

struct Iovec {
    u64 iov_base;   // a user address
    u64 iov_len;
};
static_assert(sizeof(Iovec) == 16, "struct iovec");

// ---- terminal ioctls (include/uapi/asm-generic/ioctls.h)
inline constexpr u64 kTcgets = 0x5401, kTcsets = 0x5402, kTcsetsw = 0x5403, kTcsetsf = 0x5404;
inline constexpr u64 kTiocgpgrp = 0x540f, kTiocspgrp = 0x5410;
inline constexpr u64 kTiocgwinsz = 0x5413, kTiocswinsz = 0x5414;
inline constexpr u64 kFionread = 0x541b;  // FIONREAD: bytes a pipe holds
inline constexpr u64 kFionbio = 0x5421, kFionclex = 0x5450, kFioclex = 0x5451;

// ---- poll(2) (include/uapi/asm-generic/poll.h)
inline constexpr u32 kPollin = 0x001, kPollpri = 0x002, kPollout = 0x004, kPollerr = 0x008, kPollhup = 0x010,
                     kPollnval = 0x020, kPollrdnorm = 0x040, kPollrdband = 0x080, kPollwrnorm = 0x100,
                     kPollwrband = 0x200;
struct PollFd {
    i32 fd;
    u16 events;   // a C short; only its bits matter
    u16 revents;
};
static_assert(sizeof(PollFd) == 8, "struct pollfd");

// The kernel's struct termios (TCGETS), not libc's larger one.
inline constexpr usize kNccs = 19;
struct Termios {
    u32 c_iflag;
    u32 c_oflag;
    u32 c_cflag;
    u32 c_lflag;
    u8 c_line;
    u8 c_cc[kNccs];
};
static_assert(sizeof(Termios) == 36, "struct termios (kernel ABI) is 36 bytes");

inline constexpr u32 kIcrnl = 0000400, kIxon = 0002000;
inline constexpr u32 kOpost = 0000001, kOnlcr = 0000004;
inline constexpr u32 kB38400 = 0000017, kCs8 = 0000060, kCread = 0000200, kHupcl = 0002000;
inline constexpr u32 kIsig = 0000001, kIcanon = 0000002, kEcho = 0000010, kEchoe = 0000020,
                     kEchok = 0000040, kEchoctl = 0001000, kEchoke = 0004000, kIexten = 0100000;

struct Winsize {
    u16 ws_row;
    u16 ws_col;
    u16 ws_xpixel;
    u16 ws_ypixel;
};
static_assert(sizeof(Winsize) == 8, "struct winsize");

}  // namespace kernel::linux
