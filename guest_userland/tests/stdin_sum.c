// stdin_sum: reads all of standard input and prints its byte count, line count and
// checksum. The driver feeds a fixed file.
//   usage: stdin_sum [EXPECTED_LINES] [read|stdio]   (read(2) in 1000-byte pieces, or fgets)
#define _GNU_SOURCE
#include <stdlib.h>
#include <unistd.h>

#include "guest_test.h"

int main(int argc, char** argv) {
    unsigned char buf[1000];  // not a power of two, so reads straddle the input's pages
    unsigned long long h = GUEST_FNV_INIT, bytes = 0, lines = 0;
    long reads = 0;
    ssize_t n;
    if (argc > 2 && strcmp(argv[2], "stdio") == 0) {
        char line[4096];
        while (fgets(line, sizeof line, stdin)) {
            size_t len = strlen(line);
            h = guest_fnv1a(h, line, len);
            lines += len > 0 && line[len - 1] == '\n';
            bytes += len;
        }
        CHECK("fgets_to_eof", feof(stdin) && !ferror(stdin));
        printf("stdin: %llu bytes, %llu lines, checksum %016llx\n", bytes, lines, h);
        if (argc > 1) CHECK_EQ("line_count", lines, strtoull(argv[1], NULL, 0));
        return guest_finish("stdin_sum");
    }
    while ((n = read(0, buf, sizeof buf)) > 0) {
        h = guest_fnv1a(h, buf, (size_t)n);
        for (ssize_t i = 0; i < n; i++) lines += buf[i] == '\n';
        bytes += (unsigned long long)n;
        reads++;
    }
    CHECK("read_to_eof", n == 0);
    CHECK_EQ("read_after_eof", read(0, buf, sizeof buf), 0);
    printf("stdin: %llu bytes, %llu lines, checksum %016llx\n", bytes, lines, h);
    if (argc > 1) CHECK_EQ("line_count", lines, strtoull(argv[1], NULL, 0));
    return guest_finish("stdin_sum");
}
