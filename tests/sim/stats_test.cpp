// Unit tests for sim/machine/stats.h: registration, value/total, the aligned
// table (grouped by scope set, "total" column, zero rows) and the JSON report.
#include "sim/machine/stats.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "sim/machine/sim_error.h"

namespace simx {
namespace {

template <typename Fn>
std::string error_of(Fn&& fn) {
    try {
        fn();
    } catch (const SimError& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected a SimError";
    return {};
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

// Two CPUs with a hit and a miss counter each, plus one machine-wide counter.
struct SmallRegistry {
    uint64_t hits0 = 12, misses0 = 0, hits1 = 3, misses1 = 0, llc = 1234;
    StatsRegistry reg;
    SmallRegistry() {
        reg.add("cpu0", "tlb.hits", &hits0);
        reg.add("cpu0", "tlb.misses", &misses0);
        reg.add("cpu1", "tlb.hits", &hits1);
        reg.add("cpu1", "tlb.misses", &misses1);
        reg.add("machine", "llc.hits", &llc);
    }
};

TEST(StatsRegistryTest, ValueHasTotalScopes) {
    SmallRegistry s;
    EXPECT_EQ(s.reg.value("cpu0", "tlb.hits"), 12u);
    EXPECT_EQ(s.reg.value("cpu1", "tlb.hits"), 3u);
    EXPECT_EQ(s.reg.value("machine", "llc.hits"), 1234u);
    EXPECT_TRUE(s.reg.has("cpu1", "tlb.misses"));
    EXPECT_FALSE(s.reg.has("machine", "tlb.misses"));
    EXPECT_FALSE(s.reg.has("cpu2", "tlb.hits"));
    EXPECT_EQ(s.reg.total("tlb.hits"), 15u);
    EXPECT_EQ(s.reg.total("llc.hits"), 1234u);
    EXPECT_EQ(s.reg.total("no.such.counter"), 0u);
    EXPECT_EQ(s.reg.scopes(), (std::vector<std::string>{"cpu0", "cpu1", "machine"}));
}

TEST(StatsRegistryTest, ReadsCountersWhenAsked) {
    SmallRegistry s;
    s.hits0 = 100;
    s.misses1 = 7;
    EXPECT_EQ(s.reg.value("cpu0", "tlb.hits"), 100u);
    EXPECT_EQ(s.reg.total("tlb.hits"), 103u);
    EXPECT_EQ(s.reg.total("tlb.misses"), 7u);
}

TEST(StatsRegistryTest, UnknownCounterThrows) {
    SmallRegistry s;
    EXPECT_EQ(error_of([&] { s.reg.value("cpu0", "tlb.nope"); }), "stats: no counter cpu0.tlb.nope");
    EXPECT_EQ(error_of([&] { s.reg.value("cpu7", "tlb.hits"); }), "stats: no counter cpu7.tlb.hits");
}

TEST(StatsRegistryTest, DuplicateRegistrationThrows) {
    SmallRegistry s;
    uint64_t other = 0;
    EXPECT_EQ(error_of([&] { s.reg.add("cpu0", "tlb.hits", &other); }), "stats: counter cpu0.tlb.hits registered twice");
    // The same name in another scope is not a duplicate.
    EXPECT_NO_THROW(s.reg.add("cpu2", "tlb.hits", &other));
    EXPECT_EQ(s.reg.value("cpu0", "tlb.hits"), 12u);
}

TEST(StatsRegistryTest, TableHidesZeroRows) {
    SmallRegistry s;
    // Per-CPU rows form one group with a total column; the machine-wide counter
    // (one scope) forms another, without one. tlb.misses is zero everywhere.
    EXPECT_EQ(s.reg.table(),
              "counter   cpu0  cpu1  total\n"
              "tlb.hits    12     3     15\n"
              "\n"
              "counter   machine\n"
              "llc.hits     1234\n");
}

TEST(StatsRegistryTest, TableKeepsZeroRowsWhenAsked) {
    SmallRegistry s;
    EXPECT_EQ(s.reg.table(/*keep_zero=*/true),
              "counter     cpu0  cpu1  total\n"
              "tlb.hits      12     3     15\n"
              "tlb.misses     0     0      0\n"
              "\n"
              "counter   machine\n"
              "llc.hits     1234\n");
}

TEST(StatsRegistryTest, TableRowsOfAGroupHaveEqualLength) {
    uint64_t a0 = 1234567, a1 = 0, b0 = 5, b1 = 99999999, c = 0, m = 42;
    StatsRegistry reg;
    reg.add("cpu0", "cache.walk_loads.l1d", &a0);
    reg.add("cpu1", "cache.walk_loads.l1d", &a1);
    reg.add("cpu0", "x", &b0);
    reg.add("cpu1", "x", &b1);
    reg.add("cpu0", "only_cpu0", &c);
    reg.add("machine", "llc.misses", &m);
    const std::string table = reg.table(/*keep_zero=*/true);
    // Groups are separated by an empty line; within one, every line is as long
    // as its header.
    std::vector<std::vector<std::string>> groups(1);
    for (const std::string& l : lines_of(table)) {
        if (l.empty()) groups.emplace_back();
        else groups.back().push_back(l);
    }
    ASSERT_EQ(groups.size(), 3u);
    for (const auto& g : groups) {
        ASSERT_FALSE(g.empty());
        for (const auto& l : g) EXPECT_EQ(l.size(), g.front().size()) << l;
    }
    EXPECT_EQ(groups[0],
              (std::vector<std::string>{
                  "counter                  cpu0      cpu1      total",
                  "cache.walk_loads.l1d  1234567         0    1234567",
                  "x                           5  99999999  100000004",
              }) );
    EXPECT_EQ(groups[1], (std::vector<std::string>{"counter    cpu0", "only_cpu0     0"}));
    EXPECT_EQ(groups[2], (std::vector<std::string>{"counter     machine", "llc.misses       42"}));
    // Without keep_zero the all-zero group disappears entirely.
    EXPECT_EQ(lines_of(reg.table()).size(), 3u + 1u + 2u);
}

TEST(StatsRegistryTest, EmptyRegistry) {
    StatsRegistry reg;
    EXPECT_EQ(reg.table(), "");
    EXPECT_EQ(reg.json(), "{\n}\n");
    EXPECT_TRUE(reg.scopes().empty());
}

TEST(StatsRegistryTest, JsonNestsDottedNamesInRegistrationOrder) {
    SmallRegistry s;
    EXPECT_EQ(s.reg.json(),
              "{\n"
              "  \"cpu0\": {\n"
              "    \"tlb\": {\n"
              "      \"hits\": 12,\n"
              "      \"misses\": 0\n"
              "    }\n"
              "  },\n"
              "  \"cpu1\": {\n"
              "    \"tlb\": {\n"
              "      \"hits\": 3,\n"
              "      \"misses\": 0\n"
              "    }\n"
              "  },\n"
              "  \"machine\": {\n"
              "    \"llc\": {\n"
              "      \"hits\": 1234\n"
              "    }\n"
              "  }\n"
              "}\n");
}

TEST(StatsRegistryTest, JsonMergesGroupsRegisteredApart) {
    uint64_t a = 1, b = 2, c = 3;
    StatsRegistry reg;
    reg.add("cpu0", "tlb.stlb.hits", &a);
    reg.add("cpu0", "walks", &b);
    reg.add("cpu0", "tlb.stlb.misses", &c);
    EXPECT_EQ(reg.json(),
              "{\n"
              "  \"cpu0\": {\n"
              "    \"tlb\": {\n"
              "      \"stlb\": {\n"
              "        \"hits\": 1,\n"
              "        \"misses\": 3\n"
              "      }\n"
              "    },\n"
              "    \"walks\": 2\n"
              "  }\n"
              "}\n");
}

TEST(StatsRegistryTest, JsonRejectsANameThatIsBothCounterAndGroup) {
    uint64_t a = 1, b = 2;
    StatsRegistry group_first;
    group_first.add("cpu0", "tlb.hits", &a);
    group_first.add("cpu0", "tlb", &b);
    EXPECT_EQ(error_of([&] { group_first.json(); }), "stats: 'cpu0.tlb' is both a counter and a group");

    // The other order must be caught too, not silently drop tlb.hits.
    StatsRegistry counter_first;
    counter_first.add("cpu0", "tlb", &b);
    counter_first.add("cpu0", "tlb.hits", &a);
    EXPECT_EQ(error_of([&] { counter_first.json(); }), "stats: 'cpu0.tlb' is both a counter and a group");
}

}  // namespace
}  // namespace simx
