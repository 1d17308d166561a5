// What CPUID reports: one consistent feature set, derived from the machine
// config (SDM Vol. 2A CPUID). The vendor is GenuineIntel, family 6 model 0x5E
// (Skylake client), so libc picks its Intel paths and reads the cache
// geometry of the modeled hierarchy from leaf 4.
//
// Features reported (and the instructions they promise):
//   leaf 1 EDX: FPU TSC CX8 CMOV CLFSH MMX FXSR SSE SSE2 (the x86-64 baseline
//               every x86-64 binary assumes), PAE PGE PAT (paging the MMU models)
//   leaf 1 ECX: CX16 (CMPXCHG16B), POPCNT, PCID (when mmu.pcid)
//   leaf 7 EBX: SMEP, SMAP, INVPCID (when mmu.pcid); ECX: LA57 (when mmu.la57)
//   0x80000001 ECX: LAHF/SAHF, LZCNT (ABM); EDX: SYSCALL, NX, Page1GB
//               (when mmu.pages_1g), LM
//   0x80000008 EAX: physical and linear address widths
// Not reported, so never promised: SSE3 and later, AVX, BMI1/2 (TZCNT runs as
// BSF), MOVBE, RDTSCP, FSGSBASE, XSAVE/OSXSAVE. The x87 (FPU, with FCMOVcc
// and FCOMI for CMOV), FXSAVE/FXRSTOR (FXSR), SSE and SSE2 are implemented;
// MMX is reported as the baseline promises but its register forms raise #UD
// (no x86-64 compiler or libc emits them). See docs/sim-cpu.md.
#pragma once

#include <cstdint>

#include "sim/machine/config.h"

namespace simx {

struct CpuidResult {
    uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
    bool operator==(const CpuidResult&) const = default;
};

class CpuidModel {
public:
    CpuidModel(const MachineConfig& config, uint32_t cpu);
    CpuidResult query(uint32_t leaf, uint32_t subleaf) const;

private:
    CpuidResult cache_leaf(uint32_t subleaf) const;

    uint32_t cpu_;
    uint32_t cpus_;
    MmuConfig mmu_;
    CacheConfig cache_;
};

// Bits of the reported features, for tests.
namespace cpuid_bits {
inline constexpr uint32_t kLeaf1EcxCx16 = 1u << 13;
inline constexpr uint32_t kLeaf1EcxPcid = 1u << 17;
inline constexpr uint32_t kLeaf1EcxPopcnt = 1u << 23;
inline constexpr uint32_t kLeaf1EdxTsc = 1u << 4;
inline constexpr uint32_t kLeaf1EdxCmov = 1u << 15;
inline constexpr uint32_t kLeaf1EdxSse2 = 1u << 26;
inline constexpr uint32_t kLeaf7EbxBmi1 = 1u << 3;
inline constexpr uint32_t kLeaf7EcxLa57 = 1u << 16;
inline constexpr uint32_t kExt1EcxLahf = 1u << 0;
inline constexpr uint32_t kExt1EcxLzcnt = 1u << 5;
inline constexpr uint32_t kExt1EdxSyscall = 1u << 11;
inline constexpr uint32_t kExt1EdxNx = 1u << 20;
inline constexpr uint32_t kExt1EdxPage1g = 1u << 26;
inline constexpr uint32_t kExt1EdxLm = 1u << 29;
}  // namespace cpuid_bits

}  // namespace simx
