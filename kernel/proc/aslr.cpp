#include "kernel/proc/aslr.h"

#include "kernel/hal/hal.h"
#include "kernel/mm/layout.h"

namespace kernel::aslr {

u64 et_dyn_base() { return align_down(layout().default_map_window() / 3 * 2, kPageSize); }

u64 random_pages(bool enabled, u64 pages) {
    if (!enabled) return 0;
    return (hal::random_u64() & (pages - 1)) << kPageShift;
}

u64 stack_top(bool enabled) { return layout().default_map_window() - random_pages(enabled, kStackRndPages); }

u64 mmap_base(bool enabled, u64 stack_limit, u64 guard_gap) {
    const u64 user_end = layout().default_map_window();
    u64 gap = stack_limit;
    const u64 min_gap = u64{128} << 20, max_gap = user_end / 6 * 5;
    if (gap < min_gap) gap = min_gap;
    if (gap > max_gap) gap = max_gap;
    // Linux's pad: the stack's random range and its guard gap.
    gap += (kStackRndPages << kPageShift) + guard_gap;
    return align_down(user_end - gap - random_pages(enabled, kMmapRndPages), kPageSize);
}

u64 pie_base(bool enabled, u64 align) {
    return align_up(et_dyn_base() + random_pages(enabled, kMmapRndPages), align);
}

u64 brk_start(bool enabled, u64 image_end) {
    return align_up(image_end, kPageSize) + random_pages(enabled, kBrkRange >> kPageShift);
}

}  // namespace kernel::aslr
