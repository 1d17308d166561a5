// The kernel's own counters, summed over CPUs and published at the end of a
// run (hal::publish_counter, scope "kernel"): TLB coherence (ASID loads,
// shootdowns), cross calls, scheduling and futexes. What the machine counts
// itself (IPIs, CR3 writes, INVLPGs) is in its per-CPU scopes.
#pragma once

namespace kernel {

void publish_kernel_counters();

}  // namespace kernel
