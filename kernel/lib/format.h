// printf-style formatting for the freestanding kernel: %d %i %u %x %X %o %c %s
// %p %%, with the l/ll/z length modifiers, the '-', '0' and '#' flags and a
// field width.
// Output always fits the buffer and is always NUL-terminated; the return value is
// the length the whole output would have had (as vsnprintf).
#pragma once

#include <stdarg.h>

#include "kernel/lib/types.h"

namespace kernel {

usize format_v(char* buf, usize size, const char* fmt, va_list args);
usize format(char* buf, usize size, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

// Formats into a stack buffer and writes it to the console (hal::console_write).
void kprintf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace kernel
