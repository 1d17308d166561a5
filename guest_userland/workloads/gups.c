// gups: random read-modify-write updates to a large table (the HPCC RandomAccess
// pattern, "giga-updates per second"): each update xors a pseudo-random value into a
// random 8-byte word. Then a verification pass replays the stream.
//   usage: gups [MIB=1] [UPDATES=200000] [SEED=1]
#define _GNU_SOURCE
#include <sys/mman.h>

#include "workload.h"

int main(int argc, char** argv) {
    uint64_t mib = workload_arg(argc, argv, 1, 1);
    uint64_t updates = workload_arg(argc, argv, 2, 200000);
    uint64_t seed0 = workload_arg(argc, argv, 3, 1) | 1;
    size_t words = (size_t)(mib << 20) / sizeof(uint64_t);
    // Round down to a power of two, as RandomAccess does, so an index is a mask away.
    size_t pow2 = 1;
    while (pow2 * 2 <= words) pow2 *= 2;
    words = pow2;
    uint64_t* table = mmap(NULL, words * 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (table == MAP_FAILED) {
        printf("gups: mmap failed\n");
        return 1;
    }
    for (size_t i = 0; i < words; i++) table[i] = i;

    uint64_t seed = seed0;
    for (uint64_t u = 0; u < updates; u++) {
        uint64_t r = workload_rand(&seed);
        table[(r >> 7) & (words - 1)] ^= r;
    }
    uint64_t sum = 0;
    for (size_t i = 0; i < words; i++) sum = sum * 31 + table[i];

    // Replaying the same stream undoes every update (xor is its own inverse).
    seed = seed0;
    for (uint64_t u = 0; u < updates; u++) {
        uint64_t r = workload_rand(&seed);
        table[(r >> 7) & (words - 1)] ^= r;
    }
    size_t wrong = 0;
    for (size_t i = 0; i < words; i++) wrong += table[i] != i;
    printf("gups %zu words, %llu updates: checksum %016llx, %zu wrong after replay\n", words,
           (unsigned long long)updates, (unsigned long long)sum, wrong);
    return wrong == 0 ? 0 : 1;
}
