#include "kernel/arch/x86_64/idt.h"

#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/interrupt_frame.h"

extern "C" const kernel::u64 x86_exception_stubs[kernel::x86::kExceptionVectors];
extern "C" const char x86_interrupt_stubs[];  // 16 bytes per vector from 32 (interrupt_entry.S)

namespace kernel::x86 {
namespace {

// A 64-bit interrupt gate (SDM 6.14.1, figure 6-8).
struct Gate {
    u16 offset_low;
    u16 selector;
    u8 ist;
    u8 type_attributes;  // P, DPL, type 0xE = 64-bit interrupt gate
    u16 offset_middle;
    u32 offset_high;
    u32 reserved;
};
static_assert(sizeof(Gate) == 16);

constexpr u8 kInterruptGate = 0x8e;  // P=1, DPL=0, type 0xE

struct alignas(16) Idt {
    Gate gates[256];
};
Idt g_idt;

constexpr u8 kUserGate = 0x60;       // DPL 3: INT3 and INTO from user code reach the gate

Gate make_gate(u64 handler, u8 ist, u8 dpl_bits) {
    return Gate{static_cast<u16>(handler), selector::kKernelCode, ist, static_cast<u8>(kInterruptGate | dpl_bits),
                static_cast<u16>(handler >> 16), static_cast<u32>(handler >> 32), 0};
}

// #BP and #OF are raised by INT3 and INTO, which check the gate's DPL against
// CPL (SDM 6.12.1.1): DPL 3 lets user code take them (SIGTRAP, SIGSEGV) as on
// Linux, instead of a #GP. Every other gate stays DPL 0, so INT n cannot fake
// a fault with a made-up error code.
u8 dpl_for(unsigned vector) { return vector == 3 || vector == 4 ? kUserGate : 0; }

u8 ist_for(unsigned vector) {
    switch (vector) {
        case 2: return kIstNmi;
        case 8: return kIstDoubleFault;
        case 18: return kIstMachineCheck;
        default: return 0;
    }
}

}  // namespace

void build_idt() {
    for (unsigned v = 0; v < kExceptionVectors; ++v) g_idt.gates[v] = make_gate(x86_exception_stubs[v], ist_for(v), dpl_for(v));
    // Interrupts: DPL 0 (INT n from user code raises #GP, SDM 6.12.1.1), no
    // IST, interrupt gates, so IF is clear in every handler (SDM 6.12.1.3).
    for (unsigned v = kExceptionVectors; v < 256; ++v)
        g_idt.gates[v] = make_gate(reinterpret_cast<u64>(x86_interrupt_stubs + 16 * (v - kExceptionVectors)), 0, 0);
}

void load_idt() {
    struct [[gnu::packed]] {
        u16 limit;
        u64 base;
    } pointer{sizeof(Idt) - 1, reinterpret_cast<u64>(&g_idt)};
    asm volatile("lidt %0" ::"m"(pointer) : "memory");
}

}  // namespace kernel::x86
