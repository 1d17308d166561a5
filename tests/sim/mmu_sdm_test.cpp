// One test per Intel SDM rule (Vol. 3A chapter 4) that the MMU model must get
// right: #PF error codes, A/D bits, access rights (WP, SMEP, SMAP, XD),
// reserved bits, page sizes, LA57, canonical checks, PCIDs, global pages and
// every invalidation instruction.
//
// Caching is observed with stale translations: map va -> pa1, translate (fills
// the TLB), rewrite the PTE in simulated memory to point at pa2 without any
// invalidation, translate again (still pa1 if the entry survived), invalidate,
// translate (pa2).
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "sim/machine/config.h"
#include "sim/machine/machine.h"
#include "sim/machine/phys_mem.h"
#include "sim/machine/types.h"
#include "sim/mmu/access.h"
#include "sim/mmu/control_regs.h"
#include "sim/mmu/mmu.h"
#include "sim/mmu/page_table_builder.h"
#include "sim/mmu/psc.h"
#include "sim/mmu/pte.h"

namespace simx {
namespace {

constexpr uint64_t kP = Pte::kPresent;
constexpr uint64_t kW = Pte::kWritable;
constexpr uint64_t kU = Pte::kUser;
constexpr uint64_t kPwt = Pte::kWriteThrough;
constexpr uint64_t kPcd = Pte::kCacheDisable;
constexpr uint64_t kA = Pte::kAccessed;
constexpr uint64_t kD = Pte::kDirty;
constexpr uint64_t kPs = Pte::kPageSize;
constexpr uint64_t kG = Pte::kGlobal;
constexpr uint64_t kXd = Pte::kNoExecute;
constexpr uint64_t kTable = kP | kW | kU;  // PageTableBuilder's default table flags

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kGiB = uint64_t{1} << 30;

// Page tables live in [1 MiB, 16 MiB); data frames are never loaded by the MMU,
// so they only need to be distinct, aligned physical addresses.
constexpr uint64_t kTablesBase = 1 * kMiB;
constexpr uint64_t kTablesLimit = 16 * kMiB;
constexpr uint64_t kPa1 = 32 * kMiB;
constexpr uint64_t kPa2 = 48 * kMiB;

// Linear addresses in distinct PML4 slots, so their paths share no table.
constexpr uint64_t kVa = 0x0000'0080'0000'0000ull;   // PML4 index 1
constexpr uint64_t kVa2 = 0x0000'0100'0000'0000ull;  // PML4 index 2
constexpr uint64_t kVa3 = 0x0000'0180'0000'0000ull;  // PML4 index 3

constexpr Access kUserRead = Access::user(AccessType::kRead);
constexpr Access kUserWrite = Access::user(AccessType::kWrite);
constexpr Access kUserFetch = Access::user(AccessType::kFetch);
constexpr Access kSupRead = Access::supervisor(AccessType::kRead);
constexpr Access kSupWrite = Access::supervisor(AccessType::kWrite);
constexpr Access kSupFetch = Access::supervisor(AccessType::kFetch);
constexpr Access kSupReadAc = Access::supervisor(AccessType::kRead, /*ac=*/true);
constexpr Access kSupWriteAc = Access::supervisor(AccessType::kWrite, /*ac=*/true);
constexpr Access kImplicitRead{AccessType::kRead, Privilege::kImplicitSupervisor, /*ac=*/true};
constexpr Access kImplicitWrite{AccessType::kWrite, Privilege::kImplicitSupervisor, /*ac=*/true};

MachineConfig small_config() {
    MachineConfig c;
    c.cpus = 1;
    c.memory.node_bytes = {64 * kMiB};
    c.mmu.la57_supported = true;  // Skylake lacks LA57; these tests study it
    return c;
}

class MmuSdmTest : public ::testing::Test {
protected:
    void SetUp() override { build(small_config(), 4); }

    // (Re)builds the machine, a fresh page-table root and loads CR3 with it.
    void build(const MachineConfig& config, unsigned levels) {
        pt_.reset();
        frames_.reset();
        machine_ = std::make_unique<Machine>(config);
        frames_ = std::make_unique<FrameAllocator>(machine_->memory(), PhysAddr{kTablesBase}, PhysAddr{kTablesLimit});
        pt_ = std::make_unique<PageTableBuilder>(machine_->memory(), *frames_, levels);
        if (levels == 5) {
            ASSERT_EQ(mmu().write_cr4(mmu().regs().cr4 | cr4::kLa57), FaultKind::kNone);
        }
        ASSERT_EQ(mmu().write_cr3(pt_->root().value), FaultKind::kNone);
    }

    Mmu& mmu() { return machine_->mmu(0); }
    PhysicalMemory& mem() { return machine_->memory(); }
    PageTableBuilder& pt() { return *pt_; }

    void map(uint64_t va, uint64_t pa, PageSize size, uint64_t leaf_flags, uint64_t table_flags = kTable) {
        pt_->map(VirtAddr{va}, PhysAddr{pa}, size, leaf_flags, table_flags);
    }
    void map4k(uint64_t va, uint64_t pa, uint64_t leaf_flags, uint64_t table_flags = kTable) {
        map(va, pa, PageSize::k4K, leaf_flags, table_flags);
    }

    PhysAddr entry_addr(uint64_t va, int level) { return pt_->entry_address(VirtAddr{va}, level); }
    uint64_t entry(uint64_t va, int level) { return mem().read64(entry_addr(va, level)); }
    void set_entry(uint64_t va, int level, uint64_t raw) { mem().write64(entry_addr(va, level), raw); }
    // Points the entry at `pa`, keeping its flags (the stale-translation edit).
    void repoint(uint64_t va, int level, uint64_t pa) {
        const uint64_t raw = entry(va, level);
        set_entry(va, level, (raw & ~Pte::kAddressBits) | pa);
    }

    Translation tr(uint64_t va, const Access& a) { return mmu().translate(VirtAddr{va}, a); }
    // PA of a successful translation; a fault fails the test and returns ~0.
    uint64_t pa_of(uint64_t va, const Access& a = kSupRead) {
        const Translation t = tr(va, a);
        EXPECT_TRUE(t.ok()) << "fault " << static_cast<int>(t.fault) << " ec " << t.error_code << " at " << std::hex
                            << va;
        return t.ok() ? t.pa.value : ~uint64_t{0};
    }

    uint64_t stat(const std::string& name) { return machine_->stats().value("cpu0", name); }
    uint64_t psc_hits() {
        return stat("psc.pml5.hits") + stat("psc.pml4.hits") + stat("psc.pdpt.hits") + stat("psc.pd.hits");
    }

    void enable_pcide() {
        ASSERT_EQ(mmu().write_cr4(mmu().regs().cr4 | cr4::kPcide), FaultKind::kNone);
        ASSERT_TRUE(mmu().regs().pcide());
    }
    void load_cr3(uint64_t pcid, bool no_flush = false) {
        ASSERT_EQ(mmu().write_cr3(pt_->root().value | pcid | (no_flush ? cr3::kNoFlush : 0)), FaultKind::kNone);
    }
    void enable_pge() { ASSERT_EQ(mmu().write_cr4(mmu().regs().cr4 | cr4::kPge), FaultKind::kNone); }

    std::unique_ptr<Machine> machine_;
    std::unique_ptr<FrameAllocator> frames_;
    std::unique_ptr<PageTableBuilder> pt_;
};

// ---------------------------------------------------------------------------
// #PF error code (SDM 4.7)
// ---------------------------------------------------------------------------

TEST_F(MmuSdmTest, ErrorCodePClearForNotPresentPage) {
    const Translation t = tr(kVa + 0x123, kSupRead);
    EXPECT_EQ(t.fault, FaultKind::kPageFault);
    EXPECT_EQ(t.error_code, 0u);
    EXPECT_EQ(t.fault_address, kVa + 0x123);

    // P=0 in the leaf itself (the tables exist).
    map4k(kVa2, kPa1, kW | kU);
    set_entry(kVa2, 1, entry(kVa2, 1) & ~kP);
    const Translation leaf = tr(kVa2, kSupRead);
    EXPECT_EQ(leaf.fault, FaultKind::kPageFault);
    EXPECT_EQ(leaf.error_code, 0u);
}

TEST_F(MmuSdmTest, ErrorCodePSetForProtectionViolation) {
    map4k(kVa, kPa1, kW);  // supervisor page
    const Translation t = tr(kVa, kUserRead);
    EXPECT_EQ(t.fault, FaultKind::kPageFault);
    EXPECT_EQ(t.error_code, pf::kPresent | pf::kUser);
}

TEST_F(MmuSdmTest, ErrorCodeWrBitReflectsWrite) {
    EXPECT_EQ(tr(kVa, kSupWrite).error_code, pf::kWrite);
    EXPECT_EQ(tr(kVa, kUserWrite).error_code, pf::kWrite | pf::kUser);
    map4k(kVa2, kPa1, kU);  // read-only user page
    EXPECT_EQ(tr(kVa2, kUserWrite).error_code, pf::kPresent | pf::kWrite | pf::kUser);
    EXPECT_EQ(tr(kVa2, kSupWrite).error_code, pf::kPresent | pf::kWrite);  // CR0.WP=1 by default
}

TEST_F(MmuSdmTest, ErrorCodeUsBitForUserSupervisorAndImplicit) {
    EXPECT_EQ(tr(kVa, kUserRead).error_code, pf::kUser);
    EXPECT_EQ(tr(kVa, kSupRead).error_code, 0u);
    // An implicit supervisor-mode access is a supervisor access: U/S=0.
    const Translation implicit = tr(kVa, kImplicitRead);
    EXPECT_EQ(implicit.fault, FaultKind::kPageFault);
    EXPECT_EQ(implicit.error_code, 0u);
}

TEST_F(MmuSdmTest, ErrorCodeRsvdBitWithPSet) {
    map4k(kVa, kPa1, kW | kU);
    set_entry(kVa, 1, entry(kVa, 1) | (1ull << 45));  // above MAXPHYADDR=39
    EXPECT_EQ(tr(kVa, kSupRead).error_code, pf::kPresent | pf::kReserved);
    EXPECT_EQ(tr(kVa, kUserWrite).error_code, pf::kPresent | pf::kReserved | pf::kWrite | pf::kUser);
    // A reserved-bit fault on a fetch reports I/D when NXE is on.
    ASSERT_EQ(mmu().write_efer(mmu().regs().efer | efer::kNxe), FaultKind::kNone);
    EXPECT_EQ(tr(kVa, kSupFetch).error_code, pf::kPresent | pf::kReserved | pf::kFetch);
}

TEST_F(MmuSdmTest, ErrorCodeIdBitOnlyWithSmepOrNxe) {
    // Neither SMEP nor NXE: a fetch fault does not report I/D.
    EXPECT_EQ(tr(kVa, kSupFetch).error_code, 0u);
    EXPECT_EQ(tr(kVa, kUserFetch).error_code, pf::kUser);

    ASSERT_EQ(mmu().write_efer(mmu().regs().efer | efer::kNxe), FaultKind::kNone);
    EXPECT_EQ(tr(kVa, kSupFetch).error_code, pf::kFetch);
    EXPECT_EQ(tr(kVa, kUserFetch).error_code, pf::kFetch | pf::kUser);
    EXPECT_EQ(tr(kVa, kSupRead).error_code, 0u);  // never for a data access

    ASSERT_EQ(mmu().write_efer(mmu().regs().efer & ~efer::kNxe), FaultKind::kNone);
    ASSERT_EQ(mmu().write_cr4(mmu().regs().cr4 | cr4::kSmep), FaultKind::kNone);
    EXPECT_EQ(tr(kVa, kSupFetch).error_code, pf::kFetch);
    EXPECT_EQ(tr(kVa, kUserFetch).error_code, pf::kFetch | pf::kUser);
}

TEST_F(MmuSdmTest, Cr2IsTheFaultingLinearAddress) {
    const uint64_t high = 0xFFFF'8000'1234'5678ull;  // canonical, upper half
    const Translation t = tr(high, kSupWrite);
    EXPECT_EQ(t.fault, FaultKind::kPageFault);
    EXPECT_EQ(t.fault_address, high);

    map4k(kVa, kPa1, 0);  // supervisor read-only
    const Translation prot = tr(kVa + 0xFFF, kUserRead);
    EXPECT_EQ(prot.fault, FaultKind::kPageFault);
    EXPECT_EQ(prot.fault_address, kVa + 0xFFF);
}

// ---------------------------------------------------------------------------
// Accessed and dirty flags (SDM 4.8)
// ---------------------------------------------------------------------------

TEST_F(MmuSdmTest, AccessedSetInEveryLevelWalkedAndReadLeavesDirtyClear) {
    map4k(kVa, kPa1, kW | kU);
    for (int level = 4; level >= 1; --level) ASSERT_EQ(entry(kVa, level) & (kA | kD), 0u) << level;
    ASSERT_EQ(pa_of(kVa, kUserRead), kPa1);
    for (int level = 4; level >= 1; --level) {
        EXPECT_EQ(entry(kVa, level) & kA, kA) << "level " << level;
        EXPECT_EQ(entry(kVa, level) & kD, 0u) << "level " << level;
    }
}

TEST_F(MmuSdmTest, DirtySetOnlyInLeafOnWrite) {
    map4k(kVa, kPa1, kW | kU);
    ASSERT_EQ(pa_of(kVa, kUserWrite), kPa1);
    EXPECT_EQ(entry(kVa, 1) & (kA | kD), kA | kD);
    for (int level = 4; level >= 2; --level) {
        EXPECT_EQ(entry(kVa, level) & kA, kA) << "level " << level;
        EXPECT_EQ(entry(kVa, level) & kD, 0u) << "non-leaf level " << level;
    }
    // Large leaves: D in the PDE / PDPTE that maps the page.
    map(kVa2, 2 * kGiB, PageSize::k2M, kW);
    map(kVa3, 1 * kGiB, PageSize::k1G, kW);
    ASSERT_TRUE(tr(kVa2, kSupWrite).ok());
    ASSERT_TRUE(tr(kVa3, kSupWrite).ok());
    EXPECT_EQ(entry(kVa2, 2) & (kA | kD), kA | kD);
    EXPECT_EQ(entry(kVa2, 3) & kD, 0u);
    EXPECT_EQ(entry(kVa3, 3) & (kA | kD), kA | kD);
    EXPECT_EQ(entry(kVa3, 4) & kD, 0u);
}

TEST_F(MmuSdmTest, FaultingAccessSetsNoAccessedOrDirtyInLeaf) {
    map4k(kVa, kPa1, kU);  // read-only user page
    EXPECT_EQ(tr(kVa, kUserWrite).fault, FaultKind::kPageFault);
    EXPECT_EQ(entry(kVa, 1) & (kA | kD), 0u);

    map4k(kVa2, kPa1, kW);  // supervisor page
    EXPECT_EQ(tr(kVa2, kUserWrite).fault, FaultKind::kPageFault);
    EXPECT_EQ(entry(kVa2, 1) & (kA | kD), 0u);

    map4k(kVa3, kPa1, kW | kU);
    set_entry(kVa3, 1, entry(kVa3, 1) | (1ull << 40));  // reserved
    EXPECT_EQ(tr(kVa3, kUserWrite).error_code, pf::kPresent | pf::kReserved | pf::kWrite | pf::kUser);
    EXPECT_EQ(entry(kVa3, 1) & (kA | kD), 0u);
}

TEST_F(MmuSdmTest, WriteToTlbEntryCachedCleanRewalksAndSetsDirty) {
    map4k(kVa, kPa1, kW | kU);
    ASSERT_EQ(pa_of(kVa, kUserRead), kPa1);
    ASSERT_EQ(entry(kVa, 1) & kD, 0u);
    const uint64_t walks = mmu().stats().walks;

    const Translation w = tr(kVa, kUserWrite);
    ASSERT_TRUE(w.ok());
    EXPECT_EQ(w.pa.value, kPa1);
    EXPECT_EQ(w.tlb_level, 0);  // walked
    EXPECT_EQ(mmu().stats().dirty_rewalks, 1u);
    EXPECT_EQ(stat("mmu.dirty_rewalks"), 1u);
    EXPECT_EQ(mmu().stats().walks, walks + 1);
    EXPECT_EQ(entry(kVa, 1) & kD, kD);

    // The refilled entry is dirty: the next write hits the TLB.
    const Translation again = tr(kVa, kUserWrite);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again.tlb_level, 1);
    EXPECT_EQ(mmu().stats().dirty_rewalks, 1u);
    EXPECT_EQ(mmu().stats().walks, walks + 1);
}

// ---------------------------------------------------------------------------
// Access rights (SDM 4.6)
// ---------------------------------------------------------------------------

TEST_F(MmuSdmTest, Cr0WpControlsSupervisorWritesToReadOnlyPages) {
    map4k(kVa, kPa1, 0);       // supervisor, read-only
    map4k(kVa2, kPa2, kU);     // user, read-only
    ASSERT_TRUE(mmu().regs().wp());
    EXPECT_EQ(tr(kVa, kSupWrite).error_code, pf::kPresent | pf::kWrite);
    EXPECT_EQ(tr(kVa2, kSupWrite).error_code, pf::kPresent | pf::kWrite);

    ASSERT_EQ(mmu().write_cr0(mmu().regs().cr0 & ~cr0::kWriteProtect), FaultKind::kNone);
    EXPECT_EQ(pa_of(kVa, kSupWrite), kPa1);
    EXPECT_EQ(pa_of(kVa2, kSupWrite), kPa2);
    EXPECT_EQ(entry(kVa, 1) & kD, kD);

    ASSERT_EQ(mmu().write_cr0(mmu().regs().cr0 | cr0::kWriteProtect), FaultKind::kNone);
    // The cached entry (R/W=0) is reused; WP is checked at every access.
    EXPECT_EQ(tr(kVa, kSupWrite).error_code, pf::kPresent | pf::kWrite);
}

TEST_F(MmuSdmTest, UserWritesToReadOnlyPagesFaultWhateverWp) {
    map4k(kVa, kPa1, kU);
    EXPECT_EQ(tr(kVa, kUserWrite).error_code, pf::kPresent | pf::kWrite | pf::kUser);
    ASSERT_EQ(mmu().write_cr0(mmu().regs().cr0 & ~cr0::kWriteProtect), FaultKind::kNone);
    EXPECT_EQ(tr(kVa, kUserWrite).error_code, pf::kPresent | pf::kWrite | pf::kUser);
    EXPECT_EQ(pa_of(kVa, kUserRead), kPa1);
}

TEST_F(MmuSdmTest, RightsAreCombinedOverEveryLevel) {
    // R/W=0 in the PDE makes the page read-only; U/S=0 in the PDPTE makes it supervisor.
    map4k(kVa, kPa1, kW | kU);
    set_entry(kVa, 2, entry(kVa, 2) & ~kW);
    EXPECT_EQ(tr(kVa, kUserWrite).error_code, pf::kPresent | pf::kWrite | pf::kUser);
    EXPECT_EQ(pa_of(kVa, kUserRead), kPa1);

    map4k(kVa2, kPa2, kW | kU);
    set_entry(kVa2, 3, entry(kVa2, 3) & ~kU);
    EXPECT_EQ(tr(kVa2, kUserRead).error_code, pf::kPresent | pf::kUser);
    EXPECT_EQ(pa_of(kVa2, kSupWrite), kPa2);
}

TEST_F(MmuSdmTest, PscEntryCarriesCombinedRights) {
    // Two pages under one PDE whose U/S=0: the second walk starts at the PDE
    // cache and must still see the supervisor-only right. The model confirms a
    // rights fault from a PSC-started walk by re-walking from the tables (so a
    // rights upgrade never needs an invalidation): one PSC load, then four.
    map4k(kVa, kPa1, kW | kU);
    map4k(kVa + 0x1000, kPa2, kW | kU);
    set_entry(kVa, 2, entry(kVa, 2) & ~kU);
    ASSERT_EQ(pa_of(kVa, kSupRead), kPa1);
    const uint64_t pd_hits = stat("psc.pd.hits");
    const uint64_t loads = stat("mmu.walk_loads");
    const uint64_t rewalks = stat("mmu.psc_rewalks");
    const Translation t = tr(kVa + 0x1000, kUserRead);
    EXPECT_EQ(stat("psc.pd.hits"), pd_hits + 1);
    EXPECT_EQ(stat("mmu.psc_rewalks"), rewalks + 1);
    EXPECT_EQ(stat("mmu.walk_loads"), loads + 1 + 4);
    EXPECT_EQ(t.fault, FaultKind::kPageFault);
    EXPECT_EQ(t.error_code, pf::kPresent | pf::kUser);
}

TEST_F(MmuSdmTest, PscEntryKeepsRightsUntilInvalidated) {
    // The PDE cache holds the rights of the path: after U/S is cleared in the PDE
    // without an invalidation, a walk that starts from the cached PDE still
    // grants user access (software must invalidate after reducing rights).
    map4k(kVa, kPa1, kW | kU);
    map4k(kVa + 0x1000, kPa2, kW | kU);
    ASSERT_EQ(pa_of(kVa, kUserRead), kPa1);
    set_entry(kVa, 2, entry(kVa, 2) & ~kU);
    const uint64_t pd_hits = stat("psc.pd.hits");
    EXPECT_EQ(pa_of(kVa + 0x1000, kUserRead), kPa2);  // stale, and allowed
    EXPECT_EQ(stat("psc.pd.hits"), pd_hits + 1);
    mmu().invlpg(VirtAddr{kVa + 0x1000});  // drops every PSC entry of the PCID
    const Translation t = tr(kVa + 0x1000, kUserRead);
    EXPECT_EQ(t.fault, FaultKind::kPageFault);
    EXPECT_EQ(t.error_code, pf::kPresent | pf::kUser);
}

TEST_F(MmuSdmTest, SmepBlocksSupervisorFetchFromUserPage) {
    map4k(kVa, kPa1, kU);
    map4k(kVa2, kPa2, 0);  // supervisor page
    EXPECT_EQ(pa_of(kVa, kSupFetch), kPa1);  // allowed without SMEP

    ASSERT_EQ(mmu().write_cr4(mmu().regs().cr4 | cr4::kSmep), FaultKind::kNone);
    const Translation t = tr(kVa, kSupFetch);
    EXPECT_EQ(t.fault, FaultKind::kPageFault);
    EXPECT_EQ(t.error_code, pf::kPresent | pf::kFetch);
    EXPECT_EQ(pa_of(kVa2, kSupFetch), kPa2);
    EXPECT_EQ(pa_of(kVa, kUserFetch), kPa1);  // SMEP does not affect user fetches
    EXPECT_EQ(pa_of(kVa, kSupRead), kPa1);    // nor data reads

    // U/S=0 in any level makes the page a supervisor page: SMEP allows it.
    map4k(kVa3, kPa1, kU, kP | kW);
    EXPECT_EQ(pa_of(kVa3, kSupFetch), kPa1);
}

TEST_F(MmuSdmTest, SmapBlocksSupervisorDataAccessWithAcClear) {
    map4k(kVa, kPa1, kW | kU);
    // Without SMAP, supervisor data accesses to user pages are fine.
    EXPECT_EQ(pa_of(kVa, kSupRead), kPa1);
    EXPECT_EQ(pa_of(kVa, kSupWrite), kPa1);

    ASSERT_EQ(mmu().write_cr4(mmu().regs().cr4 | cr4::kSmap), FaultKind::kNone);
    const Translation r = tr(kVa, kSupRead);
    EXPECT_EQ(r.fault, FaultKind::kPageFault);
    EXPECT_EQ(r.error_code, pf::kPresent);
    const Translation w = tr(kVa, kSupWrite);
    EXPECT_EQ(w.fault, FaultKind::kPageFault);
    EXPECT_EQ(w.error_code, pf::kPresent | pf::kWrite);
    EXPECT_EQ(pa_of(kVa, kUserRead), kPa1);  // user accesses are unaffected
    EXPECT_EQ(pa_of(kVa, kSupFetch), kPa1);   // SMAP is about data accesses only
}

TEST_F(MmuSdmTest, SmapAllowsExplicitSupervisorAccessWithAcSet) {
    map4k(kVa, kPa1, kW | kU);
    ASSERT_EQ(mmu().write_cr4(mmu().regs().cr4 | cr4::kSmap), FaultKind::kNone);
    EXPECT_EQ(pa_of(kVa, kSupReadAc), kPa1);
    EXPECT_EQ(pa_of(kVa, kSupWriteAc), kPa1);
}

TEST_F(MmuSdmTest, SmapAlwaysBlocksImplicitSupervisorAccess) {
    map4k(kVa, kPa1, kW | kU);
    EXPECT_EQ(pa_of(kVa, kImplicitRead), kPa1);  // no SMAP: allowed
    ASSERT_EQ(mmu().write_cr4(mmu().regs().cr4 | cr4::kSmap), FaultKind::kNone);
    const Translation r = tr(kVa, kImplicitRead);  // AC=1 does not help
    EXPECT_EQ(r.fault, FaultKind::kPageFault);
    EXPECT_EQ(r.error_code, pf::kPresent);
    const Translation w = tr(kVa, kImplicitWrite);
    EXPECT_EQ(w.fault, FaultKind::kPageFault);
    EXPECT_EQ(w.error_code, pf::kPresent | pf::kWrite);
    // Supervisor pages stay accessible to implicit accesses.
    map4k(kVa2, kPa2, kW);
    EXPECT_EQ(pa_of(kVa2, kImplicitWrite), kPa2);
}

TEST_F(MmuSdmTest, XdIsReservedWithoutNxe) {
    ASSERT_FALSE(mmu().regs().nxe());
    map4k(kVa, kPa1, kW | kU | kXd);
    EXPECT_EQ(tr(kVa, kUserRead).error_code, pf::kPresent | pf::kReserved | pf::kUser);
    // I/D stays clear: neither SMEP nor NXE is on.
    EXPECT_EQ(tr(kVa, kUserFetch).error_code, pf::kPresent | pf::kReserved | pf::kUser);
    // XD in a non-leaf entry is reserved as well.
    map4k(kVa2, kPa2, kW | kU);
    set_entry(kVa2, 3, entry(kVa2, 3) | kXd);
    EXPECT_EQ(tr(kVa2, kSupRead).error_code, pf::kPresent | pf::kReserved);
}

TEST_F(MmuSdmTest, XdWithNxeBlocksFetchOnly) {
    ASSERT_EQ(mmu().write_efer(mmu().regs().efer | efer::kNxe), FaultKind::kNone);
    map4k(kVa, kPa1, kW | kU | kXd);
    EXPECT_EQ(pa_of(kVa, kUserRead), kPa1);
    EXPECT_EQ(pa_of(kVa, kUserWrite), kPa1);
    const Translation f = tr(kVa, kUserFetch);
    EXPECT_EQ(f.fault, FaultKind::kPageFault);
    EXPECT_EQ(f.error_code, pf::kPresent | pf::kUser | pf::kFetch);
    EXPECT_EQ(tr(kVa, kSupFetch).error_code, pf::kPresent | pf::kFetch);

    // XD is ORed over the path: XD in the PDPTE forbids fetches from the page.
    map4k(kVa2, kPa2, kW | kU);
    EXPECT_EQ(pa_of(kVa2, kUserFetch), kPa2);
    set_entry(kVa2, 3, entry(kVa2, 3) | kXd);
    ASSERT_EQ(mmu().write_cr3(pt().root().value), FaultKind::kNone);  // flush
    EXPECT_EQ(tr(kVa2, kUserFetch).error_code, pf::kPresent | pf::kUser | pf::kFetch);
    EXPECT_EQ(pa_of(kVa2, kUserRead), kPa2);
}

// ---------------------------------------------------------------------------
// Reserved bits (SDM 4.5, table 4-20)
// ---------------------------------------------------------------------------

TEST_F(MmuSdmTest, AddressBitsAtOrAboveMaxPhyAddrAreReserved) {
    ASSERT_EQ(machine_->config().mmu.phys_addr_bits, 39u);
    map4k(kVa, kPa1, kW | kU);
    set_entry(kVa, 1, entry(kVa, 1) | (1ull << 38));  // below MAXPHYADDR: an address bit
    EXPECT_EQ(pa_of(kVa), kPa1 | (1ull << 38));

    map4k(kVa2, kPa1, kW | kU);
    set_entry(kVa2, 1, entry(kVa2, 1) | (1ull << 39));
    EXPECT_EQ(tr(kVa2, kSupRead).error_code, pf::kPresent | pf::kReserved);

    map4k(kVa3, kPa1, kW | kU);
    set_entry(kVa3, 1, entry(kVa3, 1) | (1ull << 51));
    EXPECT_EQ(tr(kVa3, kSupRead).error_code, pf::kPresent | pf::kReserved);

    // In a non-leaf entry too (checked before the bad table address is used).
    const uint64_t va4 = 0x0000'0200'0000'0000ull;
    map4k(va4, kPa1, kW | kU);
    set_entry(va4, 3, entry(va4, 3) | (1ull << 39));
    EXPECT_EQ(tr(va4, kSupRead).error_code, pf::kPresent | pf::kReserved);
}

TEST_F(MmuSdmTest, MaxPhyAddrComesFromConfig) {
    MachineConfig c = small_config();
    c.mmu.phys_addr_bits = 46;
    build(c, 4);
    map4k(kVa, kPa1, kW | kU);
    set_entry(kVa, 1, entry(kVa, 1) | (1ull << 45));
    EXPECT_EQ(pa_of(kVa), kPa1 | (1ull << 45));
    map4k(kVa2, kPa1, kW | kU);
    set_entry(kVa2, 1, entry(kVa2, 1) | (1ull << 46));
    EXPECT_EQ(tr(kVa2, kSupRead).error_code, pf::kPresent | pf::kReserved);
}

TEST_F(MmuSdmTest, PsInPml4eIsReserved) {
    map4k(kVa, kPa1, kW | kU);
    set_entry(kVa, 4, entry(kVa, 4) | kPs);
    EXPECT_EQ(tr(kVa, kUserRead).error_code, pf::kPresent | pf::kReserved | pf::kUser);
}

TEST_F(MmuSdmTest, PsInPml5eIsReserved) {
    build(small_config(), 5);
    map4k(kVa, kPa1, kW | kU);
    set_entry(kVa, 5, entry(kVa, 5) | kPs);
    EXPECT_EQ(tr(kVa, kUserRead).error_code, pf::kPresent | pf::kReserved | pf::kUser);
}

TEST_F(MmuSdmTest, Bits20To13OfA2MiBLeafAreReserved) {
    const uint64_t vas[] = {kVa, kVa2, kVa3};
    const uint64_t bits[] = {1ull << 13, 1ull << 20, 1ull << 16};
    for (int i = 0; i < 3; ++i) {
        map(vas[i], kPa1, PageSize::k2M, kW | kU);
        set_entry(vas[i], 2, entry(vas[i], 2) | bits[i]);
        EXPECT_EQ(tr(vas[i], kSupRead).error_code, pf::kPresent | pf::kReserved) << "bit mask " << bits[i];
    }
    // Bit 12 is PAT, bit 21 an address bit: both fine.
    const uint64_t va = 0x0000'0200'0000'0000ull;
    map(va, kPa1, PageSize::k2M, kW | kU | Pte::kPatLarge);
    EXPECT_EQ(pa_of(va + 0x1234), kPa1 + 0x1234);
    const uint64_t va2 = 0x0000'0280'0000'0000ull;
    map(va2, kPa1 | (1ull << 21), PageSize::k2M, kW | kU);
    EXPECT_EQ(pa_of(va2), kPa1 | (1ull << 21));
}

TEST_F(MmuSdmTest, Bits29To13OfA1GiBLeafAreReserved) {
    const uint64_t vas[] = {kVa, kVa2, kVa3};
    const uint64_t bits[] = {1ull << 13, 1ull << 29, 1ull << 21};
    for (int i = 0; i < 3; ++i) {
        map(vas[i], kGiB, PageSize::k1G, kW | kU);
        set_entry(vas[i], 3, entry(vas[i], 3) | bits[i]);
        EXPECT_EQ(tr(vas[i], kSupRead).error_code, pf::kPresent | pf::kReserved) << "bit mask " << bits[i];
    }
    const uint64_t va = 0x0000'0200'0000'0000ull;
    map(va, 2 * kGiB, PageSize::k1G, kW | kU | Pte::kPatLarge);  // bit 12 is PAT
    EXPECT_EQ(pa_of(va + 0x1234'5678), 2 * kGiB + 0x1234'5678);
}

TEST_F(MmuSdmTest, PsInPdpteIsReservedWithout1GiBPages) {
    MachineConfig c = small_config();
    c.mmu.pages_1g_supported = false;
    build(c, 4);
    map(kVa, kGiB, PageSize::k1G, kW | kU);
    EXPECT_EQ(tr(kVa, kSupRead).error_code, pf::kPresent | pf::kReserved);
    map(kVa2, kPa1, PageSize::k2M, kW | kU);  // 2 MiB pages are unaffected
    EXPECT_EQ(pa_of(kVa2), kPa1);
}

// ---------------------------------------------------------------------------
// Page sizes, LA57 and canonical addresses (SDM 4.5, 3.3.7.1)
// ---------------------------------------------------------------------------

TEST_F(MmuSdmTest, FourKiBTranslation) {
    map4k(kVa, kPa1, kW | kU);
    const Translation t = tr(kVa + 0xABC, kUserRead);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t.pa.value, kPa1 + 0xABC);
    EXPECT_EQ(t.size, PageSize::k4K);
    EXPECT_EQ(t.tlb_level, 0);
    const Translation hit = tr(kVa + 0x123, kUserRead);
    EXPECT_EQ(hit.pa.value, kPa1 + 0x123);
    EXPECT_EQ(hit.size, PageSize::k4K);
    EXPECT_EQ(hit.tlb_level, 1);
    EXPECT_EQ(stat("mmu.walks_4k"), 1u);
}

TEST_F(MmuSdmTest, TwoMiBTranslation) {
    map(kVa + 2 * kMiB, kPa1, PageSize::k2M, kW | kU);
    const Translation t = tr(kVa + 2 * kMiB + 0x1F'FFF8, kUserRead);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t.pa.value, kPa1 + 0x1F'FFF8);
    EXPECT_EQ(t.size, PageSize::k2M);
    const Translation hit = tr(kVa + 2 * kMiB + 0x1000, kUserRead);
    EXPECT_EQ(hit.pa.value, kPa1 + 0x1000);
    EXPECT_EQ(hit.size, PageSize::k2M);
    EXPECT_EQ(hit.tlb_level, 1);
    EXPECT_EQ(stat("mmu.walks_2m"), 1u);
    EXPECT_EQ(stat("mmu.walk_loads"), 3u);
}

TEST_F(MmuSdmTest, OneGiBTranslation) {
    map(kVa + kGiB, 3 * kGiB, PageSize::k1G, kW | kU);
    const Translation t = tr(kVa + kGiB + 0x3FFF'FFF0, kUserRead);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t.pa.value, 3 * kGiB + 0x3FFF'FFF0);
    EXPECT_EQ(t.size, PageSize::k1G);
    const Translation hit = tr(kVa + kGiB + 0x40'0000, kUserRead);
    EXPECT_EQ(hit.pa.value, 3 * kGiB + 0x40'0000);
    EXPECT_EQ(hit.size, PageSize::k1G);
    EXPECT_NE(hit.tlb_level, 0);
    EXPECT_EQ(stat("mmu.walks_1g"), 1u);
    EXPECT_EQ(stat("mmu.walk_loads"), 2u);
}

TEST_F(MmuSdmTest, PscHoldsNoEntryForTheLeafLevelOfALargePage) {
    map4k(kVa, kPa1, kW | kU);
    ASSERT_TRUE(tr(kVa, kSupRead).ok());
    EXPECT_EQ(mmu().psc().valid_entries(), 3u);  // PML4E, PDPTE, PDE
    ASSERT_EQ(mmu().write_cr3(pt().root().value), FaultKind::kNone);
    EXPECT_EQ(mmu().psc().valid_entries(), 0u);

    map(kVa2, kPa1, PageSize::k2M, kW | kU);
    ASSERT_TRUE(tr(kVa2, kSupRead).ok());
    EXPECT_EQ(mmu().psc().valid_entries(), 2u);  // PML4E, PDPTE; no PDE entry for the 2 MiB leaf
    ASSERT_EQ(mmu().write_cr3(pt().root().value), FaultKind::kNone);

    map(kVa3, kGiB, PageSize::k1G, kW | kU);
    ASSERT_TRUE(tr(kVa3, kSupRead).ok());
    EXPECT_EQ(mmu().psc().valid_entries(), 1u);  // PML4E only
}

TEST_F(MmuSdmTest, La57WalksFiveLevelsAndAccepts57BitAddresses) {
    const uint64_t va57 = 0x0012'3456'7890'0000ull;     // bits 55:48 nonzero: needs 5 levels
    const uint64_t va57_hi = 0xFF92'3456'7890'0000ull;  // upper half of the 57-bit space
    ASSERT_EQ(tr(va57, kSupRead).fault, FaultKind::kGeneralProtection);  // 4-level: non-canonical
    ASSERT_EQ(tr(va57_hi, kSupRead).fault, FaultKind::kGeneralProtection);

    build(small_config(), 5);
    ASSERT_TRUE(mmu().regs().la57());
    ASSERT_EQ(mmu().regs().cr4 & cr4::kPae, cr4::kPae);
    map4k(va57, kPa1, kW | kU);
    map4k(va57_hi, kPa2, kW | kU);
    mmu().set_caching(false, false);
    const uint64_t loads = stat("mmu.walk_loads");
    const Translation t = tr(va57 + 0x42, kUserRead);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t.pa.value, kPa1 + 0x42);
    EXPECT_EQ(stat("mmu.walk_loads"), loads + 5);
    EXPECT_EQ(pa_of(va57_hi + 8), kPa2 + 8);
    EXPECT_EQ(stat("mmu.walk_loads"), loads + 10);
    for (int level = 5; level >= 1; --level) EXPECT_EQ(entry(va57, level) & kA, kA) << level;

    // With caches on, a walk fills PML5E, PML4E, PDPTE and PDE caches.
    mmu().set_caching(true, true);
    ASSERT_TRUE(tr(va57, kSupRead).ok());
    EXPECT_EQ(mmu().psc().valid_entries(), 4u);
}

TEST_F(MmuSdmTest, La57NeedsCpuSupport) {
    MachineConfig c = small_config();
    c.mmu.la57_supported = false;
    build(c, 4);
    const uint64_t cr4_before = mmu().regs().cr4;
    EXPECT_EQ(mmu().write_cr4(cr4_before | cr4::kLa57), FaultKind::kGeneralProtection);
    EXPECT_EQ(mmu().regs().cr4, cr4_before);
}

TEST_F(MmuSdmTest, FourLevelWalkLoadsFourEntries) {
    map4k(kVa, kPa1, kW | kU);
    mmu().set_caching(false, false);
    ASSERT_TRUE(tr(kVa, kSupRead).ok());
    ASSERT_TRUE(tr(kVa, kSupRead).ok());
    EXPECT_EQ(stat("mmu.walk_loads"), 8u);
    EXPECT_EQ(stat("mmu.walks"), 2u);
}

TEST_F(MmuSdmTest, NonCanonicalAddressIsGeneralProtectionFourLevel) {
    for (uint64_t va : {0x0000'8000'0000'0000ull, 0xFFFF'7FFF'FFFF'F000ull, 0x8000'0000'0000'0000ull}) {
        const Translation t = tr(va, kUserRead);
        EXPECT_EQ(t.fault, FaultKind::kGeneralProtection) << std::hex << va;
        EXPECT_EQ(t.error_code, 0u);
    }
    EXPECT_EQ(stat("mmu.page_faults"), 0u);
    EXPECT_EQ(stat("mmu.gp_faults"), 3u);
    EXPECT_EQ(stat("mmu.walks"), 0u);
    // The extremes of each half are canonical (and here unmapped: #PF).
    EXPECT_EQ(tr(0x0000'7FFF'FFFF'F000ull, kUserRead).fault, FaultKind::kPageFault);
    EXPECT_EQ(tr(0xFFFF'8000'0000'0000ull, kUserRead).fault, FaultKind::kPageFault);
}

TEST_F(MmuSdmTest, NonCanonicalAddressIsGeneralProtectionFiveLevel) {
    build(small_config(), 5);
    for (uint64_t va : {0x0100'0000'0000'0000ull, 0xFE00'0000'0000'0000ull, 0x8000'0000'0000'0000ull}) {
        const Translation t = tr(va, kSupWrite);
        EXPECT_EQ(t.fault, FaultKind::kGeneralProtection) << std::hex << va;
        EXPECT_EQ(t.error_code, 0u);
    }
    EXPECT_EQ(stat("mmu.page_faults"), 0u);
    EXPECT_EQ(stat("mmu.walks"), 0u);
    EXPECT_EQ(tr(0x00FF'FFFF'FFFF'F000ull, kSupRead).fault, FaultKind::kPageFault);
    EXPECT_EQ(tr(0xFF00'0000'0000'0000ull, kSupRead).fault, FaultKind::kPageFault);
}

// ---------------------------------------------------------------------------
// PCIDs, global pages and MOV to CR3/CR4 (SDM 4.10.1, 4.10.2.4, 4.10.4.1)
// ---------------------------------------------------------------------------

TEST_F(MmuSdmTest, PcidIsolatesTlbEntries) {
    map4k(kVa, kPa1, kW | kU);
    enable_pcide();
    load_cr3(1);
    ASSERT_EQ(mmu().regs().pcid(), 1);
    ASSERT_EQ(pa_of(kVa), kPa1);  // cached under PCID 1
    repoint(kVa, 1, kPa2);
    EXPECT_EQ(pa_of(kVa), kPa1);  // stale, PCID 1

    load_cr3(2);
    const Translation t = tr(kVa, kSupRead);
    EXPECT_EQ(t.pa.value, kPa2);  // PCID 1's entry is not used under PCID 2
    EXPECT_EQ(t.tlb_level, 0);

    load_cr3(1, /*no_flush=*/true);
    EXPECT_EQ(pa_of(kVa), kPa1);  // PCID 1's entry survived the switch
    load_cr3(1);                  // bit 63 clear: flush PCID 1
    EXPECT_EQ(pa_of(kVa), kPa2);
}

TEST_F(MmuSdmTest, Cr3LoadFlushesNonGlobalEntriesAndPscWithoutPcide) {
    map4k(kVa, kPa1, kW | kU);
    ASSERT_EQ(pa_of(kVa), kPa1);
    EXPECT_EQ(mmu().psc().valid_entries(), 3u);
    repoint(kVa, 1, kPa2);
    EXPECT_EQ(pa_of(kVa), kPa1);
    ASSERT_EQ(mmu().write_cr3(pt().root().value), FaultKind::kNone);
    EXPECT_EQ(mmu().psc().valid_entries(), 0u);
    EXPECT_EQ(pa_of(kVa), kPa2);
    EXPECT_EQ(stat("inval.cr3_flush"), 2u);  // SetUp's load and this one
}

TEST_F(MmuSdmTest, GlobalEntrySurvivesCr3Load) {
    enable_pge();
    map4k(kVa, kPa1, kW | kG);
    map4k(kVa2, kPa1, kW);
    ASSERT_EQ(pa_of(kVa), kPa1);
    ASSERT_EQ(pa_of(kVa2), kPa1);
    repoint(kVa, 1, kPa2);
    repoint(kVa2, 1, kPa2);
    ASSERT_EQ(mmu().write_cr3(pt().root().value), FaultKind::kNone);
    EXPECT_EQ(mmu().psc().valid_entries(), 0u);  // G does not protect PSC entries
    EXPECT_EQ(pa_of(kVa), kPa1);   // global: kept
    EXPECT_EQ(pa_of(kVa2), kPa2);  // non-global: flushed
}

TEST_F(MmuSdmTest, GlobalBitOnlyCountsInTheLeaf) {
    enable_pge();
    map4k(kVa, kPa1, kW, kTable | kG);  // G in every non-leaf entry, not in the PTE
    ASSERT_EQ(pa_of(kVa), kPa1);
    repoint(kVa, 1, kPa2);
    ASSERT_EQ(mmu().write_cr3(pt().root().value), FaultKind::kNone);
    EXPECT_EQ(pa_of(kVa), kPa2);
}

TEST_F(MmuSdmTest, GlobalEntryMatchesUnderAnyPcid) {
    enable_pge();
    enable_pcide();
    map4k(kVa, kPa1, kW | kG);
    load_cr3(1);
    ASSERT_EQ(pa_of(kVa), kPa1);
    repoint(kVa, 1, kPa2);
    load_cr3(2);
    const Translation t = tr(kVa, kSupRead);
    EXPECT_EQ(t.pa.value, kPa1);
    EXPECT_NE(t.tlb_level, 0);
}

TEST_F(MmuSdmTest, GlobalBitIgnoredWithoutPge) {
    ASSERT_FALSE(mmu().regs().pge());
    map4k(kVa, kPa1, kW | kG);
    ASSERT_EQ(pa_of(kVa), kPa1);
    repoint(kVa, 1, kPa2);
    ASSERT_EQ(mmu().write_cr3(pt().root().value), FaultKind::kNone);
    EXPECT_EQ(pa_of(kVa), kPa2);
}

TEST_F(MmuSdmTest, InvpcidType2DropsGlobals) {
    enable_pge();
    map4k(kVa, kPa1, kW | kG);
    map4k(kVa2, kPa1, kW);
    ASSERT_EQ(pa_of(kVa), kPa1);
    ASSERT_EQ(pa_of(kVa2), kPa1);
    repoint(kVa, 1, kPa2);
    repoint(kVa2, 1, kPa2);
    ASSERT_EQ(mmu().invpcid(2, 0, VirtAddr{0}), FaultKind::kNone);
    EXPECT_EQ(mmu().psc().valid_entries(), 0u);
    EXPECT_EQ(pa_of(kVa), kPa2);
    EXPECT_EQ(pa_of(kVa2), kPa2);
    EXPECT_EQ(stat("inval.invpcid_2_all"), 1u);
}

TEST_F(MmuSdmTest, InvpcidType3KeepsGlobals) {
    enable_pge();
    enable_pcide();
    map4k(kVa, kPa1, kW | kG);
    map4k(kVa2, kPa1, kW);
    load_cr3(1);
    ASSERT_EQ(pa_of(kVa), kPa1);
    ASSERT_EQ(pa_of(kVa2), kPa1);
    load_cr3(2);
    ASSERT_EQ(pa_of(kVa2), kPa1);  // PCID 2 entry too
    repoint(kVa, 1, kPa2);
    repoint(kVa2, 1, kPa2);
    ASSERT_EQ(mmu().invpcid(3, 0, VirtAddr{0}), FaultKind::kNone);
    EXPECT_EQ(mmu().psc().valid_entries(), 0u);
    EXPECT_EQ(pa_of(kVa), kPa1);   // global kept
    EXPECT_EQ(pa_of(kVa2), kPa2);  // PCID 2 dropped
    load_cr3(1, /*no_flush=*/true);
    EXPECT_EQ(pa_of(kVa2), kPa2);  // PCID 1 dropped too
    EXPECT_EQ(pa_of(kVa), kPa1);
}

TEST_F(MmuSdmTest, InvpcidType0DropsOnePageOfOnePcid) {
    enable_pge();
    enable_pcide();
    const uint64_t va_b = kVa + 0x1000;
    map4k(kVa, kPa1, kW);
    map4k(va_b, kPa1 + 0x1000, kW);
    map4k(kVa2, kPa1, kW | kG);
    load_cr3(1);
    ASSERT_EQ(pa_of(kVa), kPa1);
    ASSERT_EQ(pa_of(va_b), kPa1 + 0x1000);
    ASSERT_EQ(pa_of(kVa2), kPa1);
    load_cr3(2);
    ASSERT_EQ(pa_of(kVa), kPa1);  // the same page cached under PCID 2
    repoint(kVa, 1, kPa2);
    repoint(va_b, 1, kPa2 + 0x1000);
    repoint(kVa2, 1, kPa2);

    ASSERT_EQ(mmu().invpcid(0, 1, VirtAddr{kVa}), FaultKind::kNone);
    ASSERT_EQ(mmu().invpcid(0, 1, VirtAddr{kVa2}), FaultKind::kNone);
    EXPECT_EQ(pa_of(kVa), kPa1);   // current PCID 2: untouched
    EXPECT_EQ(pa_of(kVa2), kPa1);  // global: type 0 keeps it
    load_cr3(1, /*no_flush=*/true);
    EXPECT_EQ(pa_of(kVa), kPa2);                  // dropped
    EXPECT_EQ(pa_of(va_b), kPa1 + 0x1000);        // other page of PCID 1 kept
    EXPECT_EQ(stat("inval.invpcid_0_address"), 2u);
    // A non-canonical address in the descriptor is #GP.
    EXPECT_EQ(mmu().invpcid(0, 1, VirtAddr{0x0000'8000'0000'0000ull}), FaultKind::kGeneralProtection);
}

TEST_F(MmuSdmTest, InvpcidType1DropsOnePcid) {
    enable_pge();
    enable_pcide();
    map4k(kVa, kPa1, kW);
    map4k(kVa2, kPa1, kW | kG);
    load_cr3(1);
    ASSERT_EQ(pa_of(kVa), kPa1);
    ASSERT_EQ(pa_of(kVa2), kPa1);
    load_cr3(2);
    ASSERT_EQ(pa_of(kVa), kPa1);
    const uint32_t psc_before = mmu().psc().valid_entries();
    ASSERT_EQ(psc_before, 9u);  // PCID 1: kVa's and kVa2's paths; PCID 2: kVa's path
    repoint(kVa, 1, kPa2);
    repoint(kVa2, 1, kPa2);

    ASSERT_EQ(mmu().invpcid(1, 1, VirtAddr{0}), FaultKind::kNone);
    EXPECT_EQ(mmu().psc().valid_entries(), 3u);  // only PCID 2's remain
    EXPECT_EQ(pa_of(kVa), kPa1);                 // PCID 2 kept
    EXPECT_EQ(pa_of(kVa2), kPa1);                // global kept
    load_cr3(1, /*no_flush=*/true);
    EXPECT_EQ(pa_of(kVa), kPa2);  // PCID 1 dropped
    EXPECT_EQ(pa_of(kVa2), kPa1);
}

TEST_F(MmuSdmTest, InvpcidRejectsBadOperands) {
    EXPECT_EQ(mmu().invpcid(4, 0, VirtAddr{0}), FaultKind::kGeneralProtection);
    EXPECT_EQ(mmu().invpcid(1, 0x1000, VirtAddr{0}), FaultKind::kGeneralProtection);
    // PCIDE=0: types 0 and 1 need PCID 0.
    EXPECT_EQ(mmu().invpcid(1, 1, VirtAddr{0}), FaultKind::kGeneralProtection);
    EXPECT_EQ(mmu().invpcid(1, 0, VirtAddr{0}), FaultKind::kNone);

    MachineConfig c = small_config();
    c.mmu.pcid_supported = false;
    build(c, 4);
    EXPECT_EQ(mmu().invpcid(2, 0, VirtAddr{0}), FaultKind::kInvalidOpcode);
    EXPECT_EQ(mmu().write_cr4(mmu().regs().cr4 | cr4::kPcide), FaultKind::kGeneralProtection);
}

TEST_F(MmuSdmTest, Cr3NoFlushBitKeepsEntriesAndIsNotStored) {
    enable_pcide();
    map4k(kVa, kPa1, kW);
    load_cr3(1);
    ASSERT_EQ(pa_of(kVa), kPa1);
    const uint32_t psc = mmu().psc().valid_entries();
    ASSERT_EQ(psc, 3u);
    repoint(kVa, 1, kPa2);

    load_cr3(1, /*no_flush=*/true);
    EXPECT_EQ(mmu().regs().cr3, pt().root().value | 1);
    EXPECT_EQ(mmu().regs().cr3 & cr3::kNoFlush, 0u);
    EXPECT_EQ(mmu().psc().valid_entries(), psc);
    EXPECT_EQ(pa_of(kVa), kPa1);
    EXPECT_EQ(stat("inval.cr3_noflush"), 1u);

    load_cr3(1);
    EXPECT_EQ(mmu().psc().valid_entries(), 0u);
    EXPECT_EQ(pa_of(kVa), kPa2);
}

TEST_F(MmuSdmTest, Cr3Bit63IsReservedWithoutPcide) {
    // With CR4.PCIDE=0 bit 63 is no flush hint: it is a reserved bit of CR3.
    ASSERT_FALSE(mmu().regs().pcide());
    const uint64_t before = mmu().regs().cr3;
    EXPECT_EQ(mmu().write_cr3(pt().root().value | cr3::kNoFlush), FaultKind::kGeneralProtection);
    EXPECT_EQ(mmu().regs().cr3, before);
    // Bits 62:MAXPHYADDR are reserved whatever PCIDE is.
    EXPECT_EQ(mmu().write_cr3(pt().root().value | (1ull << 39)), FaultKind::kGeneralProtection);
    enable_pcide();
    EXPECT_EQ(mmu().write_cr3(pt().root().value | (1ull << 62)), FaultKind::kGeneralProtection);
    EXPECT_EQ(mmu().write_cr3(pt().root().value | cr3::kNoFlush), FaultKind::kNone);
}

TEST_F(MmuSdmTest, SettingPcideWithNonzeroCr3LowBitsIsGp) {
    ASSERT_EQ(mmu().write_cr3(pt().root().value | cr3::kPwt), FaultKind::kNone);
    const uint64_t cr4_before = mmu().regs().cr4;
    EXPECT_EQ(mmu().write_cr4(cr4_before | cr4::kPcide), FaultKind::kGeneralProtection);
    EXPECT_EQ(mmu().regs().cr4, cr4_before);
    EXPECT_FALSE(mmu().regs().pcide());

    ASSERT_EQ(mmu().write_cr3(pt().root().value), FaultKind::kNone);
    EXPECT_EQ(mmu().write_cr4(cr4_before | cr4::kPcide), FaultKind::kNone);
    EXPECT_TRUE(mmu().regs().pcide());
}

TEST_F(MmuSdmTest, TogglingPgeFlushesGlobals) {
    enable_pge();
    map4k(kVa, kPa1, kW | kG);
    ASSERT_EQ(pa_of(kVa), kPa1);
    repoint(kVa, 1, kPa2);
    ASSERT_EQ(mmu().write_cr3(pt().root().value), FaultKind::kNone);
    ASSERT_EQ(pa_of(kVa), kPa1);  // global survived the CR3 load
    ASSERT_EQ(mmu().write_cr4(mmu().regs().cr4 & ~cr4::kPge), FaultKind::kNone);
    EXPECT_EQ(pa_of(kVa), kPa2);

    // Setting PGE again flushes too (and the entry cached with PGE=0 was not global).
    repoint(kVa, 1, kPa1);
    EXPECT_EQ(pa_of(kVa), kPa2);
    enable_pge();
    EXPECT_EQ(pa_of(kVa), kPa1);
    EXPECT_EQ(stat("inval.cr4_flush"), 3u);
}

TEST_F(MmuSdmTest, ClearingPcideFlushesAllPcids) {
    enable_pge();
    enable_pcide();
    map4k(kVa, kPa1, kW);
    map4k(kVa2, kPa1, kW | kG);
    load_cr3(1);
    ASSERT_EQ(pa_of(kVa), kPa1);
    ASSERT_EQ(pa_of(kVa2), kPa1);
    load_cr3(0);
    ASSERT_EQ(pa_of(kVa), kPa1);
    repoint(kVa, 1, kPa2);
    repoint(kVa2, 1, kPa2);
    ASSERT_EQ(mmu().write_cr4(mmu().regs().cr4 & ~cr4::kPcide), FaultKind::kNone);
    EXPECT_EQ(mmu().tlb().valid_entries(), 0u);
    EXPECT_EQ(mmu().psc().valid_entries(), 0u);
    EXPECT_EQ(pa_of(kVa), kPa2);
    EXPECT_EQ(pa_of(kVa2), kPa2);
}

TEST_F(MmuSdmTest, SettingSmepFlushesCurrentPcid) {
    map4k(kVa, kPa1, kW);
    ASSERT_EQ(pa_of(kVa), kPa1);
    repoint(kVa, 1, kPa2);
    ASSERT_EQ(pa_of(kVa), kPa1);
    ASSERT_EQ(mmu().write_cr4(mmu().regs().cr4 | cr4::kSmep), FaultKind::kNone);
    EXPECT_EQ(mmu().psc().valid_entries(), 0u);
    EXPECT_EQ(pa_of(kVa), kPa2);
}

// ---------------------------------------------------------------------------
// INVLPG and #PF invalidation (SDM 4.10.4.1)
// ---------------------------------------------------------------------------

TEST_F(MmuSdmTest, InvlpgDropsThePageAndEveryPscEntryOfTheCurrentPcid) {
    map4k(kVa, kPa1, kW);
    map4k(kVa2, kPa1, kW);
    map4k(kVa2 + 0x1000, kPa1 + 0x1000, kW);
    map4k(kVa2 + 0x2000, kPa1 + 0x2000, kW);
    ASSERT_EQ(pa_of(kVa), kPa1);
    ASSERT_EQ(pa_of(kVa2), kPa1);
    ASSERT_EQ(mmu().psc().valid_entries(), 6u);  // two disjoint paths

    // Control: a neighbour of kVa2 walks from the PDE cache with one load.
    uint64_t loads = stat("mmu.walk_loads");
    uint64_t pd_hits = stat("psc.pd.hits");
    ASSERT_EQ(pa_of(kVa2 + 0x1000), kPa1 + 0x1000);
    EXPECT_EQ(stat("mmu.walk_loads"), loads + 1);
    EXPECT_EQ(stat("psc.pd.hits"), pd_hits + 1);

    repoint(kVa, 1, kPa2);
    repoint(kVa2, 1, kPa2);
    mmu().invlpg(VirtAddr{kVa + 0x800});
    EXPECT_EQ(mmu().psc().valid_entries(), 0u);  // kVa2's path too
    EXPECT_EQ(stat("inval.invlpg"), 1u);

    const uint64_t walks = stat("mmu.walks");
    const Translation other = tr(kVa2, kSupRead);  // other page: TLB entry kept (stale)
    EXPECT_EQ(other.pa.value, kPa1);
    EXPECT_EQ(other.tlb_level, 1);
    EXPECT_EQ(stat("mmu.walks"), walks);

    loads = stat("mmu.walk_loads");
    const uint64_t hits = psc_hits();
    const uint64_t misses = stat("psc.misses");
    ASSERT_EQ(pa_of(kVa2 + 0x2000), kPa1 + 0x2000);
    EXPECT_EQ(stat("mmu.walk_loads"), loads + 4);  // full walk: no PSC entry left
    EXPECT_EQ(psc_hits(), hits);
    EXPECT_EQ(stat("psc.misses"), misses + 1);

    const Translation dropped = tr(kVa, kSupRead);
    EXPECT_EQ(dropped.pa.value, kPa2);
    EXPECT_EQ(dropped.tlb_level, 0);
}

TEST_F(MmuSdmTest, InvlpgKeepsPscEntriesOfOtherPcids) {
    enable_pcide();
    map4k(kVa, kPa1, kW);
    map4k(kVa + 0x1000, kPa1 + 0x1000, kW);
    map4k(kVa2, kPa2, kW);
    load_cr3(1);
    ASSERT_EQ(pa_of(kVa), kPa1);
    load_cr3(2);
    ASSERT_EQ(pa_of(kVa2), kPa2);
    ASSERT_EQ(mmu().psc().valid_entries(), 6u);
    mmu().invlpg(VirtAddr{kVa2});
    EXPECT_EQ(mmu().psc().valid_entries(), 3u);
    load_cr3(1, /*no_flush=*/true);
    const uint64_t loads = stat("mmu.walk_loads");
    ASSERT_EQ(pa_of(kVa + 0x1000), kPa1 + 0x1000);
    EXPECT_EQ(stat("mmu.walk_loads"), loads + 1);  // PCID 1's PDE entry survived
}

TEST_F(MmuSdmTest, InvlpgDropsGlobalEntryOfThePage) {
    enable_pge();
    map4k(kVa, kPa1, kW | kG);
    ASSERT_EQ(pa_of(kVa), kPa1);
    repoint(kVa, 1, kPa2);
    mmu().invlpg(VirtAddr{kVa});
    EXPECT_EQ(pa_of(kVa), kPa2);
}

TEST_F(MmuSdmTest, InvlpgCoversEveryAddressOfALargePage) {
    map(kVa, kPa1, PageSize::k2M, kW);
    map(kVa2, kGiB, PageSize::k1G, kW);
    ASSERT_EQ(pa_of(kVa), kPa1);
    ASSERT_EQ(pa_of(kVa2), kGiB);
    repoint(kVa, 2, kPa2);
    repoint(kVa2, 3, 2 * kGiB);
    mmu().invlpg(VirtAddr{kVa + 0x1F'F000});
    mmu().invlpg(VirtAddr{kVa2 + 0x3000'0000});
    EXPECT_EQ(pa_of(kVa + 0x10), kPa2 + 0x10);
    EXPECT_EQ(pa_of(kVa2 + 0x10), 2 * kGiB + 0x10);
}

TEST_F(MmuSdmTest, InvlpgDropsASplinteredEntryFromAnyAddressOfItsLeaf) {
    // The ITLB holds no 1 GiB entries: a fetch caches a 2 MiB splinter of the
    // page. INVLPG of an address in another 2 MiB part of the leaf drops it.
    map(kVa, kGiB, PageSize::k1G, kW | kU);
    const Translation f = tr(kVa + 0x2000'1234, kSupFetch);
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(f.pa.value, kGiB + 0x2000'1234);
    EXPECT_EQ(f.size, PageSize::k1G);
    const Translation hit = tr(kVa + 0x2000'5678, kSupFetch);
    EXPECT_EQ(hit.tlb_level, 1);
    EXPECT_EQ(hit.pa.value, kGiB + 0x2000'5678);
    EXPECT_EQ(hit.size, PageSize::k1G);
    repoint(kVa, 3, 2 * kGiB);
    EXPECT_EQ(pa_of(kVa + 0x2000'1234, kSupFetch), kGiB + 0x2000'1234);  // stale
    mmu().invlpg(VirtAddr{kVa + 0x10});
    EXPECT_EQ(pa_of(kVa + 0x2000'1234, kSupFetch), 2 * kGiB + 0x2000'1234);
}

TEST_F(MmuSdmTest, InvlpgOfNonCanonicalAddressIsANoop) {
    map4k(kVa, kPa1, kW);
    ASSERT_EQ(pa_of(kVa), kPa1);
    const uint32_t tlb = mmu().tlb().valid_entries();
    const uint32_t psc = mmu().psc().valid_entries();
    ASSERT_EQ(psc, 3u);
    repoint(kVa, 1, kPa2);
    // Same low 48 bits as kVa, but bits 63:48 do not sign-extend bit 47.
    mmu().invlpg(VirtAddr{kVa | 0x0001'0000'0000'0000ull});
    EXPECT_EQ(mmu().tlb().valid_entries(), tlb);
    EXPECT_EQ(mmu().psc().valid_entries(), psc);
    EXPECT_EQ(pa_of(kVa), kPa1);
}

TEST_F(MmuSdmTest, PageFaultInvalidatesTheFaultingPagesStaleEntry) {
    map4k(kVa, kPa1, kU);  // read-only user page
    map4k(kVa + 0x1000, kPa1 + 0x1000, kU);
    ASSERT_EQ(pa_of(kVa, kUserRead), kPa1);
    ASSERT_EQ(pa_of(kVa + 0x1000, kUserRead), kPa1 + 0x1000);
    repoint(kVa, 1, kPa2);
    repoint(kVa + 0x1000, 1, kPa2 + 0x1000);
    ASSERT_EQ(pa_of(kVa, kUserRead), kPa1);  // stale

    const Translation f = tr(kVa + 0x10, kUserWrite);
    EXPECT_EQ(f.fault, FaultKind::kPageFault);
    EXPECT_EQ(f.error_code, pf::kPresent | pf::kWrite | pf::kUser);
    EXPECT_EQ(f.fault_address, kVa + 0x10);
    EXPECT_GE(stat("inval.on_page_fault"), 1u);

    const Translation fresh = tr(kVa, kUserRead);
    EXPECT_EQ(fresh.pa.value, kPa2);
    EXPECT_EQ(fresh.tlb_level, 0);
    EXPECT_EQ(pa_of(kVa + 0x1000, kUserRead), kPa1 + 0x1000);  // other page still stale
}

TEST_F(MmuSdmTest, PageFaultInvalidatesPscEntriesForTheAddress) {
    map4k(kVa, kPa1, kW);
    map4k(kVa2, kPa2, kW);
    ASSERT_EQ(pa_of(kVa), kPa1);
    ASSERT_EQ(pa_of(kVa2), kPa2);
    ASSERT_EQ(mmu().psc().valid_entries(), 6u);
    // A not-present page under kVa's PDE: the walk faults at the PTE.
    const Translation f = tr(kVa + 0x5000, kSupRead);
    ASSERT_EQ(f.fault, FaultKind::kPageFault);
    EXPECT_EQ(f.error_code, 0u);
    EXPECT_EQ(mmu().psc().valid_entries(), 3u);  // kVa2's path kept
}

// ---------------------------------------------------------------------------
// Memory types (SDM 4.9.2, 11.12.3)
// ---------------------------------------------------------------------------

TEST_F(MmuSdmTest, PatPcdPwtSelectThePatEntry) {
    ASSERT_EQ(mmu().regs().pat, kDefaultPat);
    struct Case {
        uint64_t flags;
        MemType type;
    };
    // Default IA32_PAT: WB, WT, UC-, UC, WB, WT, UC-, UC.
    const Case cases[] = {
        {0, MemType::kWB},
        {kPwt, MemType::kWT},
        {kPcd, MemType::kUCMinus},
        {kPcd | kPwt, MemType::kUC},
        {Pte::kPat4K, MemType::kWB},
        {Pte::kPat4K | kPwt, MemType::kWT},
        {Pte::kPat4K | kPcd, MemType::kUCMinus},
        {Pte::kPat4K | kPcd | kPwt, MemType::kUC},
    };
    uint64_t va = kVa;
    for (const Case& c : cases) {
        map4k(va, kPa1, kW | c.flags);
        const Translation t = tr(va, kSupRead);
        ASSERT_TRUE(t.ok());
        EXPECT_EQ(t.mem_type, c.type) << "flags " << std::hex << c.flags;
        EXPECT_EQ(t.size, PageSize::k4K);  // bit 7 of a PTE is PAT, not PS
        const Translation hit = tr(va, kSupRead);
        EXPECT_EQ(hit.mem_type, c.type);
        va += 0x1000;
    }
}

TEST_F(MmuSdmTest, LargePagePatBitIsBit12) {
    map(kVa, kPa1, PageSize::k2M, kW | kPcd);
    map(kVa + 2 * kMiB, kPa2, PageSize::k2M, kW | Pte::kPatLarge | kPcd | kPwt);
    map(kVa2, kGiB, PageSize::k1G, kW | kPwt);
    EXPECT_EQ(tr(kVa, kSupRead).mem_type, MemType::kUCMinus);
    EXPECT_EQ(tr(kVa + 2 * kMiB, kSupRead).mem_type, MemType::kUC);
    EXPECT_EQ(tr(kVa2, kSupRead).mem_type, MemType::kWT);
    EXPECT_EQ(pa_of(kVa + 2 * kMiB + 0x1000), kPa2 + 0x1000);  // PAT bit is not an address bit
}

TEST_F(MmuSdmTest, ProgrammedPatIsUsed) {
    // Entry 2 (PCD=1, PWT=0) reprogrammed to WC.
    mmu().write_pat((kDefaultPat & ~(0xFFull << 16)) | (uint64_t{static_cast<uint8_t>(MemType::kWC)} << 16));
    map4k(kVa, kPa1, kW | kPcd);
    EXPECT_EQ(tr(kVa, kSupRead).mem_type, MemType::kWC);
}

TEST_F(MmuSdmTest, Cr3PcdSelectsTheRootTableTypeOnlyWithoutPcide) {
    map4k(kVa, kPa1, kW);
    mmu().set_caching(false, false);
    ASSERT_EQ(mmu().write_cr3(pt().root().value | cr3::kPcd | cr3::kPwt), FaultKind::kNone);
    uint64_t uncached = stat("cache.walk_loads.uncached");
    ASSERT_EQ(pa_of(kVa), kPa1);
    EXPECT_EQ(stat("cache.walk_loads.uncached"), uncached + 1);  // the PML4E load is UC

    // With PCIDE=1, CR3 bits 4:3 are PCID bits: the root table is read as WB.
    ASSERT_EQ(mmu().write_cr3(pt().root().value), FaultKind::kNone);
    enable_pcide();
    load_cr3(cr3::kPcd | cr3::kPwt);
    uncached = stat("cache.walk_loads.uncached");
    ASSERT_EQ(pa_of(kVa), kPa1);
    EXPECT_EQ(stat("cache.walk_loads.uncached"), uncached);
}

TEST_F(MmuSdmTest, LeafTypeIgnoresPcdOfNonLeafEntries) {
    // PCD in the PDE makes the PTE load uncacheable but not the page.
    map4k(kVa, kPa1, kW);
    set_entry(kVa, 2, entry(kVa, 2) | kPcd | kPwt);
    mmu().set_caching(false, false);
    const uint64_t uncached = stat("cache.walk_loads.uncached");
    const Translation t = tr(kVa, kSupRead);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t.mem_type, MemType::kWB);
    EXPECT_EQ(stat("cache.walk_loads.uncached"), uncached + 1);
}

// ---------------------------------------------------------------------------
// Prefetch walks are speculative walks (SDM 4.8, 4.10.2.3): they may set A but
// never D, raise no fault, and rights are checked when a demand access uses
// the prefetched entry.
// ---------------------------------------------------------------------------

TEST_F(MmuSdmTest, PrefetchWalkIsSpeculative) {
    MachineConfig c = small_config();
    c.tlb.prefetcher = "next-page";
    c.tlb.prefetch_degree = 1;
    build(c, 4);
    map4k(kVa, kPa1, kW);
    map4k(kVa + 0x1000, kPa2, kW);  // supervisor page, A=0, D=0
    map4k(kVa2, kPa1, kW);          // kVa2 + 0x1000 is not mapped

    ASSERT_EQ(pa_of(kVa), kPa1);
    EXPECT_EQ(stat("mmu.prefetch_walks"), 1u);
    EXPECT_EQ(stat("mmu.prefetch_dropped"), 0u);
    EXPECT_EQ(entry(kVa + 0x1000, 1) & (kA | kD), kA);  // A may be set speculatively, D never

    const Translation hit = tr(kVa + 0x1000, kSupRead);
    EXPECT_EQ(hit.pa.value, kPa2);
    EXPECT_EQ(hit.tlb_level, 2);  // prefetched into the STLB only

    // The prefetched entry is clean: a write re-walks and sets D.
    const uint64_t rewalks = stat("mmu.dirty_rewalks");
    ASSERT_EQ(pa_of(kVa + 0x1000, kSupWrite), kPa2);
    EXPECT_EQ(stat("mmu.dirty_rewalks"), rewalks + 1);
    EXPECT_EQ(entry(kVa + 0x1000, 1) & kD, kD);

    // Rights are checked at use: a user access to the supervisor page faults.
    const Translation user = tr(kVa + 0x1000, kUserRead);
    EXPECT_EQ(user.fault, FaultKind::kPageFault);
    EXPECT_EQ(user.error_code, pf::kPresent | pf::kUser);

    // A prefetch of a not-present page is dropped silently: no #PF.
    const uint64_t faults = stat("mmu.page_faults");
    const uint64_t walks = stat("mmu.prefetch_walks");
    const uint64_t dropped = stat("mmu.prefetch_dropped");
    ASSERT_EQ(pa_of(kVa2), kPa1);
    EXPECT_EQ(stat("mmu.prefetch_walks"), walks + 1);
    EXPECT_EQ(stat("mmu.prefetch_dropped"), dropped + 1);
    EXPECT_EQ(stat("mmu.page_faults"), faults);
}

}  // namespace
}  // namespace simx
