// REP string instructions across page boundaries, interrupted by a fault in
// the middle: RCX/RSI/RDI must name the first element not done and RIP the
// instruction, so that the kernel can map the page and resume (SDM Vol. 1
// 7.3.9.1, Vol. 3A 6.5).
#include <gtest/gtest.h>

#include "tests/cpu/cpu_fixture.h"

namespace simx::test {
namespace {

class RepString : public CpuFixture {
protected:
    void SetUp() override {
        map(kCode);
        poke(kCode, {0xF3, 0xA4, 0xF4});  // rep movsb; hlt
    }
    uint64_t src_ = kData;            // two mapped pages of source
    uint64_t dst_ = kData + 0x10000;  // first destination page mapped, second not
};

TEST_F(RepString, MovsbFaultsMidwayAndResumes) {
    map(src_);
    map(src_ + 4096);
    map(dst_);
    for (unsigned k = 0; k < 8192; ++k) poke(src_ + k, {static_cast<uint8_t>(k * 7 + 3)});
    CpuState s = at(kCode);
    s.gpr[kRsi] = src_ + 100;
    s.gpr[kRdi] = dst_ + 100;
    s.gpr[kRcx] = 6000;
    const Exit e = run(s);
    ASSERT_EQ(e.reason, ExitReason::kException) << describe(e);
    EXPECT_EQ(e.vector, vector::kPageFault);
    EXPECT_EQ(e.error_code, pf::kWrite | pf::kUser);
    EXPECT_EQ(e.cr2, dst_ + 4096);
    EXPECT_EQ(s.rip, kCode);  // at the REP MOVSB
    // Exactly the bytes up to the end of the destination's first page are done.
    const uint64_t done = 4096 - 100;
    EXPECT_EQ(s.gpr[kRcx], 6000 - done);
    EXPECT_EQ(s.gpr[kRsi], src_ + 100 + done);
    EXPECT_EQ(s.gpr[kRdi], dst_ + 4096);
    for (uint64_t k = 0; k < done; ++k) ASSERT_EQ(peek(dst_ + 100 + k), peek(src_ + 100 + k)) << k;

    // The "kernel" maps the page; the instruction resumes where it stopped.
    map(dst_ + 4096);
    const Exit again = run(s);
    EXPECT_EQ(again.reason, ExitReason::kHalt) << describe(again);
    EXPECT_EQ(s.gpr[kRcx], 0u);
    EXPECT_EQ(s.gpr[kRsi], src_ + 6100);
    EXPECT_EQ(s.gpr[kRdi], dst_ + 6100);
    for (uint64_t k = 0; k < 6000; ++k) ASSERT_EQ(peek(dst_ + 100 + k), peek(src_ + 100 + k)) << k;
}

TEST_F(RepString, MovsqBackwardFaultsOnTheSourceAndResumes) {
    poke(kCode, {0xFD, 0xF3, 0x48, 0xA5, 0xFC, 0xF4});  // std; rep movsq; cld; hlt
    map(src_ + 4096);  // the source's lower page is missing
    map(dst_);
    map(dst_ + 4096);
    for (unsigned k = 0; k < 4096; k += 8) poke64(src_ + 4096 + k, 0x0101'0101'0101'0101ull * (k / 8));
    CpuState s = at(kCode);
    s.gpr[kRsi] = src_ + 4096 + 800;  // elements at 800, 792, ..., then below the page
    s.gpr[kRdi] = dst_ + 4096 + 800;
    s.gpr[kRcx] = 200;
    const Exit e = run(s);
    ASSERT_EQ(e.reason, ExitReason::kException) << describe(e);
    EXPECT_EQ(e.cr2, src_ + 4096 - 8);  // the first byte the faulting element reads
    EXPECT_EQ(e.error_code, pf::kUser);
    EXPECT_EQ(s.rip, kCode + 1);
    EXPECT_EQ(s.gpr[kRcx], 200u - 101u);  // elements 800..0 (101 of them) are done
    EXPECT_EQ(s.gpr[kRsi], src_ + 4096 - 8);
    EXPECT_EQ(s.gpr[kRdi], dst_ + 4096 - 8);
    EXPECT_TRUE(s.rflags & rflags::kDF);

    map(src_);
    EXPECT_EQ(run(s).reason, ExitReason::kHalt);
    EXPECT_EQ(s.gpr[kRcx], 0u);
    EXPECT_EQ(peek64(dst_ + 4096 + 800), peek64(src_ + 4096 + 800));
    EXPECT_EQ(peek64(dst_ + 4096 - 792), peek64(src_ + 4096 - 792));
}

// An element straddling the page boundary is translated on both pages, and
// faults before anything of it is written.
TEST_F(RepString, StosdElementStraddlingIntoAMissingPage) {
    poke(kCode, {0xF3, 0xAB, 0xF4});  // rep stosd; hlt
    map(dst_);
    CpuState s = at(kCode);
    s.gpr[kRdi] = dst_ + 4096 - 10;  // elements at -10, -6, then -2 straddles
    s.gpr[kRcx] = 5;
    s.gpr[kRax] = 0xDEADBEEF;
    const Exit e = run(s);
    ASSERT_EQ(e.reason, ExitReason::kException);
    EXPECT_EQ(e.cr2, dst_ + 4096);
    EXPECT_EQ(s.gpr[kRcx], 3u);
    EXPECT_EQ(s.gpr[kRdi], dst_ + 4096 - 2);
    EXPECT_EQ(peek(dst_ + 4096 - 2), 0u);  // the straddling element wrote nothing
    EXPECT_EQ(peek64(dst_ + 4096 - 10) & 0xFFFF'FFFF, 0xDEADBEEFu);
}

// REPE CMPSB stops at the first difference across the page boundary.
TEST_F(RepString, RepeCmpsbAcrossPages) {
    poke(kCode, {0xF3, 0xA6, 0xF4});  // repe cmpsb; hlt
    map(src_);
    map(src_ + 4096);
    map(dst_);
    map(dst_ + 4096);
    for (unsigned k = 0; k < 300; ++k) {
        poke(src_ + 4000 + k, {static_cast<uint8_t>(k)});
        poke(dst_ + 4000 + k, {static_cast<uint8_t>(k == 250 ? 0xFF : k)});
    }
    CpuState s = at(kCode);
    s.gpr[kRsi] = src_ + 4000;
    s.gpr[kRdi] = dst_ + 4000;
    s.gpr[kRcx] = 300;
    EXPECT_EQ(run(s).reason, ExitReason::kHalt);
    EXPECT_EQ(s.gpr[kRcx], 300u - 251u);
    EXPECT_EQ(s.gpr[kRsi], src_ + 4251);
    EXPECT_FALSE(s.rflags & rflags::kZF);
    EXPECT_TRUE(s.rflags & rflags::kCF);  // 250 - 255 borrows
}

// Fast-string accounting: a 4 KiB REP MOVSB on aligned buffers is 64 line
// reads and 64 line writes.
TEST_F(RepString, MovsbIsChargedPerCacheLine) {
    map(src_);
    map(dst_);
    CpuState s = at(kCode);
    s.gpr[kRsi] = src_;
    s.gpr[kRdi] = dst_;
    s.gpr[kRcx] = 4096;
    EXPECT_EQ(run(s).reason, ExitReason::kHalt);
    EXPECT_EQ(cpu_.counters().loads, 64u);
    EXPECT_EQ(cpu_.counters().stores, 64u);
    EXPECT_EQ(cpu_.counters().string_lines, 63u);
}

}  // namespace
}  // namespace simx::test
