// Self-modifying and cross-modifying code (SDM Vol. 3A 11.6): a store to a
// frame holding decoded instructions drops them, and the next fetch decodes
// the new bytes; the kernel's invalidate_code_page does the same for frames
// it rewrites or reuses.
#include <gtest/gtest.h>

#include "tests/cpu/cpu_fixture.h"

namespace simx::test {
namespace {

class SelfModifyingCode : public CpuFixture {};

// The store patches the immediate of the very next instruction, which is in
// the same decoded run.
TEST_F(SelfModifyingCode, StoreIntoTheNextInstruction) {
    map(kCode);
    poke(kCode, {
        0xC6, 0x05, 0x01, 0x00, 0x00, 0x00, 0x2A,  // mov byte [rip+1], 42  -> the imm32's low byte below
        0xB8, 0x01, 0x00, 0x00, 0x00,              // mov eax, 1
        0xF4,                                      // hlt
    });
    CpuState s = at(kCode);
    EXPECT_EQ(run(s).reason, ExitReason::kHalt);
    EXPECT_EQ(s.gpr[kRax], 42u);
    EXPECT_EQ(cpu_.counters().code_writes, 1u);
    code_.check_invariants();
}

// A loop rewrites an instruction of its own body: each iteration must run the
// freshly written bytes.
TEST_F(SelfModifyingCode, LoopRewritesItsOwnBody) {
    map(kCode);
    poke(kCode, {
        0x48, 0x83, 0xC3, 0x01,                    // 0: add rbx, 1          <- patched: imm8 = counter
        0x88, 0x0D, 0xF9, 0xFF, 0xFF, 0xFF,        // 4: mov [rip-7], cl     (byte 3: the add's imm8)
        0xFE, 0xC1,                                // 10: inc cl
        0x80, 0xF9, 0x0A,                          // 12: cmp cl, 10
        0x75, 0xEF,                                // 15: jne 0
        0xF4,                                      // 17: hlt
    });
    CpuState s = at(kCode);
    s.gpr[kRcx] = 1;
    EXPECT_EQ(run(s).reason, ExitReason::kHalt);
    // Iteration k (k = 0..8) adds the immediate written by the previous one: 1, 1, 2, ..., 8.
    EXPECT_EQ(s.gpr[kRbx], 1u + (1 + 2 + 3 + 4 + 5 + 6 + 7 + 8));
    code_.check_invariants();
}

// REP STOSB over code of another page: the string path checks the frames too.
TEST_F(SelfModifyingCode, RepStosOverAnotherCodePage) {
    map(kCode);
    map(kCode + 0x2000);
    poke(kCode + 0x2000, {0xB8, 0x07, 0x00, 0x00, 0x00, 0xC3});  // f: mov eax, 7; ret
    poke(kCode, {
        0xE8, 0xFB, 0x1F, 0x00, 0x00,  // 0: call f
        0x89, 0xC3,                    // 5: mov ebx, eax
        0xB0, 0x09,                    // 7: mov al, 9
        0xF3, 0xAA,                    // 9: rep stosb: f's immediate becomes 9
        0xE8, 0xF0, 0x1F, 0x00, 0x00,  // 11: call f
        0xF4,                          // 16: hlt
    });
    CpuState s = at(kCode);
    s.gpr[kRdi] = kCode + 0x2001;
    s.gpr[kRcx] = 1;
    EXPECT_EQ(run(s).reason, ExitReason::kHalt);
    EXPECT_EQ(s.gpr[kRbx], 7u);
    EXPECT_EQ(s.gpr[kRax], 9u);
    EXPECT_EQ(cpu_.counters().code_writes, 1u);
}

// The kernel rewrites a code frame (e.g. loads another program into it) and
// calls invalidate_code_page: the next run decodes the new bytes.
TEST_F(SelfModifyingCode, KernelInvalidatesARewrittenFrame) {
    map(kCode);
    poke(kCode, {0xB8, 0x01, 0x00, 0x00, 0x00, 0xF4});  // mov eax, 1; hlt
    CpuState s = at(kCode);
    run(s);
    EXPECT_EQ(s.gpr[kRax], 1u);
    poke(kCode, {0xB8, 0x02, 0x00, 0x00, 0x00, 0xF4});  // behind the CPU's back
    cpu_.invalidate_code_page(pa_of(kCode));
    s = at(kCode);
    run(s);
    EXPECT_EQ(s.gpr[kRax], 2u);
    EXPECT_EQ(code_.stats().pages_invalidated, 1u);
}

// Two linear pages mapping one frame share its decode (the cache is physical).
TEST_F(SelfModifyingCode, AliasedLinearPagesShareTheFrame) {
    const PhysAddr pa = map(kCode);
    tables_.map(VirtAddr{kCode + 0x10000}, pa, PageSize::k4K, Pte::kWritable | Pte::kUser);
    pages_[kCode + 0x10000] = pa;
    poke(kCode, {0xFF, 0xC0, 0xF4});  // inc eax; hlt
    CpuState s = at(kCode);
    run(s);
    s.rip = kCode + 0x10000;
    run(s);
    EXPECT_EQ(s.gpr[kRax], 2u);
    EXPECT_EQ(code_.stats().pages_created, 1u);
}

// An instruction crossing into the next page is decoded with that page's
// bytes; a store to the second page drops it, and it runs again with the new bytes.
TEST_F(SelfModifyingCode, InstructionCrossingPagesIsRedecodedAfterAStoreToTheSecondPage) {
    map(kCode);
    map(kCode + 4096);
    const uint64_t at_insn = kCode + 4096 - 3;
    poke(at_insn, {0x48, 0xB8, 0x01});                          // mov rax, imm64: 3 bytes here...
    poke(kCode + 4096, {0, 0, 0, 0, 0, 0, 0, 0xF4});           // ...7 there, then hlt
    CpuState s = at(at_insn);
    EXPECT_EQ(run(s).reason, ExitReason::kHalt);
    EXPECT_EQ(s.gpr[kRax], 1u);
    EXPECT_EQ(code_.stats().crossing_decoded, 1u);

    // A guest store into the second page (to the imm64's second byte).
    map(kCode + 0x3000);
    poke(kCode + 0x3000, {0xC6, 0x05, 0x00, 0x00, 0x00, 0x00, 0x02, 0xF4});  // mov byte [rip+X], 2; hlt
    const int32_t disp = static_cast<int32_t>((kCode + 4096) - (kCode + 0x3000 + 7));
    poke(kCode + 0x3002, {static_cast<uint8_t>(disp), static_cast<uint8_t>(disp >> 8),
                          static_cast<uint8_t>(disp >> 16), static_cast<uint8_t>(disp >> 24)});
    s = at(kCode + 0x3000);
    EXPECT_EQ(run(s).reason, ExitReason::kHalt);
    s = at(at_insn);
    EXPECT_EQ(run(s).reason, ExitReason::kHalt);
    EXPECT_EQ(s.gpr[kRax], 0x0201u);
    code_.check_invariants();
}

}  // namespace
}  // namespace simx::test
