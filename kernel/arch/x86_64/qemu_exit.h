// Ending a QEMU run with a status: the isa-debug-exit device. Writing v to its
// port makes QEMU exit with status (v << 1) | 1 (hw/misc/debugexit.c), of which
// a shell sees the low 8 bits: 7 bits of v survive. The values are chosen so
// no exit status they produce can be mistaken for QEMU's own (0 for a normal
// shutdown, 1 for an error): the tests and README command pass
// -device isa-debug-exit,iobase=0xf4,iosize=0x04.
#pragma once

#include "kernel/lib/types.h"

namespace kernel::x86 {

enum class QemuExit : u32 {
    kSuccess = 0x10,  // boot_main returned 0          -> QEMU exits with 33
    kFailure = 0x11,  // boot_main returned a status with no code below -> 35
    kPanic = 0x12,    // panic or unhandled exception  -> 37
    kNoLongMode = 0x13,  // boot.S: the CPU cannot run 64-bit code -> 39
};

// boot_main's status as init's end gives it (kernel/proc/init.h): an exit
// code, or 128 + the signal that killed init. Those a test meets get a value
// of their own, so the exit status tells them apart:
//   0                  -> kSuccess (33)
//   exit code 1-63     -> 0x40 + code: QEMU exits with 129 + 2 * code (131-255)
//   128 + signal 1-31  -> 0x20 + signal: QEMU exits with 65 + 2 * signal (67-127;
//                         SIGSEGV, 139, gives 87)
//   anything else      -> kFailure (35); the console has the number
// tests/qemu/boot_test.sh --status computes the same.
constexpr u32 qemu_exit_value(int status) {
    if (status == 0) return static_cast<u32>(QemuExit::kSuccess);
    if (status >= 1 && status <= 63) return 0x40 + static_cast<u32>(status);
    if (status >= 129 && status <= 159) return 0x20 + static_cast<u32>(status - 128);
    return static_cast<u32>(QemuExit::kFailure);
}

// Exits QEMU with the value; without the device (or on real hardware) halts
// this CPU for good.
[[noreturn]] void qemu_exit_with(u32 value);
[[noreturn]] inline void qemu_exit(QemuExit code) { qemu_exit_with(static_cast<u32>(code)); }

}  // namespace kernel::x86
