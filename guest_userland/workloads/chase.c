// chase: pointer chasing over a random cyclic permutation — every load depends on the
// previous one and lands on a random cache line, so the run time is the TLB and cache
// miss latency. One 64-byte node per cache line; the cycle visits every node once
// (Sattolo's algorithm) from a fixed seed.
//   usage: chase [MIB=1] [STEPS=200000] [SEED=1]
#define _GNU_SOURCE
#include <sys/mman.h>

#include "workload.h"

struct node {
    struct node* next;
    uint64_t index;
    uint64_t pad[6];
};

int main(int argc, char** argv) {
    uint64_t mib = workload_arg(argc, argv, 1, 1);
    uint64_t steps = workload_arg(argc, argv, 2, 200000);
    uint64_t seed = workload_arg(argc, argv, 3, 1) | 1;
    size_t n = (size_t)(mib << 20) / sizeof(struct node);
    if (n < 2) n = 2;
    struct node* nodes =
        mmap(NULL, n * sizeof(struct node), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint32_t* perm = mmap(NULL, n * sizeof(uint32_t), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (nodes == MAP_FAILED || perm == MAP_FAILED) {
        printf("chase: mmap failed\n");
        return 1;
    }
    // Sattolo's shuffle gives a single cycle through all n nodes.
    for (size_t i = 0; i < n; i++) perm[i] = (uint32_t)i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)workload_below(&seed, i);
        uint32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (size_t i = 0; i < n; i++) {
        nodes[i].next = &nodes[perm[i]];
        nodes[i].index = i;
    }
    munmap(perm, n * sizeof(uint32_t));

    const struct node* p = &nodes[0];
    uint64_t sum = 0;
    for (uint64_t s = 0; s < steps; s++) {
        p = p->next;
        sum = sum * 1000003 + p->index;
    }
    // The cycle has length n: n more steps from anywhere return to the same node.
    const struct node* q = p;
    for (size_t s = 0; s < n; s++) q = q->next;
    printf("chase %llu MiB, %zu nodes, %llu steps: end %llu checksum %016llx cycle %s\n", (unsigned long long)mib,
           n, (unsigned long long)steps, (unsigned long long)p->index, (unsigned long long)sum,
           q == p ? "ok" : "BROKEN");
    return q == p ? 0 : 1;
}
