// serial_read: hal::terminal_read in the qemu build (COM1, polled). The test feeds
// "first line\nsecond\nthird\r" on QEMU's standard input. A read(2) of the console
// must return once a line is complete and never past its '\n' (a terminal in
// canonical mode); a CR reads as '\n' (ICRNL). How a line is split between reads
// depends on when QEMU fills the UART's FIFO, so each line is gathered from as many
// reads as it takes.
#define _GNU_SOURCE
#include <unistd.h>

#include "guest_test.h"

// Reads one line into buf (NUL-terminated); 0 when a read crossed a '\n' or failed.
static int read_line(char* buf, size_t size, size_t piece) {
    size_t n = 0;
    while (n + 1 < size) {
        size_t want = piece < size - 1 - n ? piece : size - 1 - n;
        ssize_t r = read(0, buf + n, want);
        if (r <= 0) return 0;
        void* nl = memchr(buf + n, '\n', (size_t)r);
        if (nl && (char*)nl != buf + n + r - 1) return 0;  // a read went past the end of a line
        n += (size_t)r;
        if (nl) break;
    }
    buf[n] = '\0';
    return 1;
}

int main(void) {
    char line[64];
    int ok = read_line(line, sizeof line, sizeof line);
    CHECK("read_first_line", ok && strcmp(line, "first line\n") == 0);
    if (!ok || strcmp(line, "first line\n") != 0) printf("first line read as \"%s\"\n", line);
    CHECK("read_second_line_in_pieces", read_line(line, sizeof line, 4) && strcmp(line, "second\n") == 0);
    CHECK("read_cr_as_newline", read_line(line, sizeof line, sizeof line) && strcmp(line, "third\n") == 0);
    return guest_finish("serial_read");
}
