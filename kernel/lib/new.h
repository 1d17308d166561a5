// Placement new for the kernel. The freestanding build has no C++ library
// headers at all, so it declares the operator itself; the sim build, where kernel
// and host code share translation units, takes the library's.
#pragma once

#ifdef SIMX_FREESTANDING
#include "kernel/lib/types.h"
inline void* operator new(size_t, void* where) noexcept { return where; }
inline void* operator new[](size_t, void* where) noexcept { return where; }
#else
#include <new>
#endif
