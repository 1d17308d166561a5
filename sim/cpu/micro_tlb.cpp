#include "sim/cpu/micro_tlb.h"

namespace simx {

Translation MicroTlb::translate(Mmu& mmu, uint64_t va, AccessType type, bool ac) {
    switch (type) {
        case AccessType::kRead: return translate<AccessType::kRead>(mmu, va, ac);
        case AccessType::kWrite: return translate<AccessType::kWrite>(mmu, va, ac);
        case AccessType::kFetch: return translate<AccessType::kFetch>(mmu, va, ac);
    }
    return translate<AccessType::kRead>(mmu, va, ac);
}

// The full translation; an L1 hit it reports becomes the entry for the page.
// Anything else (a miss, an STLB hit, a re-walk, a fault) leaves the entry: its
// epoch is already stale whenever the TLB changed, so it cannot match again.
Translation MicroTlb::translate_slow(Mmu& mmu, uint64_t va, AccessType type, bool ac, Entry& e, uint64_t tag) {
    TlbL1Hit hit;
    const Translation t = mmu.translate(VirtAddr{va}, Access{type, Privilege::kUser, ac}, enabled_ ? &hit : nullptr);
    if (hit.array) {
        e.tag = tag;
        e.epoch = mmu.translation_epoch();
        e.page_pa = t.pa.value & ~uint64_t{0xFFF};
        e.latency = t.cycles;
        e.size = t.size;
        e.mem_type = t.mem_type;
        e.hit = hit;
    }
    return t;
}

void MicroTlb::clear() {
    for (auto& type : table_)
        for (Entry& e : type) e = Entry{};
}

}  // namespace simx
