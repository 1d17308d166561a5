// The translation fast path (cpu.fast_path, sim/cpu/micro_tlb.h) changes
// nothing but host speed: two identical machines, one with the fast path on
// and one with it off, run the same guest workloads with the same TLB and
// control-register operations between runs, and after every run must agree
// on
//   - the whole stats registry, byte for byte (StatsRegistry::json(): CPU,
//     MMU, TLB per array, PSC, cache and LLC counters, cycles);
//   - the architectural state and the exit (vector, error code, CR2);
//   - all of simulated RAM that was allocated (data, code, and the page
//     tables with their A/D bits);
//   - every TLB array's contents (slot by slot) and its replacement policy's
//     state (ReplacementPolicy::state_digest: LRU stamps, PLRU bits, RRPVs,
//     FIFO order, the random stream).
// Workloads: loads/stores/RMW/LOCK/SSE/stack over several pages with a call
// to another code page and RFLAGS.AC toggling; page-split accesses and REP
// strings both ways; self-modifying code; TLB-thrashing footprints; an
// instruction crossing a page; a 2 MiB page. Between runs: INVLPG, CR3 loads
// with and without flush (PCIDs), CR4 writes, INVPCID, D-bit clearing, rights
// removal (a #PF), supervisor translations, the TLB bypassed; runs that stop
// on small instruction budgets. Parameterised by replacement policy and by
// TLB geometry (the default Skylake one, and a small one that thrashes the STLB).
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "sim/cpu/code_cache.h"
#include "sim/cpu/cpu_state.h"
#include "sim/cpu/exit.h"
#include "sim/cpu/interpreter.h"
#include "sim/machine/config.h"
#include "sim/machine/machine.h"
#include "sim/machine/stats.h"
#include "sim/mmu/access.h"
#include "sim/mmu/control_regs.h"
#include "sim/mmu/page_table_builder.h"
#include "sim/mmu/pte.h"

namespace simx::test {
namespace {

constexpr uint64_t kCode = 0x0000'0000'0040'0000;     // 8 code pages
constexpr uint64_t kData = 0x0000'0000'1000'0000;     // 16 data pages
constexpr uint64_t kThrash = 0x0000'0000'2000'0000;   // kThrashPages pages
constexpr uint64_t kHuge = 0x0000'0000'4000'0000;     // one 2 MiB page
constexpr uint64_t kStack = 0x0000'7FFF'F000'0000;
constexpr uint64_t kThrashPages = 400;
constexpr uint64_t kRamBase = 1 << 20;

// The workloads, assembled with GNU as (intel syntax); offsets are from kCode.
struct Code {
    uint64_t offset;
    std::vector<uint8_t> bytes;
};
const std::vector<Code>& workloads() {
    static const std::vector<Code> code{
        // 0x0000 w1: mov ecx,1000; 1: mov rax,[rbx]; add [rbx+0x1008],rax; mov rdx,[rbx+0x2010];
        // mov [rbx+0x3018],rdx; push rax; pop rdx; call far1; pushfq; xor qword [rsp],0x40000 (AC);
        // popfq; lock inc qword [rbx+0x5000]; movdqu xmm0,[rbx+0x6000]; movdqu [rbx+0x7000],xmm0;
        // dec ecx; jnz 1b; hlt
        {0x0000, {0xB9, 0xE8, 0x03, 0x00, 0x00, 0x48, 0x8B, 0x03, 0x48, 0x01, 0x83, 0x08, 0x10, 0x00, 0x00,
                  0x48, 0x8B, 0x93, 0x10, 0x20, 0x00, 0x00, 0x48, 0x89, 0x93, 0x18, 0x30, 0x00, 0x00, 0x50,
                  0x5A, 0xE8, 0xDC, 0x0F, 0x00, 0x00, 0x9C, 0x48, 0x81, 0x34, 0x24, 0x00, 0x00, 0x04, 0x00,
                  0x9D, 0xF0, 0x48, 0xFF, 0x83, 0x00, 0x50, 0x00, 0x00, 0xF3, 0x0F, 0x6F, 0x83, 0x00, 0x60,
                  0x00, 0x00, 0xF3, 0x0F, 0x7F, 0x83, 0x00, 0x70, 0x00, 0x00, 0xFF, 0xC9, 0x75, 0xBB, 0xF4}},
        // 0x1000 far1: mov rsi,[rbx+0x4ff8]; add rsi,1; mov [rbx+0x4ff8],rsi; ret
        {0x1000, {0x48, 0x8B, 0xB3, 0xF8, 0x4F, 0x00, 0x00, 0x48, 0x83, 0xC6, 0x01, 0x48, 0x89, 0xB3, 0xF8,
                  0x4F, 0x00, 0x00, 0xC3}},
        // 0x2000 w2: mov r8d,20; 2: mov rax,[rbx+0xffc]; mov [rbx+0x1ffd],rax; add [rbx+0x2ffe],eax;
        // lea rsi,[rbx+0x100]; lea rdi,[rbx+0x8100]; mov ecx,9000; rep movsb; lea rdi,[rbx+0x3000];
        // mov ecx,700; mov rax,r8; rep stosq; std; lea rsi,[rbx+0x5fff]; lea rdi,[rbx+0xcfff];
        // mov ecx,5000; rep movsb; cld; lea rsi,[rbx+0x100]; lea rdi,[rbx+0x8100]; mov ecx,9000;
        // repe cmpsb; dec r8d; jnz 2b; hlt
        {0x2000, {0x41, 0xB8, 0x14, 0x00, 0x00, 0x00, 0x48, 0x8B, 0x83, 0xFC, 0x0F, 0x00, 0x00, 0x48, 0x89,
                  0x83, 0xFD, 0x1F, 0x00, 0x00, 0x01, 0x83, 0xFE, 0x2F, 0x00, 0x00, 0x48, 0x8D, 0xB3, 0x00,
                  0x01, 0x00, 0x00, 0x48, 0x8D, 0xBB, 0x00, 0x81, 0x00, 0x00, 0xB9, 0x28, 0x23, 0x00, 0x00,
                  0xF3, 0xA4, 0x48, 0x8D, 0xBB, 0x00, 0x30, 0x00, 0x00, 0xB9, 0xBC, 0x02, 0x00, 0x00, 0x4C,
                  0x89, 0xC0, 0xF3, 0x48, 0xAB, 0xFD, 0x48, 0x8D, 0xB3, 0xFF, 0x5F, 0x00, 0x00, 0x48, 0x8D,
                  0xBB, 0xFF, 0xCF, 0x00, 0x00, 0xB9, 0x88, 0x13, 0x00, 0x00, 0xF3, 0xA4, 0xFC, 0x48, 0x8D,
                  0xB3, 0x00, 0x01, 0x00, 0x00, 0x48, 0x8D, 0xBB, 0x00, 0x81, 0x00, 0x00, 0xB9, 0x28, 0x23,
                  0x00, 0x00, 0xF3, 0xA6, 0x41, 0xFF, 0xC8, 0x75, 0x94, 0xF4}},
        // 0x3000 w3: mov ecx,200; 3: lea rdi,[rip+patch]; mov byte [rdi+1],cl; patch: mov al,0;
        // add rdx,rax; dec ecx; jnz 3b; hlt
        {0x3000, {0xB9, 0xC8, 0x00, 0x00, 0x00, 0x48, 0x8D, 0x3D, 0x03, 0x00, 0x00, 0x00, 0x88, 0x4F, 0x01,
                  0xB0, 0x00, 0x48, 0x01, 0xC2, 0xFF, 0xC9, 0x75, 0xED, 0xF4}},
        // 0x4000 w4: mov r9d,6; 4: xor ecx,ecx; 5: mov rax,[rbx+rcx]; mov [rbx+rcx+8],rax;
        // add rcx,4160; cmp rcx,r10; jb 5b; dec r9d; jnz 4b; hlt
        {0x4000, {0x41, 0xB9, 0x06, 0x00, 0x00, 0x00, 0x31, 0xC9, 0x48, 0x8B, 0x04, 0x0B, 0x48, 0x89, 0x44,
                  0x0B, 0x08, 0x48, 0x81, 0xC1, 0x40, 0x10, 0x00, 0x00, 0x4C, 0x39, 0xD1, 0x72, 0xEB, 0x41,
                  0xFF, 0xC9, 0x75, 0xE4, 0xF4}},
        // 0x5ff0 w5: mov ecx,500; 6: nop x9; mov rax,[rbx+8] (at 0x5ffe, crossing into 0x6000);
        // add rdx,rax; dec ecx; jnz 6b; hlt
        {0x5FF0, {0xB9, 0xF4, 0x01, 0x00, 0x00, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x48,
                  0x8B, 0x43, 0x08, 0x48, 0x01, 0xC2, 0xFF, 0xC9, 0x75, 0xEC, 0xF4}},
        // 0x6100 w7: mov rax,[rbx+0x9000]; mov rax,[rbx+0x9008]; mov [rbx+0x9010],rax; hlt
        // (a write right after an L1 hit on a D=0 entry: must re-walk to set D)
        {0x6100, {0x48, 0x8B, 0x83, 0x00, 0x90, 0x00, 0x00, 0x48, 0x8B, 0x83, 0x08, 0x90, 0x00, 0x00, 0x48,
                  0x89, 0x83, 0x10, 0x90, 0x00, 0x00, 0xF4}},
        // 0x7000 w6: mov ecx,1000; 7: mov rax,[r11+rcx*8]; mov [r11+rcx*8+0x100000],rax; dec ecx;
        // jnz 7b; hlt
        {0x7000, {0xB9, 0xE8, 0x03, 0x00, 0x00, 0x49, 0x8B, 0x04, 0xCB, 0x49, 0x89, 0x84, 0xCB, 0x00, 0x00,
                  0x10, 0x00, 0xFF, 0xC9, 0x75, 0xF0, 0xF4}},
    };
    return code;
}
constexpr uint64_t kW1 = kCode + 0x0000, kW2 = kCode + 0x2000, kW3 = kCode + 0x3000, kW4 = kCode + 0x4000,
                   kW5 = kCode + 0x5FF0, kW6 = kCode + 0x7000, kW7 = kCode + 0x6100;

struct Geometry {
    std::string policy;
    bool small;
};
void PrintTo(const Geometry& g, std::ostream* os) { *os << g.policy << (g.small ? " small" : " skylake"); }

// One machine: the CPU, its page tables and its registered counters.
class Rig {
public:
    Rig(bool fast_path, const Geometry& g)
        : machine_(config(fast_path, g)),
          frames_(machine_.memory(), PhysAddr{kRamBase}, PhysAddr{uint64_t{16} << 20}),
          tables_(machine_.memory(), frames_, 4),
          code_(machine_.memory()),
          cpu_(machine_, 0, code_) {
        cpu_.register_stats(machine_.stats(), "cpu0");
        cpu_.set_log([](const std::string&) {});
        const uint64_t rwu = Pte::kWritable | Pte::kUser;
        map_range(kCode, 8, rwu | Pte::kGlobal);
        map_range(kData, 16, rwu);
        map_range(kThrash, kThrashPages, rwu);
        map_range(kStack - 4096, 1, rwu);
        tables_.map(VirtAddr{kHuge}, frames_.allocate(uint64_t{2} << 20, uint64_t{2} << 20), PageSize::k2M, rwu);
        for (const Code& c : workloads()) machine_.memory().write(pa_of(kCode + c.offset), c.bytes.data(), c.bytes.size());
        Mmu& m = mmu();
        m.write_efer(m.regs().efer | efer::kNxe);
        m.write_cr3(tables_.root().value);
    }

    Mmu& mmu() { return machine_.mmu(0); }
    Interpreter& cpu() { return cpu_; }
    Machine& machine() { return machine_; }
    PhysAddr root() const { return tables_.root(); }

    // Edits the leaf PTE of a 4 KiB page behind the TLB's back.
    void edit_pte(uint64_t va, uint64_t clear, uint64_t set) {
        const PhysAddr e = tables_.entry_address(VirtAddr{va}, 1);
        uint64_t raw = 0;
        machine_.memory().read(e, &raw, 8);
        raw = (raw & ~clear) | set;
        machine_.memory().write(e, &raw, 8);
    }

    // All simulated RAM handed out so far: tables, code, data, the huge page.
    std::span<const uint8_t> ram() {
        return {machine_.memory().host_view(PhysAddr{kRamBase}, frames_.used()), frames_.used()};
    }

    // Every TLB array's valid entries in slot order and its policy digest.
    std::string tlb_dump() {
        std::string out;
        for (const TlbArray* a : mmu().tlb().arrays()) {
            out += fmt::format("{} digest {:#x}\n", a->name(), a->replacement_digest());
            a->for_each_valid([&](const TlbEntry& e) {
                out += fmt::format(" vpn {:#x} frame {:#x} pcid {} size {} leaf {} g {} d {} w {} pf {}\n", e.vpn,
                                   e.frame, e.pcid, static_cast<int>(e.size), static_cast<int>(e.leaf_size), e.global,
                                   e.dirty, e.rights.writable, e.prefetched);
            });
        }
        return out;
    }

private:
    static MachineConfig config(bool fast_path, const Geometry& g) {
        MachineConfig c;
        c.cpus = 1;
        c.memory.node_bytes = {uint64_t{16} << 20};
        c.cpu.fast_path = fast_path;
        for (TlbArrayConfig* a : {&c.tlb.itlb_4k, &c.tlb.itlb_2m, &c.tlb.dtlb_4k, &c.tlb.dtlb_2m, &c.tlb.dtlb_1g,
                                  &c.tlb.stlb, &c.tlb.stlb_1g})
            a->policy = g.policy;
        if (g.small) {
            c.tlb.itlb_4k = {8, 4, 1, g.policy};
            c.tlb.dtlb_4k = {16, 4, 1, g.policy};
            c.tlb.dtlb_2m = {4, 2, 1, g.policy};
            c.tlb.stlb = {64, 4, 9, g.policy};
            c.tlb.prefetcher = "next-page";
            c.tlb.prefetch_degree = 2;
        }
        return c;
    }
    void map_range(uint64_t va, uint64_t pages, uint64_t flags) {
        const PhysAddr pa = frames_.allocate(pages * 4096);
        for (uint64_t k = 0; k < pages; ++k) {
            tables_.map(VirtAddr{va + k * 4096}, pa + k * 4096, PageSize::k4K, flags);
            pages_.push_back({va + k * 4096, pa + k * 4096});
        }
    }
    PhysAddr pa_of(uint64_t va) const {
        for (const auto& [v, p] : pages_)
            if (v == (va & ~uint64_t{0xFFF})) return p + (va & 0xFFF);
        ADD_FAILURE() << "unmapped " << va;
        return PhysAddr{kRamBase};
    }

    Machine machine_;
    FrameAllocator frames_;
    PageTableBuilder tables_;
    CodeCache code_;
    Interpreter cpu_;
    std::vector<std::pair<uint64_t, PhysAddr>> pages_;
};

class FastPathTest : public ::testing::TestWithParam<Geometry> {
protected:
    FastPathTest() : on_(true, GetParam()), off_(false, GetParam()) {}

    // Applies the same host-side operation to both machines.
    template <typename Fn>
    void both(Fn&& fn) {
        fn(on_);
        fn(off_);
    }

    static CpuState at(uint64_t rip) {
        CpuState s;
        s.rip = rip;
        s.gpr[kRsp] = kStack - 64;
        s.gpr[kRbx] = kData;
        s.gpr[kR10] = 40 * 4160;
        s.gpr[kR11] = kHuge;
        return s;
    }

    // Runs `s` on both machines (in budget slices of `slice`, up to `max`
    // instructions): the exit, the state and the counters are compared after
    // each slice, the TLBs and RAM at the end. Returns the exit.
    Exit run(CpuState s, const std::string& what, uint64_t max = 2'000'000, uint64_t slice = 0) {
        SCOPED_TRACE(what);
        CpuState a = s, b = s;
        Exit ea, eb;
        uint64_t done = 0;
        do {
            const uint64_t n = slice ? std::min(slice, max - done) : max;
            ea = on_.cpu().run(a, n);
            eb = off_.cpu().run(b, n);
            done += ea.instructions;
            EXPECT_EQ(ea, eb) << describe(ea) << " vs " << describe(eb);
            EXPECT_TRUE(a == b) << "architectural state differs";
            EXPECT_EQ(on_.machine().stats().json(), off_.machine().stats().json());
        } while (slice && ea.reason == ExitReason::kBudget && done < max && !HasFailure());
        compare_tlbs_and_ram();
        return ea;
    }

    void compare_tlbs_and_ram() {
        EXPECT_EQ(on_.tlb_dump(), off_.tlb_dump());
        const std::span<const uint8_t> ra = on_.ram(), rb = off_.ram();
        EXPECT_TRUE(ra.size() == rb.size() && std::memcmp(ra.data(), rb.data(), ra.size()) == 0)
            << "simulated RAM differs";
    }

    Rig on_, off_;
};

TEST_P(FastPathTest, CountersStateAndTlbsAreIdenticalWithTheFastPathOnAndOff) {
    // Plain runs, whole and in odd budget slices (exits mid-loop).
    EXPECT_EQ(run(at(kW1), "w1").reason, ExitReason::kHalt);
    run(at(kW1), "w1 sliced", 2'000'000, 777);
    both([](Rig& r) { r.mmu().invlpg(VirtAddr{kData + 0x1000}); });
    run(at(kW2), "w2 after invlpg");
    run(at(kW7), "w7 read, read, write");
    both([](Rig& r) {
        r.edit_pte(kData + 0x9000, Pte::kDirty, 0);
        r.mmu().invlpg(VirtAddr{kData + 0x9000});
    });
    run(at(kW7), "w7 read, read, write to a clean page");
    run(at(kW3), "w3 self-modifying");
    run(at(kW5), "w5 crossing instruction");
    run(at(kW6), "w6 2 MiB page");

    // Footprints below and above the L1 DTLB, the STLB (small geometry) and back.
    for (uint64_t pages : {40u, 300u, 12u}) {
        CpuState s = at(kW4);
        s.gpr[kRbx] = kThrash;
        s.gpr[kR10] = pages * 4160;
        run(s, fmt::format("w4 footprint {} pages", pages));
        run(at(kW1), fmt::format("w1 after footprint {}", pages), 5000);
    }

    // CR3 loads: flush; PCIDs with and without flush; globals survive.
    both([](Rig& r) { r.mmu().write_cr3(r.root().value); });
    run(at(kW1), "w1 after cr3 flush", 20000);
    both([](Rig& r) { r.mmu().write_cr4(r.mmu().regs().cr4 | cr4::kPge | cr4::kPcide); });
    run(at(kW2), "w2 after cr4 pge+pcide");
    both([](Rig& r) { r.mmu().write_cr3(r.root().value | 1); });
    run(at(kW1), "w1 in pcid 1", 30000);
    both([](Rig& r) { r.mmu().write_cr3(r.root().value | 2 | cr3::kNoFlush); });
    run(at(kW1), "w1 in pcid 2", 30000);
    both([](Rig& r) { r.mmu().write_cr3(r.root().value | 1 | cr3::kNoFlush); });
    run(at(kW1), "w1 back in pcid 1, no flush", 30000, 1001);
    // Each invalidation is followed by a run whose first data access is to a
    // page it dropped while the code pages (global) stay cached, so a stale
    // fast-path entry would be used before anything else moved the epoch.
    both([](Rig& r) { r.mmu().invpcid(1, 1, VirtAddr{0}); });
    run(at(kW1), "w1 after invpcid 1", 30000);
    both([](Rig& r) { r.mmu().invpcid(0, 1, VirtAddr{kData}); });
    run(at(kW1), "w1 after invpcid 0", 30000);
    both([](Rig& r) { r.mmu().invpcid(3, 0, VirtAddr{0}); });
    run(at(kW1), "w1 after invpcid 3", 30000);
    both([](Rig& r) { r.mmu().invlpg(VirtAddr{kData}); });
    run(at(kW1), "w1 after invlpg", 30000);
    both([](Rig& r) { r.mmu().invpcid(2, 0, VirtAddr{0}); });
    run(at(kW1), "w1 after invpcid 2", 30000);

    // Supervisor translations between runs (the kernel's uaccess) touch the
    // same TLB entries and policy state.
    both([](Rig& r) {
        for (uint64_t off : {0x0u, 0x1000u, 0x7000u, 0x4000u})
            (void)r.mmu().translate(VirtAddr{kData + off}, Access::supervisor(AccessType::kRead));
    });
    run(at(kW1), "w1 after supervisor translations", 30000);

    // D bit cleared in the PTE, with INVLPG (the next write re-walks) and
    // without (the stale D=1 entry stays usable, as on hardware).
    both([](Rig& r) {
        r.edit_pte(kData + 0x3000, Pte::kDirty, 0);
        r.mmu().invlpg(VirtAddr{kData + 0x3000});
        r.edit_pte(kData + 0x7000, Pte::kDirty, 0);
    });
    run(at(kW1), "w1 after D cleared", 30000);

    // Write permission removed: stale entry (no fault) then INVLPG (#PF on the store).
    both([](Rig& r) { r.edit_pte(kData + 0x1000, Pte::kWritable, 0); });
    run(at(kW1), "w1 with a stale writable entry", 2000);
    both([](Rig& r) { r.mmu().invlpg(VirtAddr{kData + 0x1000}); });
    const Exit fault = run(at(kW1), "w1 faulting store");
    EXPECT_EQ(fault.reason, ExitReason::kException);
    EXPECT_EQ(fault.vector, vector::kPageFault);
    both([](Rig& r) {
        r.edit_pte(kData + 0x1000, 0, Pte::kWritable);
        r.mmu().invlpg(VirtAddr{kData + 0x1000});
    });
    run(at(kW1), "w1 after write permission restored", 30000);

    // The TLBs bypassed and back; CR4 toggling PGE flushes everything.
    both([](Rig& r) { r.mmu().set_caching(false, true); });
    run(at(kW1), "w1 without TLBs", 5000);
    both([](Rig& r) { r.mmu().set_caching(true, true); });
    run(at(kW2), "w2 with TLBs again", 20000);
    both([](Rig& r) { r.mmu().write_cr4(r.mmu().regs().cr4 & ~cr4::kPge); });
    run(at(kW1), "w1 after cr4 pge off", 30000);

    // The fast path was really used on one machine and never on the other.
    EXPECT_GT(on_.cpu().fast_path_hits(), 0u);
    EXPECT_EQ(off_.cpu().fast_path_hits(), 0u);
    EXPECT_GT(on_.cpu().counters().instructions, 100'000u);
}

// The switch: on by default, "cpu.fast_path" in a machine file or override.
TEST(FastPathConfig, DefaultsOnAndIsAMachineKey) {
    EXPECT_TRUE(MachineConfig{}.cpu.fast_path);
    EXPECT_FALSE(load_machine_config("", {"cpu.fast_path=off"}).cpu.fast_path);
    EXPECT_TRUE(load_machine_config("", {"cpu.fast_path=false", "cpu.fast_path=on"}).cpu.fast_path);
    EXPECT_NE(describe_machine_config(MachineConfig{}).find("fast_path"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Policies, FastPathTest,
                         ::testing::Values(Geometry{"lru", false}, Geometry{"plru", false},
                                           Geometry{"srrip", false}, Geometry{"fifo", false},
                                           Geometry{"random", false}, Geometry{"lru", true},
                                           Geometry{"plru", true}, Geometry{"srrip", true},
                                           Geometry{"random", true}),
                         [](const ::testing::TestParamInfo<Geometry>& p) {
                             return p.param.policy + (p.param.small ? "_small" : "_skylake");
                         });

}  // namespace
}  // namespace simx::test
