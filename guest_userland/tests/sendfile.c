// sendfile: copies between descriptors in the kernel (what busybox's cat uses):
// file to file with and without an offset pointer, file to pipe, and Linux's
// errors for a non-file input, an O_APPEND output and bad descriptors.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "guest_test.h"

int main(void) {
    // Files of its own: ctest runs the static and PIE builds on the host at
    // the same time, and shared names let one truncate the other's input.
    char dir[] = "/tmp/sendfileXXXXXX", in_path[64], out_path[64];
    CHECK("mkdtemp", mkdtemp(dir) != NULL);
    snprintf(in_path, sizeof in_path, "%s/in", dir);
    snprintf(out_path, sizeof out_path, "%s/out", dir);
    char data[10000];
    for (unsigned i = 0; i < sizeof data; i++) data[i] = (char)('a' + i % 26);
    int in = open(in_path, O_CREAT | O_TRUNC | O_RDWR, 0644);
    CHECK("open_in", in >= 0);
    CHECK_EQ("fill", write(in, data, sizeof data), (long)sizeof data);
    int out = open(out_path, O_CREAT | O_TRUNC | O_RDWR, 0644);
    CHECK("open_out", out >= 0);

    // With an offset pointer: the input's position stays, *offset moves.
    off_t off = 100;
    CHECK_EQ("offset_copy", sendfile(out, in, &off, 5000), 5000);
    CHECK_EQ("offset_advanced", off, 5100);
    CHECK_EQ("input_position_kept", lseek(in, 0, SEEK_CUR), (long)sizeof data);
    char back[10000];
    CHECK_EQ("read_back", pread(out, back, 5000, 0), 5000);
    CHECK("same_bytes", memcmp(back, data + 100, 5000) == 0);

    // Without: from the input's position, which advances; short at its end.
    lseek(in, 9000, SEEK_SET);
    CHECK_EQ("to_end", sendfile(out, in, NULL, 4000), 1000);
    CHECK_EQ("position_at_end", lseek(in, 0, SEEK_CUR), (long)sizeof data);
    CHECK_EQ("at_end_zero", sendfile(out, in, NULL, 10), 0);

    // Into a pipe.
    int p[2];
    CHECK_EQ("pipe", pipe(p), 0);
    off = 0;
    CHECK_EQ("to_pipe", sendfile(p[1], in, &off, 3000), 3000);
    CHECK_EQ("pipe_read", read(p[0], back, sizeof back), 3000);
    CHECK("pipe_bytes", memcmp(back, data, 3000) == 0);

    // Errors.
    CHECK_ERR("pipe_input", sendfile(out, p[0], NULL, 10), EINVAL);
    CHECK_ERR("bad_out", sendfile(99, in, NULL, 10), EBADF);
    CHECK_ERR("bad_in", sendfile(out, 99, NULL, 10), EBADF);
    int append = open(out_path, O_WRONLY | O_APPEND);
    CHECK_ERR("append_output", sendfile(append, in, &off, 10), EINVAL);
    int rdonly = open(in_path, O_RDONLY);
    CHECK_ERR("output_not_writable", sendfile(rdonly, in, &off, 10), EBADF);
    CHECK_ERR("offset_efault", sendfile(out, in, (off_t*)8, 10), EFAULT);
    unlink(in_path);
    unlink(out_path);
    rmdir(dir);
    return guest_finish("sendfile");
}
