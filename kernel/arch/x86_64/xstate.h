// The user's x87/SSE state (hal.h xsave/xrstor; xstate.cpp).
#pragma once

namespace kernel::x86 {

// This CPU: CR0 (MP, NE on; EM, TS off) and CR4.OSFXSR/OSXMMEXCPT, so user
// code may run SSE (SDM Vol. 3A 13.1.3); with XSAVE (CPUID.1:ECX[26]) also
// CR4.OSXSAVE and XCR0 = x87 | SSE (SDM Vol. 1 13.3). The boot CPU's call
// chooses XSAVE or FXSAVE for all.
void init_fpu();

}  // namespace kernel::x86
