// random: getrandom fills buffers of several sizes with data that is not all zero and
// differs between calls; bad flags give EINVAL. No random value is ever printed.
#define _GNU_SOURCE
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest_test.h"

static int all_zero(const unsigned char* p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

int main(void) {
    unsigned char a[256], b[256];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    CHECK_EQ("getrandom_256", getrandom(a, sizeof a, 0), 256);
    CHECK_EQ("getrandom_256_again", getrandom(b, sizeof b, 0), 256);
    CHECK("getrandom_not_zero", !all_zero(a, sizeof a) && !all_zero(b, sizeof b));
    CHECK("getrandom_differs", memcmp(a, b, sizeof a) != 0);
    CHECK_EQ("getrandom_nonblock", getrandom(a, 16, GRND_NONBLOCK), 16);
    CHECK_EQ("getrandom_zero_length", getrandom(a, 0, 0), 0);
    // The whole of a larger buffer is written: both halves change.
    static unsigned char big[5000];
    CHECK_EQ("getrandom_5000", getrandom(big, sizeof big, 0), 5000);
    CHECK("getrandom_5000_filled", !all_zero(big, 64) && !all_zero(big + sizeof big - 64, 64));
    CHECK_ERR("getrandom_bad_flags_EINVAL", syscall(SYS_getrandom, a, 16, 0x100), EINVAL);
    CHECK_ERR("getrandom_bad_buffer_EFAULT", syscall(SYS_getrandom, (void*)8, 16, 0), EFAULT);
    return guest_finish("random");
}
