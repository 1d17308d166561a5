// pages: touches N fresh anonymous pages (demand-zero faults), first by writing one word
// per page, then by reading every page back; then the same through malloc. Prints a
// checksum of what it read.   usage: pages [N=1024]
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "guest_test.h"

#define PAGE 4096UL

int main(int argc, char** argv) {
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 0) : 1024;
    unsigned char* p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK("mmap_pages", p != MAP_FAILED);
    if (p == MAP_FAILED) return guest_finish("pages");

    // Every fresh page reads zero before it is written (read faults map the zero page).
    int zero = 1;
    for (size_t i = 0; i < n; i += 2) zero &= p[i * PAGE + (i % 64) * 64] == 0;
    CHECK("fresh_pages_read_zero", zero);

    for (size_t i = 0; i < n; i++) *(uint64_t*)(p + i * PAGE + (i % 64) * 64) = i * 0x9E3779B97F4A7C15ULL;
    uint64_t sum = 0;
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t v = *(uint64_t*)(p + i * PAGE + (i % 64) * 64);
        ok &= v == i * 0x9E3779B97F4A7C15ULL;
        ok &= p[i * PAGE + PAGE - 1] == 0;  // the rest of the page stayed zero
        sum = sum * 31 + v;
    }
    CHECK("pages_write_read", ok);
    printf("pages %zu checksum %016llx\n", n, (unsigned long long)sum);
    CHECK_EQ("munmap_pages", munmap(p, n * PAGE), 0);

    // The same through malloc (musl's allocator maps large blocks itself).
    unsigned char* m = malloc(n * PAGE);
    CHECK("malloc_pages", m != NULL);
    if (m) {
        for (size_t i = 0; i < n * PAGE; i += PAGE / 4) m[i] = (unsigned char)(i >> 10);
        uint64_t msum = 0;
        for (size_t i = 0; i < n * PAGE; i += PAGE / 4) msum += m[i];
        printf("malloc checksum %llu\n", (unsigned long long)msum);
        free(m);
    }
    // calloc memory is zero.
    uint64_t* c = calloc(n * PAGE / 8, 8);
    int czero = c != NULL;
    for (size_t i = 0; c && i < n * PAGE / 8; i += 509) czero &= c[i] == 0;
    CHECK("calloc_zero", czero);
    free(c);

    // Many small blocks (musl's allocator takes them from brk and small mmaps), freed in
    // a shuffled order and allocated again.
    enum { BLOCKS = 4000 };
    static unsigned char* blocks[BLOCKS];
    static size_t sizes[BLOCKS];
    unsigned long long seed = 99, h = GUEST_FNV_INIT;
    int intact = 1;
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < BLOCKS; i++) {
            sizes[i] = 1 + guest_rand(&seed) % (i % 100 == 0 ? 20000 : 200);
            blocks[i] = malloc(sizes[i]);
            if (!blocks[i]) intact = 0;
            else memset(blocks[i], (unsigned char)(i + round), sizes[i]);
        }
        for (int i = 0; i < BLOCKS; i++) {
            int j = (int)(guest_rand(&seed) % BLOCKS);
            unsigned char* tb = blocks[i];
            blocks[i] = blocks[j];
            blocks[j] = tb;
            size_t ts = sizes[i];
            sizes[i] = sizes[j];
            sizes[j] = ts;
        }
        for (int i = 0; i < BLOCKS; i++) {
            if (!blocks[i]) continue;
            unsigned char v = blocks[i][0];
            for (size_t k = 0; k < sizes[i]; k++) intact &= blocks[i][k] == v;
            h = guest_fnv1a(h, blocks[i], sizes[i] < 16 ? sizes[i] : 16);
            free(blocks[i]);
        }
    }
    CHECK("malloc_small_blocks", intact);
    printf("small blocks checksum %016llx\n", h);
    return guest_finish("pages");
}
