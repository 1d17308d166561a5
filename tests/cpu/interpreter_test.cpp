// The run interface: exits (SYSCALL, HLT, budget), CPUID and RDTSC, the cycle
// model's bookkeeping, the counters in the stats registry, and what every
// fetch and access costs in TLB lookups.
#include <gtest/gtest.h>

#include <cstring>

#include "sim/cpu/cpuid.h"
#include "sim/machine/stats.h"
#include "tests/cpu/cpu_fixture.h"

namespace simx::test {
namespace {

class InterpreterTest : public CpuFixture {};

TEST_F(InterpreterTest, SyscallExitsWithRcxAndR11) {
    map(kCode);
    poke(kCode, {0xB8, 0x3C, 0x00, 0x00, 0x00, 0x0F, 0x05, 0xF4});  // mov eax, 60; syscall; hlt
    CpuState s = at(kCode);
    s.rflags |= rflags::kCF;
    const Exit e = run(s);
    EXPECT_EQ(e.reason, ExitReason::kSyscall);
    EXPECT_EQ(e.instructions, 2u);
    EXPECT_EQ(s.rip, kCode + 7);
    EXPECT_EQ(s.gpr[kRcx], kCode + 7);
    EXPECT_EQ(s.gpr[kR11], s.rflags);
    EXPECT_EQ(s.gpr[kRax], 60u);
    // The kernel returns (SYSRET: RIP <- RCX) and the program goes on.
    EXPECT_EQ(run(s).reason, ExitReason::kHalt);
    EXPECT_EQ(s.rip, kCode + 8);
}

TEST_F(InterpreterTest, BudgetStopsAtAnInstructionBoundary) {
    map(kCode);
    poke(kCode, {0x48, 0xFF, 0xC0, 0xEB, 0xFB});  // loop: inc rax; jmp loop
    CpuState s = at(kCode);
    Exit e = run(s, 11);
    EXPECT_EQ(e.reason, ExitReason::kBudget);
    EXPECT_EQ(e.instructions, 11u);
    EXPECT_EQ(s.gpr[kRax], 6u);
    EXPECT_EQ(s.rip, kCode + 3);  // after the sixth inc
    e = run(s, 0);
    EXPECT_EQ(e.reason, ExitReason::kBudget);
    EXPECT_EQ(e.instructions, 0u);
    e = run(s, 1);
    EXPECT_EQ(s.rip, kCode);
    EXPECT_EQ(cpu_.counters().instructions, 12u);
}

TEST_F(InterpreterTest, CpuidReportsTheDocumentedFeatureSet) {
    map(kCode);
    poke(kCode, {0x0F, 0xA2, 0xF4});  // cpuid; hlt
    auto query = [&](uint32_t leaf, uint32_t sub) {
        CpuState s = at(kCode);
        s.gpr[kRax] = 0xFFFF'FFFF'0000'0000ull | leaf;
        s.gpr[kRcx] = sub;
        run(s);
        return CpuidResult{static_cast<uint32_t>(s.gpr[kRax]), static_cast<uint32_t>(s.gpr[kRbx]),
                           static_cast<uint32_t>(s.gpr[kRcx]), static_cast<uint32_t>(s.gpr[kRdx])};
    };
    const CpuidResult l0 = query(0, 0);
    char vendor[13] = {};
    std::memcpy(vendor, &l0.ebx, 4);
    std::memcpy(vendor + 4, &l0.edx, 4);
    std::memcpy(vendor + 8, &l0.ecx, 4);
    EXPECT_STREQ(vendor, "GenuineIntel");
    EXPECT_GE(l0.eax, 7u);
    const CpuidResult l1 = query(1, 0);
    EXPECT_TRUE(l1.edx & cpuid_bits::kLeaf1EdxCmov);
    EXPECT_TRUE(l1.edx & cpuid_bits::kLeaf1EdxTsc);
    EXPECT_TRUE(l1.ecx & cpuid_bits::kLeaf1EcxCx16);
    EXPECT_TRUE(l1.ecx & cpuid_bits::kLeaf1EcxPopcnt);
    EXPECT_EQ(query(7, 0).ebx & cpuid_bits::kLeaf7EbxBmi1, 0u);  // so TZCNT runs as BSF
    const CpuidResult e1 = query(0x8000'0001, 0);
    EXPECT_TRUE(e1.ecx & cpuid_bits::kExt1EcxLzcnt);
    EXPECT_TRUE(e1.edx & cpuid_bits::kExt1EdxSyscall);
    EXPECT_TRUE(e1.edx & cpuid_bits::kExt1EdxLm);
    EXPECT_EQ(query(0x8000'0008, 0).eax & 0xFF, machine_.config().mmu.phys_addr_bits);
    // Leaf 4 describes the modeled L1D: 32 KiB, 8 ways, 64-byte lines.
    const CpuidResult l1d = query(4, 0);
    EXPECT_EQ((l1d.eax >> 5) & 7, 1u);
    EXPECT_EQ(((l1d.ebx >> 22) + 1) * ((l1d.ebx & 0xFFF) + 1) * (l1d.ecx + 1), 32u * 1024u);
    EXPECT_EQ(query(4, 3).eax & 0x1F, 0u);  // no fourth cache
}

// Prefixes compilers and libcs put on branches and NOPs: "rep ret" (old gcc),
// "bnd jmp" (glibc), "cs nopw" padding.
TEST_F(InterpreterTest, IgnoredPrefixesOnBranchesAndNops) {
    map(kCode);
    poke(kCode, {0xE8, 0x0D, 0x00, 0x00, 0x00,                                // 0: call f
                 0x66, 0x2E, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00, // 5: cs nopw [rax+rax]
                 0xF2, 0xEB, 0x04,                                            // 15: bnd jmp end
                 0xFF, 0xC0,                                                  // 18: f: inc eax
                 0xF3, 0xC3,                                                  // 20: repz ret
                 0xF4});                                                      // 22: end: hlt
    CpuState s = at(kCode);
    const Exit e = run(s);
    EXPECT_EQ(e.reason, ExitReason::kHalt) << describe(e);
    EXPECT_EQ(s.gpr[kRax], 1u);
}

TEST_F(InterpreterTest, TzcntRunsAsBsfWithoutBmi1) {
    map(kCode);
    poke(kCode, {0xF3, 0x48, 0x0F, 0xBC, 0xC1, 0xF4});  // tzcnt rax, rcx (rep bsf); hlt
    CpuState s = at(kCode);
    s.gpr[kRcx] = 0;
    s.gpr[kRax] = 1234;
    run(s);
    EXPECT_EQ(s.gpr[kRax], 1234u);  // BSF of 0 leaves the destination
    EXPECT_TRUE(s.rflags & rflags::kZF);
}

TEST_F(InterpreterTest, RdtscReadsModeledCycles) {
    map(kCode);
    poke(kCode, {0x0F, 0x31, 0x48, 0x89, 0xC3, 0x48, 0xC1, 0xE2, 0x20, 0x48, 0x09, 0xD3,  // rdtsc; rbx = edx:eax
                 0x0F, 0x31, 0xF4});                                                 // rdtsc; hlt
    CpuState s = at(kCode);
    s.gpr[kRax] = s.gpr[kRdx] = ~uint64_t{0};
    const uint64_t start = cpu_.cycles();
    run(s);
    const uint64_t first = s.gpr[kRbx];
    const uint64_t second = (s.gpr[kRdx] << 32) | s.gpr[kRax];
    EXPECT_GE(first, start);
    EXPECT_GT(second, first);
    EXPECT_LE(second, cpu_.cycles());
    EXPECT_EQ(s.gpr[kRdx] >> 32, 0u);  // upper halves cleared
}

TEST_F(InterpreterTest, FsAndGsBasesApplyToMemoryOperands) {
    map(kCode);
    map(kData);
    poke64(kData + 0x10, 0x1111);
    poke64(kData + 0x20, 0x2222);
    poke(kCode, {0x64, 0x48, 0x8B, 0x04, 0x25, 0x10, 0, 0, 0,   // mov rax, fs:[0x10]
                 0x65, 0x48, 0x8B, 0x1C, 0x25, 0x20, 0, 0, 0,   // mov rbx, gs:[0x20]
                 0x64, 0x48, 0x8D, 0x0C, 0x25, 0x10, 0, 0, 0,   // lea rcx, fs:[0x10] (no segment base)
                 0xF4});
    CpuState s = at(kCode);
    s.fs_base = kData;
    s.gs_base = kData;
    run(s);
    EXPECT_EQ(s.gpr[kRax], 0x1111u);
    EXPECT_EQ(s.gpr[kRbx], 0x2222u);
    EXPECT_EQ(s.gpr[kRcx], 0x10u);
}

// 67H truncates the effective address to 32 bits; an FS override moves a
// string instruction's source (RSI), never its destination (ES:RDI).
TEST_F(InterpreterTest, AddressSizeAndStringSegmentOverride) {
    map(kCode);
    map(kData);
    poke64(kData + 0x40, 0xABCD);
    poke64(kData + 0x80, 0x1234'5678'9ABC'DEF0);
    poke(kCode, {0x67, 0x48, 0x8B, 0x03,   // mov rax, [ebx]
                 0x64, 0x48, 0xA5,         // movsq fs:[rsi] -> [rdi]
                 0xF4});
    CpuState s = at(kCode);
    s.gpr[kRbx] = 0xFFFF'FFFF'0000'0000ull | (kData + 0x40);
    s.fs_base = kData;
    s.gpr[kRsi] = 0x80;
    s.gpr[kRdi] = kData + 0x100;
    EXPECT_EQ(run(s).reason, ExitReason::kHalt);
    EXPECT_EQ(s.gpr[kRax], 0xABCDu);
    EXPECT_EQ(peek64(kData + 0x100), 0x1234'5678'9ABC'DEF0u);
    EXPECT_EQ(s.gpr[kRsi], 0x88u);
    EXPECT_EQ(s.gpr[kRdi], kData + 0x108);
}

// cycles = sum over classes of count x cost + REP lines + translation + memory.
TEST_F(InterpreterTest, CyclesAreTheSumOfTheirParts) {
    map(kCode);
    map(kData);
    poke(kCode, {
        0xB9, 0x05, 0x00, 0x00, 0x00,        // mov ecx, 5
        0x48, 0x8B, 0x03,                    // loop: mov rax, [rbx]
        0x48, 0x0F, 0xAF, 0xC0,              // imul rax, rax
        0x48, 0x89, 0x43, 0x08,              // mov [rbx+8], rax
        0xF0, 0x48, 0x01, 0x43, 0x10,        // lock add [rbx+16], rax
        0xFF, 0xC9,                          // dec ecx
        0x75, 0xEC,                          // jnz loop
        0x48, 0xF7, 0xF3,                    // div rbx
        0xB9, 0x2C, 0x01, 0x00, 0x00,        // mov ecx, 300
        0xF3, 0xAA,                          // rep stosb
        0xF4,
    });
    CpuState s = at(kCode);
    s.gpr[kRbx] = kData;
    s.gpr[kRdi] = kData + 100;
    const Exit e = run(s);
    ASSERT_EQ(e.reason, ExitReason::kHalt) << describe(e);
    const CpuCounters& k = cpu_.counters();
    const CpuConfig& costs = machine_.config().cpu;
    uint64_t expected = k.translation_cycles + k.memory_cycles + k.string_lines * costs.string_line;
    const uint64_t per_class[] = {0, costs.alu, costs.branch, costs.stack, costs.mul, costs.div32, costs.div64,
                                  costs.rotate_carry, costs.shift_double, costs.bit_scan, costs.locked,
                                  costs.string_line, costs.cpuid, costs.rdtsc, costs.system};
    static_assert(std::size(per_class) == kInsnClassCount);
    for (unsigned c = 0; c < kInsnClassCount; ++c) expected += k.class_count[c] * per_class[c];
    EXPECT_EQ(k.cycles, expected);
    EXPECT_EQ(k.class_count[static_cast<unsigned>(InsnClass::kLocked)], 5u);
    EXPECT_EQ(k.class_count[static_cast<unsigned>(InsnClass::kMul)], 5u);
    EXPECT_EQ(k.class_count[static_cast<unsigned>(InsnClass::kDiv64)], 1u);
    EXPECT_EQ(k.class_count[static_cast<unsigned>(InsnClass::kBranch)], 5u);
    EXPECT_EQ(k.loads, 5u);
    // 5 MOV stores, then REP STOSB of 300 bytes from line offset 36: lines of
    // 28, 64, 64, 64, 64 and 16 bytes.
    EXPECT_EQ(k.stores, 5u + 6u);
    EXPECT_EQ(k.string_lines, 5u);
    EXPECT_EQ(k.rmws, 5u);
    EXPECT_EQ(k.locked, 5u);
    EXPECT_GT(k.memory_cycles, 0u);
}

// Every data access is one DTLB lookup; fetch uses the ITLB once per page entered.
TEST_F(InterpreterTest, FetchesAndAccessesGoThroughTheTlbs) {
    map(kCode);
    map(kCode + 4096);
    map(kData);
    // page 0: 3 loads then jmp to page 1; page 1: 2 loads, hlt
    poke(kCode, {0x8B, 0x03, 0x8B, 0x03, 0x8B, 0x03, 0xE9, 0xF5, 0x0F, 0x00, 0x00});
    poke(kCode + 4096, {0x8B, 0x03, 0x8B, 0x03, 0xF4});
    CpuState s = at(kCode);
    s.gpr[kRbx] = kData;
    const auto itlb = mmu().tlb().level_stats(TlbPort::kInstruction).accesses;
    const auto dtlb = mmu().tlb().level_stats(TlbPort::kData).accesses;
    run(s);
    EXPECT_EQ(mmu().tlb().level_stats(TlbPort::kInstruction).accesses - itlb, 2u);
    EXPECT_EQ(mmu().tlb().level_stats(TlbPort::kData).accesses - dtlb, 5u);
    EXPECT_EQ(cpu_.counters().fetch_translations, 2u);
}

TEST_F(InterpreterTest, CountersAreRegisteredUnderTheCpuScope) {
    StatsRegistry stats;
    cpu_.register_stats(stats, "cpu0");
    code_.register_stats(stats);
    map(kCode);
    poke(kCode, {0x90, 0x90, 0x0F, 0x05});
    CpuState s = at(kCode);
    run(s);
    EXPECT_EQ(stats.value("cpu0", "cpu.instructions"), 3u);
    EXPECT_EQ(stats.value("cpu0", "cpu.cycles"), cpu_.cycles());
    EXPECT_EQ(stats.value("cpu0", "cpu.class.alu"), 2u);
    EXPECT_EQ(stats.value("cpu0", "cpu.class.system"), 1u);
    EXPECT_EQ(stats.value("cpu0", "cpu.exits.syscall"), 1u);
    EXPECT_EQ(stats.value("machine", "code.pages_created"), 1u);
    EXPECT_NE(stats.json().find("\"instructions\": 3"), std::string::npos) << stats.json();
}

// The same program on two fresh machines gives the same counters, bit for bit.
TEST(InterpreterDeterminism, SameProgramSameCounters) {
    auto run_once = [] {
        MachineConfig config;
        config.cpus = 1;
        config.memory.node_bytes = {uint64_t{64} << 20};
        Machine machine(config);
        FrameAllocator frames(machine.memory(), PhysAddr{1 << 20}, PhysAddr{uint64_t{64} << 20});
        PageTableBuilder tables(machine.memory(), frames, 4);
        CodeCache code(machine.memory());
        Interpreter cpu(machine, 0, code);
        cpu.register_stats(machine.stats(), "cpu0");
        const PhysAddr text = frames.allocate(4096);
        const PhysAddr data = frames.allocate(64 * 4096);
        tables.map(VirtAddr{kCode}, text, PageSize::k4K, Pte::kUser);
        for (uint64_t p = 0; p < 64; ++p)
            tables.map(VirtAddr{kData + p * 4096}, data + p * 4096, PageSize::k4K, Pte::kUser | Pte::kWritable);
        machine.mmu(0).write_cr3(tables.root().value);
        // for (rcx = 5000; rcx; --rcx) { rax += [rbx]; rbx = (rbx + 4160) & mask }
        const uint8_t prog[] = {0xB9, 0x88, 0x13, 0x00, 0x00,              // mov ecx, 5000
                                0x48, 0x03, 0x03,                          // add rax, [rbx]
                                0x48, 0x81, 0xC3, 0x40, 0x10, 0x00, 0x00,  // add rbx, 4160
                                0x48, 0x81, 0xE3, 0xFF, 0xFF, 0x03, 0x10,  // and rbx, 0x1003FFFF
                                0xFF, 0xC9, 0x75, 0xEC, 0xF4};
        machine.memory().write(text, prog, sizeof prog);
        CpuState s;
        s.rip = kCode;
        s.gpr[kRbx] = kData;
        cpu.run(s, 1'000'000);
        return machine.stats().json();
    };
    EXPECT_EQ(run_once(), run_once());
}

}  // namespace
}  // namespace simx::test
