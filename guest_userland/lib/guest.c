// libguest.so (see guest.h): built with musl-gcc -shared -fPIC, installed in
// the initramfs's /lib (where musl's loader looks by default) and found on
// the host through LD_LIBRARY_PATH.
#define _GNU_SOURCE
#include "guest.h"

#include <string.h>

int guest_counter = 7;
__thread int guest_tls = 5;

// Larger than a page and past the end of the file's data: the loader zeroes
// the tail of the last file page and maps the rest anonymous.
static char big_buffer[64 * 1024];
static int constructed;

__attribute__((constructor)) static void guest_init(void) { constructed = 42; }

int guest_add(int a, int b) { return a + b; }
int guest_apply(int (*fn)(int), int x) { return fn(x) + guest_counter; }
int guest_constructed(void) { return constructed; }
const char* guest_name(void) { return "libguest"; }

long guest_fill(int byte) {
    long sum = 0;
    for (unsigned i = 0; i < sizeof big_buffer; i++) sum += big_buffer[i];
    if (sum != 0) return -1;  // the bss must start zero
    memset(big_buffer, byte, sizeof big_buffer);
    for (unsigned i = 0; i < sizeof big_buffer; i++) sum += big_buffer[i];
    return sum;
}

int guest_tls_bump(void) { return ++guest_tls; }
