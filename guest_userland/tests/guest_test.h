// guest_test.h: the reporting helpers every guest test program shares.
//
// A guest test is an ordinary static Linux program. The driver (tests/guest/run_guest.sh)
// runs the same binary natively on the host and under `simx run`, and requires the two
// stdouts to be byte-identical, so the host is the oracle. Therefore a test prints only
// the *outcomes* of its checks — never an address, a time, a pid or a random value — one
// line per check:
//
//     PASS name
//     FAIL name: details
//
// and exits 0 only if every check passed. Each line is flushed as it is written, so a
// program that is killed (the SIGSEGV test) still shows how far it got.
#ifndef SIMX_GUEST_TEST_H
#define SIMX_GUEST_TEST_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int guest_passes __attribute__((unused));
static int guest_failures __attribute__((unused));

static inline void guest_pass(const char* name) {
    printf("PASS %s\n", name);
    fflush(stdout);
    guest_passes++;
}

static inline void guest_fail(const char* name, const char* fmt, ...) {
    va_list ap;
    printf("FAIL %s: ", name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    guest_failures++;
}

// CHECK(name, cond): passes when cond holds; on failure prints the condition's text and
// errno (the value of errno is part of the Linux ABI, so both runs must agree on it).
#define CHECK(name, cond)                                                              \
    do {                                                                               \
        int guest_saved_errno_ = errno;                                                \
        if (cond) guest_pass(name);                                                    \
        else guest_fail(name, "%s (errno %d %s)", #cond, guest_saved_errno_,           \
                        strerror(guest_saved_errno_));                                 \
    } while (0)

// CHECK_ERR(name, expr, err): expr must fail with -1 and set errno to err, as Linux does.
#define CHECK_ERR(name, expr, err)                                                     \
    do {                                                                               \
        errno = 0;                                                                     \
        long guest_ret_ = (long)(expr);                                                \
        int guest_errno_ = errno;                                                      \
        if (guest_ret_ == -1 && guest_errno_ == (err)) guest_pass(name);               \
        else guest_fail(name, "%s returned %ld errno %d (%s), want -1 errno %d (%s)",  \
                        #expr, guest_ret_, guest_errno_, strerror(guest_errno_),        \
                        (err), strerror(err));                                         \
    } while (0)

// CHECK_EQ(name, got, want): integer comparison that prints both values on failure. Use
// only for values that are deterministic (sizes, counts, checksums).
#define CHECK_EQ(name, got, want)                                                      \
    do {                                                                               \
        long long guest_got_ = (long long)(got), guest_want_ = (long long)(want);      \
        if (guest_got_ == guest_want_) guest_pass(name);                               \
        else guest_fail(name, "%s = %lld, want %lld (errno %d)", #got, guest_got_,     \
                        guest_want_, errno);                                           \
    } while (0)

// The last line of every test: a summary, and the exit status.
static inline int guest_finish(const char* program) {
    printf("%s: %d passed, %d failed\n", program, guest_passes, guest_failures);
    fflush(stdout);
    return guest_failures == 0 && guest_passes > 0 ? 0 : 1;
}

// A small deterministic PRNG (xorshift64*), for test data that must be the same on every
// run and on both sides of the comparison.
static inline unsigned long long guest_rand(unsigned long long* state) {
    unsigned long long x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

// FNV-1a over a buffer, for printing checksums of data.
static inline unsigned long long guest_fnv1a(unsigned long long h, const void* data, size_t n) {
    const unsigned char* p = (const unsigned char*)data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}
#define GUEST_FNV_INIT 0xcbf29ce484222325ULL

#endif  // SIMX_GUEST_TEST_H
