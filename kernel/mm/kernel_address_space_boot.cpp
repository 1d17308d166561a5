// The boot-time half of kernel_address_space.h: the kernel's own PageTable,
// built with pmm's frames and loaded on every CPU. Kept apart from the builder
// so tests can build kernel address spaces with their own table allocator
// without linking pmm.
#include "kernel/lib/new.h"
#include "kernel/lib/panic.h"
#include "kernel/mm/kernel_address_space.h"
#include "kernel/mm/tlb_context.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/pat.h"

namespace kernel {
namespace {

// Constant-initialised (no constructor runs before boot_main); rebuilt with
// placement new on every boot, since tests boot many machines in one process.
constinit PageTable g_kernel_page_table;

}  // namespace

PageTable& kernel_page_table() { return g_kernel_page_table; }

void init_kernel_address_space() {
    const hal::BootInfo& info = hal::boot_info();
    const PagingConfig config = PagingConfig::from_boot_info(info);
    KASSERT(layout().levels == config.levels, "layout has %u levels, paging %u", layout().levels, config.levels);
    new (&g_kernel_page_table) PageTable();
    const PtStatus s = build_kernel_address_space(g_kernel_page_table, pmm_table_allocator(), config, info);
    if (s != PtStatus::kOk) panic("init_kernel_address_space: %s", describe(s));
}

void load_address_space(PhysAddr root, u16 pcid) {
    const hal::BootInfo& info = hal::boot_info();
    // PAT first: the tables may already hold WC or UC leaves.
    hal::write_pat(pat::kernel_pat_value());
    hal::PagingFeatures features;
    features.pge = info.pge;
    features.pcid = info.pcid;
    features.smep = info.smep;
    features.smap = info.smap;
    features.nx = info.nx;
    features.la57 = info.la57;
    hal::enable_paging_features(features);
    hal::write_cr3(root, pcid, false);
}

void load_kernel_address_space() {
    KASSERT(g_kernel_page_table.initialized(), "the kernel's address space is not built yet");
    load_address_space(g_kernel_page_table.root(), 0);
    tlb_context_init_cpu();  // a fresh CPU (or a fresh boot): no space loaded, every ASID slot free
}

}  // namespace kernel
