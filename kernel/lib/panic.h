// panic and KASSERT: an impossible state stops the machine with a message naming
// the function and the broken invariant (xv6's habit). KASSERT stays on in every
// build: the checks are the kernel's specification.
#pragma once

#include "kernel/lib/types.h"

namespace kernel {

[[noreturn]] void panic(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace kernel

#define KASSERT(cond, ...)                                                                               \
    do {                                                                                                 \
        if (__builtin_expect(!(cond), 0))                                                                \
            ::kernel::panic("%s:%d: %s: assertion '%s' failed: " KASSERT_FIRST(__VA_ARGS__), __FILE__,   \
                            __LINE__, __func__, #cond KASSERT_REST(__VA_ARGS__));                       \
    } while (0)

// KASSERT(cond) or KASSERT(cond, "fmt", args...): split the optional message.
#define KASSERT_FIRST(...) KASSERT_FIRST_(__VA_ARGS__ __VA_OPT__(,) "")
#define KASSERT_FIRST_(first, ...) first
#define KASSERT_REST(...) __VA_OPT__(KASSERT_REST_(__VA_ARGS__))
#define KASSERT_REST_(first, ...) __VA_OPT__(, __VA_ARGS__)
