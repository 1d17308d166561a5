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
// Copies at most size - 1 bytes of src and a NUL (size > 0); returns src's length.
inline usize str_copy(char* dst, const char* src, usize size) {
    usize n = 0;
    for (; src[n] && n + 1 < size; ++n) dst[n] = src[n];
    if (size) dst[n] = '\0';
    while (src[n]) ++n;
    return n;
}
inline bool str_starts_with(const char* s, const char* prefix) {
    while (*prefix)
        if (*s++ != *prefix++) return false;
    return true;
}

}  // namespace kernel
