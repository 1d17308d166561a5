#include "kernel/fs/char_device.h"

#include "kernel/fs/fd_table.h"
#include "kernel/fs/file.h"
#include "kernel/fs/fs_abi.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/vfs.h"
#include "kernel/hal/hal.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"

namespace kernel {
namespace {

i64 console_read(File&, u8* buffer, usize length) {
    if (length == 0) return 0;
    return static_cast<i64>(hal::terminal_read(reinterpret_cast<char*>(buffer), length));
}

i64 console_write(File& file, const u8* buffer, usize length) {
    if (length) hal::terminal_write(file.stream, reinterpret_cast<const char*>(buffer), length);
    return static_cast<i64>(length);
}

i64 null_read(File&, u8*, usize) { return 0; }
i64 sink_write(File&, const u8*, usize length) { return static_cast<i64>(length); }

i64 zero_read(File&, u8* buffer, usize length) {
    mem_set(buffer, 0, length);
    return static_cast<i64>(length);
}

i64 random_read(File&, u8* buffer, usize length) {
    for (usize done = 0; done < length; done += 8) {
        const u64 word = hal::random_u64();
        mem_copy(buffer + done, &word, length - done < 8 ? length - done : 8);
    }
    return static_cast<i64>(length);
}

constexpr CharDevice kDevices[] = {
    {5, 1, "console", console_read, console_write, true},
    {5, 0, "tty", console_read, console_write, true},
    {1, 3, "null", null_read, sink_write, false},
    {1, 5, "zero", zero_read, sink_write, false},
    {1, 8, "random", random_read, sink_write, false},
    {1, 9, "urandom", random_read, sink_write, false},
};

}  // namespace

const CharDevice* find_char_device(u32 major, u32 minor) {
    for (const CharDevice& d : kDevices)
        if (d.major == major && d.minor == minor) return &d;
    return nullptr;
}

i64 open_console_fds(FdTable& table) {
    for (i32 fd = 0; fd < 3; ++fd) {
        File* file = nullptr;
        const i64 rc = vfs_open(nullptr, "/dev/console", linux::kORdwr, 0, &file);
        if (rc < 0) return rc;
        if (fd == 2) file->stream = hal::TerminalStream::kError;
        const i64 installed = table.install(fd, file, false);
        file_put(file);  // the table holds its own reference now
        if (installed < 0) return installed;
    }
    return 0;
}

}  // namespace kernel
