// mmap_file: private file mappings (what musl's dynamic loader uses to map a
// shared library): the bytes are the file's at the offset, rights are the
// mapping's, writes stay private (the file is unchanged), a mapping may reach
// past the end of the file in its last page (zero there), and the errors
// Linux gives for bad descriptors, offsets and access modes.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest_test.h"

#define PAGE 4096

int main(void) {
    // The pid keeps concurrent host runs (static, PIE, dynamic) apart; it is never printed.
    char path[64];
    snprintf(path, sizeof path, "/tmp/mmap_file.%d", (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK("create", fd >= 0);
    if (fd < 0) return 1;
    // Three pages and a half: page i holds byte 'a' + i.
    static char data[3 * PAGE + PAGE / 2];
    for (unsigned i = 0; i < sizeof data; i++) data[i] = (char)('a' + i / PAGE);
    CHECK("write", write(fd, data, sizeof data) == (ssize_t)sizeof data);

    char* whole = mmap(NULL, sizeof data, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK("map_whole", whole != MAP_FAILED);
    if (whole != MAP_FAILED) {
        CHECK("bytes_match", memcmp(whole, data, sizeof data) == 0);
        CHECK("tail_of_last_page_zero", whole[sizeof data] == 0 && whole[4 * PAGE - 1] == 0);
        CHECK("munmap", munmap(whole, sizeof data) == 0);
    }

    char* second = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 2 * PAGE);
    CHECK("map_at_offset", second != MAP_FAILED);
    if (second != MAP_FAILED) {
        CHECK("offset_bytes", second[0] == 'c' && second[PAGE - 1] == 'c');
        second[0] = 'Z';
        char c = 0;
        CHECK("private_write_stays_private", pread(fd, &c, 1, 2 * PAGE) == 1 && c == 'c' && second[0] == 'Z');
        munmap(second, PAGE);
    }

    // Over an existing anonymous mapping with MAP_FIXED, as the loader maps segments.
    char* area = mmap(NULL, 4 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK("reserve", area != MAP_FAILED);
    if (area != MAP_FAILED) {
        char* fixed = mmap(area + PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, PAGE);
        CHECK("map_fixed_over_reservation", fixed == area + PAGE && fixed[10] == 'b');
        munmap(area, 4 * PAGE);
    }

    CHECK_ERR("bad_fd", mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 999, 0), EBADF);
    CHECK_ERR("unaligned_offset", mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 100), EINVAL);
    CHECK_ERR("zero_length", mmap(NULL, 0, PROT_READ, MAP_PRIVATE, fd, 0), EINVAL);
    int wronly = open(path, O_WRONLY);
    CHECK_ERR("write_only_descriptor", mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, wronly, 0), EACCES);
    close(wronly);
    int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
    CHECK_ERR("directory", mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, dir, 0), ENODEV);
    close(dir);

    close(fd);
    unlink(path);
    return guest_finish("mmap_file");
}
