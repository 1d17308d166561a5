// stream: sequential bandwidth kernels in the manner of McCalpin's STREAM — read (sum),
// write (fill), copy, scale, add, triad — over arrays of doubles, repeated.
//   usage: stream [MIB=1] [ITERATIONS=3]   (MIB per array; three arrays)
#define _GNU_SOURCE
#include <sys/mman.h>

#include "workload.h"

static double* array(size_t n) {
    double* p = mmap(NULL, n * sizeof(double), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

int main(int argc, char** argv) {
    uint64_t mib = workload_arg(argc, argv, 1, 1);
    uint64_t iterations = workload_arg(argc, argv, 2, 3);
    size_t n = (size_t)(mib << 20) / sizeof(double);
    double *a = array(n), *b = array(n), *c = array(n);
    if (!a || !b || !c) {
        printf("stream: mmap failed\n");
        return 1;
    }
    const double scalar = 3.0;
    for (size_t i = 0; i < n; i++) {  // write
        a[i] = 1.0 + (double)(i % 1000) / 1000.0;
        b[i] = 2.0;
        c[i] = 0.0;
    }
    double read_sum = 0;
    for (uint64_t it = 0; it < iterations; it++) {
        for (size_t i = 0; i < n; i++) c[i] = a[i];               // copy
        for (size_t i = 0; i < n; i++) b[i] = scalar * c[i];      // scale
        for (size_t i = 0; i < n; i++) c[i] = a[i] + b[i];        // add
        for (size_t i = 0; i < n; i++) a[i] = b[i] + scalar * c[i];  // triad
        for (size_t i = 0; i < n; i++) read_sum += a[i] * 1e-9;  // read
        // Keep the values bounded so the checksum stays exact and comparable.
        for (size_t i = 0; i < n; i++) a[i] = a[i] / 16.0;
    }
    double sa = 0, sb = 0, sc = 0;
    for (size_t i = 0; i < n; i++) {
        sa += a[i];
        sb += b[i];
        sc += c[i];
    }
    printf("stream %zu doubles x3, %llu iterations: a %.17g b %.17g c %.17g read %.17g\n", n,
           (unsigned long long)iterations, sa, sb, sc, read_sum);
    return 0;
}
