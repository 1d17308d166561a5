#include "kernel/lib/format.h"

#include "kernel/hal/hal.h"

namespace kernel {
namespace {

// Appends to a bounded buffer, counting what would have been written.
struct Sink {
    char* buf;
    usize size;
    usize len = 0;
    void put(char c) {
        if (len + 1 < size) buf[len] = c;
        ++len;
    }
};

void put_number(Sink& out, u64 value, unsigned base, bool upper, bool negative, int width, bool zero_pad,
                bool left) {
    char digits[24];
    int n = 0;
    const char* set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        digits[n++] = set[value % base];
        value /= base;
    } while (value);
    int len = n + (negative ? 1 : 0);
    if (!left && !zero_pad)
        for (int i = len; i < width; ++i) out.put(' ');
    if (negative) out.put('-');
    if (!left && zero_pad)
        for (int i = len; i < width; ++i) out.put('0');
    while (n) out.put(digits[--n]);
    if (left)
        for (int i = len; i < width; ++i) out.put(' ');
}

}  // namespace

usize format_v(char* buf, usize size, const char* fmt, va_list args) {
    Sink out{buf, size};
    for (const char* p = fmt; *p; ++p) {
        if (*p != '%') {
            out.put(*p);
            continue;
        }
        ++p;
        bool left = false, zero_pad = false, alternate = false;
        for (;; ++p) {
            if (*p == '-') left = true;
            else if (*p == '0') zero_pad = true;
            else if (*p == '#') alternate = true;
            else break;
        }
        int width = 0;
        while (*p >= '0' && *p <= '9') width = width * 10 + (*p++ - '0');
        int longs = 0;
        bool size_t_arg = false;
        while (*p == 'l') {
            ++longs;
            ++p;
        }
        if (*p == 'z') {
            size_t_arg = true;
            ++p;
        }
        auto unsigned_arg = [&]() -> u64 {
            if (size_t_arg) return va_arg(args, usize);
            if (longs >= 2) return va_arg(args, unsigned long long);
            if (longs == 1) return va_arg(args, unsigned long);
            return va_arg(args, unsigned int);
        };
        switch (*p) {
            case 'd':
            case 'i': {
                i64 v = size_t_arg ? static_cast<i64>(va_arg(args, usize))
                        : longs >= 2 ? va_arg(args, long long)
                        : longs == 1 ? va_arg(args, long)
                                     : va_arg(args, int);
                const bool neg = v < 0;
                const u64 mag = neg ? u64{0} - static_cast<u64>(v) : static_cast<u64>(v);
                put_number(out, mag, 10, false, neg, width, zero_pad, left);
                break;
            }
            case 'u': put_number(out, unsigned_arg(), 10, false, false, width, zero_pad, left); break;
            case 'x':
            case 'X':
                if (alternate) {
                    out.put('0');
                    out.put(*p);
                    width = width > 2 ? width - 2 : 0;
                }
                put_number(out, unsigned_arg(), 16, *p == 'X', false, width, zero_pad, left);
                break;
            case 'o': put_number(out, unsigned_arg(), 8, false, false, width, zero_pad, left); break;
            case 'p':
                out.put('0');
                out.put('x');
                put_number(out, reinterpret_cast<uintptr_t>(va_arg(args, void*)), 16, false, false, width, zero_pad,
                           left);
                break;
            case 'c': out.put(static_cast<char>(va_arg(args, int))); break;
            case 's': {
                const char* s = va_arg(args, const char*);
                if (!s) s = "(null)";
                usize n = 0;
                while (s[n]) ++n;
                if (!left)
                    for (usize i = n; i < static_cast<usize>(width); ++i) out.put(' ');
                for (usize i = 0; i < n; ++i) out.put(s[i]);
                if (left)
                    for (usize i = n; i < static_cast<usize>(width); ++i) out.put(' ');
                break;
            }
            case '%': out.put('%'); break;
            case '\0': --p; break;  // a lone '%' at the end
            default:
                out.put('%');
                out.put(*p);
                break;
        }
    }
    if (size) buf[out.len < size ? out.len : size - 1] = '\0';
    return out.len;
}

usize format(char* buf, usize size, const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    const usize n = format_v(buf, size, fmt, args);
    va_end(args);
    return n;
}

void kprintf(const char* fmt, ...) {
    char buf[512];
    va_list args;
    va_start(args, fmt);
    usize n = format_v(buf, sizeof buf, fmt, args);
    va_end(args);
    if (n >= sizeof buf) n = sizeof buf - 1;
    hal::console_write(buf, n);
}

}  // namespace kernel
