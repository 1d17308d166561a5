// User-memory access in the qemu build (hal.h "uaccess"; uaccess.S, uaccess.cpp).
//
// The copies are short assembly routines that lift SMAP (STAC) only around
// their one faulting instruction loop and put it back (CLAC) on every way out
// (SDM Vol. 3A 4.6.1: with CR4.SMAP, supervisor data accesses to user pages
// are allowed only with RFLAGS.AC = 1). Each instruction that touches user
// memory is listed in an exception table (section .ex_table: the instruction's
// address, then where to resume): a #PF there that the kernel cannot resolve
// resumes at that fixup, which returns what is left (Linux's _ASM_EXTABLE).
// A #PF it does resolve returns to the instruction, and REP MOVSB/STOSB go on
// with RCX/RSI/RDI as the fault left them (SDM Vol. 2B REP: the instructions
// are restartable).
//
// PROT_NONE pages: the kernel keeps their data in a present supervisor leaf
// (kernel/mm/address_space.h), and with AC = 1 the CPU lets the copy through
// such a page. hal.h wants it to fault. The copies therefore walk the current
// page tables (a few loads through the direct map per page) and stop at a page
// whose present path has U/S = 0 at any level; a not-present entry is left to
// the hardware #PF. (Linux avoids the walk by making PROT_NONE PTEs
// not present; here that would be a change to the generic page-table editor.)
#pragma once

#include "kernel/lib/types.h"

namespace kernel::x86 {

// Whether STAC/CLAC run: only when CR4.SMAP is on (they #UD without the CPU
// feature). Set by enable_paging_features, the same on every CPU.
void set_uaccess_smap(bool on);

// Whether `rip` is one of the listed user-memory instructions.
bool is_uaccess_instruction(u64 rip);

}  // namespace kernel::x86
