// prot_none: the kernel's user copies must fail on a PROT_NONE page whose frame
// stays mapped (hal.h uaccess): the kernel keeps such a page's data in a present
// supervisor-only leaf (kernel/mm/address_space.h), which the CPU lets a kernel
// access through when RFLAGS.AC is set (STAC) or SMAP is off. Each direction of
// copy is tried: from the page (write), into it (read), a string in it (open) and
// clearing (via a read of /dev/zero). The data must survive mprotect back.
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest_test.h"

#define PAGE 4096UL

int main(void) {
    char* p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK("mmap", p != MAP_FAILED);
    memcpy(p, "/tmp/prot_none_data", 20);  // both pages present
    memcpy(p + PAGE, "second", 7);
    int fd = open("/tmp/prot_none_file", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK("open", fd >= 0);
    CHECK_EQ("write_file", write(fd, "abcdefgh", 8), 8);

    CHECK_EQ("mprotect_none", mprotect(p, PAGE, PROT_NONE), 0);
    CHECK_ERR("write_from_prot_none_EFAULT", pwrite(fd, p, 8, 0), EFAULT);
    CHECK_ERR("read_into_prot_none_EFAULT", pread(fd, p, 8, 0), EFAULT);
    CHECK_ERR("open_path_in_prot_none_EFAULT", open(p, O_RDONLY), EFAULT);
    int zero = open("/dev/zero", O_RDONLY);
    CHECK("open_dev_zero", zero >= 0);
    CHECK_ERR("read_zero_into_prot_none_EFAULT", read(zero, p, 16), EFAULT);
    // A copy that starts in the accessible page and runs into the PROT_NONE one stops
    // there: a partial read or EFAULT, never bytes written into the PROT_NONE page.
    CHECK_EQ("mprotect_second_none", mprotect(p + PAGE, PAGE, PROT_NONE), 0);
    CHECK_EQ("mprotect_first_rw", mprotect(p, PAGE, PROT_READ | PROT_WRITE), 0);
    long r = pread(fd, p + PAGE - 4, 8, 0);
    CHECK("read_straddling_into_prot_none_stops", r == 4 || (r == -1 && errno == EFAULT));

    CHECK_EQ("mprotect_back", mprotect(p, 2 * PAGE, PROT_READ), 0);
    CHECK("data_survives_first", memcmp(p, "/tmp/prot_none_data", 16) == 0);
    CHECK("data_survives_second", memcmp(p + PAGE, "second", 7) == 0);
    CHECK_EQ("pwrite_after_mprotect_back", pwrite(fd, p + PAGE, 7, 0), 7);
    close(fd);
    close(zero);
    return guest_finish("prot_none");
}
