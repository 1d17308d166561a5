// pipes: pipe2, blocking and non-blocking reads and writes, EOF and EPIPE,
// the 64 KiB capacity, atomic writes of at most PIPE_BUF bytes from two
// writers, poll/ppoll/select readiness and timeouts, F_SETFL O_NONBLOCK,
// a pipeline of two exec'd programs joined by dup2, and close-on-exec across
// execve (issue 6, item 6). Children never print: they report through their
// exit status.
//   usage: pipes SELF                  (SELF: the path of this program, for exec)
//          pipes SELF writer N         (writes N pattern bytes to stdout)
//          pipes SELF reader N         (reads stdin to EOF: exit 0 iff it was the N pattern bytes)
//          pipes SELF cloexec FD FD2   (exit 0 iff FD is closed and FD2 open)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest_test.h"
#include "guest_proc.h"

#define CAPACITY 65536

// Byte i of the pattern stream a writer sends.
static unsigned char pattern(size_t i) { return (unsigned char)(i * 131 + (i >> 9) * 7 + 1); }

static int exited_ok(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

// Writes all of buf (a blocking write may return short only on a signal).
static int write_all(int fd, const void* buf, size_t n) {
    const unsigned char* p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

// ---------------------------------------------------------------- exec'd helpers

static int run_writer(long n) {
    unsigned char buf[3000];
    for (long done = 0; done < n;) {
        size_t k = n - done < (long)sizeof buf ? (size_t)(n - done) : sizeof buf;
        for (size_t i = 0; i < k; i++) buf[i] = pattern((size_t)done + i);
        if (write_all(1, buf, k) != 0) return 2;
        done += (long)k;
    }
    return 0;
}

static int run_reader(long n) {
    unsigned char buf[5000];
    long got = 0;
    for (;;) {
        ssize_t r = read(0, buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return 2;
        if (r == 0) break;
        for (ssize_t i = 0; i < r; i++)
            if (buf[i] != pattern((size_t)got + (size_t)i)) return 3;
        got += r;
    }
    return got == n ? 0 : 4;
}

static int run_cloexec(int closed_fd, int open_fd) {
    if (fcntl(closed_fd, F_GETFD) != -1 || errno != EBADF) return 1;
    if (fcntl(open_fd, F_GETFD) != 0) return 2;
    return 0;
}

// ---------------------------------------------------------------- the checks

static void basics(void) {
    int p[2];
    CHECK("pipe", pipe(p) == 0);
    CHECK_EQ("write", write(p[1], "hello", 5), 5);
    char buf[16] = {0};
    CHECK_EQ("read_what_is_there", read(p[0], buf, sizeof buf), 5);
    CHECK("read_bytes", memcmp(buf, "hello", 5) == 0);
    struct stat st;
    CHECK("fstat", fstat(p[0], &st) == 0);
    CHECK("fstat_is_fifo", S_ISFIFO(st.st_mode));
    CHECK_ERR("lseek_espipe", lseek(p[0], 0, SEEK_SET), ESPIPE);
    CHECK_ERR("pread_espipe", pread(p[0], buf, 1, 0), ESPIPE);
    CHECK_ERR("pwrite_espipe", pwrite(p[1], buf, 1, 0), ESPIPE);
    CHECK_EQ("getfl_read_end", fcntl(p[0], F_GETFL), O_RDONLY);
    CHECK_EQ("getfl_write_end", fcntl(p[1], F_GETFL), O_WRONLY);
    CHECK_ERR("read_write_end", read(p[1], buf, 1), EBADF);
    CHECK_ERR("write_read_end", write(p[0], "x", 1), EBADF);
    CHECK_EQ("write_zero", write(p[1], buf, 0), 0);
    CHECK_EQ("write_small", write(p[1], "abc", 3), 3);
    int avail = -1;
    CHECK("fionread", ioctl(p[0], FIONREAD, &avail) == 0 && avail == 3);
    CHECK_EQ("read_part", read(p[0], buf, 2), 2);
    CHECK_EQ("read_rest", read(p[0], buf, 10), 1);
    // A read into a bad buffer is EFAULT and leaves the bytes in the pipe;
    // a write from one is EFAULT and puts nothing in.
    CHECK_EQ("write_keep", write(p[1], "keep", 4), 4);
    CHECK_ERR("read_efault", read(p[0], (void*)8, 4), EFAULT);
    CHECK_ERR("write_efault", write(p[1], (void*)8, 4), EFAULT);
    CHECK_EQ("read_after_efault", read(p[0], buf, sizeof buf), 4);
    CHECK("bytes_kept", memcmp(buf, "keep", 4) == 0);
    // readv fills segment after segment from what the pipe holds.
    char s1[2], s2[10];
    struct iovec wv[3] = {{"ab", 2}, {"", 0}, {"cde", 3}};
    struct iovec rv[2] = {{s1, sizeof s1}, {s2, sizeof s2}};
    CHECK_EQ("writev", writev(p[1], wv, 3), 5);
    CHECK_EQ("readv_spans_segments", readv(p[0], rv, 2), 5);
    CHECK("readv_bytes", memcmp(s1, "ab", 2) == 0 && memcmp(s2, "cde", 3) == 0);
    // A dup'ed read end is the same description: closing one keeps the pipe.
    int d = dup(p[1]);
    CHECK("dup_write_end", d >= 0);
    close(p[1]);
    CHECK_EQ("write_through_dup", write(d, "z", 1), 1);
    close(d);
    CHECK_EQ("read_then_eof", read(p[0], buf, 10), 1);
    CHECK_EQ("eof_no_writer", read(p[0], buf, 10), 0);
    close(p[0]);

    CHECK_ERR("pipe2_bad_flags", pipe2(p, O_APPEND), EINVAL);
    CHECK("pipe2_cloexec", pipe2(p, O_CLOEXEC) == 0);
    CHECK_EQ("cloexec_read_end", fcntl(p[0], F_GETFD), FD_CLOEXEC);
    CHECK_EQ("cloexec_write_end", fcntl(p[1], F_GETFD), FD_CLOEXEC);
    close(p[0]);
    close(p[1]);
}

static void epipe(void) {
    signal(SIGPIPE, SIG_IGN);
    int p[2];
    CHECK("pipe_for_epipe", pipe(p) == 0);
    close(p[0]);
    CHECK_ERR("write_no_reader_epipe", write(p[1], "x", 1), EPIPE);
    struct pollfd pf = {p[1], POLLOUT, 0};
    CHECK_EQ("poll_no_reader", poll(&pf, 1, 0), 1);
    CHECK("poll_no_reader_pollerr", (pf.revents & POLLERR) != 0);
    close(p[1]);
}

static void nonblocking(void) {
    int p[2];
    CHECK("pipe2_nonblock", pipe2(p, O_NONBLOCK) == 0);
    CHECK_EQ("getfl_nonblock", fcntl(p[1], F_GETFL), O_WRONLY | O_NONBLOCK);
    char buf[16];
    CHECK_ERR("read_empty_eagain", read(p[0], buf, sizeof buf), EAGAIN);

    static unsigned char big[2 * CAPACITY], back[2 * CAPACITY];
    for (size_t i = 0; i < sizeof big; i++) big[i] = pattern(i);
    CHECK_EQ("fill_exactly_64k", write(p[1], big, sizeof big), CAPACITY);
    CHECK_ERR("write_full_eagain", write(p[1], "x", 1), EAGAIN);
    int avail = -1;
    CHECK("fionread_full", ioctl(p[0], FIONREAD, &avail) == 0 && avail == CAPACITY);

    struct pollfd pf[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
    CHECK_EQ("poll_full", poll(pf, 2, 0), 1);
    CHECK_EQ("poll_full_readable", pf[0].revents, POLLIN);
    CHECK_EQ("poll_full_not_writable", pf[1].revents, 0);

    CHECK_EQ("read_one_page", read(p[0], back, 4096), 4096);
    CHECK_EQ("poll_room_again", poll(pf, 2, 0), 2);
    CHECK_EQ("poll_writable", pf[1].revents, POLLOUT);
    // A write of at most PIPE_BUF bytes goes in whole or not at all.
    CHECK_EQ("refill_page", write(p[1], big + CAPACITY, 4096), 4096);
    CHECK_ERR("atomic_write_no_room", write(p[1], big, 100), EAGAIN);
    ssize_t got = 4096;
    for (;;) {
        ssize_t r = read(p[0], back + got, sizeof back - (size_t)got);
        if (r <= 0) {
            CHECK("drain_ends_eagain", r == -1 && errno == EAGAIN);
            break;
        }
        got += r;
    }
    CHECK_EQ("drained", got, CAPACITY + 4096);
    CHECK("drained_bytes", memcmp(back, big, CAPACITY + 4096) == 0);
    close(p[0]);
    close(p[1]);

    // O_NONBLOCK set later through F_SETFL reaches the pipe.
    CHECK("pipe_blocking", pipe(p) == 0);
    CHECK("setfl_nonblock", fcntl(p[0], F_SETFL, O_NONBLOCK) == 0);
    CHECK_ERR("setfl_read_eagain", read(p[0], buf, 1), EAGAIN);
    CHECK("setfl_clear", fcntl(p[0], F_SETFL, 0) == 0);
    CHECK_EQ("getfl_cleared", fcntl(p[0], F_GETFL), O_RDONLY);
    close(p[0]);
    close(p[1]);
}

static void readiness(void) {
    int p[2];
    CHECK("pipe_for_poll", pipe(p) == 0);
    struct pollfd pf[4] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}, {-1, POLLIN, 0}, {999, POLLIN, 0}};
    CHECK_EQ("poll_empty", poll(pf, 4, 0), 2);
    CHECK_EQ("poll_empty_read", pf[0].revents, 0);
    CHECK_EQ("poll_empty_write", pf[1].revents, POLLOUT);
    CHECK_EQ("poll_negative_fd", pf[2].revents, 0);
    CHECK_EQ("poll_bad_fd_nval", pf[3].revents, POLLNVAL);
    CHECK_EQ("poll_timeout_0", poll(pf, 1, 0), 0);
    CHECK_EQ("poll_timeout_10ms", poll(pf, 1, 10), 0);
    struct timespec ts = {0, 1000000};
    CHECK_EQ("ppoll_timeout", ppoll(pf, 1, &ts, NULL), 0);

    fd_set r, w;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(p[0], &r);
    FD_SET(p[1], &w);
    struct timeval tv = {0, 0};
    CHECK_EQ("select_writable_only", select(p[1] + 1, &r, &w, NULL, &tv), 1);
    CHECK("select_sets", !FD_ISSET(p[0], &r) && FD_ISSET(p[1], &w));

    CHECK_EQ("write_for_poll", write(p[1], "data", 4), 4);
    CHECK_EQ("poll_data", poll(pf, 1, -1), 1);
    CHECK_EQ("poll_data_pollin", pf[0].revents, POLLIN);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    tv.tv_usec = 1000;
    CHECK_EQ("select_readable", select(p[0] + 1, &r, NULL, NULL, &tv), 1);
    CHECK("select_read_set", FD_ISSET(p[0], &r));
    FD_ZERO(&r);
    FD_SET(50, &r);
    tv.tv_usec = 0;
    CHECK_ERR("select_bad_fd", select(51, &r, NULL, NULL, &tv), EBADF);
    // Past the descriptor table's size (64 slots at first, as Linux's) select does not look.
    FD_ZERO(&r);
    FD_SET(900, &r);
    CHECK_EQ("select_past_table", select(901, &r, NULL, NULL, &tv), 0);

    close(p[1]);
    CHECK_EQ("poll_hup", poll(pf, 1, 0), 1);
    CHECK_EQ("poll_hup_with_data", pf[0].revents, POLLIN | POLLHUP);
    char buf[8];
    CHECK_EQ("read_before_hup", read(p[0], buf, sizeof buf), 4);
    CHECK_EQ("poll_hup_only", poll(pf, 1, 0), 1);
    CHECK_EQ("poll_hup_revents", pf[0].revents, POLLHUP);
    close(p[0]);

    // Files and devices are always ready; stdin too (the console under
    // simx, /dev/null on the host: both say POLLIN).
    int null_fd = open("/dev/null", O_RDWR);
    char file_name[64];
    snprintf(file_name, sizeof file_name, "/tmp/pipes_poll_%d", (int)getpid());
    int file_fd = open(file_name, O_RDWR | O_CREAT | O_TRUNC, 0600);
    struct pollfd dev[3] = {{null_fd, POLLIN | POLLOUT, 0}, {file_fd, POLLIN | POLLOUT, 0}, {0, POLLIN, 0}};
    CHECK_EQ("poll_devices", poll(dev, 3, 0), 3);
    CHECK_EQ("poll_dev_null", dev[0].revents, POLLIN | POLLOUT);
    CHECK_EQ("poll_regular_file", dev[1].revents, POLLIN | POLLOUT);
    CHECK("poll_stdin_pollin", (dev[2].revents & POLLIN) != 0);
    close(null_fd);
    close(file_fd);
    unlink(file_name);

    // A poll without a timeout wakes when a child writes.
    CHECK("pipe_for_wake", pipe(p) == 0);
    pid_t child = fork();
    if (child == 0) {
        close(p[0]);
        _exit(write(p[1], "w", 1) == 1 ? 0 : 1);
    }
    close(p[1]);
    struct pollfd one = {p[0], POLLIN, 0};
    CHECK_EQ("poll_wakes_on_write", poll(&one, 1, -1), 1);
    CHECK("poll_wakes_pollin", (one.revents & POLLIN) != 0);
    CHECK("poll_wake_child", exited_ok(wait_status_of(child)));
    close(p[0]);
}

// 1 MiB from a child to its parent, both through a blocking pipe, in sizes
// that never line up with the pipe's pages.
static void bulk(void) {
    enum { TOTAL = 1 << 20 };
    int p[2];
    CHECK("pipe_for_bulk", pipe(p) == 0);
    pid_t child = fork();
    if (child == 0) {
        close(p[0]);
        static unsigned char buf[20000];
        unsigned long long seed = 99;
        size_t done = 0;
        while (done < TOTAL) {
            size_t k = 1 + guest_rand(&seed) % sizeof buf;
            if (k > TOTAL - done) k = TOTAL - done;
            for (size_t i = 0; i < k; i++) buf[i] = pattern(done + i);
            if (write_all(p[1], buf, k) != 0) _exit(1);
            done += k;
        }
        _exit(0);
    }
    close(p[1]);
    static unsigned char buf[9000];
    unsigned long long seed = 5, want = GUEST_FNV_INIT, got = GUEST_FNV_INIT;
    size_t total = 0;
    for (;;) {
        size_t k = 1 + guest_rand(&seed) % sizeof buf;
        ssize_t r = read(p[0], buf, k);
        if (r <= 0) break;
        got = guest_fnv1a(got, buf, (size_t)r);
        total += (size_t)r;
    }
    for (size_t i = 0; i < TOTAL; i++) {
        unsigned char b = pattern(i);
        want = guest_fnv1a(want, &b, 1);
    }
    CHECK_EQ("bulk_bytes", total, TOTAL);
    CHECK("bulk_checksum", got == want);
    CHECK("bulk_writer_exit", exited_ok(wait_status_of(child)));
    close(p[0]);
}

// Two writers of 1000-byte records (under PIPE_BUF), by write and by a
// two-segment writev: each record arrives whole.
static void atomic_writers(void) {
    enum { RECORD = 1000, RECORDS = 150 };
    int p[2];
    CHECK("pipe_for_atomic", pipe(p) == 0);
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            close(p[0]);
            unsigned char rec[RECORD];
            memset(rec, 'A' + k, sizeof rec);
            // The second writer sends each record as two segments of one
            // writev: still under PIPE_BUF in all, so still whole.
            struct iovec v[2] = {{rec, 300}, {rec + 300, RECORD - 300}};
            for (int i = 0; i < RECORDS; i++)
                if ((k == 0 ? write(p[1], rec, sizeof rec) : writev(p[1], v, 2)) != RECORD) _exit(1);
            _exit(0);
        }
    }
    close(p[1]);
    static unsigned char all[2 * RECORDS * RECORD + 1];
    size_t got = 0;
    for (;;) {
        ssize_t r = read(p[0], all + got, sizeof all - got);
        if (r <= 0) break;
        got += (size_t)r;
    }
    CHECK_EQ("atomic_total", got, 2 * RECORDS * RECORD);
    int whole = 1, a = 0, b = 0;
    for (size_t r = 0; r + RECORD <= got; r += RECORD) {
        for (size_t i = 1; i < RECORD; i++) whole &= all[r + i] == all[r];
        a += all[r] == 'A';
        b += all[r] == 'B';
    }
    CHECK("atomic_records_whole", whole);
    CHECK_EQ("atomic_records_a", a, RECORDS);
    CHECK_EQ("atomic_records_b", b, RECORDS);
    for (int k = 0; k < 2; k++) CHECK("atomic_writer_exit", exited_ok(wait_status_of(kids[k])));
    close(p[0]);
}

// writer | reader, each exec'd with a pipe end dup2'ed onto stdout / stdin.
static void pipeline(const char* self) {
    enum { BYTES = 200000 };
    char count[16];
    snprintf(count, sizeof count, "%d", BYTES);
    int p[2];
    CHECK("pipe_for_pipeline", pipe(p) == 0);
    pid_t writer = fork();
    if (writer == 0) {
        if (dup2(p[1], 1) != 1) _exit(10);
        close(p[0]);
        close(p[1]);
        execl(self, self, self, "writer", count, (char*)NULL);
        _exit(11);
    }
    pid_t reader = fork();
    if (reader == 0) {
        if (dup2(p[0], 0) != 0) _exit(10);
        close(p[0]);
        close(p[1]);
        execl(self, self, self, "reader", count, (char*)NULL);
        _exit(11);
    }
    close(p[0]);
    close(p[1]);
    int ws = wait_status_of(writer), rs = wait_status_of(reader);
    CHECK("pipeline_writer", exited_ok(ws));
    CHECK("pipeline_reader_saw_all", exited_ok(rs));
}

// A close-on-exec pipe end is gone in the exec'd program; the other stays.
static void cloexec(const char* self) {
    int c[2], o[2];
    CHECK("pipe2_cloexec_for_exec", pipe2(c, O_CLOEXEC) == 0);
    CHECK("pipe_plain_for_exec", pipe(o) == 0);
    char closed_fd[16], open_fd[16];
    snprintf(closed_fd, sizeof closed_fd, "%d", c[1]);
    snprintf(open_fd, sizeof open_fd, "%d", o[1]);
    pid_t child = fork();
    if (child == 0) {
        execl(self, self, self, "cloexec", closed_fd, open_fd, (char*)NULL);
        _exit(11);
    }
    close(c[1]);
    // The child's copy of the write end went at its exec, so EOF comes
    // whatever the child is doing.
    char buf[4];
    CHECK_EQ("cloexec_eof", read(c[0], buf, sizeof buf), 0);
    CHECK("cloexec_child", exited_ok(wait_status_of(child)));
    close(c[0]);
    close(o[0]);
    close(o[1]);
}

int main(int argc, char** argv) {
    if (argc >= 4 && strcmp(argv[2], "writer") == 0) return run_writer(atol(argv[3]));
    if (argc >= 4 && strcmp(argv[2], "reader") == 0) return run_reader(atol(argv[3]));
    if (argc >= 5 && strcmp(argv[2], "cloexec") == 0) return run_cloexec(atoi(argv[3]), atoi(argv[4]));
    const char* self = argc > 1 ? argv[1] : "/bin/pipes";
    fflush(stdout);
    basics();
    epipe();
    nonblocking();
    readiness();
    bulk();
    atomic_writers();
    pipeline(self);
    cloexec(self);
    return guest_finish("pipes");
}
