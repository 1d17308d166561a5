// Linux's errno values (include/uapi/asm-generic/errno-base.h and errno.h), as
// the x86-64 syscall ABI returns them, negated. Written out because the kernel
// includes no host header; named in the kernel's constant style (ENOENT ->
// kEnoent) so host macros in the sim build cannot rewrite them.
#pragma once

#include "kernel/lib/types.h"

namespace kernel::linux {

inline constexpr i64 kEperm = 1;
inline constexpr i64 kEnoent = 2;
inline constexpr i64 kEsrch = 3;
inline constexpr i64 kEintr = 4;
inline constexpr i64 kEio = 5;
inline constexpr i64 kEnxio = 6;
inline constexpr i64 kE2big = 7;
inline constexpr i64 kEnoexec = 8;
inline constexpr i64 kEbadf = 9;
inline constexpr i64 kEchild = 10;
inline constexpr i64 kEagain = 11;
inline constexpr i64 kEnomem = 12;
inline constexpr i64 kEacces = 13;
inline constexpr i64 kEfault = 14;
inline constexpr i64 kEbusy = 16;
inline constexpr i64 kEexist = 17;
inline constexpr i64 kExdev = 18;
inline constexpr i64 kEnodev = 19;
inline constexpr i64 kEnotdir = 20;
inline constexpr i64 kEisdir = 21;
inline constexpr i64 kEinval = 22;
inline constexpr i64 kEnfile = 23;
inline constexpr i64 kEmfile = 24;
inline constexpr i64 kEnotty = 25;
inline constexpr i64 kEtxtbsy = 26;
inline constexpr i64 kEfbig = 27;
inline constexpr i64 kEnospc = 28;
inline constexpr i64 kEspipe = 29;
inline constexpr i64 kErofs = 30;
inline constexpr i64 kEmlink = 31;
inline constexpr i64 kEpipe = 32;
inline constexpr i64 kEdom = 33;
inline constexpr i64 kErange = 34;
inline constexpr i64 kEdeadlk = 35;
inline constexpr i64 kEnametoolong = 36;
inline constexpr i64 kEnolck = 37;
inline constexpr i64 kEnosys = 38;
inline constexpr i64 kEnotempty = 39;
inline constexpr i64 kEloop = 40;
inline constexpr i64 kEoverflow = 75;
inline constexpr i64 kEopnotsupp = 95;
inline constexpr i64 kEtimedout = 110;

}  // namespace kernel::linux

namespace kernel {
// "ENOENT" for -2 or 2; "errno" for a value without a name here.
const char* errno_name(i64 error);
}  // namespace kernel
