// Randomized edits against a model: thousands of map / map_largest / unmap /
// protect / demote / promote operations on a 4 GiB window, each predicted by a
// model (a map of the leaves the kernel should have made, their sizes included),
// and after every batch every modelled page is checked through the simulated
// MMU with its TLBs on. The invalidations each edit returns are performed, so a
// missing one shows up as a stale translation. At the end every table page is
// back with the allocator.
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <random>
#include <vector>

#include "kernel/mm/page_table.h"
#include "tests/kernel/page_table_fixture.h"

using namespace simx;
using namespace simx::testing;
namespace k = kernel;

namespace {

struct Leaf {
    uint64_t frame;
    k::PageSize size;
    k::PageAttrs attrs;
};

// The leaves the editor should hold, keyed by first address, with the same
// rules as the editor: splits around range ends, demote, promote.
class Model {
public:
    std::map<uint64_t, Leaf> leaves;

    static uint64_t bytes(const Leaf& l) { return k::page_bytes(l.size); }

    std::map<uint64_t, Leaf>::iterator containing(uint64_t va) {
        auto it = leaves.upper_bound(va);
        if (it == leaves.begin()) return leaves.end();
        --it;
        return va - it->first < bytes(it->second) ? it : leaves.end();
    }
    bool overlaps(uint64_t va, uint64_t len) {
        if (containing(va) != leaves.end()) return true;
        auto it = leaves.lower_bound(va);
        return it != leaves.end() && it->first < va + len;
    }
    void demote(std::map<uint64_t, Leaf>::iterator it) {
        const uint64_t base = it->first;
        const Leaf big = it->second;
        const auto small = static_cast<k::PageSize>(static_cast<unsigned>(big.size) - 1);
        const uint64_t step = k::page_bytes(small);
        leaves.erase(it);
        for (uint64_t j = 0; j < 512; ++j) leaves[base + j * step] = Leaf{big.frame + j * step, small, big.attrs};
    }
    // PageTable::split_around.
    void split_around(uint64_t addr, const k::PageAttrs* unless) {
        for (;;) {
            auto it = containing(addr);
            if (it == leaves.end() || it->second.size == k::PageSize::k4K || it->first == addr) return;
            if (unless && it->second.attrs == *unless) return;
            demote(it);
        }
    }
    void map(uint64_t va, uint64_t pa, uint64_t len, k::PageSize s, bool largest) {
        for (uint64_t done = 0; done < len;) {
            k::PageSize size = s;
            if (largest) {
                size = k::PageSize::k4K;
                for (k::PageSize c : {k::PageSize::k1G, k::PageSize::k2M}) {
                    const uint64_t b = k::page_bytes(c);
                    if ((va + done) % b == 0 && (pa + done) % b == 0 && len - done >= b) {
                        size = c;
                        break;
                    }
                }
            }
            leaves[va + done] = Leaf{pa + done, size, attrs_for_map};
            done += k::page_bytes(size);
        }
    }
    void unmap(uint64_t va, uint64_t len) {
        split_around(va, nullptr);
        split_around(va + len, nullptr);
        leaves.erase(leaves.lower_bound(va), leaves.lower_bound(va + len));
    }
    void protect(uint64_t va, uint64_t len, const k::PageAttrs& a) {
        split_around(va, &a);
        split_around(va + len, &a);
        for (auto it = leaves.lower_bound(va); it != leaves.end() && it->first < va + len; ++it) it->second.attrs = a;
    }
    // PageTable::promote_to_large_page's checks, in its order.
    k::PtStatus promote_status(uint64_t va, k::PageSize s) {
        const uint64_t span = k::page_bytes(s);
        const auto small = static_cast<k::PageSize>(static_cast<unsigned>(s) - 1);
        const uint64_t step = k::page_bytes(small);
        auto c = containing(va);
        if (c != leaves.end() && c->second.size >= s) return k::PtStatus::kAlreadyLarge;
        if (!overlaps(va, span)) return k::PtStatus::kNotMapped;
        uint64_t slots = 0;
        for (uint64_t j = 0; j < 512; ++j) slots += overlaps(va + j * step, step) ? 1 : 0;
        if (slots != 512) return k::PtStatus::kNotAllPresent;
        auto first = leaves.find(va);
        if (first == leaves.end() || first->second.size != small) return k::PtStatus::kNotLeaf;
        if (first->second.frame % span) return k::PtStatus::kFrameMisaligned;
        for (uint64_t j = 0; j < 512; ++j) {
            auto e = leaves.find(va + j * step);
            if (e == leaves.end() || e->second.size != small) return k::PtStatus::kNotLeaf;
            if (e->second.frame != first->second.frame + j * step) return k::PtStatus::kNotContiguous;
            if (!(e->second.attrs == first->second.attrs)) return k::PtStatus::kAttributesDiffer;
        }
        return k::PtStatus::kOk;
    }
    void promote(uint64_t va, k::PageSize s) {
        const Leaf first = leaves.at(va);
        leaves.erase(leaves.lower_bound(va), leaves.lower_bound(va + k::page_bytes(s)));
        leaves[va] = Leaf{first.frame, s, first.attrs};
    }

    k::PageAttrs attrs_for_map;
};

struct Scenario {
    const char* name;
    bool la57;
    bool kernel;
    uint64_t window;  // 4 GiB, 1 GiB-aligned, crossing a top-level boundary
};

class PageTableRandomTest : public ::testing::TestWithParam<Scenario> {};

TEST_P(PageTableRandomTest, ThousandsOfEditsMatchTheModelThroughTheSimulatedMmu) {
    const Scenario sc = GetParam();
    PageTableEnv env(page_table_machine(sc.la57));
    k::PageTable pt;
    env.run([&] {
        const k::PtStatus s = sc.kernel ? pt.init_kernel(env.tables(), env.config(), 64 * kMiB)
                                        : pt.init_user(env.tables(), env.config(), nullptr);
        ASSERT_EQ(s, k::PtStatus::kOk);
    });
    env.load(pt.root());
    const uint64_t baseline_tables = env.tables().outstanding();

    std::mt19937_64 rng(0x5eed'0000 + (sc.la57 ? 5 : 4) + (sc.kernel ? 10 : 0));
    auto below = [&](uint64_t n) { return n ? rng() % n : 0; };
    const uint64_t W = sc.window, kWindow = 4 * kGiB;
    constexpr uint64_t kPhysLimit = uint64_t{1} << 39;  // MAXPHYADDR of the machine

    Model model;
    auto random_attrs = [&] {
        k::PageAttrs a;
        a.writable = below(2);
        a.executable = below(3) == 0;
        a.user = !sc.kernel && below(4) != 0;
        a.cache = static_cast<k::CachePolicy>(below(k::kCachePolicyCount));
        return a;
    };
    auto refused_attrs = [&](const k::PageAttrs& a) {
        if (sc.kernel && a.user) return k::PtStatus::kUserInKernelHalf;
        if (!a.user && a.writable && a.executable) return k::PtStatus::kWriteExecute;
        return k::PtStatus::kOk;
    };
    // A 4 KiB-aligned range in the window, sized from one page to a gigabyte.
    auto random_range = [&](uint64_t& va, uint64_t& len) {
        const uint64_t scale[] = {k4K, 16 * k4K, k2M, 8 * k2M, k1G};
        len = (1 + below(scale[below(5)] / k4K)) * k4K;
        if (len > kWindow) len = kWindow;
        va = W + below((kWindow - len) / k4K + 1) * k4K;
    };
    // An address near an existing leaf, or anywhere.
    auto random_target = [&]() -> uint64_t {
        if (model.leaves.empty() || below(4) == 0) return W + below(kWindow / k4K) * k4K;
        auto it = std::next(model.leaves.begin(), static_cast<long>(below(model.leaves.size())));
        return it->first + below(Model::bytes(it->second) / k4K) * k4K;
    };

    std::vector<uint64_t> promotable;  // bases of 512-entry runs: promotion candidates

    // Probes around each edit (in batches that flush per edit): touched before
    // the edit so the TLBs hold the old translations (read; write and fetch when
    // allowed, so the entries are dirty and in the ITLB too), checked against the
    // model right after the flush. A missing invalidation shows up here.
    std::vector<uint64_t> probes;
    bool per_edit = false;
    auto access_for = [&](uint64_t a, AccessType t) {
        auto it = model.containing(a);
        const bool user = it != model.leaves.end() ? it->second.attrs.user : !sc.kernel;
        return user ? Access::user(t) : Access::supervisor(t);
    };
    auto before = [&](uint64_t lo, uint64_t hi) {
        probes.clear();
        if (!per_edit) return;
        auto add = [&](uint64_t a) {
            if (a >= lo && a < hi) probes.push_back(a);
        };
        add(lo);
        add(hi - k4K);
        for (int i = 0; i < 6; ++i) add(lo + below((hi - lo) / k4K) * k4K + below(k4K));
        // Mapped pages matter most: up to 16 of the leaves in the region.
        std::vector<std::pair<uint64_t, uint64_t>> inside;  // base, bytes
        for (auto it = model.leaves.lower_bound(lo); it != model.leaves.end() && it->first < hi; ++it)
            inside.emplace_back(it->first, Model::bytes(it->second));
        for (int i = 0; i < 16 && !inside.empty(); ++i) {
            const auto [base, bytes] = inside[below(inside.size())];
            add(base + below(bytes / k4K) * k4K + below(k4K));
        }
        for (uint64_t a : probes) {
            auto it = model.containing(a);
            env.translate(a, access_for(a, AccessType::kRead));
            if (it != model.leaves.end() && it->second.attrs.writable) env.translate(a, access_for(a, AccessType::kWrite));
            if (it != model.leaves.end() && it->second.attrs.executable)
                env.translate(a, access_for(a, AccessType::kFetch));
        }
    };
    auto around = [&](uint64_t va, uint64_t len) {
        before(std::max(W, va & ~(kGiB - 1)), std::min(W + kWindow, (va + len + kGiB - 1) & ~(kGiB - 1)));
        for (uint64_t a : {va - k4K, va, va + len - k4K, va + len})
            if (a >= W && a < W + kWindow && per_edit) probes.push_back(a);
    };
    auto after = [&]() -> std::string {
        for (uint64_t a : probes) {
            auto it = model.containing(a);
            const std::string err = it == model.leaves.end()
                                        ? check_unmapped(env.mmu(), a, !sc.kernel)
                                        : check_page(env.mmu(), a, it->second.frame + (a - it->first), it->second.size,
                                                     it->second.attrs);
            if (!err.empty()) return err;
        }
        return "";
    };
    int ok_counts[6] = {};
    constexpr int kBatches = 100, kEditsPerBatch = 25;
    for (int batch = 0; batch < kBatches; ++batch) {
        const bool gather = batch % 3 == 0;  // one record for the whole batch
        per_edit = !gather;
        env.run([&] {
            k::TlbInvalidation batch_inv;
            for (int e = 0; e < kEditsPerBatch; ++e) {
                k::TlbInvalidation inv;
                const int op = static_cast<int>(model.leaves.size() > 5000 ? 1 : below(6));
                k::PtStatus got = k::PtStatus::kOk, want = k::PtStatus::kOk;
                uint64_t va = 0, len = 0;
                switch (op) {
                    case 0: {  // map with a fixed size; aligned 512-page runs make promotable tables
                        const uint64_t r = below(10);
                        const k::PageSize s = r < 6 ? k::PageSize::k4K : r < 9 ? k::PageSize::k2M : k::PageSize::k1G;
                        const uint64_t b = k::page_bytes(s);
                        const bool run = s != k::PageSize::k1G && below(3) == 0;
                        len = run ? 512 * b : (1 + below(s == k::PageSize::k4K ? 64 : 3)) * b;
                        const uint64_t align = run ? len : b;
                        va = W + below((kWindow - len) / align + 1) * align;
                        const uint64_t pa = run || below(4) == 0 ? (va - W) % kGiB + kGiB * below(64)
                                                                 : below((kPhysLimit - len) / b) * b;
                        model.attrs_for_map = random_attrs();
                        want = refused_attrs(model.attrs_for_map);
                        if (want == k::PtStatus::kOk && model.overlaps(va, len)) want = k::PtStatus::kAlreadyMapped;
                        before(va, va + len);
                        got = pt.map(k::VirtAddr{va}, k::PhysAddr{pa}, len, model.attrs_for_map, s, inv);
                        if (got == k::PtStatus::kOk) {
                            model.map(va, pa, len, s, false);
                            if (run) promotable.push_back(va);
                        }
                        break;
                    }
                    case 1: {  // unmap; a large range when the model grows too big
                        random_range(va, len);
                        if (model.leaves.size() > 5000) {
                            len = kGiB / 2 + below(kGiB / 2 / k4K) * k4K;
                            va = W + below((kWindow - len) / k4K + 1) * k4K;
                        }
                        around(va, len);
                        got = pt.unmap(k::VirtAddr{va}, len, inv);
                        model.unmap(va, len);
                        break;
                    }
                    case 2: {  // protect
                        random_range(va, len);
                        const k::PageAttrs a = random_attrs();
                        want = refused_attrs(a);
                        around(va, len);
                        got = pt.protect(k::VirtAddr{va}, len, a, inv);
                        if (got == k::PtStatus::kOk) model.protect(va, len, a);
                        break;
                    }
                    case 3: {  // demote, mostly a large leaf
                        va = random_target();
                        if (below(4) != 0) {
                            std::vector<uint64_t> large;
                            for (const auto& [base, leaf] : model.leaves)
                                if (leaf.size != k::PageSize::k4K) large.push_back(base);
                            if (!large.empty()) va = large[below(large.size())] + below(512) * k4K;
                        }
                        auto it = model.containing(va);
                        want = it == model.leaves.end()                 ? k::PtStatus::kNotMapped
                               : it->second.size == k::PageSize::k4K ? k::PtStatus::kNotLarge
                                                                      : k::PtStatus::kOk;
                        if (it != model.leaves.end()) before(it->first, it->first + Model::bytes(it->second));
                        else before(va, va + k4K);
                        got = pt.demote_large_page(k::VirtAddr{va}, inv);
                        if (got == k::PtStatus::kOk) {
                            promotable.push_back(it->first);
                            model.demote(it);
                        }
                        break;
                    }
                    case 4: {  // promote, mostly where it might work
                        k::PageSize s = below(4) == 0 ? k::PageSize::k1G : k::PageSize::k2M;
                        va = random_target() & ~(k::page_bytes(s) - 1);
                        if (!promotable.empty() && below(2) == 0) {
                            // A run mapped or demoted earlier (maybe edited since).
                            const size_t i = below(promotable.size());
                            va = promotable[i];
                            promotable.erase(promotable.begin() + static_cast<long>(i));
                            auto it = model.leaves.find(va);
                            s = it != model.leaves.end() && it->second.size == k::PageSize::k2M ? k::PageSize::k1G
                                                                                                 : k::PageSize::k2M;
                            va &= ~(k::page_bytes(s) - 1);
                        }
                        want = model.promote_status(va, s);
                        before(va, va + k::page_bytes(s));
                        got = pt.promote_to_large_page(k::VirtAddr{va}, s, inv);
                        if (got == k::PtStatus::kOk) model.promote(va, s);
                        break;
                    }
                    case 5: {  // map_largest, with a frame aligned like va
                        random_range(va, len);
                        const uint64_t pa = (va - W) % kGiB + kGiB * below(64);
                        model.attrs_for_map = random_attrs();
                        want = refused_attrs(model.attrs_for_map);
                        if (want == k::PtStatus::kOk && model.overlaps(va, len)) want = k::PtStatus::kAlreadyMapped;
                        around(va, len);
                        got = pt.map_largest(k::VirtAddr{va}, k::PhysAddr{pa}, len, model.attrs_for_map, inv);
                        if (got == k::PtStatus::kOk) model.map(va, pa, len, k::PageSize::k4K, true);
                        break;
                    }
                }
                ASSERT_EQ(got, want) << "batch " << batch << " edit " << e << " op " << op << " va " << std::hex << va
                                     << " len " << len << ": " << k::describe(got);
                if (got == k::PtStatus::kOk) ++ok_counts[op];
                if (gather) {
                    batch_inv.absorb(inv);
                } else {
                    k::flush_tlb_local(inv, 0);
                    ASSERT_EQ(after(), "") << "right after batch " << batch << " edit " << e << " op " << op << " va "
                                           << std::hex << va << " len " << len;
                }
            }
            k::flush_tlb_local(batch_inv, 0);
            pt.check_invariants();
        });
        if (HasFatalFailure()) return;

        // The model through the MMU: every large leaf at a random offset, 4 KiB
        // leaves at their base (every 4th batch all of them, else about 500).
        // Then some addresses that must fault.
        const uint64_t every = batch % 4 == 3 ? 1 : model.leaves.size() / 500 + 1;
        for (const auto& [base, leaf] : model.leaves) {
            if (leaf.size == k::PageSize::k4K && below(every) != 0) continue;
            const uint64_t off = leaf.size == k::PageSize::k4K ? 0 : below(Model::bytes(leaf) / k4K) * k4K + below(k4K);
            const std::string err = check_page(env.mmu(), base + off, leaf.frame + off, leaf.size, leaf.attrs);
            ASSERT_EQ(err, "") << "after batch " << batch;
        }
        for (int i = 0; i < 200; ++i) {
            const uint64_t va = W + below(kWindow / k4K) * k4K;
            if (model.containing(va) != model.leaves.end()) continue;
            ASSERT_EQ(check_unmapped(env.mmu(), va, !sc.kernel), "") << "after batch " << batch;
        }
    }
    for (int op = 0; op < 6; ++op) EXPECT_GT(ok_counts[op], 0) << "op " << op << " never succeeded";
    ::testing::Test::RecordProperty("leaves_at_end", static_cast<int>(model.leaves.size()));

    k::TlbInvalidation inv;
    env.run([&] {
        ASSERT_EQ(pt.unmap(k::VirtAddr{W}, kWindow, inv), k::PtStatus::kOk);
        k::flush_tlb_local(inv, 0);
        pt.check_invariants();
    });
    EXPECT_EQ(env.tables().outstanding(), baseline_tables) << "unmapping everything frees every table it made";
    env.run([&] {
        pt.destroy(inv);
        k::flush_tlb_local(inv, 0);
    });
    EXPECT_EQ(env.tables().outstanding(), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Scenarios, PageTableRandomTest,
    ::testing::Values(Scenario{"user4", false, false, 510 * kGiB},
                      Scenario{"kernel4", false, true, 0xffff'c900'0000'0000ull + 510 * kGiB},
                      Scenario{"user5", true, false, (uint64_t{1} << 48) - 2 * kGiB}),
    [](const ::testing::TestParamInfo<Scenario>& i) { return std::string(i.param.name); });

}  // namespace
