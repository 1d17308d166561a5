// uaccess: system calls whose buffers are user memory in every awkward state — pages
// never touched yet (the kernel's copy must demand-fault them in), read-only pages
// (copying into them faults), unmapped addresses and strings that run into an unmapped
// page (EFAULT), buffers that straddle two pages. Checks the results Linux gives.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "guest_test.h"

#define PAGE 4096UL

static char dir[64];

static void* map(size_t len, int prot) {
    return mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

int main(void) {
    strcpy(dir, "/tmp/simx-uaccess-XXXXXX");
    CHECK("mkdtemp", mkdtemp(dir) != NULL);
    char name[128];
    snprintf(name, sizeof name, "%s/f", dir);
    int fd = open(name, O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK("open", fd >= 0);

    // write(2) from pages never touched: the kernel reads zeros through the fault.
    unsigned char* fresh = map(4 * PAGE, PROT_READ | PROT_WRITE);
    CHECK_EQ("write_from_untouched_pages", write(fd, fresh, 3 * PAGE), (long)(3 * PAGE));
    // read(2) into pages never touched: the kernel's stores demand-fault them.
    unsigned char* sink = map(4 * PAGE, PROT_READ | PROT_WRITE);
    CHECK_EQ("pwrite_pattern", pwrite(fd, "0123456789", 10, PAGE - 5), 10);
    CHECK_EQ("read_into_untouched_pages", pread(fd, sink + PAGE - 3, 2 * PAGE, 0), (long)(2 * PAGE));
    CHECK("read_into_untouched_contents",
          sink[2 * PAGE - 8] == '0' && sink[2 * PAGE - 3 + 4] == '9' && sink[PAGE - 3] == 0 && sink[0] == 0);
    // A buffer straddling the boundary between a touched and an untouched page.
    unsigned char* half = map(2 * PAGE, PROT_READ | PROT_WRITE);
    half[0] = 1;
    CHECK_EQ("read_straddling_pages", pread(fd, half + PAGE - 6, 10, PAGE - 5), 10);
    CHECK("read_straddling_contents", memcmp(half + PAGE - 6, "0123456789", 10) == 0);

    // Syscalls that fill a structure in an untouched page.
    struct stat* st = (struct stat*)(map(PAGE, PROT_READ | PROT_WRITE));
    CHECK_EQ("fstat_into_untouched_page", fstat(fd, st), 0);
    CHECK_EQ("fstat_untouched_size", st->st_size, 3 * PAGE);
    struct timespec* ts = (struct timespec*)(map(PAGE, PROT_READ | PROT_WRITE));
    CHECK_EQ("clock_gettime_into_untouched_page", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, ts), 0);

    // Bad pointers: EFAULT, and nothing happens.
    CHECK_ERR("write_unmapped_buffer_EFAULT", write(fd, (void*)8, 10), EFAULT);
    CHECK_ERR("read_unmapped_buffer_EFAULT", pread(fd, (void*)8, 10, 0), EFAULT);
    CHECK_ERR("open_unmapped_path_EFAULT", syscall(SYS_open, (void*)8, O_RDONLY), EFAULT);
    CHECK_ERR("stat_unmapped_buffer_EFAULT", syscall(SYS_fstat, fd, (void*)8), EFAULT);
    CHECK_ERR("getcwd_unmapped_buffer_EFAULT", syscall(SYS_getcwd, (void*)8, 100), EFAULT);
    CHECK_ERR("clock_gettime_unmapped_EFAULT", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void*)8), EFAULT);
    struct iovec bad_iov = {(void*)8, 10};
    CHECK_ERR("writev_unmapped_buffer_EFAULT", writev(fd, &bad_iov, 1), EFAULT);
    CHECK_ERR("writev_unmapped_iovec_EFAULT", syscall(SYS_writev, fd, (void*)8, 1), EFAULT);
    // A kernel address is not user memory either.
    CHECK_ERR("write_kernel_address_EFAULT", write(fd, (void*)0xffff800000000000UL, 10), EFAULT);
    CHECK_ERR("write_noncanonical_EFAULT", write(fd, (void*)0x0000900000000000UL, 10), EFAULT);

    // read(2) into a read-only page: the kernel's copy faults.
    unsigned char* ro = map(PAGE, PROT_READ);
    CHECK_ERR("read_into_read_only_EFAULT", pread(fd, ro, 10, 0), EFAULT);
    // write(2) from a read-only page is fine.
    CHECK_EQ("write_from_read_only_page", pwrite(fd, ro, 10, 0), 10);
    // PROT_NONE is not readable by the kernel either.
    unsigned char* none = map(PAGE, PROT_NONE);
    CHECK_ERR("write_from_prot_none_EFAULT", pwrite(fd, none, 10, 0), EFAULT);

    // A path string that runs off the end of its mapping: EFAULT, not a crash. The same
    // path ending just inside the mapping works.
    unsigned char* two = map(2 * PAGE, PROT_READ | PROT_WRITE);
    munmap(two + PAGE, PAGE);
    size_t len = strlen(name);
    char* tail = (char*)two + PAGE - len;
    memcpy(tail, name, len);  // no room for the NUL
    CHECK_ERR("open_path_into_unmapped_EFAULT", open(tail, O_RDONLY), EFAULT);
    tail = (char*)two + PAGE - len - 1;
    memcpy(tail, name, len + 1);
    int fd2 = open(tail, O_RDONLY);
    CHECK("open_path_ending_at_page_end", fd2 >= 0);
    close(fd2);

    close(fd);
    unlink(name);
    CHECK_EQ("rmdir", rmdir(dir), 0);
    return guest_finish("uaccess");
}
