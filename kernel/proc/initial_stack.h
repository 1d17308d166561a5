// The initial user stack of a new program (System V x86-64 psABI 3.4.1,
// Linux's create_elf_tables in fs/binfmt_elf.c). From the top down:
//
//   top       8 zero bytes (end marker)
//             AT_PLATFORM string ("x86_64"), AT_EXECFN string, envp strings,
//             argv strings (argv[0] lowest)
//             16 random bytes (AT_RANDOM), at a 16-byte boundary
//             padding to 16 bytes
//             AT_NULL pair, ..., first auxv pair
//             NULL, envp[envc-1] ... envp[0]
//             NULL, argv[argc-1] ... argv[0]
//   rsp ->    argc                                 (rsp % 16 == 0 at entry)
//
// auxv: AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE, AT_FLAGS (0),
// AT_ENTRY, AT_UID, AT_EUID, AT_GID, AT_EGID, AT_SECURE (0), AT_RANDOM,
// AT_HWCAP, AT_CLKTCK (100), AT_EXECFN, AT_PLATFORM, AT_NULL. The stack VMA is made with
// AddressSpace::create_stack at `top`, as large as the used part rounded up
// to pages plus 128 KiB (Linux's stack_expand), within the stack limit; the
// arguments (strings and vector) may take at most a quarter of the stack
// limit (Linux's rule), else -E2BIG.
#pragma once

#include "kernel/lib/types.h"

namespace kernel {

class AddressSpace;
struct ExecArgs;

inline constexpr u64 kClockTicks = 100;  // AT_CLKTCK: USER_HZ

struct InitialStack {
    // in
    u64 top = 0;      // page-aligned stack top
    u64 phdr = 0;     // AT_PHDR
    u64 phnum = 0;    // AT_PHNUM
    u64 entry = 0;    // AT_ENTRY
    u64 base = 0;     // AT_BASE: the interpreter's base, 0 without one
    bool executable = false;  // PT_GNU_STACK with PF_X and W+X allowed
    // out
    u64 rsp = 0;
    u64 random_bytes = 0;  // AT_RANDOM
    u64 execfn = 0;        // AT_EXECFN
};

// 0 or -errno with *reason set.
i64 build_initial_stack(AddressSpace& space, const ExecArgs& args, InitialStack& stack, const char** reason);

}  // namespace kernel
