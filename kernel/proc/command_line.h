// The kernel command line (hal::BootInfo::command_line), parsed as Linux
// parses its own (Documentation/admin-guide/kernel-parameters.rst):
//
//   init=PATH        the first program (no init=: the kernel runs its boot
//                    self-test and stops, as `simx boot` does)
//   initargv0=S      its argv[0] (default: PATH)
//   norandmaps       ASLR off (Linux's parameter of that name)
//   test_syscalls    enables test-only syscalls (the SMAP probe)
//   selftest         runs the memory self-test even with init=
//   allow_write_execute  W^X off for user mappings (the machine's
//                    kernel.allow_write_execute)
//   NAME=VALUE       any other word with '=' goes to init's environment
//   WORD             any other word goes to init's argv
//   -- ...           everything after "--" goes to init's argv
//
// Words are separated by spaces; a double-quoted part may hold spaces, and
// inside quotes a backslash makes the next character literal (an extension,
// so `simx run` can pass any argument).
#pragma once

#include "kernel/lib/types.h"

namespace kernel {

struct CommandLine {
    static constexpr u32 kMaxWords = 256;
    const char* init = nullptr;
    const char* init_argv0 = nullptr;
    bool randomize = true;
    bool test_syscalls = false;
    bool selftest = false;
    bool allow_write_execute = false;
    const char* argv[kMaxWords];  // init's arguments after argv[0]
    u32 argc = 0;
    const char* envp[kMaxWords];
    u32 envc = 0;
    char storage[4096 + 16];      // the words, NUL-terminated
};

// 0, or -EINVAL with *reason for an unterminated quote or too many words.
i64 parse_command_line(const char* line, CommandLine& out, const char** reason);

}  // namespace kernel
