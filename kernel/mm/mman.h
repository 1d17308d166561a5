// The Linux x86-64 ABI values the memory syscalls speak (errno values are in
// kernel/lib/errno.h): mmap/mprotect/madvise
// constants (include/uapi/asm-generic/mman-common.h, mman.h, x86's mman.h) and
// the SIGSEGV codes (include/uapi/asm-generic/siginfo.h). They are written out
// here because the kernel includes no host header; guest programs compiled
// against musl or glibc see the same numbers. Names are Linux's in the
// kernel's constant style (ENOMEM -> kEnomem, MAP_FIXED -> kMapFixed): the
// sim build shares translation units with host headers whose macros
// (ENOMEM, MAP_FIXED, si_addr, ...) would otherwise rewrite them.
#pragma once

#include "kernel/lib/errno.h"
#include "kernel/lib/types.h"

namespace kernel::linux {

// mmap/mprotect prot.
inline constexpr u32 kProtNone = 0x0;
inline constexpr u32 kProtRead = 0x1;
inline constexpr u32 kProtWrite = 0x2;
inline constexpr u32 kProtExec = 0x4;
inline constexpr u32 kProtGrowsdown = 0x01000000;
inline constexpr u32 kProtGrowsup = 0x02000000;

// mmap flags.
inline constexpr u32 kMapShared = 0x01;
inline constexpr u32 kMapPrivate = 0x02;
inline constexpr u32 kMapSharedValidate = 0x03;
inline constexpr u32 kMapType = 0x0f;
inline constexpr u32 kMapFixed = 0x10;
inline constexpr u32 kMapAnonymous = 0x20;
inline constexpr u32 kMap32bit = 0x40;
inline constexpr u32 kMapGrowsdown = 0x0100;
inline constexpr u32 kMapDenywrite = 0x0800;
inline constexpr u32 kMapExecutable = 0x1000;
inline constexpr u32 kMapLocked = 0x2000;
inline constexpr u32 kMapNoreserve = 0x4000;
inline constexpr u32 kMapPopulate = 0x8000;
inline constexpr u32 kMapNonblock = 0x10000;
inline constexpr u32 kMapStack = 0x20000;
inline constexpr u32 kMapHugetlb = 0x40000;
inline constexpr u32 kMapSync = 0x80000;
inline constexpr u32 kMapFixedNoreplace = 0x100000;

// madvise advice.
inline constexpr i32 kMadvNormal = 0;
inline constexpr i32 kMadvRandom = 1;
inline constexpr i32 kMadvSequential = 2;
inline constexpr i32 kMadvWillneed = 3;
inline constexpr i32 kMadvDontneed = 4;

// SIGSEGV and its code values.
inline constexpr i32 kSigsegv = 11;
inline constexpr i32 kSegvMaperr = 1;  // address not mapped to object
inline constexpr i32 kSegvAccerr = 2;  // invalid permissions for mapped object

}  // namespace kernel::linux
