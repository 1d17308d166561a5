// uaccess (kernel/mm/uaccess.h, sim/hal/sim_uaccess.cpp): copies through user
// addresses translated by the simulated MMU, demand paging on the way, -EFAULT
// for what the fault handler refuses, and SMAP catching a kernel touch of
// user memory outside uaccess.
#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <vector>

#include "kernel/lib/errno.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/mman.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/uaccess.h"
#include "sim/machine/sim_error.h"
#include "tests/kernel/process_fixture.h"

namespace simx::testing {
namespace {

namespace lx = kernel::linux;
constexpr uint32_t kRw = lx::kProtRead | lx::kProtWrite;

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
    std::vector<uint8_t> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 7);
    return v;
}

TEST(Uaccess, CopiesAcrossPagesAndDemandPagesEachOnce) {
    ProcessEnv p;
    const int64_t a = p.mmap(3 * kPage, kRw);
    ASSERT_GT(a, 0);
    const std::vector<uint8_t> out = pattern(3 * kPage - 200, 3);
    std::vector<uint8_t> back(out.size());
    EXPECT_EQ(p.run([&] { return kernel::copy_to_user(a + 100, out.data(), out.size()); }), 0);
    EXPECT_EQ(p.run([&] { return kernel::copy_from_user(back.data(), a + 100, back.size()); }), 0);
    EXPECT_EQ(back, out);
    // Three fresh pages, one demand-zero fault each, taken by the kernel's own copy.
    EXPECT_EQ(p.space().fault_counters().demand_zero, 3u);
    EXPECT_EQ(p.km().hal().cpu_stats(0).uaccess_faults, 3u);
    EXPECT_EQ(p.km().hal().cpu_stats(0).uaccess_bytes, 2 * out.size());
}

TEST(Uaccess, StopsAtAHoleWithTheBytesBeforeItCopied) {
    ProcessEnv p;
    const int64_t a = p.mmap(2 * kPage, kRw);
    ASSERT_GT(a, 0);
    ASSERT_EQ(p.run([&] { return p.space().munmap(a + kPage, kPage); }), 0);
    const std::vector<uint8_t> out = pattern(200, 9);
    // Linux's contract at the HAL: the count of bytes not copied.
    EXPECT_EQ(p.run([&] { return hal::copy_to_user(a + kPage - 96, out.data(), out.size()); }), 104u);
    EXPECT_EQ(p.run([&] { return kernel::copy_to_user(a + kPage - 96, out.data(), out.size()); }), -lx::kEfault);
    std::vector<uint8_t> back(96);
    EXPECT_EQ(p.run([&] { return kernel::copy_from_user(back.data(), a + kPage - 96, back.size()); }), 0);
    EXPECT_TRUE(std::equal(back.begin(), back.end(), out.begin()));
    EXPECT_EQ(p.space().fault_counters().maperr, 2u);
}

TEST(Uaccess, ReadOnlyMemoryRefusesWritesAndReadsZeroes) {
    ProcessEnv p;
    const int64_t a = p.mmap(kPage, lx::kProtRead);
    ASSERT_GT(a, 0);
    const uint64_t word = 0x1234;
    EXPECT_EQ(p.run([&] { return kernel::put_user(a, word); }), -lx::kEfault);
    uint64_t got = 99;
    EXPECT_EQ(p.run([&] { return kernel::get_user(got, a); }), 0);
    EXPECT_EQ(got, 0u);
    EXPECT_EQ(p.space().fault_counters().accerr, 1u);
}

TEST(Uaccess, ProtNonePageIsEfaultThoughItsFrameIsKept) {
    ProcessEnv p;
    const int64_t a = p.mmap(kPage, kRw);
    ASSERT_GT(a, 0);
    const uint64_t word = 0xfeedface;
    ASSERT_EQ(p.run([&] { return kernel::put_user(a, word); }), 0);
    ASSERT_EQ(p.run([&] { return p.space().mprotect(a, kPage, lx::kProtNone); }), 0);
    uint64_t got = 0;
    // The frame stays behind a supervisor-only leaf; uaccess must not read it.
    EXPECT_EQ(p.run([&] { return kernel::get_user(got, a); }), -lx::kEfault);
    ASSERT_EQ(p.run([&] { return p.space().mprotect(a, kPage, lx::kProtRead); }), 0);
    EXPECT_EQ(p.run([&] { return kernel::get_user(got, a); }), 0);
    EXPECT_EQ(got, word);
}

TEST(Uaccess, RangesOutsideTheUserHalfAreEfaultWithoutAFault) {
    ProcessEnv p;
    uint8_t buf[32] = {};
    const uint64_t user_end = p.run([] { return kernel::layout().user_end; });
    EXPECT_EQ(p.run([&] { return kernel::copy_from_user(buf, user_end - 8, 16); }), -lx::kEfault);
    EXPECT_EQ(p.run([&] { return kernel::copy_from_user(buf, ~uint64_t{0} - 8, 16); }), -lx::kEfault);
    EXPECT_EQ(p.run([&] { return kernel::copy_to_user(0xffff'8000'0000'0000ull, buf, 1); }), -lx::kEfault);
    EXPECT_EQ(p.run([&] { return kernel::copy_from_user(buf, 0x1000, 0); }), 0);
    EXPECT_EQ(p.km().hal().cpu_stats(0).uaccess_faults, 0u);
    EXPECT_EQ(p.km().hal().cpu_stats(0).uaccess_calls, 1u);  // only the empty copy reached the HAL
}

TEST(Uaccess, StrncpyFromUserFindsTheNulAcrossPagesAndReportsEachFailure) {
    ProcessEnv p;
    const int64_t a = p.mmap(2 * kPage, kRw);
    ASSERT_GT(a, 0);
    const std::string s(50, 'x');
    const uint64_t at = a + kPage - 20;  // crosses into the second page
    ASSERT_EQ(p.run([&] { return kernel::copy_to_user(at, s.c_str(), s.size() + 1); }), 0);
    char buf[128];
    EXPECT_EQ(p.run([&] { return kernel::strncpy_from_user(buf, at, sizeof buf); }), 50);
    EXPECT_EQ(std::string(buf), s);
    // No NUL within n bytes (n counts the NUL): ENAMETOOLONG, as Linux's getname.
    EXPECT_EQ(p.run([&] { return kernel::strncpy_from_user(buf, at, 50); }), -lx::kEnametoolong);
    EXPECT_EQ(p.run([&] { return kernel::strncpy_from_user(buf, at, 51); }), 50);
    // Running into a hole before the NUL.
    ASSERT_EQ(p.run([&] { return p.space().munmap(a + kPage, kPage); }), 0);
    EXPECT_EQ(p.run([&] { return kernel::strncpy_from_user(buf, at, sizeof buf); }), -lx::kEfault);
    EXPECT_EQ(p.run([&] { return kernel::strncpy_from_user(buf, 0, sizeof buf); }), -lx::kEfault);
}

TEST(Uaccess, ClearUserZeroes) {
    ProcessEnv p;
    const int64_t a = p.mmap(kPage, kRw);
    ASSERT_GT(a, 0);
    const std::vector<uint8_t> out(kPage, 0xab);
    ASSERT_EQ(p.run([&] { return kernel::copy_to_user(a, out.data(), out.size()); }), 0);
    ASSERT_EQ(p.run([&] { return kernel::clear_user(a + 10, 100); }), 0);
    std::vector<uint8_t> back(kPage);
    ASSERT_EQ(p.run([&] { return kernel::copy_from_user(back.data(), a, back.size()); }), 0);
    for (size_t i = 0; i < back.size(); ++i) ASSERT_EQ(back[i], (i >= 10 && i < 110) ? 0 : 0xab) << i;
}

TEST(Uaccess, SmapCatchesAKernelReadOutsideUaccessAndPanicsNamingTheSite) {
    ProcessEnv p;
    const int64_t a = p.mmap(kPage, kRw);
    ASSERT_GT(a, 0);
    ASSERT_EQ(p.run([&] { return kernel::put_user(a, uint64_t{7}); }), 0);
    try {
        p.run([&] { hal::smap_violation_probe(a, "uaccess_test probe"); });
        FAIL() << "the probe's read went through";
    } catch (const SimError& e) {
        EXPECT_NE(std::string(e.what()).find("SMAP violation"), std::string::npos) << e.what();
    }
    EXPECT_NE(p.km().console().find("uaccess_test probe"), std::string::npos);
}

// ---------------------------------------------------------------- pinned pages

uint64_t free_frames(ProcessEnv& p) { return p.env().settled_free_frames(); }

TEST(PinnedPages, PinFaultsInAndTheKernelSeesTheUsersBytes) {
    ProcessEnv p;
    const int64_t a = p.mmap(3 * kPage, kRw);
    ASSERT_GT(a, 0);
    kernel::Page* pages[3] = {};
    ASSERT_EQ(p.run([&] { return p.space().pin_pages(a, 3, true, pages); }), 0);
    EXPECT_EQ(p.space().fault_counters().demand_zero, 3u);
    EXPECT_NE(pages[0], pages[1]);
    EXPECT_NE(pages[1], pages[2]);
    // The kernel writes through the frame; the user address reads it.
    p.run([&] {
        auto* bytes = static_cast<uint8_t*>(hal::phys_to_virt(kernel::pmm::page_to_phys(pages[1])));
        bytes[5] = 0x5a;
    });
    uint8_t got = 0;
    EXPECT_EQ(p.run([&] { return kernel::get_user(got, a + kPage + 5); }), 0);
    EXPECT_EQ(got, 0x5a);
    EXPECT_EQ(pages[1]->refcount, 2);  // the mapping and the pin
    p.run([&] { kernel::AddressSpace::unpin_pages(pages, 3); });
    EXPECT_EQ(pages[1]->refcount, 1);
    EXPECT_EQ(p.space().pins_taken(), 3u);
}

TEST(PinnedPages, APinnedFrameOutlivesItsMappingUntilTheLastUnpin) {
    ProcessEnv p;
    const int64_t a = p.mmap(2 * kPage, kRw);
    ASSERT_GT(a, 0);
    const uint64_t before = free_frames(p);
    kernel::Page* pages[2] = {};
    ASSERT_EQ(p.run([&] { return p.space().pin_pages(a, 2, true, pages); }), 0);
    p.run([&] {
        static_cast<uint8_t*>(hal::phys_to_virt(kernel::pmm::page_to_phys(pages[0])))[0] = 0x77;
    });
    ASSERT_EQ(p.run([&] { return p.space().munmap(a, 2 * kPage); }), 0);
    p.run([&] { p.space().check_invariants(); });
    // The page tables may have given frames back; the two pinned frames did not.
    const uint64_t unmapped = free_frames(p);
    EXPECT_LE(unmapped, before);
    EXPECT_EQ(pages[0]->refcount, 1);
    EXPECT_EQ(p.run([&] {
        return static_cast<uint8_t*>(hal::phys_to_virt(kernel::pmm::page_to_phys(pages[0])))[0];
    }), 0x77);
    p.run([&] { kernel::AddressSpace::unpin_pages(pages, 2); });
    EXPECT_EQ(free_frames(p), unmapped + 2);
}

TEST(PinnedPages, ARefusedPageUnpinsWhatWasPinnedAndSaysEfault) {
    ProcessEnv p;
    const int64_t a = p.mmap(3 * kPage, kRw);
    ASSERT_GT(a, 0);
    ASSERT_EQ(p.run([&] { return p.space().mprotect(a + 2 * kPage, kPage, lx::kProtRead); }), 0);
    kernel::Page* pages[3] = {};
    EXPECT_EQ(p.run([&] { return p.space().pin_pages(a, 3, true, pages); }), -lx::kEfault);
    // The first two were faulted in and pinned, then let go.
    for (int i = 0; i < 2; ++i) EXPECT_EQ(pages[i]->refcount, 1) << i;
    EXPECT_EQ(p.run([&] { return p.space().pin_pages(a, 3, false, pages); }), 0);
    p.run([&] { kernel::AddressSpace::unpin_pages(pages, 3); });
    EXPECT_EQ(p.run([&] { return p.space().pin_pages(a + 1, 1, false, pages); }), -lx::kEinval);
}

}  // namespace
}  // namespace simx::testing
