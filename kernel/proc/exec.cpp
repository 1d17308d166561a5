#include "kernel/proc/exec.h"

#include "kernel/fs/fd_table.h"
#include "kernel/fs/fs_abi.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/vfs.h"
#include "kernel/hal/hal.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/proc/process.h"

namespace kernel {

u64 cpu_hwcap() {
    u32 regs[4];
    hal::cpuid(1, 0, regs);
    return regs[3];
}

i64 exec_image(Process& p, const u8* image, usize size, const ExecArgs& args, const char** reason) {
    AddressSpaceOptions options;
    // Reads of untouched anonymous memory map the shared zero page, as on Linux.
    options.zero_page_reads = true;
    options.allow_write_execute = args.allow_write_execute;
    AddressSpace* space = AddressSpace::create(options);
    if (!space) {
        *reason = "no memory for an address space";
        return -linux::kEnomem;
    }
    LoadedProgram loaded;
    const i64 r = elf_load(*space, image, size, args, &loaded, reason);
    if (r < 0) {
        AddressSpace::destroy(space);
        return r;
    }
    // The point of no return: the old image goes, and with it the
    // descriptors marked close-on-exec.
    if (p.space) AddressSpace::destroy(p.space);
    p.space = space;
    if (p.files) p.files->close_on_exec();
    p.entry_rip = loaded.entry;
    p.entry_rsp = loaded.rsp;
    p.fs_base = 0;
    p.gs_base = 0;
    // comm: the last component of the file name, as Linux's __set_task_comm.
    const char* name = args.execfn ? args.execfn : "";
    for (const char* s = name; *s; ++s)
        if (*s == '/') name = s + 1;
    str_copy(p.name, name, sizeof p.name);
    return 0;
}

i64 exec_file(Process& p, const char* path, const ExecArgs& args, const char** reason) {
    // execve(2)'s checks before reading: the file exists and may be executed.
    Inode* inode = nullptr;
    if (const i64 r = vfs_lookup(nullptr, path, true, &inode); r < 0) {
        *reason = "cannot find the program file";
        return r;
    }
    const i64 access = vfs_access(*inode, linux::kXOk);
    inode_put(inode);
    if (access < 0) {
        *reason = "the program file is not executable";
        return access;
    }
    u8* data = nullptr;
    usize size = 0;
    const i64 r = vfs_read_file(path, &data, &size);
    if (r < 0) {
        *reason = "cannot read the program file";
        return r;
    }
    const i64 loaded = exec_image(p, data, size, args, reason);
    kfree(data);
    return loaded;
}

}  // namespace kernel
