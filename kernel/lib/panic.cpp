#include "kernel/lib/panic.h"

#include <stdarg.h>

#include "kernel/hal/hal.h"
#include "kernel/lib/format.h"

namespace kernel {

void panic(const char* fmt, ...) {
    char buf[512];
    usize n = format(buf, sizeof buf, "kernel panic on cpu %u: ", hal::current_cpu());
    if (n >= sizeof buf) n = sizeof buf - 1;
    va_list args;
    va_start(args, fmt);
    format_v(buf + n, sizeof buf - n, fmt, args);
    va_end(args);
    hal::panic_halt(buf);
}

}  // namespace kernel
