// threads_work: N threads share one 4 MiB array. Each first initialises its own slice
// (first-touch page faults from several threads at once), then takes a pseudo-random
// walk of K steps within that slice; after a barrier every thread sums the whole array
// (reading the pages the others wrote). Each slice is written by one thread only and
// the sums are taken after the barrier, so the checksum does not depend on scheduling
// or on the number of CPUs — the same binary on the host, and under simx with 1, 2 or
// 4 CPUs, prints the same line.
//   usage: threads_work [N=4] [K=20000]
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/mman.h>

#include "workload.h"

#define ARRAY_BYTES (4u << 20)
#define WORDS (ARRAY_BYTES / sizeof(uint64_t))
#define MAX_THREADS 64

static uint64_t* array;
static uint64_t nthreads, steps;
static pthread_barrier_t barrier;
static uint64_t sums[MAX_THREADS];

// An order-dependent hash of the whole array, starting at word `begin` and wrapping
// around (each thread starts at its own slice, so they do not all read the same page).
static uint64_t sum_from(uint64_t begin) {
    uint64_t sum = 0;
    for (uint64_t i = 0; i < WORDS; i++) {
        uint64_t j = (i + begin) % WORDS;
        sum = sum * 3 + array[j] * (j | 1);
    }
    return sum;
}

static void* worker(void* arg) {
    uint64_t me = (uint64_t)(uintptr_t)arg;
    uint64_t begin = WORDS * me / nthreads, end = WORDS * (me + 1) / nthreads;
    for (uint64_t i = begin; i < end; i++) array[i] = i * 0x9E3779B97F4A7C15ull;
    uint64_t state = (me + 1) * 0xD1B54A32D192ED03ull;
    uint64_t len = end - begin, pos = 0, acc = me;
    for (uint64_t s = 0; s < steps && len > 0; s++) {
        // The next position depends on the value just read: a dependent random walk.
        pos = (pos + workload_below(&state, len) + (array[begin + pos] & 7)) % len;
        acc = acc * 31 + array[begin + pos];
        array[begin + pos] ^= acc + s;
    }
    pthread_barrier_wait(&barrier);
    sums[me] = sum_from(begin);
    return NULL;
}

int main(int argc, char** argv) {
    nthreads = workload_arg(argc, argv, 1, 4);
    steps = workload_arg(argc, argv, 2, 20000);
    if (nthreads < 1) nthreads = 1;
    if (nthreads > MAX_THREADS) nthreads = MAX_THREADS;
    array = mmap(NULL, ARRAY_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (array == MAP_FAILED) {
        printf("threads_work: mmap failed\n");
        return 1;
    }
    pthread_barrier_init(&barrier, NULL, (unsigned)nthreads);
    pthread_t threads[MAX_THREADS];
    for (uint64_t i = 0; i < nthreads; i++) {
        if (pthread_create(&threads[i], NULL, worker, (void*)(uintptr_t)i) != 0) {
            printf("threads_work: pthread_create failed\n");
            return 1;
        }
    }
    for (uint64_t i = 0; i < nthreads; i++) pthread_join(threads[i], NULL);
    // Every thread must have seen the final array: check each sum against one taken now.
    int agree = 1;
    for (uint64_t i = 0; i < nthreads; i++) agree &= sums[i] == sum_from(WORDS * i / nthreads);
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint64_t i = 0; i < nthreads; i++) h = (h ^ sums[i]) * 0x100000001b3ull;
    printf("threads_work %llu threads x %llu steps: checksum 0x%016llx%s\n", (unsigned long long)nthreads,
           (unsigned long long)steps, (unsigned long long)h, agree ? "" : " (threads disagree)");
    return agree ? 0 : 1;
}
