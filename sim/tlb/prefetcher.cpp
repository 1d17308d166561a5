#include "sim/tlb/prefetcher.h"

#include <fmt/format.h>

#include "sim/machine/sim_error.h"

namespace simx {
namespace {

// Sequential prefetching: a miss on page P predicts misses on P+1 .. P+degree,
// in units of the page size that just missed.
class NextPagePrefetcher final : public TlbPrefetcher {
public:
    explicit NextPagePrefetcher(uint32_t degree) : degree_(degree) {}
    std::string_view name() const override { return "next-page"; }
    void on_stlb_miss(uint64_t va, PageSize leaf_size, std::vector<uint64_t>& candidates) override {
        const uint64_t page = va & ~page_mask(leaf_size);
        for (uint32_t k = 1; k <= degree_; ++k) candidates.push_back(page + k * page_bytes(leaf_size));
    }

private:
    uint32_t degree_;
};

}  // namespace

std::unique_ptr<TlbPrefetcher> make_tlb_prefetcher(std::string_view name, uint32_t degree) {
    if (name == "none") return nullptr;
    if (name == "next-page") {
        if (degree == 0 || degree > 64) throw SimError(fmt::format("tlb.prefetch_degree must be 1..64 (got {})", degree));
        return std::make_unique<NextPagePrefetcher>(degree);
    }
    throw SimError(fmt::format("unknown TLB prefetcher '{}' (none, next-page)", name));
}

}  // namespace simx
