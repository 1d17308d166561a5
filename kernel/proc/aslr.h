// Address-space layout randomization for a new program (Linux's
// randomize_va_space=2 on x86-64, arch/x86/mm/mmap.c, fs/binfmt_elf.c), drawn
// from hal::random_u64, so a run is reproducible from the sim's seed:
//
//   stack top  top - (random & STACK_RND_MASK) pages   (22 bits: 16 GiB)
//   mmap base  top - gap - (random 28 bits) pages, where the gap keeps
//              the largest stack (stack_limit, clamped to [128 MiB, 5/6 of
//              the user half]), the stack's random range and the guard gap free
//   PIE base   ELF_ET_DYN_BASE (2/3 of the user half, page-aligned) +
//              (random 28 bits) pages, aligned up to the largest p_align
//   brk start  the page after the highest segment + (random < 32 MiB), page-aligned
//   interpreter  (PT_INTERP, elf_loader.h) where an mmap without a hint goes:
//              the top of the mmap area, mmap base - its span (aligned down
//              to its largest p_align), so its randomness is the mmap base's
//              (Linux's load_elf_interp)
//
// where top is the 47-bit window (layout().default_map_window(): the end of
// the user half with 4-level paging, Linux's DEFAULT_MAP_WINDOW with 5).
// With randomization off every random term is 0: stack top = top, PIE
// base = ELF_ET_DYN_BASE (0x5555_5555_4000 with 4-level paging), brk right
// after the image. A PIE with an interpreter (a dynamically linked program)
// goes to ELF_ET_DYN_BASE + random as on Linux. Differences from Linux: no
// sub-page stack offset (arch_align_stack), and a static PIE is placed at
// ELF_ET_DYN_BASE too, not in the mmap area (Linux 5.x+ does the latter when
// there is no interpreter, i.e. for a static PIE or ld.so run directly).
#pragma once

#include "kernel/lib/types.h"

namespace kernel::aslr {

inline constexpr u64 kStackRndPages = u64{1} << 22;  // STACK_RND_MASK + 1
inline constexpr u64 kMmapRndPages = u64{1} << 28;   // mmap_rnd_bits = 28
inline constexpr u64 kBrkRange = u64{32} << 20;      // arch_randomize_brk: 0x02000000

// Linux's ELF_ET_DYN_BASE for this layout: 2/3 of the user half, page-aligned.
u64 et_dyn_base();
// A random page-aligned value in [0, pages << 12), or 0 when !enabled.
u64 random_pages(bool enabled, u64 pages);

u64 stack_top(bool enabled);
u64 mmap_base(bool enabled, u64 stack_limit, u64 guard_gap);
// `align` is the largest PT_LOAD p_align (a power of two >= 4096).
u64 pie_base(bool enabled, u64 align);
u64 brk_start(bool enabled, u64 image_end);

}  // namespace kernel::aslr
