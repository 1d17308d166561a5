// The shared zero page: one zeroed frame that read faults on private
// anonymous memory may map read-only instead of allocating (Linux's
// ZERO_PAGE, used by do_anonymous_page for faults that do not write). A write
// fault then replaces it with a fresh zeroed frame of the writer's own.
//
// The frame is never freed, never written after boot, and has no reverse map:
// its PTEs are found from the VMAs of the address spaces that map it, and it
// is never reclaimed. Its PTEs are always read-only (mprotect keeps them so).
#pragma once

#include "kernel/lib/types.h"

namespace kernel {

// Once per boot, after pmm::init: allocates and zeroes the frame.
void zero_page_init();
PhysAddr zero_page();
bool is_zero_page(PhysAddr frame);

}  // namespace kernel
