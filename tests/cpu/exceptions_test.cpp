// Exceptions raised by the interpreter: the right vector, error code, CR2 and
// RIP, and the state as it was before the faulting instruction (SDM Vol. 3A
// 6.5, 4.7). #PF error codes: P=1, W/R=2, U/S=4, I/D=16 (NXE is on).
#include <gtest/gtest.h>

#include <cstring>

#include "tests/cpu/cpu_fixture.h"

namespace simx::test {
namespace {

constexpr uint32_t kP = pf::kPresent, kW = pf::kWrite, kU = pf::kUser, kI = pf::kFetch;

class Exceptions : public CpuFixture {};

void expect_exception(const Exit& e, uint8_t vec, uint32_t error = 0, uint64_t cr2 = 0) {
    EXPECT_EQ(e.reason, ExitReason::kException) << describe(e);
    EXPECT_EQ(e.vector, vec) << describe(e);
    EXPECT_EQ(e.error_code, error) << describe(e);
    if (vec == vector::kPageFault) {
        EXPECT_EQ(e.cr2, cr2) << describe(e);
    }
}

TEST_F(Exceptions, FetchFromUnmappedPage) {
    CpuState s = at(kCode);  // nothing mapped there
    const CpuState before = s;
    const Exit e = run(s);
    expect_exception(e, vector::kPageFault, kU | kI, kCode);
    EXPECT_EQ(e.instructions, 0u);
    EXPECT_EQ(s, before);
}

TEST_F(Exceptions, FetchFromPageZeroAndNonCanonicalRip) {
    CpuState s = at(0x100);
    expect_exception(run(s), vector::kPageFault, kU | kI, 0x100);
    s = at(0x0000'8000'0000'0000);
    expect_exception(run(s), vector::kGeneralProtection, 0);
}

TEST_F(Exceptions, FetchFromNoExecutePage) {
    map(kCode, Pte::kUser | Pte::kNoExecute);
    CpuState s = at(kCode + 0x10);
    expect_exception(run(s), vector::kPageFault, kP | kU | kI, kCode + 0x10);
    EXPECT_EQ(s.rip, kCode + 0x10);
}

TEST_F(Exceptions, FetchFromSupervisorPage) {
    map(kCode, Pte::kWritable);  // U/S = 0
    CpuState s = at(kCode);
    expect_exception(run(s), vector::kPageFault, kP | kU | kI, kCode);
}

TEST_F(Exceptions, JumpIntoUnmappedPageFaultsAtTheTarget) {
    map(kCode);
    poke(kCode, {0xE9, 0xFB, 0x0F, 0x00, 0x00});  // jmp kCode+0x1000 (rel32 = 0xFFB)
    CpuState s = at(kCode);
    const Exit e = run(s);
    expect_exception(e, vector::kPageFault, kU | kI, kCode + 0x1000);
    EXPECT_EQ(e.instructions, 1u);  // the JMP retired
    EXPECT_EQ(s.rip, kCode + 0x1000);
}

TEST_F(Exceptions, LoadFromUnmappedPage) {
    map(kCode);
    poke(kCode, {0x48, 0x8B, 0x03});  // mov rax, [rbx]
    CpuState s = at(kCode);
    s.gpr[kRbx] = kData + 0x123;
    s.gpr[kRax] = 0x1111;
    const CpuState before = s;
    expect_exception(run(s), vector::kPageFault, kU, kData + 0x123);
    EXPECT_EQ(s, before);
}

TEST_F(Exceptions, StoreToReadOnlyPageChangesNothing) {
    map(kCode);
    map(kData, Pte::kUser);
    poke64(kData + 8, 0xAAAA);
    poke(kCode, {0x48, 0x01, 0x43, 0x08});  // add [rbx+8], rax
    CpuState s = at(kCode);
    s.gpr[kRbx] = kData;
    s.gpr[kRax] = 5;
    const CpuState before = s;
    expect_exception(run(s), vector::kPageFault, kP | kW | kU, kData + 8);
    EXPECT_EQ(s, before);
    EXPECT_EQ(peek64(kData + 8), 0xAAAAu);
}

// A read-modify-write faults as a write even on its read (W=1), as Intel does.
TEST_F(Exceptions, ReadModifyWriteToUnmappedPageReportsAWrite) {
    map(kCode);
    poke(kCode, {0xFF, 0x03});  // inc dword [rbx]
    CpuState s = at(kCode);
    s.gpr[kRbx] = kData;
    expect_exception(run(s), vector::kPageFault, kW | kU, kData);
}

TEST_F(Exceptions, PageSplitLoadFaultsOnTheSecondPage) {
    map(kCode);
    map(kData);
    poke(kCode, {0x48, 0x8B, 0x03});  // mov rax, [rbx]
    CpuState s = at(kCode);
    s.gpr[kRbx] = kData + 4096 - 3;  // 3 bytes on the mapped page, 5 on the next
    expect_exception(run(s), vector::kPageFault, kU, kData + 4096);
    EXPECT_EQ(s.rip, kCode);
}

TEST_F(Exceptions, PageSplitLoadFaultsOnTheFirstPageFirst) {
    map(kCode);
    map(kData + 4096);
    poke(kCode, {0x48, 0x8B, 0x03});
    CpuState s = at(kCode);
    s.gpr[kRbx] = kData + 4096 - 3;
    expect_exception(run(s), vector::kPageFault, kU, kData + 4096 - 3);
}

TEST_F(Exceptions, PageSplitStoreWritesNeitherPage) {
    map(kCode);
    map(kData);
    map(kData + 4096, Pte::kUser);  // read-only
    poke64(kData + 4096 - 4, 0x1122334455667788);
    poke(kCode, {0x48, 0x89, 0x03});  // mov [rbx], rax
    CpuState s = at(kCode);
    s.gpr[kRbx] = kData + 4096 - 4;
    s.gpr[kRax] = ~uint64_t{0};
    expect_exception(run(s), vector::kPageFault, kP | kW | kU, kData + 4096);
    EXPECT_EQ(peek64(kData + 4096 - 4), 0x1122334455667788u);  // the first page is untouched too
}

TEST_F(Exceptions, PageSplitStoreSucceedsAcrossTwoWritablePages) {
    map(kCode);
    map(kData);
    map(kData + 4096);
    poke(kCode, {0x48, 0x89, 0x03, 0xF4});  // mov [rbx], rax; hlt
    CpuState s = at(kCode);
    s.gpr[kRbx] = kData + 4096 - 4;
    s.gpr[kRax] = 0x1122334455667788;
    EXPECT_EQ(run(s).reason, ExitReason::kHalt);
    EXPECT_EQ(peek64(kData + 4096 - 4), 0x1122334455667788u);
    EXPECT_EQ(cpu_.counters().split_accesses, 1u);
}

TEST_F(Exceptions, DivideErrorOnZeroAndOverflow) {
    map(kCode);
    poke(kCode, {0x48, 0xF7, 0xF1});  // div rcx
    CpuState s = at(kCode);
    s.gpr[kRcx] = 0;
    const CpuState before = s;
    expect_exception(run(s), vector::kDivideError);
    EXPECT_EQ(s, before);

    poke(kCode, {0x48, 0xF7, 0xF9});  // idiv rcx: INT64_MIN / -1 overflows
    cpu_.invalidate_code_page(pa_of(kCode));
    s = at(kCode);
    s.gpr[kRax] = 0x8000'0000'0000'0000;
    s.gpr[kRdx] = ~uint64_t{0};
    s.gpr[kRcx] = ~uint64_t{0};
    expect_exception(run(s), vector::kDivideError);
    EXPECT_EQ(s.rip, kCode);
}

TEST_F(Exceptions, UnimplementedInstructionRaisesUdWithALogLine) {
    map(kCode);
    poke(kCode, {0x90, 0x0F, 0x2A, 0xC1});  // nop; cvtpi2ps xmm0, mm1 (not implemented)
    CpuState s = at(kCode);
    const Exit e = run(s);
    expect_exception(e, vector::kInvalidOpcode);
    EXPECT_EQ(e.instructions, 1u);
    EXPECT_EQ(s.rip, kCode + 1);
    ASSERT_EQ(log_.size(), 1u);
    EXPECT_NE(log_[0].find("0f 2a c1"), std::string::npos) << log_[0];
    EXPECT_NE(log_[0].find("cvtpi2ps"), std::string::npos) << log_[0];
    EXPECT_NE(log_[0].find("0x400001"), std::string::npos) << log_[0];
}

TEST_F(Exceptions, InvalidEncodingRaisesUd) {
    map(kCode);
    poke(kCode, {0x06});  // PUSH ES does not exist in 64-bit mode
    CpuState s = at(kCode);
    expect_exception(run(s), vector::kInvalidOpcode);
    ASSERT_EQ(log_.size(), 1u);
    EXPECT_NE(log_[0].find("invalid"), std::string::npos) << log_[0];
}

TEST_F(Exceptions, LockOnARegisterIsUd) {
    map(kCode);
    poke(kCode, {0xF0, 0x01, 0xC0});  // lock add eax, eax
    CpuState s = at(kCode);
    expect_exception(run(s), vector::kInvalidOpcode);
}

TEST_F(Exceptions, Ud2IsUdWithoutALogLine) {
    map(kCode);
    poke(kCode, {0x0F, 0x0B});
    CpuState s = at(kCode);
    expect_exception(run(s), vector::kInvalidOpcode);
    EXPECT_TRUE(log_.empty());
    EXPECT_EQ(s.rip, kCode);
}

TEST_F(Exceptions, NonCanonicalDataAddressIsGp) {
    map(kCode);
    poke(kCode, {0x48, 0x8B, 0x03});  // mov rax, [rbx]
    CpuState s = at(kCode);
    s.gpr[kRbx] = 0x8000'0000'0000'0000;
    expect_exception(run(s), vector::kGeneralProtection, 0);
}

TEST_F(Exceptions, NonCanonicalStackAddressIsSs) {
    map(kCode);
    poke(kCode, {0x50});  // push rax
    CpuState s = at(kCode);
    s.gpr[kRsp] = 0x0000'8000'0000'0008;
    expect_exception(run(s), vector::kStackFault, 0);
    EXPECT_EQ(s.gpr[kRsp], 0x0000'8000'0000'0008u);
}

TEST_F(Exceptions, BranchToNonCanonicalTargetIsGpOnTheBranch) {
    map(kCode);
    poke(kCode, {0xFF, 0xE0});  // jmp rax
    CpuState s = at(kCode);
    s.gpr[kRax] = 0x0000'8000'0000'0000;
    expect_exception(run(s), vector::kGeneralProtection, 0);
    EXPECT_EQ(s.rip, kCode);
}

TEST_F(Exceptions, MisalignedCmpxchg16bIsGp) {
    map(kCode);
    map(kData);
    poke(kCode, {0x48, 0x0F, 0xC7, 0x0F});  // cmpxchg16b [rdi]
    CpuState s = at(kCode);
    s.gpr[kRdi] = kData + 8;
    expect_exception(run(s), vector::kGeneralProtection, 0);
}

TEST_F(Exceptions, MisalignedMovapsIsGpBeforeTranslation) {
    map(kCode);  // kData is not mapped: alignment is checked first
    poke(kCode, {0x0F, 0x28, 0x07});  // movaps xmm0, [rdi]
    CpuState s = at(kCode);
    s.gpr[kRdi] = kData + 4;
    const CpuState before = s;
    expect_exception(run(s), vector::kGeneralProtection, 0);
    EXPECT_EQ(s, before);
}

TEST_F(Exceptions, UnmaskedSimdExceptionIsXmAndLeavesTheDestination) {
    map(kCode);
    poke(kCode, {0xF2, 0x0F, 0x5E, 0xC1});  // divsd xmm0, xmm1
    CpuState s = at(kCode);
    const double one = 1.0, zero = 0.0;
    std::memcpy(s.xmm[0].bytes.data(), &one, 8);
    std::memcpy(s.xmm[1].bytes.data(), &zero, 8);
    s.mxcsr = 0x1F80 & ~(1u << 9);  // ZM clear
    const Exit e = run(s);
    expect_exception(e, vector::kSimdFloatingPoint);
    EXPECT_EQ(s.rip, kCode);
    EXPECT_EQ(std::memcmp(s.xmm[0].bytes.data(), &one, 8), 0);
    EXPECT_EQ(s.mxcsr & 0x3F, 1u << 2);  // ZE set
    // Masked: the flag is set and the result (+inf) written.
    s.mxcsr = 0x1F80;
    EXPECT_EQ(run(s, 1).reason, ExitReason::kBudget);
    EXPECT_EQ(s.mxcsr, 0x1F84u);
    const double inf = __builtin_inf();
    EXPECT_EQ(std::memcmp(s.xmm[0].bytes.data(), &inf, 8), 0);
}

TEST_F(Exceptions, PendingX87ExceptionIsMfAtTheNextWaitingInstruction) {
    map(kCode);
    poke(kCode, {0xD9, 0xEE, 0xD9, 0xEE, 0xDE, 0xF9, 0x9B});  // fldz; fldz; fdivp; fwait
    CpuState s = at(kCode);
    s.x87.fcw = 0x037F & ~0x1;  // IM clear: 0/0 is an unmasked invalid operation
    const Exit e = run(s);
    expect_exception(e, vector::kFloatingPoint);
    EXPECT_EQ(s.rip, kCode + 6);  // at the FWAIT: FDIVP completed, setting ES
    EXPECT_EQ(e.instructions, 3u);
    EXPECT_NE(s.x87.fsw & 0x80, 0);
    EXPECT_NE(s.x87.fsw & 0x1, 0);
}

TEST_F(Exceptions, Int3IsATrapAfterTheInstruction) {
    map(kCode);
    poke(kCode, {0xCC});
    CpuState s = at(kCode);
    const Exit e = run(s);
    expect_exception(e, vector::kBreakpoint);
    EXPECT_EQ(s.rip, kCode + 1);
    EXPECT_EQ(e.instructions, 1u);
}

// An instruction that crosses into an unmapped page faults on the fetch of the
// second page, with RIP at the instruction and CR2 at the page.
TEST_F(Exceptions, FetchOfACrossingInstructionFaultsOnTheSecondPage) {
    map(kCode);
    poke(kCode + 4096 - 2, {0x48, 0xB8});  // mov rax, imm64 needs 8 more bytes
    CpuState s = at(kCode + 4096 - 2);
    expect_exception(run(s), vector::kPageFault, kU | kI, kCode + 4096);
    EXPECT_EQ(s.rip, kCode + 4096 - 2);
}

}  // namespace
}  // namespace simx::test
