#include "kernel/arch/x86_64/runtime.h"

#include "kernel/lib/panic.h"
#include "kernel/lib/types.h"

using kernel::usize;

// REP MOVSB/STOSB: short, and fast on every CPU with ERMSB (SDM Vol. 1 7.3.9.3
// and the optimization manual 3.7.6). Written in asm so the compiler cannot
// turn them back into calls to themselves.
extern "C" void* memcpy(void* dst, const void* src, usize n) {
    void* ret = dst;
    asm volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
    return ret;
}

extern "C" void* memset(void* dst, int byte, usize n) {
    void* ret = dst;
    asm volatile("rep stosb" : "+D"(dst), "+c"(n) : "a"(byte) : "memory");
    return ret;
}

// Overlapping with dst above src: copy backwards (DF=1), then restore DF=0,
// which the ABI requires at every call and return.
extern "C" void* memmove(void* dst, const void* src, usize n) {
    if (dst <= src || static_cast<char*>(dst) >= static_cast<const char*>(src) + n) return memcpy(dst, src, n);
    void* ret = dst;
    char* d = static_cast<char*>(dst) + n - 1;
    const char* s = static_cast<const char*>(src) + n - 1;
    asm volatile("std; rep movsb; cld" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
    return ret;
}

extern "C" int memcmp(const void* a, const void* b, usize n) {
    const auto* x = static_cast<const unsigned char*>(a);
    const auto* y = static_cast<const unsigned char*>(b);
    for (usize i = 0; i < n; ++i)
        if (x[i] != y[i]) return x[i] - y[i];
    return 0;
}

// A call through a vtable slot of an abstract class: a kernel bug.
extern "C" void __cxa_pure_virtual() { kernel::panic("pure virtual function called"); }

extern "C" void (*__init_array_start[])();
extern "C" void (*__init_array_end[])();

namespace kernel::x86 {

void run_static_constructors() {
    for (void (**ctor)() = __init_array_start; ctor != __init_array_end; ++ctor) (*ctor)();
}

}  // namespace kernel::x86
