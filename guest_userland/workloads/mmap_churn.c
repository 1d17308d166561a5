// mmap_churn: repeatedly maps anonymous regions of varying sizes, touches every page,
// unmaps them whole or in pieces (splitting the mapping), and sometimes mprotects or
// madvises first — the page-table, VMA and TLB-invalidation paths under churn.
//   usage: mmap_churn [ROUNDS=200] [MAX_PAGES=64] [SEED=1]
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>

#include "workload.h"

#define PAGE 4096UL

int main(int argc, char** argv) {
    uint64_t rounds = workload_arg(argc, argv, 1, 200);
    uint64_t max_pages = workload_arg(argc, argv, 2, 64);
    uint64_t seed = workload_arg(argc, argv, 3, 1) | 1;
    if (max_pages == 0) max_pages = 1;
    uint64_t sum = 0, faults_expected = 0;
    size_t errors = 0;
    for (uint64_t r = 0; r < rounds; r++) {
        size_t pages = 1 + (size_t)workload_below(&seed, max_pages);
        unsigned char* p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            errors++;
            continue;
        }
        for (size_t i = 0; i < pages; i++) {
            errors += p[i * PAGE + 17] != 0;
            p[i * PAGE + 17] = (unsigned char)(r + i);
        }
        faults_expected += pages;
        switch (workload_below(&seed, 4)) {
            case 0:  // unmap whole
                break;
            case 1:  // read-only, then read everything back
                mprotect(p, pages * PAGE, PROT_READ);
                for (size_t i = 0; i < pages; i++) sum += p[i * PAGE + 17];
                break;
            case 2:  // drop the pages, they come back zero
                madvise(p, pages * PAGE, MADV_DONTNEED);
                for (size_t i = 0; i < pages; i++) errors += p[i * PAGE + 17] != 0;
                break;
            case 3: {  // unmap a middle piece first, splitting the mapping
                size_t cut = pages / 3, len = pages - 2 * cut;
                if (cut > 0 && len > 0) {
                    munmap(p + cut * PAGE, len * PAGE);
                    for (size_t i = 0; i < cut; i++) sum += p[i * PAGE + 17] + p[(pages - 1 - i) * PAGE + 17];
                }
                break;
            }
        }
        for (size_t i = 0; i < pages; i++) sum = sum * 7 + (uint64_t)i;
        munmap(p, pages * PAGE);
    }
    printf("mmap_churn %llu rounds, up to %llu pages: %llu pages touched, checksum %016llx, %zu errors\n",
           (unsigned long long)rounds, (unsigned long long)max_pages, (unsigned long long)faults_expected,
           (unsigned long long)sum, errors);
    return errors == 0 ? 0 : 1;
}
