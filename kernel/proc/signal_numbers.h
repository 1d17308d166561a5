// Linux's signal numbers on x86-64 (include/uapi/asm-generic/signal.h), in
// the kernel's constant style, and their names for log lines.
#pragma once

#include "kernel/lib/types.h"

namespace kernel::signal {

inline constexpr i32 kSighup = 1;
inline constexpr i32 kSigint = 2;
inline constexpr i32 kSigquit = 3;
inline constexpr i32 kSigill = 4;
inline constexpr i32 kSigtrap = 5;
inline constexpr i32 kSigabrt = 6;
inline constexpr i32 kSigbus = 7;
inline constexpr i32 kSigfpe = 8;
inline constexpr i32 kSigkill = 9;
inline constexpr i32 kSigusr1 = 10;
inline constexpr i32 kSigsegv = 11;
inline constexpr i32 kSigusr2 = 12;
inline constexpr i32 kSigpipe = 13;
inline constexpr i32 kSigalrm = 14;
inline constexpr i32 kSigterm = 15;
inline constexpr i32 kSigchld = 17;
inline constexpr i32 kSigcont = 18;
inline constexpr i32 kSigstop = 19;
inline constexpr i32 kSigrtmax = 64;

}  // namespace kernel::signal

namespace kernel {
// "SIGSEGV" etc., or "signal" for one without a classic name.
const char* signal_name(i32 signal);
}  // namespace kernel
