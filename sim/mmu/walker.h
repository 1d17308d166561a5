// The page walker: IA-32e 4-level and 5-level paging exactly as SDM Vol. 3A
// sections 4.5-4.8 describe it.
//
// - Starts from the deepest paging-structure-cache hit (PDE, then PDPTE, PML4E,
//   PML5E caches), else from CR3; each remaining level is one 8-byte load through
//   the cache hierarchy, with the memory type given by the referencing entry's
//   PCD/PWT (or CR3's when CR4.PCIDE=0).
// - Faults: P=0 gives a not-present #PF; a reserved bit (address bits at or
//   above MAXPHYADDR, XD with EFER.NXE=0, PS in a PML5E/PML4E, PS in a PDPTE
//   without 1 GiB support, the low address bits of a large leaf) gives #PF with
//   RSVD; a rights violation (SDM 4.6) gives #PF with P=1.
// - A is set in each non-leaf entry as it is used and in the leaf when the
//   access is allowed; D is set in the leaf only on an allowed write. A faulting
//   access sets no A/D bit in its leaf.
// - Prefetch walks behave like the speculative walks of a real core: they set A
//   bits (SDM 4.8 lets a processor set A for translations it only caches; a
//   translation is cached only with A=1 everywhere), never D, check no rights
//   (those are checked when a demand access uses the entry) and give up,
//   silently, on a not-present or reserved entry.
#pragma once

#include <cstdint>

#include "sim/machine/config.h"
#include "sim/machine/types.h"
#include "sim/mmu/access.h"
#include "sim/mmu/control_regs.h"

namespace simx {

class PhysicalMemory;
class CacheHierarchy;
class PagingStructureCaches;

enum class WalkMode : uint8_t { kDemand, kPrefetch };

struct WalkResult {
    bool ok = false;
    uint32_t error_code = 0;    // when !ok (for a prefetch walk: meaningless)
    uint64_t frame = 0;         // physical base of the leaf page
    PageSize size = PageSize::k4K;
    Rights rights;
    bool global = false;        // G in the leaf
    bool dirty = false;         // D in the leaf after the walk
    MemType mem_type = MemType::kWB;
    uint32_t cycles = 0;        // sum of load latencies plus the walk's base latency
    uint8_t loads = 0;
    int8_t psc_level = 0;       // PSC level the walk started from (0 = none)
};

class PageWalker {
public:
    PageWalker(PhysicalMemory& memory, CacheHierarchy& caches, const MmuConfig& config);

    // psc may be null (no paging-structure caching).
    WalkResult walk(uint64_t va, const Access& access, const ControlRegisters& cr, PagingStructureCaches* psc,
                    WalkMode mode);

    // Reserved bits of a present entry at `level` (5..1) for this configuration.
    uint64_t reserved_bits(uint64_t raw, int level, const ControlRegisters& cr) const;

private:
    PhysicalMemory& memory_;
    CacheHierarchy& caches_;
    uint64_t above_maxphyaddr_;  // bits 51:MAXPHYADDR of an entry
    bool pages_1g_;
    uint32_t base_latency_;
};

}  // namespace simx
