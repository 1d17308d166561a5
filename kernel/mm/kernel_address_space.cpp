#include "kernel/mm/kernel_address_space.h"

#include "kernel/lib/panic.h"
#include "kernel/mm/layout.h"

namespace kernel {
namespace {

const AddressSpaceLayout& layout_for(unsigned levels) { return levels == 5 ? kLayout5Level : kLayout4Level; }

}  // namespace

PtStatus build_kernel_address_space(PageTable& kernel, TableAllocator& tables, const PagingConfig& config,
                                    const hal::BootInfo& info) {
    const AddressSpaceLayout& l = layout_for(config.levels);
    u64 ram_end = 0;
    for (u32 r = 0; r < info.region_count; ++r) {
        const u64 end = info.regions[r].base.value + info.regions[r].size;
        if (end > ram_end) ram_end = end;
    }
    if (PtStatus s = kernel.init_kernel(tables, config, align_up(ram_end, kPageSize)); s != PtStatus::kOk) return s;

    // Every region of the memory map is RAM, usable or reserved for firmware
    // (hal.h); the kernel reaches both through the direct map. Adjacent regions
    // are mapped as one span so large leaves can cross their boundaries.
    TlbInvalidation inv;  // mapping only adds entries: nothing to invalidate
    PtStatus status = PtStatus::kOk;
    for (u32 r = 0; r < info.region_count && status == PtStatus::kOk;) {
        const u64 start = align_up(info.regions[r].base.value, kPageSize);
        u64 end = info.regions[r].base.value + info.regions[r].size;
        for (++r; r < info.region_count && info.regions[r].base.value == end; ++r) end += info.regions[r].size;
        end = align_down(end, kPageSize);
        if (end > start)
            status = kernel.map_largest(l.direct_map(PhysAddr{start}), PhysAddr{start}, end - start, kDirectMapAttrs,
                                        inv);
    }
    // The kernel image, section by section with its own rights: the code the
    // kernel runs on must stay mapped once this address space is in CR3.
    for (u32 i = 0; i < info.image_section_count && status == PtStatus::kOk; ++i) {
        const hal::ImageSection& s = info.image_sections[i];
        const PageAttrs attrs{s.writable, s.executable, false, CachePolicy::kWriteBack};
        status = kernel.map_largest(VirtAddr{l.kernel_image_base + s.offset}, s.phys, s.size, attrs, inv);
    }
    // Device registers the HAL uses (hal.h DeviceWindow): uncached, never
    // executable, in the direct map's range but outside RAM.
    for (u32 i = 0; i < info.device_window_count && status == PtStatus::kOk; ++i) {
        const hal::DeviceWindow& w = info.device_windows[i];
        const PageAttrs attrs{true, false, false, CachePolicy::kUncached};
        status = kernel.map(l.direct_map(w.base), w.base, w.size, attrs, PageSize::k4K, inv);
    }
    if (status != PtStatus::kOk) {
        kernel.destroy(inv);
        inv.release_tables();  // never loaded into any CR3
    }
    inv.reset();
    return status;
}

PtStatus create_process_page_table(PageTable& process, TableAllocator& tables, const PageTable& kernel) {
    return process.init_user(tables, kernel.config(), &kernel);
}

}  // namespace kernel
