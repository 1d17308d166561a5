// Character devices (Linux's drivers/char/mem.c and the console): a device
// node's inode names a driver by major and minor number, bound to the file at
// open. Drivers here: /dev/console (5,1) and /dev/tty (5,0), the terminal of
// hal::terminal_read / terminal_write; /dev/null (1,3); /dev/zero (1,5);
// /dev/random (1,8) and /dev/urandom (1,9), from hal::random_u64.
//
// A console file writes to the terminal stream chosen when it was opened
// (File::stream): kOutput normally, kError for the fd 2 a process starts with,
// so `simx run` can keep a guest's stdout and stderr apart.
#pragma once

#include "kernel/lib/types.h"

namespace kernel {

struct File;
class FdTable;

struct CharDevice {
    u32 major;
    u32 minor;
    const char* name;
    i64 (*read)(File& file, u8* buffer, usize length);
    i64 (*write)(File& file, const u8* buffer, usize length);
    bool terminal;   // a tty: TCGETS and TIOCGWINSZ answer, lseek is ESPIPE
};

// The driver for (major, minor), or nullptr (open gives ENXIO).
const CharDevice* find_char_device(u32 major, u32 minor);

// Installs fds 0, 1 and 2 on /dev/console, each its own description opened
// read-write (as Linux's init gets its console), fd 2 writing to the error
// stream; for a process the loader starts. 0 or -errno (ENOENT without
// /dev/console, ENOMEM, EBUSY if one of the fds is taken).
i64 open_console_fds(FdTable& table);

}  // namespace kernel
