// The kernel half of every address space (kernel/mm/layout.h): built once on
// the boot CPU, loaded on every CPU, and copied into each process's top level.
//
// The direct map maps all RAM at layout().direct_map_base with the largest leaf
// the CPU offers (1 GiB with CPUID 1 GiB-page support, else 2 MiB; 4 KiB only at
// unaligned edges): fewer TLB entries and shorter walks for the memory the
// kernel touches most, as Linux's kernel_physical_mapping_init. It is
// supervisor, global (shared by every address space, so it may survive CR3
// loads), non-executable (W^X: data, never code) and write-back.
#pragma once

#include "kernel/hal/hal.h"
#include "kernel/mm/page_table.h"

namespace kernel {

// The attributes of the direct map.
inline constexpr PageAttrs kDirectMapAttrs{true, false, false, CachePolicy::kWriteBack};

// Builds the kernel's address space into `kernel` (uninitialised): the pinned
// kernel-half tables, the direct map of every RAM region of info's memory map
// and the kernel image's sections (info.image_sections, each with its own
// rights; a writable and executable one fails with kWriteExecute), and the
// HAL's device windows (info.device_windows, uncached). Returns the first failure; `kernel` is then left uninitialised.
PtStatus build_kernel_address_space(PageTable& kernel, TableAllocator& tables, const PagingConfig& config,
                                    const hal::BootInfo& info);

// A process address space whose top level shares the kernel half of `kernel`.
PtStatus create_process_page_table(PageTable& process, TableAllocator& tables, const PageTable& kernel);

// The kernel's own address space, after init_kernel_address_space().
PageTable& kernel_page_table();

// Boot CPU, after pmm::init(): builds the kernel's address space from
// hal::boot_info() with page tables from pmm. Panics if it cannot.
void init_kernel_address_space();

// On the calling CPU: programs IA32_PAT (kernel/mm/pat.h), enables every paging
// feature boot_info() reports, and loads `root` into CR3 under `pcid`.
void load_address_space(PhysAddr root, u16 pcid);
// Every CPU at boot: load_address_space of the kernel's root, PCID 0, and a
// fresh TLB context (tlb_context.h). Later loads go through
// activate_address_space.
void load_kernel_address_space();

}  // namespace kernel
