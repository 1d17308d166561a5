#include "sim/tlb/tlb_array.h"

#include <fmt/format.h>

#include "sim/machine/sim_error.h"
#include "sim/machine/stats.h"

namespace simx {

TlbArray::TlbArray(std::string name, const TlbArrayConfig& config, uint8_t sizes, uint64_t seed)
    : name_(std::move(name)), sizes_(sizes), hit_latency_(config.hit_latency) {
    try {
        storage_ = SetAssociative<TlbEntry>(config.entries, config.ways, config.policy, seed);
    } catch (const SimError& e) {
        throw SimError(fmt::format("tlb.{}: {}", name_, e.what()));
    }
}

void TlbArray::fill(const TlbEntry& e) {
    if (!enabled()) return;
    if (!holds(e.size)) throw SimError(fmt::format("tlb.{}: fill of a {} entry it cannot hold", name_, page_size_name(e.size)));
    const uint32_t set = storage_.set_of(e.vpn);
    // An entry for the same page and tag is replaced, never duplicated.
    storage_.invalidate_in_set(
        set, [&](const TlbEntry& x) { return x.vpn == e.vpn && x.size == e.size && x.pcid == e.pcid && x.global == e.global; },
        [&](const TlbEntry& x) {
            if (x.splintered()) --live_splinters_;
        });
    TlbEntry evicted;
    if (storage_.insert(set, e, &evicted)) {
        ++stats_.evictions;
        if (evicted.splintered()) --live_splinters_;
    }
    if (e.splintered()) ++live_splinters_;
    ++stats_.fills;
    note_change();
}

void TlbArray::register_stats(StatsRegistry& stats, const std::string& scope) const {
    if (!enabled()) return;
    const std::string p = "tlb." + name_ + ".";
    stats.add(scope, p + "hits", &stats_.hits);
    if (sizes_ & (sizes_ - 1))  // more than one size: split the hits
        for (unsigned sz = 0; sz < kPageSizeCount; ++sz)
            if (sizes_ & (1u << sz))
                stats.add(scope, p + "hits_" + std::string(page_size_name(static_cast<PageSize>(sz))), &stats_.hits_by_size[sz]);
    stats.add(scope, p + "fills", &stats_.fills);
    stats.add(scope, p + "evictions", &stats_.evictions);
    stats.add(scope, p + "invalidations", &stats_.invalidations);
}

}  // namespace simx
