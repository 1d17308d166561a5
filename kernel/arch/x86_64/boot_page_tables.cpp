#include "kernel/arch/x86_64/boot_page_tables.h"

#include "kernel/arch/x86_64/boot_constants.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/mm/pte.h"

// Defined in boot.S (.bss, reached here through the image mapping).
extern "C" kernel::u64 boot_pml5[512];
extern "C" kernel::u64 boot_pml4[512];
extern "C" kernel::u64 boot_pdpt_low[512];

namespace kernel::x86 {
namespace {

constexpr u64 kBootMapped = u64{4} << 30;  // boot.S maps [0, 4 GiB)

}  // namespace

// The identity map is top-level entry 0 of the root. With 5-level paging the
// shared boot_pml4's entry 0 also carries the direct map (boot.S), so the PML5
// entry goes instead. The CR3 reload flushes the identity translations
// (SDM 4.10.4.1: non-global entries of PCID 0).
void drop_identity_map() {
    if (read_cr4() & cr4::kLa57)
        __atomic_store_n(&boot_pml5[0], u64{0}, __ATOMIC_RELEASE);
    else
        __atomic_store_n(&boot_pml4[0], u64{0}, __ATOMIC_RELEASE);
    write_cr3(read_cr3());
}

// The entries boot.S wrote (boot.S: PHYS(table) + PTE_TABLE).
u32 restore_identity_map_for_aps() {
    constexpr u64 kTable = Pte::kPresent | Pte::kWritable;
    const auto phys = [](const void* p) { return reinterpret_cast<u64>(p) - KERNEL_VIRT_BASE; };
    if (read_cr4() & cr4::kLa57) {
        __atomic_store_n(&boot_pml5[0], phys(boot_pml4) | kTable, __ATOMIC_RELEASE);
        return static_cast<u32>(phys(boot_pml5));
    }
    __atomic_store_n(&boot_pml4[0], phys(boot_pdpt_low) | kTable, __ATOMIC_RELEASE);
    return static_cast<u32>(phys(boot_pml4));
}

// Only the entry: this CPU runs on the kernel's tables, and the APs leave the
// identity map before they report in; they load the kernel's CR3 next.
void remove_identity_map_after_aps() {
    if (read_cr4() & cr4::kLa57)
        __atomic_store_n(&boot_pml5[0], u64{0}, __ATOMIC_RELEASE);
    else
        __atomic_store_n(&boot_pml4[0], u64{0}, __ATOMIC_RELEASE);
}

// boot_pdpt_low maps 512 GiB; entries 0-3 point to boot.S's 2 MiB tables.
// New entries replace not-present ones, which no TLB or paging-structure
// cache holds (SDM 4.10.2.3): no flush is needed.
u64 extend_boot_direct_map(u64 ram_end, bool pages_1g) {
    if (ram_end <= kBootMapped || !pages_1g) return kBootMapped;
    constexpr u64 kGiB = u64{1} << 30;
    const u64 end_gib = align_up(ram_end, kGiB) / kGiB;
    const u64 last = end_gib < kEntriesPerTable ? end_gib : kEntriesPerTable;
    for (u64 i = kBootMapped / kGiB; i < last; ++i)
        boot_pdpt_low[i] = (i * kGiB) | Pte::kPresent | Pte::kWritable | Pte::kLarge;
    return last * kGiB;
}

}  // namespace kernel::x86
