// The TLB prefetcher hook. After each demand walk (an STLB miss) the MMU asks the
// prefetcher for linear addresses whose translations it should fetch; the MMU
// walks them off the critical path, as a speculative walk (A bits set, no D, no
// fault; see sim/mmu/walker.h), and installs what it finds in the STLB only.
// Prefetchers see only miss addresses, as
// hardware proposals in the literature do (Kandiraju and Sivasubramaniam 2002).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "sim/machine/types.h"

namespace simx {

class TlbPrefetcher {
public:
    virtual ~TlbPrefetcher() = default;
    virtual std::string_view name() const = 0;
    // va missed the STLB and resolved to a leaf of leaf_size; append candidates.
    virtual void on_stlb_miss(uint64_t va, PageSize leaf_size, std::vector<uint64_t>& candidates) = 0;
};

// "none" returns nullptr; "next-page" prefetches the `degree` pages after the miss.
// Throws SimError for an unknown name.
std::unique_ptr<TlbPrefetcher> make_tlb_prefetcher(std::string_view name, uint32_t degree);

}  // namespace simx
