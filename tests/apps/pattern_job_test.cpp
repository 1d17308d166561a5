// The pattern job drives the whole modeled MMU; these tests pin exact counts that
// follow from the pattern's arithmetic, and the determinism DESIGN.md promises.
#include <gtest/gtest.h>

#include "apps/simx/pattern_job.h"
#include "sim/machine/sim_error.h"

using namespace simx;

namespace {

MachineConfig one_cpu(uint64_t ram = uint64_t{256} << 20) {
    MachineConfig c;
    c.cpus = 1;
    c.memory.node_bytes = {ram};
    return c;
}

PatternJobOptions sequential_pass(uint64_t footprint, PageSize size) {
    PatternJobOptions o;
    o.pattern = Pattern::kSequential;
    o.footprint = footprint;
    o.page_size = size;
    o.accesses = footprint / 8;  // exactly one pass over every word
    return o;
}

TEST(PatternJob, SameSeedSameCounters) {
    PatternJobOptions o;
    o.pattern = Pattern::kRandom;
    o.footprint = 8 << 20;
    o.accesses = 50'000;
    o.write_percent = 30;
    MachineConfig c;  // the default two-CPU, two-node machine
    Machine a(c), b(c);
    run_pattern_job(a, o);
    run_pattern_job(b, o);
    EXPECT_EQ(a.stats().json(), b.stats().json());

    c.seed = 2;
    Machine other(c);
    run_pattern_job(other, o);
    EXPECT_NE(a.stats().json(), other.stats().json());
}

TEST(PatternJob, SequentialPassWalksEachPageOnce) {
    Machine m(one_cpu());
    const PatternJobResult r = run_pattern_job(m, sequential_pass(2 << 20, PageSize::k4K));
    EXPECT_EQ(r.accesses, (2u << 20) / 8);
    // 512 pages, all of which fit in the STLB: one miss and one walk per page.
    EXPECT_EQ(m.stats().value("cpu0", "tlb.dtlb.misses"), 512u);
    EXPECT_EQ(m.stats().value("cpu0", "tlb.stlb.misses"), 512u);
    EXPECT_EQ(m.stats().value("cpu0", "mmu.walks_4k"), 512u);
    EXPECT_EQ(m.stats().value("cpu0", "mmu.page_faults"), 0u);
    EXPECT_EQ(m.stats().value("job", "accesses"), r.accesses);
}

TEST(PatternJob, LargePagesNeedOneWalkPerPage) {
    Machine m2(one_cpu());
    run_pattern_job(m2, sequential_pass(8 << 20, PageSize::k2M));
    EXPECT_EQ(m2.stats().value("cpu0", "mmu.walks_2m"), 4u);
    EXPECT_EQ(m2.stats().value("cpu0", "mmu.walks_4k"), 0u);

    Machine m1(one_cpu(uint64_t{2} << 30));
    PatternJobOptions o = sequential_pass(uint64_t{1} << 30, PageSize::k1G);
    o.accesses = 100'000;
    run_pattern_job(m1, o);
    EXPECT_EQ(m1.stats().value("cpu0", "mmu.walks_1g"), 1u);
    EXPECT_EQ(m1.stats().value("cpu0", "tlb.dtlb.misses"), 1u);
}

TEST(PatternJob, NextPagePrefetcherHalvesDemandWalks) {
    MachineConfig c = one_cpu();
    c.tlb.prefetcher = "next-page";
    Machine m(c);
    run_pattern_job(m, sequential_pass(2 << 20, PageSize::k4K));
    // A miss on page 2k walks it and prefetches page 2k+1, which then hits the STLB.
    EXPECT_EQ(m.stats().value("cpu0", "mmu.walks"), 256u);
    EXPECT_EQ(m.stats().value("cpu0", "mmu.prefetch_walks"), 256u);
    EXPECT_EQ(m.stats().value("cpu0", "tlb.prefetch.fills"), 256u);
    EXPECT_EQ(m.stats().value("cpu0", "tlb.prefetch.useful"), 256u);
    // Demand misses are pages 0, 2, .., 510, so every prefetch lands inside the footprint.
    EXPECT_EQ(m.stats().value("cpu0", "mmu.prefetch_dropped"), 0u);
}

TEST(PatternJob, FiveLevelPagingWalksFiveLevels) {
    MachineConfig c = one_cpu();
    c.mmu.la57_supported = true;
    Machine m(c);
    PatternJobOptions o = sequential_pass(1 << 20, PageSize::k4K);
    o.levels = 5;
    run_pattern_job(m, o);
    // The first walk has nothing cached: five loads. The other 255 hit the PDE cache.
    EXPECT_EQ(m.stats().value("cpu0", "mmu.walks"), 256u);
    EXPECT_EQ(m.stats().value("cpu0", "mmu.walk_loads"), 5u + 255u);
}

TEST(PatternJob, StridedAccessesTouchTheStridePages) {
    Machine m(one_cpu());
    PatternJobOptions o;
    o.pattern = Pattern::kStrided;
    o.footprint = 4 << 20;
    o.stride = 8192;  // every other 4 KiB page
    o.accesses = 512; // one pass
    run_pattern_job(m, o);
    EXPECT_EQ(m.stats().value("cpu0", "mmu.walks"), 512u);
}

TEST(PatternJob, PointerChaseLoadsDependOnMemory) {
    Machine a(one_cpu()), b(one_cpu());
    PatternJobOptions o;
    o.pattern = Pattern::kPointerChase;
    o.footprint = 1 << 20;
    o.accesses = 16384;  // the cycle's length: every line once
    const PatternJobResult ra = run_pattern_job(a, o);
    const PatternJobResult rb = run_pattern_job(b, o);
    EXPECT_EQ(ra.checksum, rb.checksum);
    EXPECT_NE(ra.checksum, 0u);
    // Each line is visited exactly once, so every load misses the data caches
    // at least down to L2 (16384 lines = 1 MiB > L1D and L2).
    EXPECT_EQ(a.stats().value("cpu0", "cache.data_loads.l1d"), 0u);
}

TEST(PatternJob, BadOptionsAreClearErrors) {
    Machine m(one_cpu());
    PatternJobOptions o;
    o.footprint = 4096 + 8;
    EXPECT_THROW(run_pattern_job(m, o), SimError);
    o.footprint = uint64_t{1} << 30;  // more than this machine's 256 MiB
    try {
        run_pattern_job(m, o);
        FAIL() << "expected SimError";
    } catch (const SimError& e) {
        EXPECT_NE(std::string(e.what()).find("does not fit"), std::string::npos) << e.what();
    }
    EXPECT_THROW(parse_pattern("zigzag"), SimError);
    EXPECT_THROW(parse_page_size("8k"), SimError);
}

}  // namespace
