#include "sim/cpu/cpuid.h"

#include <cstring>

namespace simx {
namespace {

// Four registers' worth of ASCII, little-endian, as CPUID returns strings.
uint32_t chars(const char* s) {
    uint32_t v = 0;
    std::memcpy(&v, s, 4);
    return v;
}

constexpr uint32_t bit(unsigned n) { return 1u << n; }

}  // namespace

CpuidModel::CpuidModel(const MachineConfig& config, uint32_t cpu)
    : cpu_(cpu), cpus_(config.cpus), mmu_(config.mmu), cache_(config.cache) {}

// Leaf 4, deterministic cache parameters (SDM CPUID leaf 04H): L1D, L2, LLC.
CpuidResult CpuidModel::cache_leaf(uint32_t subleaf) const {
    const CacheLevelConfig* level = nullptr;
    uint32_t level_number = 0;
    bool shared = false;
    switch (subleaf) {
        case 0: level = &cache_.l1d; level_number = 1; break;
        case 1: level = &cache_.l2; level_number = 2; break;
        case 2: level = &cache_.llc; level_number = 3; shared = true; break;
        default: return {};  // type 0: no more caches
    }
    const uint32_t sets = static_cast<uint32_t>(level->size_bytes / 64 / level->ways);
    CpuidResult r;
    const uint32_t sharing = shared ? (cpus_ > 0 ? cpus_ - 1 : 0) : 0;
    r.eax = 1 /* data cache */ | (level_number << 5) | bit(8) /* self-initializing */ | (sharing << 14);
    r.ebx = (64 - 1) | (0u << 12) | ((level->ways - 1) << 22);
    r.ecx = sets - 1;
    r.edx = 0;
    return r;
}

CpuidResult CpuidModel::query(uint32_t leaf, uint32_t subleaf) const {
    CpuidResult r;
    switch (leaf) {
        case 0:
            r.eax = 7;  // highest basic leaf
            r.ebx = chars("Genu");
            r.edx = chars("ineI");
            r.ecx = chars("ntel");
            break;
        case 1:
            r.eax = 0x000506E3;  // family 6, model 0x5E, stepping 3 (Skylake client)
            r.ebx = (8u << 8) | (cpus_ << 16) | (cpu_ << 24);  // CLFLUSH 8*8 bytes, logical CPUs, APIC ID
            r.ecx = cpuid_bits::kLeaf1EcxCx16 | cpuid_bits::kLeaf1EcxPopcnt |
                    (mmu_.pcid_supported ? cpuid_bits::kLeaf1EcxPcid : 0);
            r.edx = bit(0) /* FPU */ | cpuid_bits::kLeaf1EdxTsc | bit(6) /* PAE */ | bit(8) /* CX8 */ |
                    bit(13) /* PGE */ | cpuid_bits::kLeaf1EdxCmov | bit(16) /* PAT */ | bit(19) /* CLFSH */ |
                    bit(23) /* MMX */ | bit(24) /* FXSR */ | bit(25) /* SSE */ | cpuid_bits::kLeaf1EdxSse2;
            break;
        case 4:
            r = cache_leaf(subleaf);
            break;
        case 7:
            if (subleaf == 0) {
                // FDP_EXCPTN_ONLY and the FCS/FDS deprecation: the x87
                // pointers behave as x87_pointers.h says (Skylake reports both).
                r.ebx = bit(7) /* SMEP */ | bit(20) /* SMAP */ | (mmu_.pcid_supported ? bit(10) /* INVPCID */ : 0) |
                        bit(6) /* FDP_EXCPTN_ONLY */ | bit(13) /* FCS/FDS deprecated */;
                r.ecx = mmu_.la57_supported ? cpuid_bits::kLeaf7EcxLa57 : 0;
            }
            break;
        case 0x8000'0000:
            r.eax = 0x8000'0008;
            break;
        case 0x8000'0001:
            r.ecx = cpuid_bits::kExt1EcxLahf | cpuid_bits::kExt1EcxLzcnt;
            r.edx = cpuid_bits::kExt1EdxSyscall | cpuid_bits::kExt1EdxNx | cpuid_bits::kExt1EdxLm |
                    (mmu_.pages_1g_supported ? cpuid_bits::kExt1EdxPage1g : 0);
            break;
        case 0x8000'0002:
        case 0x8000'0003:
        case 0x8000'0004: {
            // Brand string, 48 bytes NUL-padded.
            char brand[48] = "simx simulated x86-64 (Skylake client model)";
            const unsigned part = leaf - 0x8000'0002;
            const char* p = brand + 16 * part;
            r.eax = chars(p);
            r.ebx = chars(p + 4);
            r.ecx = chars(p + 8);
            r.edx = chars(p + 12);
            break;
        }
        case 0x8000'0008:
            r.eax = mmu_.phys_addr_bits | ((mmu_.la57_supported ? 57u : 48u) << 8);
            break;
        default:
            // Above the highest leaf: Intel returns the highest basic leaf's data;
            // zeros keep software from mistaking it for a feature.
            break;
    }
    return r;
}

}  // namespace simx
