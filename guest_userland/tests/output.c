// output: standard output through every path — write(2) in many sizes, writev with many
// pieces, stdio (printf, puts, fputc, fwrite) with its buffering, and a large block — so
// the console must pass every byte through, in order. stderr gets a line too (not
// compared).   usage: output [KIB=64]
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

#include "guest_test.h"

static int write_all(int fd, const char* p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) return 0;
        p += w;
        n -= (size_t)w;
    }
    return 1;
}

int main(int argc, char** argv) {
    size_t kib = argc > 1 ? strtoul(argv[1], NULL, 0) : 64;
    char line[200];

    // write(2) of 1..100 bytes.
    int ok = 1;
    for (int n = 1; n <= 100; n++) {
        for (int i = 0; i < n - 1; i++) line[i] = (char)('a' + (n + i) % 26);
        line[n - 1] = '\n';
        ok &= write(1, line, (size_t)n) == n;
    }
    CHECK("write_sizes", ok);

    // writev with 64 pieces, some empty.
    struct iovec iov[64];
    char pieces[64][8];
    size_t total = 0;
    for (int i = 0; i < 64; i++) {
        int len = i % 5 == 0 ? 0 : snprintf(pieces[i], sizeof pieces[i], "<%d>", i);
        iov[i].iov_base = pieces[i];
        iov[i].iov_len = (size_t)len;
        total += (size_t)len;
    }
    pieces[63][0] = '\n';
    iov[63].iov_len = 1;
    total = 0;
    for (int i = 0; i < 64; i++) total += iov[i].iov_len;
    CHECK_EQ("writev_64_pieces", writev(1, iov, 64), (long)total);

    // stdio: buffered, then flushed before mixing with write(2) again.
    for (int i = 0; i < 50; i++) printf("printf line %d %s\n", i, i % 2 ? "odd" : "even");
    puts("puts line");
    for (const char* c = "fputc line\n"; *c; c++) fputc(*c, stdout);
    CHECK_EQ("fwrite", fwrite("fwrite line\n", 1, 12, stdout), 12);
    fflush(stdout);
    CHECK("write_after_stdio", write(1, "write after stdio\n", 18) == 18);

    // A large block in one write(2), then the same through stdio.
    size_t n = kib * 1024;
    char* big = malloc(n);
    for (size_t i = 0; i < n; i++) big[i] = (i % 64 == 63) ? '\n' : (char)('A' + (i / 64) % 26);
    CHECK("write_large_block", write_all(1, big, n));
    CHECK_EQ("fwrite_large_block", fwrite(big, 1, n, stdout), (long)n);
    free(big);
    fprintf(stderr, "output: this line goes to stderr\n");
    return guest_finish("output");
}
