#include "kernel/proc/initial_stack.h"

#include "kernel/hal/hal.h"
#include "kernel/lib/string.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/mman.h"
#include "kernel/proc/elf.h"
#include "kernel/proc/elf_loader.h"

namespace kernel {

using namespace linux;

namespace {

constexpr u64 kStackExpand = u64{128} << 10;  // Linux's stack_expand
constexpr u32 kAuxPairs = 18;                 // with AT_NULL
// AT_PLATFORM: what Linux names the machine (ELF_PLATFORM on x86-64).
constexpr char kPlatform[] = "x86_64";

// Writes to the stack being built; remembers the first failure.
struct StackWriter {
    AddressSpace& space;
    i64 error = 0;
    void bytes(u64 va, const void* src, usize n) {
        if (!error) error = user_write(space, va, src, n);
    }
    void word(u64 va, u64 v) { bytes(va, &v, sizeof v); }
};

}  // namespace

i64 build_initial_stack(AddressSpace& space, const ExecArgs& args, InitialStack& stack, const char** reason) {
    const char* execfn = args.execfn ? args.execfn : (args.argc && args.argv ? args.argv[0] : "");
    // Sizes first: strings, random bytes, the vector.
    u64 strings = str_length(execfn) + 1 + sizeof kPlatform;
    for (u32 i = 0; i < args.argc; ++i) strings += str_length(args.argv[i]) + 1;
    for (u32 i = 0; i < args.envc; ++i) strings += str_length(args.envp[i]) + 1;
    const u64 words = 1 + (u64{args.argc} + 1) + (u64{args.envc} + 1) + 2 * u64{kAuxPairs};
    const u64 limit = space.options().stack_limit / 4;
    if (strings > limit || words * 8 + 16 + 32 + strings > limit) {
        if (reason) *reason = "arguments larger than a quarter of the stack limit";
        return -kE2big;
    }

    const u64 top = stack.top;
    u64 p = top - 8;  // end marker
    const u64 strings_start = p - strings;
    const u64 random_bytes = align_down(strings_start - 16, 16);
    const u64 rsp = align_down(random_bytes - words * 8, 16);
    const u64 used = align_up(top - rsp, kPageSize);
    const u64 initial = used + kStackExpand <= space.options().stack_limit ? used + kStackExpand : used;
    const i64 made = space.create_stack(top, initial);
    if (made < 0) {
        if (reason) *reason = "creating the stack failed";
        return made;
    }
    if (stack.executable) {
        const i64 r = space.mprotect(top - initial, initial, kProtRead | kProtWrite | kProtExec);
        if (r < 0) {
            if (reason) *reason = "making the stack executable failed";
            return r;
        }
    }

    StackWriter w{space};
    w.word(top - 8, 0);
    // Strings: argv, envp, execfn, upwards from strings_start.
    u64 s = strings_start;
    const u64 argv_at = rsp + 8, envp_at = argv_at + (u64{args.argc} + 1) * 8;
    for (u32 i = 0; i < args.argc; ++i) {
        const usize n = str_length(args.argv[i]) + 1;
        w.bytes(s, args.argv[i], n);
        w.word(argv_at + u64{i} * 8, s);
        s += n;
    }
    w.word(argv_at + u64{args.argc} * 8, 0);
    for (u32 i = 0; i < args.envc; ++i) {
        const usize n = str_length(args.envp[i]) + 1;
        w.bytes(s, args.envp[i], n);
        w.word(envp_at + u64{i} * 8, s);
        s += n;
    }
    w.word(envp_at + u64{args.envc} * 8, 0);
    const u64 execfn_at = s;
    w.bytes(s, execfn, str_length(execfn) + 1);
    s += str_length(execfn) + 1;
    const u64 platform_at = s;
    w.bytes(s, kPlatform, sizeof kPlatform);

    u64 rnd[2] = {hal::random_u64(), hal::random_u64()};
    w.bytes(random_bytes, rnd, sizeof rnd);

    w.word(rsp, args.argc);
    const u64 aux[kAuxPairs][2] = {
        {elf::kAtPhdr, stack.phdr},
        {elf::kAtPhent, sizeof(elf::Phdr)},
        {elf::kAtPhnum, stack.phnum},
        {elf::kAtPagesz, kPageSize},
        {elf::kAtBase, stack.base},
        {elf::kAtFlags, 0},
        {elf::kAtEntry, stack.entry},
        {elf::kAtUid, args.uid},
        {elf::kAtEuid, args.euid},
        {elf::kAtGid, args.gid},
        {elf::kAtEgid, args.egid},
        {elf::kAtSecure, 0},
        {elf::kAtRandom, random_bytes},
        {elf::kAtHwcap, args.hwcap},
        {elf::kAtClktck, kClockTicks},
        {elf::kAtExecfn, execfn_at},
        {elf::kAtPlatform, platform_at},
        {elf::kAtNull, 0},
    };
    w.bytes(envp_at + (u64{args.envc} + 1) * 8, aux, sizeof aux);
    if (w.error) {
        if (reason) *reason = "writing the stack failed";
        return w.error;
    }
    stack.rsp = rsp;
    stack.random_bytes = random_bytes;
    stack.execfn = execfn_at;
    return 0;
}

}  // namespace kernel
