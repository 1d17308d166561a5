// hal::xsave and friends in the qemu build. XCR0 enables x87 and SSE only
// (AVX state and beyond are not offered to user code yet: hal.h's area is the
// legacy region plus the XSAVE header), so the area is what CPUID.(0DH,0):EBX
// reports for that XCR0, 576 bytes on every CPU the tests use. Without XSAVE
// (qemu64) FXSAVE's 512-byte legacy area is the whole state. The 64-bit forms
// (XSAVE64, FXSAVE64) keep the full 64-bit x87 instruction and data pointers.
#include "kernel/arch/x86_64/xstate.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/hal/hal.h"
#include "kernel/lib/panic.h"

namespace kernel::x86 {
namespace {

constexpr u64 kXcr0X87 = 1u << 0;
constexpr u64 kXcr0Sse = 1u << 1;
constexpr u64 kXcr0 = kXcr0X87 | kXcr0Sse;
constexpr usize kLegacyArea = 512;
constexpr usize kXsaveHeader = 64;

bool g_xsave = false;
usize g_size = kLegacyArea;

// The state a new program starts with (hal.h xstate_reset): FCW 037FH (the
// FNINIT value: all x87 exceptions masked, double extended precision), MXCSR
// 1F80H (all SIMD exceptions masked), everything else zero: an empty x87
// stack and zero XMM registers. XSTATE_BV (header bytes 0-7) names x87 and SSE,
// so XRSTOR loads both from this image (SDM Vol. 1 13.8.1).
struct alignas(64) InitialState {
    u8 bytes[kLegacyArea + kXsaveHeader];
};
constinit InitialState g_initial = [] {
    InitialState s{};
    s.bytes[0] = 0x7f;   // FCW
    s.bytes[1] = 0x03;
    s.bytes[24] = 0x80;  // MXCSR
    s.bytes[25] = 0x1f;
    s.bytes[kLegacyArea] = static_cast<u8>(kXcr0);  // XSTATE_BV
    return s;
}();

void check_alignment(const void* area, const char* who) {
    if (reinterpret_cast<u64>(area) & 63) panic("%s: area %p is not 64-byte aligned", who, area);
}

}  // namespace

void init_fpu() {
    const u64 cr0 = (read_cr0() | cr0::kMonitorCoprocessor | cr0::kNumericError) & ~(cr0::kEmulation | cr0::kTaskSwitched);
    asm volatile("mov %0, %%cr0" ::"r"(cr0) : "memory");
    u64 cr4 = read_cr4() | cr4::kOsfxsr | cr4::kOsxmmexcpt;
    const bool xsave = (cpuid(1).ecx >> 26) & 1;
    if (xsave) cr4 |= cr4::kOsxsave;
    write_cr4(cr4);
    if (xsave) xsetbv(0, kXcr0);
    if (hal::current_cpu() == 0) {
        g_xsave = xsave;
        g_size = xsave ? cpuid(0xd, 0).ebx : kLegacyArea;
    } else if (xsave != g_xsave) {
        panic("init_fpu: CPU %u %s XSAVE and the boot CPU %s", hal::current_cpu(), xsave ? "has" : "lacks",
              g_xsave ? "has" : "lacks");
    }
    asm volatile("fninit" ::: "memory");
}

}  // namespace kernel::x86

namespace hal {

namespace x86 = kernel::x86;

usize xstate_size() { return x86::g_size; }

// EDX:EAX is the requested-feature bitmap, ANDed with XCR0 (SDM Vol. 1 13.8).
// XSAVE writes only the header's XSTATE_BV bits of the requested features
// (13.7): the rest of XSTATE_BV, XCOMP_BV and the reserved bytes keep what the
// area held, and XRSTOR raises #GP if any is not 0 (13.8.1; a fresh page of
// a new task's area holds anything). So the header is cleared first, and any
// area XSAVE wrote is one XRSTOR accepts.
void xsave(void* area) {
    x86::check_alignment(area, "xsave");
    if (x86::g_xsave) {
        u64* header = reinterpret_cast<u64*>(static_cast<char*>(area) + 512);
        for (int i = 0; i < 8; ++i) header[i] = 0;
        asm volatile("xsave64 (%0)" ::"r"(area), "a"(static_cast<u32>(x86::kXcr0)), "d"(0u) : "memory");
    } else {
        asm volatile("fxsave64 (%0)" ::"r"(area) : "memory");
    }
}

void xrstor(const void* area) {
    x86::check_alignment(area, "xrstor");
    if (x86::g_xsave)
        asm volatile("xrstor64 (%0)" ::"r"(area), "a"(static_cast<u32>(x86::kXcr0)), "d"(0u) : "memory");
    else
        asm volatile("fxrstor64 (%0)" ::"r"(area) : "memory");
}

void xstate_reset() { xrstor(&x86::g_initial); }

}  // namespace hal
