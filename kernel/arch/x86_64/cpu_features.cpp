#include "kernel/arch/x86_64/cpu_features.h"

#include "kernel/arch/x86_64/cpu.h"

namespace kernel::x86 {
namespace {

constexpr bool bit(u32 value, unsigned n) { return (value >> n) & 1; }

}  // namespace

CpuFeatures detect_cpu_features() {
    CpuFeatures f;
    const u32 max_basic = cpuid(0).eax;
    const u32 max_extended = cpuid(0x8000'0000).eax;
    const CpuidResult l1 = cpuid(1);
    f.pge = bit(l1.edx, 13);
    f.pcid = bit(l1.ecx, 17);
    f.rdrand = bit(l1.ecx, 30);
    if (max_basic >= 7) {
        const CpuidResult l7 = cpuid(7, 0);
        f.smep = bit(l7.ebx, 7);
        f.invpcid = bit(l7.ebx, 10);
        f.smap = bit(l7.ebx, 20);
        f.la57 = bit(l7.ecx, 16);
    }
    if (max_extended >= 0x8000'0001) {
        const CpuidResult e1 = cpuid(0x8000'0001);
        f.nx = bit(e1.edx, 20);
        f.pages_1g = bit(e1.edx, 26);
    }
    if (max_extended >= 0x8000'0008) f.phys_addr_bits = cpuid(0x8000'0008).eax & 0xff;
    return f;
}

}  // namespace kernel::x86
