#include "sim/tlb/tlb_hierarchy.h"

#include "sim/machine/stats.h"

namespace simx {
namespace {

constexpr uint8_t bit(PageSize s) { return static_cast<uint8_t>(1u << static_cast<unsigned>(s)); }

}  // namespace

TlbHierarchy::TlbHierarchy(const TlbConfig& c, uint64_t seed)
    : itlb_4k_("itlb_4k", c.itlb_4k, bit(PageSize::k4K), seed + 1),
      itlb_2m_("itlb_2m", c.itlb_2m, bit(PageSize::k2M), seed + 2),
      dtlb_4k_("dtlb_4k", c.dtlb_4k, bit(PageSize::k4K), seed + 3),
      dtlb_2m_("dtlb_2m", c.dtlb_2m, bit(PageSize::k2M), seed + 4),
      dtlb_1g_("dtlb_1g", c.dtlb_1g, bit(PageSize::k1G), seed + 5),
      stlb_("stlb", c.stlb, bit(PageSize::k4K) | bit(PageSize::k2M), seed + 6),
      stlb_1g_("stlb_1g", c.stlb_1g, bit(PageSize::k1G), seed + 7),
      itlb_{&itlb_4k_, &itlb_2m_},
      dtlb_{&dtlb_4k_, &dtlb_2m_, &dtlb_1g_},
      all_{&itlb_4k_, &itlb_2m_, &dtlb_4k_, &dtlb_2m_, &dtlb_1g_, &stlb_, &stlb_1g_} {
    for (TlbArray* a : all_) a->count_changes_in(&epoch_);
}

TlbL1Hit TlbHierarchy::locate_l1_hit(const TlbEntry* entry, TlbPort port) const {
    TlbL1Hit hit;
    hit.port = port;
    hit.size = entry->size;
    const std::span<TlbArray* const> l1 =
        port == TlbPort::kData ? std::span<TlbArray* const>(dtlb_) : std::span<TlbArray* const>(itlb_);
    for (TlbArray* a : l1)
        if (a->locate(entry, hit.set, hit.way)) {
            hit.array = a;
            break;
        }
    return hit;  // array stays null if the entry is not an L1 entry of the port
}

void TlbHierarchy::fill_into(TlbArray& array, uint64_t va, const TlbEntry& source, PageSize size, bool prefetched) {
    // `source` maps a region of source.size at source.frame (a leaf straight from a
    // walk, or an STLB entry that may itself be a splinter); the new entry maps the
    // size-aligned part of it that contains va and keeps the leaf for invalidation.
    TlbEntry e = source;
    e.valid = true;
    e.prefetched = prefetched;
    e.size = size;
    e.vpn = va >> page_shift(size);
    e.leaf_vpn = va >> page_shift(source.leaf_size);
    e.frame = source.frame + ((va & page_mask(source.size)) & ~page_mask(size));
    array.fill(e);
}

// Picks, among `arrays`, the one holding the largest size not above the leaf's.
template <size_t N>
static TlbArray* best_array(const std::array<TlbArray*, N>& arrays, PageSize leaf_size, PageSize& size_out) {
    for (int s = static_cast<int>(leaf_size); s >= 0; --s) {
        for (TlbArray* a : arrays) {
            if (a->holds(static_cast<PageSize>(s))) {
                size_out = static_cast<PageSize>(s);
                return a;
            }
        }
    }
    return nullptr;
}

void TlbHierarchy::fill_l1(uint64_t va, const TlbEntry& source, TlbPort port) {
    PageSize size;
    TlbArray* target = port == TlbPort::kData ? best_array(dtlb_, source.size, size) : best_array(itlb_, source.size, size);
    if (target) fill_into(*target, va, source, size);
}

void TlbHierarchy::fill(uint64_t va, const TlbEntry& walked, TlbPort port) {
    TlbEntry leaf = walked;
    leaf.size = leaf.leaf_size;
    PageSize size;
    std::array<TlbArray*, 2> second{&stlb_, &stlb_1g_};
    if (TlbArray* a = best_array(second, leaf.leaf_size, size)) fill_into(*a, va, leaf, size);
    TlbArray* l1 = port == TlbPort::kData ? best_array(dtlb_, leaf.leaf_size, size) : best_array(itlb_, leaf.leaf_size, size);
    if (l1) fill_into(*l1, va, leaf, size);
}

void TlbHierarchy::fill_prefetch(uint64_t va, const TlbEntry& walked) {
    TlbEntry leaf = walked;
    leaf.size = leaf.leaf_size;
    PageSize size;
    std::array<TlbArray*, 2> second{&stlb_, &stlb_1g_};
    TlbArray* a = best_array(second, leaf.leaf_size, size);
    if (!a) return;
    fill_into(*a, va, leaf, size, /*prefetched=*/true);
    ++prefetch_fills_;
}

uint32_t TlbHierarchy::valid_entries() const {
    uint32_t n = 0;
    for (const TlbArray* a : all_) n += a->valid_count();
    return n;
}

void TlbHierarchy::register_stats(StatsRegistry& stats, const std::string& scope) const {
    stats.add(scope, "tlb.itlb.accesses", &level_stats_[0].accesses);
    stats.add(scope, "tlb.itlb.misses", &level_stats_[0].misses);
    stats.add(scope, "tlb.dtlb.accesses", &level_stats_[1].accesses);
    stats.add(scope, "tlb.dtlb.misses", &level_stats_[1].misses);
    stats.add(scope, "tlb.stlb.accesses", &stlb_stats_.accesses);
    stats.add(scope, "tlb.stlb.misses", &stlb_stats_.misses);
    for (const TlbArray* a : all_) a->register_stats(stats, scope);
    stats.add(scope, "tlb.prefetch.fills", &prefetch_fills_);
    stats.add(scope, "tlb.prefetch.useful", &prefetch_useful_);
}

}  // namespace simx
