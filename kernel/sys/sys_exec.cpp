// execve(2): the path, argv and envp are copied in from the calling image
// before anything changes (Linux's do_execveat_common), then exec_file builds
// the new image; from its success on (the point of no return) the thread
// starts the new program with fresh registers, x87/SSE state and bases, and
// handled signals reset to their default (ignored ones stay ignored).
#include "kernel/hal/hal.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/tlb_context.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/exec.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal_state.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sys/sys_proc.h"

namespace kernel {
namespace {

constexpr usize kPathMax = 4096;
constexpr usize kArgBytes = usize{128} << 10;  // all argument and environment strings (Linux: stack limit / 4)
constexpr u32 kMaxStrings = 8192;

// The strings of a user NULL-terminated pointer array, packed into one buffer.
struct StringList {
    char* bytes = nullptr;
    usize used = 0;
    const char** list = nullptr;
    u32 count = 0;
};

i64 copy_strings(u64 user_array, StringList& out, usize* budget) {
    out.list = static_cast<const char**>(kzalloc(sizeof(char*) * (kMaxStrings + 1)));
    out.bytes = static_cast<char*>(kmalloc(*budget ? *budget : 1));
    if (!out.list || !out.bytes) return -linux::kEnomem;
    if (!user_array) return 0;  // Linux accepts a NULL argv or envp as empty
    for (;;) {
        u64 ptr = 0;
        if (get_user(ptr, user_array + u64{out.count} * 8) != 0) return -linux::kEfault;
        if (!ptr) return 0;
        if (out.count == kMaxStrings) return -linux::kE2big;
        const i64 n = strncpy_from_user(out.bytes + out.used, ptr, *budget - out.used);
        if (n == -linux::kEnametoolong) return -linux::kE2big;
        if (n < 0) return n;
        out.list[out.count++] = out.bytes + out.used;
        out.used += static_cast<usize>(n) + 1;
    }
}

void free_strings(StringList& s) {
    kfree(s.bytes);
    kfree(s.list);
}

}  // namespace

i64 sys_execve(const SyscallArgs& a) {
    Process& p = *current_process();
    char* path = static_cast<char*>(kmalloc(kPathMax));
    if (!path) return -linux::kEnomem;
    i64 r = strncpy_from_user(path, a.arg[0], kPathMax);
    StringList argv, envp;
    usize budget = kArgBytes;
    if (r >= 0) r = copy_strings(a.arg[1], argv, &budget);
    usize env_budget = budget;
    if (r >= 0) r = copy_strings(a.arg[2], envp, &env_budget);
    if (r >= 0) {
        ExecArgs args;
        args.argv = argv.list;
        args.argc = argv.count;
        args.envp = envp.list;
        args.envc = envp.count;
        args.execfn = path;
        args.randomize = exec_randomize();
        args.allow_write_execute = p.space->options().allow_write_execute;
        args.hwcap = cpu_hwcap();
        const char* reason = "";
        r = exec_file(p, path, args, &reason);
        // The new image (the old one still, if exec failed before its point of no return).
        activate_address_space(p.space);
    }
    kfree(path);
    free_strings(argv);
    free_strings(envp);
    if (r < 0) return r;

    // The new program: registers cleared, at its entry with its stack.
    TrapFrame& f = *a.frame;
    f = TrapFrame{};
    f.rip = p.entry_rip;
    f.rsp = p.entry_rsp;
    f.rflags = kUserInitialRflags;
    f.cs = selector::kUserCode;
    f.ss = selector::kUserData;
    hal::xstate_reset();
    hal::set_user_fs_base(0);
    hal::set_user_gs_base(0);
    // The new image has no alternate signal stack (Linux's flush_signal_handlers + sigaltstack reset).
    TaskSignals& sig = current_task()->signals;
    sig.altstack_sp = 0;
    sig.altstack_size = 0;
    sig.altstack_flags = kSsDisable;
    constexpr u64 kSigIgn = 1;
    for (SignalAction& act : p.actions)
        if (act.handler != kSigIgn) act = SignalAction{};
    return 0;
}

}  // namespace kernel
