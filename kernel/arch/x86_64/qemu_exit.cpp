#include "kernel/arch/x86_64/qemu_exit.h"

#include "kernel/arch/x86_64/cpu.h"

namespace kernel::x86 {

void qemu_exit_with(u32 value) {
    constexpr u16 kDebugExitPort = 0xf4;
    out32(kDebugExitPort, value);
    disable_interrupts();
    for (;;) halt();  // NMIs and SMIs still wake HLT
}

}  // namespace kernel::x86
