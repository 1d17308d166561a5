// files: the file syscalls on /tmp (tmpfs) and /dev — open flags (O_CREAT, O_EXCL,
// O_TRUNC, O_APPEND, O_DIRECTORY, O_CLOEXEC), read/write/lseek/pread64/pwrite64,
// readv/writev, fstat/stat/lstat/newfstatat sizes, getdents64, unlink, mkdir/rmdir,
// getcwd/chdir, access, dup/dup2/dup3, fcntl, ioctl on a file, and the errno values
// Linux gives (ENOENT, EEXIST, ENOTDIR, EISDIR, ENOTEMPTY, EBADF, EINVAL, ENOTTY).
//
// Everything happens in a fresh directory under /tmp (mkdtemp), so two runs on the
// host cannot collide; its name is never printed.
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#include "guest_test.h"

static char dir[64];

static const char* path(const char* name) {
    static char buf[2][128];
    static int which;
    which ^= 1;
    snprintf(buf[which], sizeof buf[which], "%s/%s", dir, name);
    return buf[which];
}

static off_t size_of(int fd) {
    struct stat st;
    return fstat(fd, &st) == 0 ? st.st_size : -1;
}

static void test_create_read_write(void) {
    int fd = open(path("a.txt"), O_CREAT | O_EXCL | O_RDWR, 0644);
    CHECK("open_creat_excl", fd >= 0);
    CHECK_ERR("open_creat_excl_exists_EEXIST", open(path("a.txt"), O_CREAT | O_EXCL | O_RDWR, 0644), EEXIST);
    CHECK_EQ("fstat_new_size", size_of(fd), 0);
    CHECK_EQ("write", write(fd, "hello world\n", 12), 12);
    CHECK_EQ("fstat_size_after_write", size_of(fd), 12);
    CHECK_EQ("lseek_cur", lseek(fd, 0, SEEK_CUR), 12);
    CHECK_EQ("lseek_set", lseek(fd, 0, SEEK_SET), 0);
    char buf[64] = {0};
    CHECK_EQ("read", read(fd, buf, sizeof buf), 12);
    CHECK("read_contents", memcmp(buf, "hello world\n", 12) == 0);
    CHECK_EQ("read_at_eof", read(fd, buf, sizeof buf), 0);
    CHECK_EQ("lseek_end", lseek(fd, -6, SEEK_END), 6);
    CHECK_EQ("read_after_lseek_end", read(fd, buf, 5), 5);
    CHECK("read_after_lseek_end_contents", memcmp(buf, "world", 5) == 0);
    CHECK_ERR("lseek_negative_EINVAL", lseek(fd, -100, SEEK_SET), EINVAL);
    CHECK_ERR("lseek_bad_whence_EINVAL", lseek(fd, 0, 12345), EINVAL);

    // pread/pwrite use their own offset and leave the file offset alone.
    off_t before = lseek(fd, 3, SEEK_SET);
    CHECK_EQ("pwrite", pwrite(fd, "HELLO", 5, 0), 5);
    CHECK_EQ("pread", pread(fd, buf, 11, 0), 11);
    CHECK("pread_contents", memcmp(buf, "HELLO world", 11) == 0);
    CHECK_EQ("pread_past_eof", pread(fd, buf, 10, 100), 0);
    CHECK_EQ("pread_pwrite_keep_offset", lseek(fd, 0, SEEK_CUR), before);
    CHECK_ERR("pread_negative_offset_EINVAL", pread(fd, buf, 1, -1), EINVAL);

    // Writing past the end leaves a hole that reads as zeros.
    CHECK_EQ("lseek_past_end", lseek(fd, 4096 + 100, SEEK_SET), 4196);
    CHECK_EQ("write_past_end", write(fd, "Z", 1), 1);
    CHECK_EQ("size_with_hole", size_of(fd), 4197);
    char hole[4096];
    CHECK_EQ("pread_hole", pread(fd, hole, sizeof hole, 12), (long)sizeof hole);
    int zeros = 1;
    for (size_t i = 0; i < 4096 + 100 - 12 && i < sizeof hole; i++) zeros &= hole[i] == 0;
    CHECK("hole_reads_zero", zeros);
    CHECK_EQ("close", close(fd), 0);

    // O_TRUNC empties the file; O_APPEND writes at the end whatever the offset.
    fd = open(path("a.txt"), O_RDWR | O_TRUNC);
    CHECK_EQ("open_trunc_size", size_of(fd), 0);
    CHECK_EQ("write_after_trunc", write(fd, "0123456789", 10), 10);
    close(fd);
    fd = open(path("a.txt"), O_WRONLY | O_APPEND);
    CHECK("open_append", fd >= 0);
    lseek(fd, 0, SEEK_SET);
    CHECK_EQ("write_append", write(fd, "abc", 3), 3);
    CHECK_EQ("append_offset_at_end", lseek(fd, 0, SEEK_CUR), 13);
    CHECK_EQ("fcntl_getfl_append", fcntl(fd, F_GETFL) & (O_APPEND | O_ACCMODE), O_APPEND | O_WRONLY);
    CHECK_ERR("read_write_only_EBADF", read(fd, buf, 1), EBADF);
    close(fd);
    fd = open(path("a.txt"), O_RDONLY);
    memset(buf, 0, sizeof buf);
    CHECK_EQ("read_appended", read(fd, buf, sizeof buf), 13);
    CHECK("append_contents", memcmp(buf, "0123456789abc", 13) == 0);
    CHECK_ERR("write_read_only_EBADF", write(fd, "x", 1), EBADF);
    close(fd);

    // A bigger file written in odd-sized pieces, read back in other pieces.
    fd = open(path("big.bin"), O_CREAT | O_RDWR | O_TRUNC, 0600);
    unsigned long long seed = 42, h_in = GUEST_FNV_INIT;
    unsigned char chunk[1000];
    size_t total = 0;
    for (int i = 0; i < 100; i++) {
        size_t n = 1 + guest_rand(&seed) % sizeof chunk;
        for (size_t j = 0; j < n; j++) chunk[j] = (unsigned char)guest_rand(&seed);
        h_in = guest_fnv1a(h_in, chunk, n);
        total += (size_t)write(fd, chunk, n);
    }
    CHECK_EQ("big_size", size_of(fd), total);
    lseek(fd, 0, SEEK_SET);
    unsigned long long h_out = GUEST_FNV_INIT;
    size_t got = 0;
    for (;;) {
        ssize_t n = read(fd, chunk, 777);
        if (n <= 0) break;
        h_out = guest_fnv1a(h_out, chunk, (size_t)n);
        got += (size_t)n;
    }
    CHECK("big_read_back", got == total && h_in == h_out);
    printf("big file %zu bytes checksum %016llx\n", total, h_out);
    close(fd);
}

static void test_flags_and_paths(void) {
    // Linux quirk kept for compatibility: pwrite on an O_APPEND descriptor appends,
    // whatever the offset (pwrite(2), BUGS).
    int fd = open(path("p.txt"), O_CREAT | O_RDWR | O_TRUNC | O_APPEND, 0644);
    CHECK_EQ("append_write", write(fd, "abc", 3), 3);
    CHECK_EQ("append_pwrite_appends", pwrite(fd, "XY", 2, 0), 2);
    char buf[16] = {0};
    CHECK("append_pwrite_contents", pread(fd, buf, sizeof buf, 0) == 5 && memcmp(buf, "abcXY", 5) == 0);
    // F_SETFL turns O_APPEND off and on.
    CHECK_EQ("fcntl_setfl_no_append", fcntl(fd, F_SETFL, 0), 0);
    CHECK_EQ("fcntl_getfl_rdwr", fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND), O_RDWR);
    lseek(fd, 0, SEEK_SET);
    CHECK_EQ("write_without_append", write(fd, "Q", 1), 1);
    CHECK("write_without_append_at_offset", pread(fd, buf, 5, 0) == 5 && memcmp(buf, "QbcXY", 5) == 0);
    CHECK_EQ("write_zero_bytes", write(fd, buf, 0), 0);
    CHECK_EQ("readv_zero_count", readv(fd, NULL, 0), 0);

    // dup2 onto an open descriptor closes it first.
    int other = open(path("a.txt"), O_RDONLY);
    CHECK_EQ("dup2_over_open_fd", dup2(fd, other), other);
    CHECK_EQ("dup2_over_open_fd_is_new_file", lseek(other, 0, SEEK_END), 5);
    close(other);

    // openat relative to a directory descriptor.
    int d = open(dir, O_RDONLY | O_DIRECTORY);
    int at = openat(d, "p.txt", O_RDONLY);
    CHECK("openat_dirfd", at >= 0 && size_of(at) == 5);
    close(at);
    at = openat(d, "/dev/null", O_RDONLY);
    CHECK("openat_absolute_ignores_dirfd", at >= 0);
    close(at);
    CHECK_ERR("openat_file_as_dirfd_ENOTDIR", openat(fd, "x", O_RDONLY), ENOTDIR);
    CHECK_ERR("openat_bad_dirfd_EBADF", openat(999, "x", O_RDONLY), EBADF);
    struct stat st;
    CHECK("fstatat_dirfd", fstatat(d, "p.txt", &st, 0) == 0 && st.st_size == 5);
    close(d);
    close(fd);

    // Path forms.
    CHECK_EQ("mkdir_trailing_slash", mkdir(path("t/"), 0755), 0);
    fd = open(path("t/./../t/.././p.txt"), O_RDONLY);
    CHECK("open_dot_dotdot_path", fd >= 0 && size_of(fd) == 5);
    close(fd);
    char doubled[160];
    snprintf(doubled, sizeof doubled, "%s//t//", dir);
    CHECK("stat_double_slashes", stat(doubled, &st) == 0 && S_ISDIR(st.st_mode));
    CHECK_ERR("open_file_trailing_slash_ENOTDIR", open(path("p.txt/"), O_RDONLY), ENOTDIR);
    CHECK_ERR("open_empty_path_ENOENT", open("", O_RDONLY), ENOENT);
    CHECK_ERR("unlink_empty_path_ENOENT", unlink(""), ENOENT);
    char long_path[400];
    size_t used = (size_t)snprintf(long_path, sizeof long_path, "%s/", dir);
    memset(long_path + used, 'n', 256);  // NAME_MAX is 255
    long_path[used + 256] = 0;
    CHECK_ERR("open_long_name_ENAMETOOLONG", open(long_path, O_CREAT | O_WRONLY, 0644), ENAMETOOLONG);
    CHECK_ERR("rmdir_dot_EINVAL", rmdir(path("t/.")), EINVAL);
    CHECK_EQ("rmdir_trailing_slash", rmdir(path("t/")), 0);
    CHECK_EQ("unlink_p", unlink(path("p.txt")), 0);
}

static void test_vectors(void) {
    int fd = open(path("v.txt"), O_CREAT | O_RDWR | O_TRUNC, 0644);
    struct iovec out[3] = {{"one ", 4}, {"", 0}, {"two three", 9}};
    CHECK_EQ("writev", writev(fd, out, 3), 13);
    char a[5] = {0}, b[3] = {0}, c[16] = {0};
    struct iovec in[3] = {{a, 4}, {b, 3}, {c, sizeof c}};
    lseek(fd, 0, SEEK_SET);
    CHECK_EQ("readv", readv(fd, in, 3), 13);
    CHECK("readv_contents", memcmp(a, "one ", 4) == 0 && memcmp(b, "two", 3) == 0 && memcmp(c, " three", 6) == 0);
    struct iovec bad = {a, (size_t)-1};
    CHECK_ERR("readv_bad_length_EINVAL", readv(fd, &bad, 1), EINVAL);
    CHECK_ERR("readv_negative_count_EINVAL", readv(fd, in, -1), EINVAL);
    close(fd);
}

static void test_stat(void) {
    struct stat st;
    CHECK_EQ("stat_file", stat(path("a.txt"), &st), 0);
    CHECK("stat_file_regular", S_ISREG(st.st_mode) && st.st_size == 13 && st.st_nlink == 1);
    CHECK("stat_file_mode", (st.st_mode & 0777) == 0644);
    CHECK_EQ("lstat_file", lstat(path("a.txt"), &st), 0);
    CHECK("lstat_file_size", st.st_size == 13);
    CHECK_EQ("stat_dir", stat(dir, &st), 0);
    CHECK("stat_dir_is_dir", S_ISDIR(st.st_mode));
    CHECK_EQ("fstatat", fstatat(AT_FDCWD, path("big.bin"), &st, 0), 0);
    CHECK("fstatat_mode", S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0600);
    CHECK_ERR("stat_missing_ENOENT", stat(path("missing"), &st), ENOENT);
    CHECK_ERR("stat_through_file_ENOTDIR", stat(path("a.txt/x"), &st), ENOTDIR);
    CHECK_ERR("fstat_bad_fd_EBADF", fstat(-1, &st), EBADF);
}

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static int compare_strings(const void* x, const void* y) {
    return strcmp(*(const char* const*)x, *(const char* const*)y);
}

static void test_directories(void) {
    CHECK_EQ("mkdir", mkdir(path("sub"), 0755), 0);
    CHECK_ERR("mkdir_exists_EEXIST", mkdir(path("sub"), 0755), EEXIST);
    CHECK_ERR("mkdir_missing_parent_ENOENT", mkdir(path("nope/sub"), 0755), ENOENT);
    CHECK_ERR("mkdir_under_file_ENOTDIR", mkdir(path("a.txt/sub"), 0755), ENOTDIR);
    int f = open(path("sub/inner"), O_CREAT | O_WRONLY, 0644);
    CHECK("create_in_subdir", f >= 0);
    close(f);
    CHECK_ERR("rmdir_not_empty_ENOTEMPTY", rmdir(path("sub")), ENOTEMPTY);
    CHECK_ERR("rmdir_file_ENOTDIR", rmdir(path("a.txt")), ENOTDIR);
    CHECK_ERR("unlink_dir_EISDIR", unlink(path("sub")), EISDIR);
    CHECK_ERR("open_dir_for_write_EISDIR", open(path("sub"), O_WRONLY), EISDIR);
    CHECK_ERR("open_file_as_directory_ENOTDIR", open(path("a.txt"), O_RDONLY | O_DIRECTORY), ENOTDIR);
    CHECK_ERR("open_missing_ENOENT", open(path("missing"), O_RDONLY), ENOENT);
    CHECK_ERR("open_through_file_ENOTDIR", open(path("a.txt/x"), O_RDONLY), ENOTDIR);
    CHECK_ERR("open_creat_missing_dir_ENOENT", open(path("nope/x"), O_CREAT | O_WRONLY, 0644), ENOENT);
    int d = open(path("sub"), O_RDONLY | O_DIRECTORY);
    CHECK("open_directory", d >= 0);
    char c;
    CHECK_ERR("read_directory_EISDIR", read(d, &c, 1), EISDIR);
    close(d);

    // getdents64 over the test directory: the order is the file system's, so sort.
    d = open(dir, O_RDONLY | O_DIRECTORY);
    char buf[512];
    char names[32][300];
    const char* sorted[32];
    int n = 0, calls = 0;
    for (;;) {
        long got = syscall(SYS_getdents64, d, buf, sizeof buf);
        if (got <= 0) break;
        calls++;
        for (long off = 0; off < got;) {
            struct linux_dirent64* e = (struct linux_dirent64*)(buf + off);
            if (n < 32) {
                const char* type = e->d_type == DT_DIR ? "dir" : e->d_type == DT_REG ? "reg" : "other";
                snprintf(names[n], sizeof names[n], "%s %s", e->d_name, type);
                sorted[n] = names[n];
                n++;
            }
            off += e->d_reclen;
        }
    }
    CHECK("getdents64", calls > 0);
    qsort(sorted, (size_t)n, sizeof sorted[0], compare_strings);
    for (int i = 0; i < n; i++) printf("dirent: %s\n", sorted[i]);
    CHECK_EQ("getdents64_count", n, 6);  // . .. a.txt big.bin sub v.txt
    CHECK_EQ("getdents64_at_end", syscall(SYS_getdents64, d, buf, sizeof buf), 0);
    CHECK_ERR("getdents64_small_buffer_EINVAL", (lseek(d, 0, SEEK_SET), syscall(SYS_getdents64, d, buf, 8)), EINVAL);
    close(d);
    int file = open(path("a.txt"), O_RDONLY);
    CHECK_ERR("getdents64_on_file_ENOTDIR", syscall(SYS_getdents64, file, buf, sizeof buf), ENOTDIR);
    close(file);

    // unlink, then the name is gone but an open descriptor still reads the data.
    int keep = open(path("v.txt"), O_RDONLY);
    CHECK_EQ("unlink", unlink(path("v.txt")), 0);
    CHECK_ERR("open_unlinked_ENOENT", open(path("v.txt"), O_RDONLY), ENOENT);
    CHECK_ERR("unlink_missing_ENOENT", unlink(path("v.txt")), ENOENT);
    char v[4] = {0};
    CHECK("read_unlinked_open_file", read(keep, v, 3) == 3 && memcmp(v, "one", 3) == 0);
    close(keep);

    CHECK_EQ("unlink_inner", unlink(path("sub/inner")), 0);
    CHECK_EQ("rmdir", rmdir(path("sub")), 0);
    CHECK_ERR("rmdir_missing_ENOENT", rmdir(path("sub")), ENOENT);
}

static void test_cwd(void) {
    char saved[256], cwd[256];
    CHECK("getcwd", getcwd(saved, sizeof saved) != NULL);
    CHECK_EQ("chdir", chdir(dir), 0);
    CHECK("getcwd_after_chdir", getcwd(cwd, sizeof cwd) != NULL && strcmp(cwd, dir) == 0);
    int fd = open("a.txt", O_RDONLY);
    CHECK("open_relative", fd >= 0 && size_of(fd) == 13);
    close(fd);
    CHECK_ERR("chdir_to_file_ENOTDIR", chdir("a.txt"), ENOTDIR);
    CHECK_ERR("chdir_missing_ENOENT", chdir("missing"), ENOENT);
    CHECK_ERR("getcwd_small_buffer_ERANGE", getcwd(cwd, 2) == NULL ? -1 : 0, ERANGE);
    CHECK_EQ("access_exists", access("a.txt", F_OK), 0);
    CHECK_EQ("access_read", access("a.txt", R_OK), 0);
    CHECK_ERR("access_missing_ENOENT", access("missing", F_OK), ENOENT);
    CHECK_EQ("chdir_dotdot", chdir(".."), 0);
    CHECK("getcwd_dotdot", getcwd(cwd, sizeof cwd) != NULL && strcmp(cwd, "/tmp") == 0);
    CHECK_EQ("chdir_back", chdir(saved), 0);
}

static void test_descriptors(void) {
    int fd = open(path("a.txt"), O_RDONLY);
    CHECK_EQ("fcntl_getfd_default", fcntl(fd, F_GETFD), 0);
    int d1 = dup(fd);
    CHECK("dup", d1 >= 0 && d1 != fd);
    // dup returns the lowest free descriptor.
    close(d1);
    CHECK_EQ("dup_lowest_free", dup(fd), d1);
    // A duplicate shares the file offset.
    char c;
    read(fd, &c, 1);
    CHECK_EQ("dup_shares_offset", lseek(d1, 0, SEEK_CUR), 1);
    CHECK_EQ("dup2", dup2(fd, 100), 100);
    CHECK_EQ("dup2_shares_offset", lseek(100, 0, SEEK_CUR), 1);
    CHECK_EQ("dup2_same_fd", dup2(fd, fd), fd);
    CHECK_ERR("dup2_bad_fd_EBADF", dup2(99, 101), EBADF);
    CHECK_ERR("dup3_same_fd_EINVAL", dup3(fd, fd, 0), EINVAL);
    CHECK_EQ("fcntl_setfd_cloexec", fcntl(fd, F_SETFD, FD_CLOEXEC), 0);
    CHECK_EQ("fcntl_getfd_cloexec", fcntl(fd, F_GETFD), FD_CLOEXEC);
    int d2 = dup(fd);
    CHECK_EQ("dup_clears_cloexec", fcntl(d2, F_GETFD), 0);
    CHECK_EQ("dup3_cloexec", dup3(fd, 101, O_CLOEXEC), 101);
    CHECK_EQ("dup3_cloexec_flag", fcntl(101, F_GETFD), FD_CLOEXEC);
    CHECK_EQ("dupfd_min", fcntl(fd, F_DUPFD, 50), 50);
    CHECK_EQ("dupfd_cloexec", fcntl(fd, F_DUPFD_CLOEXEC, 50), 51);
    CHECK_EQ("dupfd_cloexec_flag", fcntl(51, F_GETFD), FD_CLOEXEC);
    int oc = open(path("a.txt"), O_RDONLY | O_CLOEXEC);
    CHECK_EQ("open_cloexec_flag", fcntl(oc, F_GETFD), FD_CLOEXEC);
    CHECK_EQ("fcntl_getfl_rdonly", fcntl(oc, F_GETFL) & O_ACCMODE, O_RDONLY);
    struct termios t;
    CHECK_ERR("ioctl_tcgets_file_ENOTTY", ioctl(fd, TCGETS, &t), ENOTTY);
    int closed[] = {fd, d1, d2, 100, 101, 50, 51, oc};
    int ok = 1;
    for (size_t i = 0; i < sizeof closed / sizeof closed[0]; i++) ok &= close(closed[i]) == 0;
    CHECK("close_all", ok);
    CHECK_ERR("close_closed_EBADF", close(100), EBADF);
    CHECK_ERR("read_closed_EBADF", read(100, &c, 1), EBADF);
    CHECK_ERR("fcntl_closed_EBADF", fcntl(100, F_GETFD), EBADF);
}

static void test_dev(void) {
    char buf[256];
    int fd = open("/dev/null", O_RDWR);
    CHECK("open_dev_null", fd >= 0);
    CHECK_EQ("write_dev_null", write(fd, "discard", 7), 7);
    CHECK_EQ("read_dev_null", read(fd, buf, sizeof buf), 0);
    close(fd);
    fd = open("/dev/zero", O_RDONLY);
    memset(buf, 1, sizeof buf);
    CHECK_EQ("read_dev_zero", read(fd, buf, sizeof buf), (long)sizeof buf);
    int zero = 1;
    for (size_t i = 0; i < sizeof buf; i++) zero &= buf[i] == 0;
    CHECK("dev_zero_zeros", zero);
    close(fd);
    fd = open("/dev/urandom", O_RDONLY);
    CHECK_EQ("read_dev_urandom", read(fd, buf, sizeof buf), (long)sizeof buf);
    close(fd);
    struct stat st;
    CHECK("stat_dev_null_chr", stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
    CHECK("stat_dev_dir", stat("/dev", &st) == 0 && S_ISDIR(st.st_mode));
    CHECK("stat_tmp_dir", stat("/tmp", &st) == 0 && S_ISDIR(st.st_mode));
}

int main(void) {
    strcpy(dir, "/tmp/simx-files-XXXXXX");
    CHECK("mkdtemp", mkdtemp(dir) != NULL);
    test_create_read_write();
    test_flags_and_paths();
    test_vectors();
    test_stat();
    test_directories();
    test_cwd();
    test_descriptors();
    test_dev();
    unlink(path("a.txt"));
    unlink(path("big.bin"));
    CHECK_EQ("rmdir_test_dir", rmdir(dir), 0);
    return guest_finish("files");
}
