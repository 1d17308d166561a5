// The interpreter's translation fast path: a tiny per-CPU cache of recent L1
// TLB hits, one direct-mapped table per access type (read, write, fetch),
// indexed by the 4 KiB linear page.
//
// It is not a modeled structure. The model is the TLB hierarchy; this only
// lets the interpreter skip the lookup *work* of Mmu::translate for a page it
// has just translated, while every counter and every replacement-policy update
// stays exactly as if translate() had run (issue 4: "the counters with the
// fast path on and off are identical"):
//
//   - an entry is made only from a translate() that reported an L1 TLB hit
//     (Mmu::translate's l1_hit out-parameter): the access was allowed and, for
//     a write, the entry had D=1; entries are per access type, so a read's
//     entry never serves a write (a write through a D=0 entry re-walks);
//   - an entry is used only while Mmu::translation_epoch() equals the epoch
//     it was made at: the epoch moves on every TLB slot change (fill,
//     eviction, STLB->L1 refill, dropped entries of INVLPG/INVPCID/flushes/
//     #PF) and on every CR0/CR3/CR4/EFER/PAT write, so while it is unchanged
//     the same lookup would find the same entry, allowed by the same rights;
//   - a use calls Mmu::replay_l1_hit: mmu.translations, the port's L1 access
//     count, the array's hits (and hits by size) and the policy's on_hit for
//     that slot, in the same order as the lookup it replaces; the returned
//     Translation equals translate()'s (pa, size, memory type, hit latency).
//   - the tag includes RFLAGS.AC (user accesses ignore it today, but a cached
//     answer must never depend on an input it did not see) and the access is
//     always Privilege::kUser: the interpreter runs ring-3 code only.
//
// Data-cache latency (Mmu::data_access) is not part of translation and is
// still charged by the caller on every access.
#pragma once

#include <array>
#include <cstdint>

#include "sim/mmu/access.h"
#include "sim/mmu/mmu.h"

namespace simx {

class MicroTlb {
public:
    static constexpr unsigned kEntriesPerType = 16;  // a power of two

    explicit MicroTlb(bool enabled) : enabled_(enabled) {}

    bool enabled() const { return enabled_; }

    // translate() of a user access of type T to `va` with RFLAGS.AC = ac.
    template <AccessType T>
    Translation translate(Mmu& mmu, uint64_t va, bool ac) {
        const uint64_t tag = tag_of(va, ac);
        Entry& e = table_[static_cast<unsigned>(T)][(va >> 12) & (kEntriesPerType - 1)];
        if (e.tag == tag && e.epoch == mmu.translation_epoch()) [[likely]] {
            mmu.replay_l1_hit(e.hit);
            ++hits_;
            Translation t;
            t.pa = PhysAddr{e.page_pa | (va & 0xFFF)};
            t.size = e.size;
            t.mem_type = e.mem_type;
            t.cycles = e.latency;
            t.tlb_level = 1;
            return t;
        }
        return translate_slow(mmu, va, T, ac, e, tag);
    }
    // The same with the access type known only at run time (page-split accesses).
    Translation translate(Mmu& mmu, uint64_t va, AccessType type, bool ac);

    // Forgets every entry (not needed for exactness: the epoch covers every
    // change; for tests that want a cold start).
    void clear();

    // Replayed hits: a figure for benchmarks and tests, deliberately not in
    // the stats registry (whose report must not depend on the fast path).
    uint64_t hits() const { return hits_; }

private:
    // Non-canonical in every paging mode and never produced by tag_of (bits
    // 52-62 of a tag are zero), so an empty entry never matches.
    static constexpr uint64_t kEmpty = ~uint64_t{0};

    struct Entry {
        uint64_t tag = kEmpty;   // va >> 12, with AC in bit 63
        uint64_t epoch = 0;      // Mmu::translation_epoch() when made
        uint64_t page_pa = 0;    // physical base of the 4 KiB page holding va
        uint32_t latency = 0;    // the L1 array's hit latency (Translation::cycles)
        PageSize size = PageSize::k4K;  // Translation::size (the leaf's)
        MemType mem_type = MemType::kWB;
        TlbL1Hit hit;
    };

    static uint64_t tag_of(uint64_t va, bool ac) { return (va >> 12) | (uint64_t{ac} << 63); }
    Translation translate_slow(Mmu& mmu, uint64_t va, AccessType type, bool ac, Entry& e, uint64_t tag);

    bool enabled_;
    uint64_t hits_ = 0;
    std::array<std::array<Entry, kEntriesPerType>, 3> table_{};  // by AccessType
};

}  // namespace simx
