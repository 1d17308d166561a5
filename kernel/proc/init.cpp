#include "kernel/proc/init.h"

#include "kernel/kernel_counters.h"
#include "kernel/mm/tlb_context.h"
#include "kernel/sync/futex.h"

#include "kernel/fs/char_device.h"
#include "kernel/fs/initramfs.h"
#include "kernel/fs/vfs.h"
#include "kernel/hal/hal.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/format.h"
#include "kernel/proc/exec.h"
#include "kernel/lib/panic.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_tree.h"
#include "kernel/sched/scheduler.h"
#include "kernel/proc/signal_numbers.h"
#include "kernel/sys/sys_proc.h"

namespace kernel {
namespace {

constexpr int kCannotRun = 127;  // what a shell reports for a command it could not run

// Linux's init environment when the command line gives none
// (init/main.c envp_init).
const char* const kDefaultEnv[] = {"HOME=/", "TERM=linux"};

int cannot_run(const char* what, const char* path, i64 error, const char* reason) {
    kprintf("init: %s %s: %s (%s)\n", what, path, reason, errno_name(error));
    return kCannotRun;
}

}  // namespace

int run_init(const CommandLine& cl) {
    set_test_syscalls(cl.test_syscalls);
    process_tree_init();
    if (const i64 r = vfs_init(); r < 0) return cannot_run("cannot mount the root file system for", cl.init, r, "vfs_init");
    const hal::BootInfo& info = hal::boot_info();
    if (info.initrd_size) {
        const char* reason = "";
        const auto* archive = static_cast<const u8*>(hal::phys_to_virt(info.initrd_base));
        if (const i64 r = initramfs_unpack(archive, info.initrd_size, &reason); r < 0)
            return cannot_run("cannot unpack the initramfs for", cl.init, r, reason);
    }
    Process* p = process_create("init", allocate_pid(), nullptr);
    if (!p) return cannot_run("no memory to create", cl.init, -linux::kEnomem, "process_create");
    KASSERT(p->pid == 1, "init got pid %u", p->pid);
    if (const i64 r = open_console_fds(*p->files); r < 0) {
        process_destroy(p);
        return cannot_run("cannot open /dev/console for", cl.init, r, "open_console_fds");
    }

    const char* argv[CommandLine::kMaxWords + 1];
    argv[0] = cl.init_argv0 ? cl.init_argv0 : cl.init;
    for (u32 i = 0; i < cl.argc; ++i) argv[i + 1] = cl.argv[i];
    ExecArgs args;
    args.argv = argv;
    args.argc = cl.argc + 1;
    args.envp = cl.envc ? cl.envp : kDefaultEnv;
    args.envc = cl.envc ? cl.envc : static_cast<u32>(sizeof kDefaultEnv / sizeof kDefaultEnv[0]);
    args.execfn = argv[0];
    args.randomize = cl.randomize;
    args.allow_write_execute = cl.allow_write_execute;
    args.hwcap = cpu_hwcap();
    const char* reason = "";
    if (const i64 r = exec_file(*p, cl.init, args, &reason); r < 0) {
        process_destroy(p);
        return cannot_run("cannot run", cl.init, r, reason);
    }

    set_exec_randomize(cl.randomize);
    process_link(p, nullptr);
    if (const i64 r = process_start(p); r < 0) return cannot_run("cannot start", cl.init, r, "process_start");
    // This CPU schedules like the others until init ends; the run ends with it.
    run_idle_loop(init_exited);
    // The subsystems' checkers, on every run that ends normally.
    check_futexes();
    check_tlb_context();
    publish_kernel_counters();
    const i32 status = init_wait_status();
    if ((status & 0x7f) == 0) {
        const int code = (status >> 8) & 0xff;
        kprintf("simx kernel: init exited with status %d\n", code);
        return code;
    }
    const int sig = status & 0x7f;
    kprintf("simx kernel: init killed by %s (signal %d)\n", signal_name(sig), sig);
    return 128 + sig;
}

}  // namespace kernel
