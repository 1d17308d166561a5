// Ending a QEMU run with a status: the isa-debug-exit device. Writing v to its
// port makes QEMU exit with status (v << 1) | 1 (hw/misc/debugexit.c). The
// values are chosen so no exit status they produce can be mistaken for QEMU's
// own (0 for a normal shutdown, 1 for an error): the tests and README command
// pass -device isa-debug-exit,iobase=0xf4,iosize=0x04.
#pragma once

#include "kernel/lib/types.h"

namespace kernel::x86 {

enum class QemuExit : u32 {
    kSuccess = 0x10,  // boot_main returned 0          -> QEMU exits with 33
    kFailure = 0x11,  // boot_main returned non-zero   -> 35
    kPanic = 0x12,    // panic or unhandled exception  -> 37
    kNoLongMode = 0x13,  // boot.S: the CPU cannot run 64-bit code -> 39
};

// Exits QEMU; without the device (or on real hardware) halts this CPU for good.
[[noreturn]] void qemu_exit(QemuExit code);

}  // namespace kernel::x86
