// State the real HAL (hal_x86.cpp) keeps, set once by entry.cpp before boot_main.
#pragma once

#include "kernel/arch/x86_64/cpu_features.h"

namespace kernel::x86 {

void init_hal(const CpuFeatures& cpu);

}  // namespace kernel::x86
