// initramfs: reads the data files packed into the initramfs (guest_userland/programs.cmake
// puts them under /data with mtime 0). On the host the driver passes the staging copy of
// that directory instead, so both runs read the same bytes.   usage: initramfs [DIR=/data]
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest_test.h"

static const char* root = "/data";

static const char* path(const char* name) {
    static char buf[256];
    snprintf(buf, sizeof buf, "%s/%s", root, name);
    return buf;
}

static int compare_strings(const void* a, const void* b) {
    return strcmp(*(const char* const*)a, *(const char* const*)b);
}

int main(int argc, char** argv) {
    if (argc > 1) root = argv[1];

    // hello.txt: one known line.
    char buf[4096];
    int fd = open(path("hello.txt"), O_RDONLY);
    CHECK("open_hello", fd >= 0);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    CHECK("hello_contents", strcmp(buf, "hello from the initramfs\n") == 0);
    struct stat st;
    CHECK("hello_stat", fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 25);
    CHECK_EQ("hello_mtime_zero", st.st_mtime, 0);
    close(fd);

    // numbers.txt: the lines 0..999; parse them all back.
    fd = open(path("numbers.txt"), O_RDONLY);
    CHECK("open_numbers", fd >= 0);
    long expect = 0, bytes = 0;
    int ok = 1;
    char line[16];
    size_t len = 0;
    while ((n = read(fd, buf, 333)) > 0) {
        bytes += n;
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] != '\n') {
                if (len < sizeof line - 1) line[len++] = buf[i];
                continue;
            }
            line[len] = 0;
            ok &= strtol(line, NULL, 10) == expect++;
            len = 0;
        }
    }
    CHECK("numbers_parse", ok && expect == 1000);
    CHECK("numbers_size", fstat(fd, &st) == 0 && st.st_size == bytes);
    CHECK_EQ("numbers_pread", pread(fd, buf, 4, 10 * 2), 4);  // "10\n1" starts at byte 20
    CHECK("numbers_pread_contents", memcmp(buf, "10\n1", 4) == 0);
    close(fd);

    // The directory listing (sorted), with the kinds of entries.
    DIR* d = opendir(root);
    CHECK("opendir", d != NULL);
    char names[16][300];
    const char* sorted[16];
    int count = 0;
    struct dirent* e;
    while (d && (e = readdir(d)) && count < 16) {
        snprintf(names[count], sizeof names[count], "%s %s", e->d_name,
                 e->d_type == DT_DIR ? "dir" : e->d_type == DT_REG ? "reg" : "other");
        sorted[count] = names[count];
        count++;
    }
    if (d) closedir(d);
    qsort(sorted, (size_t)count, sizeof sorted[0], compare_strings);
    for (int i = 0; i < count; i++) printf("entry: %s\n", sorted[i]);
    CHECK_EQ("entry_count", count, 5);  // . .. hello.txt numbers.txt sub

    fd = open(path("sub/nested.txt"), O_RDONLY);
    n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
    CHECK("nested_file", n == 7 && memcmp(buf, "nested\n", 7) == 0);
    close(fd);
    CHECK("sub_is_dir", stat(path("sub"), &st) == 0 && S_ISDIR(st.st_mode));
    return guest_finish("initramfs");
}
