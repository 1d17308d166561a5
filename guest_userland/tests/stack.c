// stack: deep recursion that grows the main thread's stack well past its initial pages
// (Linux grows the stack VMA on faults below it, up to RLIMIT_STACK, 8 MiB by default).
//   usage: stack [KiB=2048]   (each frame uses about 1 KiB)
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>

#include "guest_test.h"

// Each frame holds a 1 KiB array the compiler cannot elide, and does work after the
// recursive call so the call is not a tail call.
static uint64_t recurse(unsigned depth) {
    volatile unsigned char frame[1000];
    for (unsigned i = 0; i < sizeof frame; i += 64) frame[i] = (unsigned char)(depth + i);
    if (depth == 0) return frame[0];
    uint64_t below = recurse(depth - 1);
    uint64_t mine = 0;
    for (unsigned i = 0; i < sizeof frame; i += 64) mine += frame[i];
    return below * 3 + mine;
}

static uint64_t expected(unsigned depth) {
    // The same computation without recursion.
    uint64_t r = 0;
    for (unsigned d = 0; d <= depth; d++) {
        uint64_t mine = 0;
        for (unsigned i = 0; i < 1000; i += 64) mine += (unsigned char)(d + i);
        r = d == 0 ? (unsigned char)(0 + 0) : r * 3 + mine;
    }
    return r;
}

int main(int argc, char** argv) {
    unsigned kib = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 2048;
    uint64_t got = recurse(kib);
    CHECK_EQ("deep_recursion", got, expected(kib));
    printf("depth %u checksum %016llx\n", kib, (unsigned long long)got);
    // A second, shallower descent reuses the grown stack.
    CHECK_EQ("recursion_again", recurse(kib / 2), expected(kib / 2));
    // A large local array (alloca-like) below the current stack pointer.
    {
        volatile unsigned char big[256 * 1024];
        for (size_t i = 0; i < sizeof big; i += 4096) big[i] = (unsigned char)(i >> 12);
        unsigned sum = 0;
        for (size_t i = 0; i < sizeof big; i += 4096) sum += big[i];
        CHECK_EQ("large_frame", sum, 63 * 64 / 2);
    }
    return guest_finish("stack");
}
