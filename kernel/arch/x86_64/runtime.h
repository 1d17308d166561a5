// What a freestanding C++ program needs from its runtime and the compiler
// expects to exist: the mem* functions (GCC emits calls to them for struct
// copies and loops it recognises, even with -ffreestanding), the pure-virtual
// trap, and the static constructors.
#pragma once

namespace kernel::x86 {

// Runs the image's .init_array (kernel.ld), in link order, once. The kernel
// prefers constant initialisation (constinit), so this is normally empty.
void run_static_constructors();

}  // namespace kernel::x86
