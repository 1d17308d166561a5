// The interrupt descriptor table (SDM Vol. 3A 6.10, 6.14.1): a gate per
// exception vector, each an interrupt gate (IF cleared on entry) to its
// interrupt_entry.S stub, DPL 0 so user code cannot raise them with INT n
// (but #BP and #OF, DPL 3, which INT3 and INTO raise on purpose).
// #DF, NMI and #MC switch to their IST stacks (gdt.h). Vectors 32-255 are
// interrupt gates (DPL 0) to interrupt_entry.S's interrupt stubs: the local
// APIC timer (hal::kTimerVector), the APIC's spurious vector (0xff) and any
// other, which x86_interrupt_dispatch reports.
#pragma once

namespace kernel::x86 {

// Fills the table; the boot CPU, once. Every CPU shares it: the IST indexes it
// names resolve through each CPU's own TSS.
void build_idt();
// Loads the table on this CPU.
void load_idt();

}  // namespace kernel::x86
