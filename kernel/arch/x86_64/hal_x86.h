// State the real HAL (hal_x86.cpp) keeps, set once by entry.cpp before boot_main.
#pragma once

#include "kernel/arch/x86_64/cpu_features.h"

namespace kernel::x86 {

void init_hal(const CpuFeatures& cpu);

// hal::publish_counter keeps counters here; boot's end prints them all.
void record_counter(const char* scope, const char* name, u64 value);
void print_published_counters();

}  // namespace kernel::x86
