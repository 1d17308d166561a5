// The memory self-test every CPU runs at boot: it exercises the page allocator,
// the slab caches and kmalloc, and a process address space of its own, and
// checks the data it wrote. run_global_checks then, with every CPU done, walks
// all the allocators' invariants and checks that everything came back.
#pragma once

#include "kernel/lib/types.h"

namespace kernel {

struct MemorySelfTestTotals {
    u64 frames_allocated = 0;
    u64 objects_allocated = 0;
    u64 pages_mapped = 0;
};

// Boot CPU, before any CPU runs the test: records the free-frame baseline and
// creates the shared test cache.
void memory_self_test_prepare();
// Every CPU; panics naming what failed.
void memory_self_test_run_on_this_cpu();
// Boot CPU, after every CPU finished: invariants, nothing leaked. Returns totals.
MemorySelfTestTotals memory_self_test_finish();

}  // namespace kernel
