#include "kernel/arch/x86_64/qemu_exit.h"

#include "kernel/arch/x86_64/cpu.h"

namespace kernel::x86 {

void qemu_exit(QemuExit code) {
    constexpr u16 kDebugExitPort = 0xf4;
    out32(kDebugExitPort, static_cast<u32>(code));
    disable_interrupts();
    for (;;) halt();  // NMIs and SMIs still wake HLT
}

}  // namespace kernel::x86
