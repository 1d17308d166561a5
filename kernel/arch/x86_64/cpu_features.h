// What the boot CPU offers, read once from CPUID (SDM Vol. 2A CPUID, table 3-8).
// boot_info() reports the paging features from here; the HAL uses the rest.
#pragma once

#include "kernel/lib/types.h"

namespace kernel::x86 {

struct CpuFeatures {
    u32 phys_addr_bits = 36;  // MAXPHYADDR: CPUID.80000008H:EAX[7:0]
    bool pages_1g = false;    // CPUID.80000001H:EDX[26]
    bool nx = false;          // CPUID.80000001H:EDX[20]
    bool pge = false;         // CPUID.01H:EDX[13]
    bool pcid = false;        // CPUID.01H:ECX[17]
    bool invpcid = false;     // CPUID.(07H,0):EBX[10]
    bool smep = false;        // CPUID.(07H,0):EBX[7]
    bool smap = false;        // CPUID.(07H,0):EBX[20]
    bool la57 = false;        // CPUID.(07H,0):ECX[16]
    bool rdrand = false;      // CPUID.01H:ECX[30]
};

CpuFeatures detect_cpu_features();

}  // namespace kernel::x86
