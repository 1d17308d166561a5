// Memory and string helpers. They lower to the compiler's builtins (which the
// qemu build's arch code backs with its own memcpy/memset).
#pragma once

#include "kernel/lib/types.h"

namespace kernel {

inline void mem_copy(void* dst, const void* src, usize n) { __builtin_memcpy(dst, src, n); }
inline void mem_move(void* dst, const void* src, usize n) { __builtin_memmove(dst, src, n); }
inline void mem_set(void* dst, int byte, usize n) { __builtin_memset(dst, byte, n); }
inline int mem_compare(const void* a, const void* b, usize n) { return __builtin_memcmp(a, b, n); }
inline usize str_length(const char* s) {
    usize n = 0;
    while (s[n]) ++n;
    return n;
}
inline int str_compare(const char* a, const char* b) {
    while (*a && *a == *b) {
        ++a;
        ++b;
    }
    return static_cast<unsigned char>(*a) - static_cast<unsigned char>(*b);
}

}  // namespace kernel
