// Unit tests for sim/tlb/replacement.h. Each deterministic policy runs the same
// hand-worked reference string through a single 4-way set (driven through
// SetAssociative, which fills the lowest invalid way first and asks the policy
// only when the set is full); the expected victims are worked out in comments.
#include "sim/tlb/replacement.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "sim/machine/sim_error.h"
#include "sim/tlb/set_associative.h"

namespace simx {
namespace {

struct Line {
    char tag = 0;
    bool valid = false;
};

// One set of `ways` ways. access() returns the evicted tag, or '-' on a hit and
// '+' on a miss that filled an empty way.
class OneSet {
public:
    OneSet(std::string_view policy, uint32_t ways, uint64_t seed = 1) : array_(ways, ways, policy, seed) {}
    char access(char tag) {
        if (array_.find(0, [tag](const Line& l) { return l.tag == tag; })) return '-';
        Line evicted;
        if (array_.insert(0, Line{tag, true}, &evicted)) return evicted.tag;
        return '+';
    }
    std::string run(const std::string& refs) {
        std::string out;
        for (char c : refs) out += access(c);
        return out;
    }

private:
    SetAssociative<Line> array_;
};

// The reference string used for every deterministic policy: four cold misses,
// a hit on A, then new tags interleaved with old ones.
constexpr const char* kRefs = "ABCDAEBFC";

TEST(ReplacementTest, Lru) {
    // Ways after the cold misses: A0 B1 C2 D3; recency (old -> new) A B C D.
    //   A  hit                   recency B C D A
    //   E  miss, victim B (w1)   recency C D A E
    //   B  miss, victim C (w2)   recency D A E B
    //   F  miss, victim D (w3)   recency A E B F
    //   C  miss, victim A (w0)   recency E B F C
    OneSet set("lru", 4);
    EXPECT_EQ(set.run(kRefs), "++++-BCDA");
}

TEST(ReplacementTest, Fifo) {
    // Fill order A B C D; hits do not reorder.
    //   A  hit
    //   E  miss, victim A (oldest fill)   order B C D E
    //   B  hit
    //   F  miss, victim B                 order C D E F
    //   C  hit
    OneSet set("fifo", 4);
    EXPECT_EQ(set.run(kRefs), "++++-A-B-");
    // Two more misses continue in fill order: C then D.
    EXPECT_EQ(set.run("GH"), "CD");
}

TEST(ReplacementTest, TreePlruFourWays) {
    // Tree bits: r (root), n2 (ways 0|1), n3 (ways 2|3); 0 = victim on the left.
    // A use sets each bit on its path to point away from the used way.
    //   fill A w0: r=1 n2=1        fill B w1: r=1 n2=0
    //   fill C w2: r=0 n3=1        fill D w3: r=0 n3=0      bits r=0 n2=0 n3=0
    //   A  hit w0:  r=1 n2=1                                 bits 1 1 0
    //   E  miss: r=1 -> right, n3=0 -> w2: victim C; touch w2: r=0 n3=1   bits 0 1 1
    //   B  hit w1:  r=1 n2=0                                 bits 1 0 1
    //   F  miss: r=1 -> right, n3=1 -> w3: victim D; touch w3: r=0 n3=0   bits 0 0 0
    //   C  miss: r=0 -> left, n2=0 -> w0: victim A; touch w0: r=1 n2=1    bits 1 1 0
    // (True LRU would have evicted B for E: PLRU only approximates it.)
    OneSet set("plru", 4);
    EXPECT_EQ(set.run(kRefs), "++++-C-DA");
}

TEST(ReplacementTest, Srrip) {
    // 2-bit RRPV: fill -> 2, hit -> 0, victim = first way at 3, else age all by 1.
    //   cold fills A0 B1 C2 D3                 RRPV [2 2 2 2]
    //   A  hit                                 [0 2 2 2]
    //   E  miss: none at 3, age -> [1 3 3 3]; victim B (w1); fill  [1 2 3 3]
    //   B  miss: victim C (w2); fill           [1 2 2 3]
    //   F  miss: victim D (w3); fill           [1 2 2 2]
    //   C  miss: age -> [2 3 3 3]; victim E (w1); fill             [2 2 3 3]
    // A, used once, survives the scan of E B F C that LRU would have let evict it.
    OneSet set("srrip", 4);
    EXPECT_EQ(set.run(kRefs), "++++-BCDE");
}

TEST(ReplacementTest, InvalidatedWayIsRefilledFirst) {
    // SetAssociative fills an invalid way before asking any policy.
    for (const std::string& name : replacement_policy_names()) {
        SetAssociative<Line> array(4, 4, name, 1);
        for (char c : std::string("ABCD")) array.insert(0, Line{c, true});
        EXPECT_EQ(array.invalidate_in_set(0, [](const Line& l) { return l.tag == 'C'; }, [](const Line&) {}), 1u);
        Line evicted;
        EXPECT_FALSE(array.insert(0, Line{'E', true}, &evicted)) << name;
        EXPECT_EQ(array.valid_count(), 4u) << name;
        EXPECT_NE(array.find(0, [](const Line& l) { return l.tag == 'E'; }), nullptr) << name;
    }
}

TEST(ReplacementTest, PoliciesKeepSetsApart) {
    // Two sets of 2 ways, LRU: traffic in set 1 does not age set 0.
    auto policy = make_replacement_policy("lru", 2, 2, 1);
    policy->on_fill(0, 0);
    policy->on_fill(0, 1);
    policy->on_hit(0, 0);      // set 0: way 1 is now LRU
    policy->on_fill(1, 1);
    policy->on_fill(1, 0);     // set 1: way 1 is LRU
    policy->on_hit(1, 1);      // set 1: way 0 is LRU
    EXPECT_EQ(policy->victim(0), 1u);
    EXPECT_EQ(policy->victim(1), 0u);
}

TEST(ReplacementTest, TreePlruThreeWays) {
    // 3 ways in a 4-leaf tree; leaf 3 does not exist, so a walk that points at it
    // must take way 2. Filling each victim in turn:
    //   fill w0: r=1 n2=1   fill w1: r=1 n2=0   fill w2: r=0 n3=1
    //   victim: r=0 -> left, n2=0 -> w0;  touch w0: r=1 n2=1
    //   victim: r=1 -> right, n3=1 -> leaf 3 absent -> w2;  touch w2: r=0 n3=1
    //   victim: r=0 -> left, n2=1 -> w1;  touch w1: r=1 n2=0
    //   victim: r=1 -> right -> w2;  touch w2: r=0
    //   victim: r=0 -> left, n2=0 -> w0 ... (period 4: w0 w2 w1 w2)
    auto policy = make_replacement_policy("plru", 1, 3, 1);
    for (uint32_t w = 0; w < 3; ++w) policy->on_fill(0, w);
    std::vector<uint32_t> victims;
    for (int i = 0; i < 8; ++i) {
        uint32_t v = policy->victim(0);
        victims.push_back(v);
        policy->on_fill(0, v);
    }
    EXPECT_EQ(victims, (std::vector<uint32_t>{0, 2, 1, 2, 0, 2, 1, 2}));
}

TEST(ReplacementTest, TreePlruNonPowerOfTwoNeverReturnsAMissingWay) {
    for (uint32_t ways : {3u, 5u, 6u, 12u}) {
        auto policy = make_replacement_policy("plru", 2, ways, 1);
        std::set<uint32_t> seen;
        uint64_t x = 12345;
        for (int i = 0; i < 2000; ++i) {
            // Mix hits on arbitrary ways with fills of the victim.
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            const uint32_t set = static_cast<uint32_t>(x >> 63);
            if ((x >> 40) % 3 == 0) {
                policy->on_hit(set, static_cast<uint32_t>((x >> 20) % ways));
                continue;
            }
            const uint32_t v = policy->victim(set);
            ASSERT_LT(v, ways) << "ways=" << ways;
            seen.insert(v);
            policy->on_fill(set, v);
        }
        EXPECT_EQ(seen.size(), ways) << "every real way is eventually a victim, ways=" << ways;
    }
}

TEST(ReplacementTest, TreePlruTwelveWaysCycle) {
    // 12 ways in a 16-leaf tree: the root splits ways 0-7 from 8-11 (leaves
    // 12-15 are empty, so the walk in the right half always ends in 8-11).
    // Filling each victim in turn, the root alternates halves; each half is
    // walked in bit-reversed order of its own tree:
    //   left  0 4 2 6 1 5 3 7      right 8 10 9 11 (twice per left cycle)
    // After the cold fills of 0..11 the last use was on the right, so the first
    // victim is on the left. Period 16: ways 0-7 once each, ways 8-11 twice each.
    auto policy = make_replacement_policy("plru", 1, 12, 1);
    for (uint32_t w = 0; w < 12; ++w) policy->on_fill(0, w);
    std::vector<uint32_t> victims;
    for (int i = 0; i < 32; ++i) {
        victims.push_back(policy->victim(0));
        policy->on_fill(0, victims.back());
    }
    const std::vector<uint32_t> cycle{0, 8, 4, 10, 2, 9, 6, 11, 1, 8, 5, 10, 3, 9, 7, 11};
    EXPECT_EQ(std::vector<uint32_t>(victims.begin(), victims.begin() + 16), cycle);
    EXPECT_EQ(std::vector<uint32_t>(victims.begin() + 16, victims.end()), cycle);
}

std::vector<uint32_t> random_victims(uint64_t seed, uint32_t ways, int n) {
    auto policy = make_replacement_policy("random", 1, ways, seed);
    std::vector<uint32_t> v;
    for (int i = 0; i < n; ++i) v.push_back(policy->victim(0));
    return v;
}

TEST(ReplacementTest, RandomIsReproducibleForASeed) {
    const auto a = random_victims(7, 8, 64);
    EXPECT_EQ(a, random_victims(7, 8, 64));
    EXPECT_NE(a, random_victims(8, 8, 64));
    for (uint32_t v : a) EXPECT_LT(v, 8u);
    // Hits and fills do not perturb the stream.
    auto policy = make_replacement_policy("random", 1, 8, 7);
    std::vector<uint32_t> b;
    for (int i = 0; i < 64; ++i) {
        policy->on_hit(0, 3);
        b.push_back(policy->victim(0));
        policy->on_fill(0, b.back());
    }
    EXPECT_EQ(a, b);
}

TEST(ReplacementTest, RandomCoversEveryWay) {
    const auto v = random_victims(1, 12, 500);
    EXPECT_EQ(std::set<uint32_t>(v.begin(), v.end()).size(), 12u);
}

TEST(ReplacementTest, NamesAndFactory) {
    EXPECT_EQ(replacement_policy_names(), (std::vector<std::string>{"lru", "plru", "random", "srrip", "fifo"}));
    for (const std::string& name : replacement_policy_names())
        EXPECT_EQ(make_replacement_policy(name, 4, 4, 1)->name(), name);
}

TEST(ReplacementTest, UnknownNameThrowsListingKnownNames) {
    try {
        make_replacement_policy("mru", 4, 4, 1);
        FAIL() << "expected a SimError";
    } catch (const SimError& e) {
        EXPECT_STREQ(e.what(), "unknown replacement policy 'mru' (known: lru, plru, random, srrip, fifo)");
    }
    EXPECT_THROW(make_replacement_policy("lru", 0, 4, 1), SimError);
    EXPECT_THROW(make_replacement_policy("lru", 4, 0, 1), SimError);
}

}  // namespace
}  // namespace simx
