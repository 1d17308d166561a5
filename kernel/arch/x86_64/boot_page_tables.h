// boot.S's page tables, after the jump to the higher half. They serve until
// boot_main loads the kernel's own (kernel/mm/kernel_address_space.h) and are
// never used again; they live in the image's .bss, which boot_info() reserves
// with the rest of the image.
#pragma once

#include "kernel/lib/types.h"

namespace kernel::x86 {

// Removes the identity map of the low 4 GiB that the switch to long mode
// needed, so a stray low address (a null pointer) faults from here on.
void drop_identity_map();

// SMP bring-up, on the kernel's own tables (so nothing caches the boot ones
// on this CPU): puts the identity map back into the boot root for the APs'
// trampoline and returns that root's physical address, which is below 4 GiB
// (the image's .bss) as the trampoline's 32-bit CR3 load needs. The second
// call removes it again once every AP runs in the higher half.
u32 restore_identity_map_for_aps();
void remove_identity_map_after_aps();

// Extends the boot direct map from 4 GiB to `ram_end` with 1 GiB leaves when
// the CPU has them (pmm::init reaches every frame's descriptor through the
// direct map before the kernel's own tables exist). Returns the end of what the
// boot direct map covers: RAM above it must not be reported to the kernel.
u64 extend_boot_direct_map(u64 ram_end, bool pages_1g);

}  // namespace kernel::x86
