// Thousands of random mmap/munmap/mprotect/brk/madvise calls and user touches
// against a simple model (page -> rights, sharing, last value written), with
// the address space's invariant checker after each batch and every frame back
// at the end. Touches go through CPU 0's simulated MMU and the fault handler,
// so stale TLB entries or wrong PTE rights show up as mismatches.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <utility>
#include <vector>

#include "tests/kernel/address_space_fixture.h"

using namespace simx;
using namespace simx::testing;
namespace k = kernel;
namespace lx = kernel::linux;

namespace {

constexpr uint32_t R = lx::kProtRead, W = lx::kProtWrite, X = lx::kProtExec;

struct PageModel {
    uint32_t prot = 0;
    bool shared = false;
    uint64_t value = 0;  // the first word: 0 until written
};

class Model {
public:
    std::map<uint64_t, PageModel> pages;

    bool any_in(uint64_t start, uint64_t end) const {
        auto it = pages.lower_bound(start);
        return it != pages.end() && it->first < end;
    }
    bool all_in(uint64_t start, uint64_t end) const {
        for (uint64_t p = start; p < end; p += kPage)
            if (!pages.count(p)) return false;
        return true;
    }
    void erase(uint64_t start, uint64_t end) { pages.erase(pages.lower_bound(start), pages.lower_bound(end)); }
    void map(uint64_t start, uint64_t end, uint32_t prot, bool shared) {
        for (uint64_t p = start; p < end; p += kPage) pages[p] = PageModel{prot, shared, 0};
    }
};

bool allowed(uint32_t prot, AccessType type) {
    switch (type) {
        case AccessType::kWrite: return prot & W;
        case AccessType::kFetch: return prot & X;
        default: return prot != 0;
    }
}

void run_random(uint64_t seed, int operations, bool zero_page_reads) {
    AddressSpaceEnv env;
    k::AddressSpaceOptions options;
    options.brk_start = 0x2000'0000;
    options.zero_page_reads = zero_page_reads;
    k::AddressSpace* as = env.create(options);
    ASSERT_NE(as, nullptr);
    env.load(as);
    std::mt19937_64 rng(seed);
    auto pick = [&](uint64_t n) { return static_cast<uint64_t>(rng() % n); };
    constexpr uint64_t kWindow = 0x1000'0000, kWindowPages = 256;
    const uint32_t prots[] = {0, R, R | W, R | X, R | W | X};
    Model model;
    uint64_t brk = options.brk_start;
    std::vector<std::pair<uint64_t, uint64_t>> floating;  // non-fixed mmaps
    const uint64_t mmap_base = options.mmap_base;
    uint64_t faults_taken = 0;

    auto compare_vmas = [&](int op) {
        std::map<uint64_t, std::pair<uint32_t, bool>> seen;
        env.run([&] {
            for (const k::Vma* v = as->first_vma(); v; v = as->next_vma(*v))
                for (uint64_t p = v->start; p < v->end; p += kPage)
                    seen[p] = {v->prot, v->has(k::vma_flag::kShared)};
        });
        ASSERT_EQ(seen.size(), model.pages.size()) << "op " << op;
        for (const auto& [p, m] : model.pages) {
            auto it = seen.find(p);
            ASSERT_NE(it, seen.end()) << std::hex << p << " op " << std::dec << op;
            ASSERT_EQ(it->second.first, m.prot) << std::hex << p << " op " << std::dec << op;
            ASSERT_EQ(it->second.second, m.shared) << std::hex << p << " op " << std::dec << op;
        }
    };

    for (int op = 0; op < operations; ++op) {
        const uint64_t start = kWindow + pick(kWindowPages) * kPage;
        const uint64_t len = (1 + pick(16)) * kPage;
        const uint64_t end = start + len;
        const uint32_t prot = prots[pick(5)];
        const uint64_t kind = pick(100);
        if (kind < 15) {  // mmap MAP_FIXED or MAP_FIXED_NOREPLACE
            const bool shared = pick(5) == 0;
            const bool noreplace = pick(4) == 0;
            const uint32_t flags = lx::kMapAnonymous | (shared ? lx::kMapShared : lx::kMapPrivate) |
                                   (noreplace ? lx::kMapFixedNoreplace : lx::kMapFixed);
            const int64_t r = env.run([&] { return as->mmap(start, len, prot, flags); });
            if (prot == (R | W | X)) {
                ASSERT_EQ(r, -lx::kEacces);
            } else if (noreplace && model.any_in(start, end)) {
                ASSERT_EQ(r, -lx::kEexist);
            } else {
                ASSERT_EQ(r, static_cast<int64_t>(start)) << "op " << op;
                model.map(start, end, prot, shared);
            }
        } else if (kind < 19) {  // mmap with a hint, or none
            const uint64_t hint = pick(2) ? start : 0;
            const uint32_t p = prot == (R | W | X) ? R : prot;
            const int64_t r = env.run([&] { return as->mmap(hint, len, p, lx::kMapAnonymous | lx::kMapPrivate); });
            ASSERT_GT(r, 0);
            const auto at = static_cast<uint64_t>(r);
            ASSERT_FALSE(model.any_in(at, at + len)) << "op " << op;
            if (hint && !model.any_in(hint, hint + len)) {
                ASSERT_EQ(at, hint) << "op " << op;
            }
            if (at != hint) {
                ASSERT_LE(at + len, mmap_base);
                floating.push_back({at, len});
            }
            model.map(at, at + len, p, false);
        } else if (kind < 22 && !floating.empty()) {  // munmap a floating one
            const size_t i = pick(floating.size());
            const auto [at, l] = floating[i];
            floating.erase(floating.begin() + static_cast<long>(i));
            ASSERT_EQ(env.run([&] { return as->munmap(at, l); }), 0);
            model.erase(at, at + l);
        } else if (kind < 32) {  // munmap
            ASSERT_EQ(env.run([&] { return as->munmap(start, len); }), 0);
            model.erase(start, end);
        } else if (kind < 45) {  // mprotect
            const int64_t r = env.run([&] { return as->mprotect(start, len, prot); });
            if (prot == (R | W | X)) {
                ASSERT_EQ(r, -lx::kEacces);
            } else if (!model.all_in(start, end)) {
                ASSERT_EQ(r, -lx::kEnomem) << "op " << op;
            } else {
                ASSERT_EQ(r, 0);
                for (uint64_t p = start; p < end; p += kPage) model.pages[p].prot = prot;
            }
        } else if (kind < 52) {  // brk
            const uint64_t req = pick(8) == 0 ? pick(options.brk_start) : options.brk_start + pick(64 * kPage);
            const uint64_t got = env.run([&] { return as->brk(req); });
            uint64_t expect = brk;
            if (req >= options.brk_start) {
                const uint64_t new_end = k::align_up(req, kPage), old_end = k::align_up(brk, kPage);
                if (new_end == old_end) {
                    expect = req;
                } else if (req <= brk) {
                    model.erase(new_end, old_end);
                    expect = req;
                } else if (!model.any_in(old_end, new_end + kPage)) {
                    model.map(old_end, new_end, R | W, false);
                    expect = req;
                }
            }
            ASSERT_EQ(got, expect) << "op " << op;
            brk = expect;
        } else if (kind < 58) {  // madvise(MADV_DONTNEED)
            const int64_t r = env.run([&] { return as->madvise(start, len, lx::kMadvDontneed); });
            ASSERT_EQ(r, model.all_in(start, end) ? 0 : -lx::kEnomem) << "op " << op;
            for (auto it = model.pages.lower_bound(start); it != model.pages.end() && it->first < end; ++it)
                if (!it->second.shared) it->second.value = 0;
        } else {  // touch a page: mapped or not, any access
            uint64_t page = start;
            if (!model.pages.empty() && pick(4) != 0) {
                auto it = model.pages.begin();
                std::advance(it, static_cast<long>(pick(model.pages.size())));
                page = it->first;
            }
            const AccessType type = pick(3) == 0 ? AccessType::kFetch : pick(2) ? AccessType::kWrite : AccessType::kRead;
            const Touch t = env.touch(as, page, type);
            faults_taken += static_cast<uint64_t>(t.faults);
            auto it = model.pages.find(page);
            if (it == model.pages.end()) {
                ASSERT_FALSE(t.ok);
                ASSERT_EQ(t.refused.code, lx::kSegvMaperr) << "op " << op;
            } else if (!allowed(it->second.prot, type)) {
                ASSERT_FALSE(t.ok) << "op " << op << std::hex << " page " << page << " prot " << it->second.prot;
                ASSERT_EQ(t.refused.code, lx::kSegvAccerr) << "op " << op;
            } else {
                ASSERT_TRUE(t.ok) << "op " << op;
                ASSERT_EQ(env.read64(t.pa), it->second.value) << "op " << op << std::hex << " page " << page;
                if (type == AccessType::kWrite) {
                    it->second.value = rng() | 1;
                    env.write64(t.pa, it->second.value);
                }
            }
        }
        if (op % 25 == 24) compare_vmas(op);
        if (op % 100 == 99) env.check(as);
        if (::testing::Test::HasFatalFailure()) return;
    }
    compare_vmas(operations);
    env.check(as);
    const k::FaultCounters c = as->fault_counters();
    EXPECT_EQ(c.demand_zero + c.zero_page + c.permission + c.maperr + c.accerr + c.oom, faults_taken)
        << "each fault counts once";
    EXPECT_GT(c.demand_zero, 0u);
    if (zero_page_reads) {
        EXPECT_GT(c.zero_page, 0u);
    }
    EXPECT_GT(c.accerr, 0u);
    EXPECT_GT(c.maperr, 0u);
    env.destroy(as);
    EXPECT_EQ(env.settled_free_frames(), env.baseline()) << "frames leaked";
}

TEST(AddressSpaceRandom, MatchesAPageModel) {
    for (uint64_t seed : {1u, 2u, 3u, 4u, 5u}) {
        SCOPED_TRACE(seed);
        run_random(seed, 4000, seed % 2 == 0);  // even seeds map the zero page on reads
        if (HasFatalFailure()) return;
    }
}

}  // namespace
