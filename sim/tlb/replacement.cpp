#include "sim/tlb/replacement.h"

#include <fmt/format.h>

#include "sim/machine/sim_error.h"

namespace simx {
namespace {

// FNV-1a over a policy's state words: cheap, deterministic, order-sensitive.
template <typename Word>
uint64_t digest_words(const std::vector<Word>& words, uint64_t extra) {
    uint64_t h = 0xcbf29ce484222325ull ^ extra;
    for (Word w : words) {
        h ^= static_cast<uint64_t>(w);
        h *= 0x100000001b3ull;
    }
    return h;
}

// True LRU with a per-set stamp per way: the victim is the way used longest ago.
class LruPolicy final : public ReplacementPolicy {
public:
    LruPolicy(uint32_t sets, uint32_t ways) : ways_(ways), stamp_(size_t{sets} * ways, 0) {}
    std::string_view name() const override { return "lru"; }
    void on_hit(uint32_t set, uint32_t way) override { stamp_[index(set, way)] = ++clock_; }
    void on_fill(uint32_t set, uint32_t way) override { stamp_[index(set, way)] = ++clock_; }
    void on_invalidate(uint32_t set, uint32_t way) override { stamp_[index(set, way)] = 0; }
    uint32_t victim(uint32_t set) override {
        uint32_t best = 0;
        for (uint32_t w = 1; w < ways_; ++w)
            if (stamp_[index(set, w)] < stamp_[index(set, best)]) best = w;
        return best;
    }
    uint64_t state_digest() const override { return digest_words(stamp_, clock_); }

private:
    size_t index(uint32_t set, uint32_t way) const { return size_t{set} * ways_ + way; }
    uint32_t ways_;
    uint64_t clock_ = 0;
    std::vector<uint64_t> stamp_;
};

// First in, first out: hits do not change the order.
class FifoPolicy final : public ReplacementPolicy {
public:
    FifoPolicy(uint32_t sets, uint32_t ways) : ways_(ways), stamp_(size_t{sets} * ways, 0) {}
    std::string_view name() const override { return "fifo"; }
    void on_hit(uint32_t, uint32_t) override {}
    void on_fill(uint32_t set, uint32_t way) override { stamp_[size_t{set} * ways_ + way] = ++clock_; }
    void on_invalidate(uint32_t set, uint32_t way) override { stamp_[size_t{set} * ways_ + way] = 0; }
    uint32_t victim(uint32_t set) override {
        uint32_t best = 0;
        for (uint32_t w = 1; w < ways_; ++w)
            if (stamp_[size_t{set} * ways_ + w] < stamp_[size_t{set} * ways_ + best]) best = w;
        return best;
    }
    uint64_t state_digest() const override { return digest_words(stamp_, clock_); }

private:
    uint32_t ways_;
    uint64_t clock_ = 0;
    std::vector<uint64_t> stamp_;
};

// Tree pseudo-LRU: a binary tree of (leaves - 1) bits over the ways rounded up to
// a power of two. Node bit 0 means "the colder half is the left one". A use flips
// every bit on the path to point away from the used way; the victim follows the
// bits from the root. With a non-power-of-two way count (the 12-way STLB) the walk
// never enters a subtree holding no real way.
class TreePlruPolicy final : public ReplacementPolicy {
public:
    TreePlruPolicy(uint32_t sets, uint32_t ways) : ways_(ways) {
        leaves_ = 1;
        while (leaves_ < ways) leaves_ *= 2;
        bits_.assign(size_t{sets} * leaves_, 0);  // node n at [set*leaves + n], n in [1, leaves)
    }
    std::string_view name() const override { return "plru"; }
    void on_hit(uint32_t set, uint32_t way) override { touch(set, way); }
    void on_fill(uint32_t set, uint32_t way) override { touch(set, way); }
    uint32_t victim(uint32_t set) override {
        uint32_t node = 1;
        uint32_t lo = 0, span = leaves_;
        while (span > 1) {
            span /= 2;
            bool right = bits_[size_t{set} * leaves_ + node] != 0;
            if (right && lo + span >= ways_) right = false;  // right subtree has no real way
            if (right) lo += span;
            node = node * 2 + (right ? 1 : 0);
        }
        return lo;
    }
    uint64_t state_digest() const override { return digest_words(bits_, 0); }

private:
    void touch(uint32_t set, uint32_t way) {
        uint32_t node = 1;
        uint32_t lo = 0, span = leaves_;
        while (span > 1) {
            span /= 2;
            bool in_right = way >= lo + span;
            // Point away from the used half.
            bits_[size_t{set} * leaves_ + node] = in_right ? 0 : 1;
            if (in_right) lo += span;
            node = node * 2 + (in_right ? 1 : 0);
        }
    }
    uint32_t ways_;
    uint32_t leaves_;
    std::vector<uint8_t> bits_;
};

// Uniform random victim from a per-array xorshift64* stream: reproducible for a seed.
class RandomPolicy final : public ReplacementPolicy {
public:
    RandomPolicy(uint32_t ways, uint64_t seed) : ways_(ways), state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
    std::string_view name() const override { return "random"; }
    void on_hit(uint32_t, uint32_t) override {}
    void on_fill(uint32_t, uint32_t) override {}
    uint32_t victim(uint32_t) override {
        state_ ^= state_ >> 12;
        state_ ^= state_ << 25;
        state_ ^= state_ >> 27;
        return static_cast<uint32_t>(((state_ * 0x2545F4914F6CDD1Dull) >> 32) % ways_);
    }
    uint64_t state_digest() const override { return state_; }

private:
    uint32_t ways_;
    uint64_t state_;
};

// Static re-reference interval prediction with 2-bit RRPVs (Jaleel et al. 2010):
// fills are predicted "long" (RRPV 2), hits are promoted to "near" (0); the
// victim is the first way with RRPV 3, ageing the whole set until one exists.
class SrripPolicy final : public ReplacementPolicy {
public:
    static constexpr uint8_t kMax = 3;
    SrripPolicy(uint32_t sets, uint32_t ways) : ways_(ways), rrpv_(size_t{sets} * ways, kMax) {}
    std::string_view name() const override { return "srrip"; }
    void on_hit(uint32_t set, uint32_t way) override { rrpv_[size_t{set} * ways_ + way] = 0; }
    void on_fill(uint32_t set, uint32_t way) override { rrpv_[size_t{set} * ways_ + way] = kMax - 1; }
    void on_invalidate(uint32_t set, uint32_t way) override { rrpv_[size_t{set} * ways_ + way] = kMax; }
    uint32_t victim(uint32_t set) override {
        uint8_t* r = &rrpv_[size_t{set} * ways_];
        while (true) {
            for (uint32_t w = 0; w < ways_; ++w)
                if (r[w] == kMax) return w;
            for (uint32_t w = 0; w < ways_; ++w) ++r[w];
        }
    }
    uint64_t state_digest() const override { return digest_words(rrpv_, 0); }

private:
    uint32_t ways_;
    std::vector<uint8_t> rrpv_;
};

}  // namespace

const std::vector<std::string>& replacement_policy_names() {
    static const std::vector<std::string> names{"lru", "plru", "random", "srrip", "fifo"};
    return names;
}

std::unique_ptr<ReplacementPolicy> make_replacement_policy(std::string_view name, uint32_t sets, uint32_t ways,
                                                           uint64_t seed) {
    if (sets == 0 || ways == 0) throw SimError("replacement policy needs at least one set and one way");
    if (name == "lru") return std::make_unique<LruPolicy>(sets, ways);
    if (name == "plru") return std::make_unique<TreePlruPolicy>(sets, ways);
    if (name == "random") return std::make_unique<RandomPolicy>(ways, seed);
    if (name == "srrip") return std::make_unique<SrripPolicy>(sets, ways);
    if (name == "fifo") return std::make_unique<FifoPolicy>(sets, ways);
    throw SimError(fmt::format("unknown replacement policy '{}' (known: {})", name,
                               fmt::join(replacement_policy_names(), ", ")));
}

}  // namespace simx
