#include "kernel/proc/exec.h"

#include "kernel/fs/fd_table.h"
#include "kernel/fs/fs_abi.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/vfs.h"
#include "kernel/hal/hal.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/format.h"
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

namespace {

// A reason that names a file (the interpreter's path) is formatted into the
// process's own buffer, since the caller prints it after exec returns; each
// process execs on one thread at a time, so no two writers share it.
const char* interp_reason(Process& p, const char* what, const char* path, const char* why) {
    if (why) format(p.exec_reason, sizeof p.exec_reason, "%s %s: %s", what, path, why);
    else format(p.exec_reason, sizeof p.exec_reason, "%s %s", what, path);
    return p.exec_reason;
}

// Linux's open_exec and the read that follows: the file must exist, be
// executable and be a regular file. 0 with its bytes (the caller kfrees
// them), or -errno with *failed naming the step that refused it.
enum class ReadStep : u8 { kFind, kExecute, kRead };

i64 read_executable(const char* path, u8** data, usize* size, ReadStep* failed) {
    Inode* inode = nullptr;
    if (const i64 r = vfs_lookup(nullptr, path, true, &inode); r < 0) {
        *failed = ReadStep::kFind;
        return r;
    }
    const i64 access = vfs_access(*inode, linux::kXOk);
    inode_put(inode);
    if (access < 0) {
        *failed = ReadStep::kExecute;
        return access;
    }
    if (const i64 r = vfs_read_file(path, data, size); r < 0) {
        *failed = ReadStep::kRead;
        return r;
    }
    return 0;
}

// The interpreter `path` names, with *reason naming it on failure.
i64 read_interpreter(Process& p, const char* path, ElfImage* image, const char** reason) {
    u8* data = nullptr;
    usize size = 0;
    ReadStep failed = ReadStep::kFind;
    if (const i64 r = read_executable(path, &data, &size, &failed); r < 0) {
        switch (failed) {
            case ReadStep::kFind: *reason = interp_reason(p, "cannot find the interpreter", path, nullptr); break;
            case ReadStep::kExecute: *reason = interp_reason(p, "the interpreter", path, "not executable"); break;
            case ReadStep::kRead: *reason = interp_reason(p, "cannot read the interpreter", path, nullptr); break;
        }
        return r;
    }
    image->data = data;
    image->size = size;
    return 0;
}

}  // namespace

i64 exec_image(Process& p, const u8* image, usize size, const ExecArgs& args, const char** reason) {
    // The interpreter first (Linux reads it before the point of no return
    // too): a program that names a missing one fails with ENOENT.
    ElfInfo info;
    if (const i64 r = elf_validate(image, size, &info, reason); r < 0) return r;
    ElfImage interp;
    if (info.interp) {
        if (const i64 r = read_interpreter(p, info.interp, &interp, reason); r < 0) return r;
    }
    AddressSpaceOptions options;
    // Reads of untouched anonymous memory map the shared zero page, as on Linux.
    options.zero_page_reads = true;
    options.allow_write_execute = args.allow_write_execute;
    AddressSpace* space = AddressSpace::create(options);
    if (!space) {
        if (interp.data) kfree(const_cast<u8*>(interp.data));
        *reason = "no memory for an address space";
        return -linux::kEnomem;
    }
    LoadedProgram loaded;
    const i64 r = elf_load(*space, image, size, args, &loaded, reason, info.interp ? &interp : nullptr);
    if (interp.data) kfree(const_cast<u8*>(interp.data));
    if (r < 0) {
        if (loaded.interp_failed) *reason = interp_reason(p, "bad interpreter", info.interp, *reason);
        AddressSpace::destroy(space);
        return r;
    }
    // The point of no return: the other threads go (de_thread), then the old
    // image (or this process's share of it, after vfork), and with them the
    // descriptors marked close-on-exec.
    if (const i64 prepared = process_exec_prepare(p); prepared < 0) {
        AddressSpace::destroy(space);
        *reason = "the process is exiting";
        return prepared;
    }
    if (p.space) AddressSpace::release(p.space);
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
    u8* data = nullptr;
    usize size = 0;
    ReadStep failed = ReadStep::kFind;
    if (const i64 r = read_executable(path, &data, &size, &failed); r < 0) {
        switch (failed) {
            case ReadStep::kFind: *reason = "cannot find the program file"; break;
            case ReadStep::kExecute: *reason = "the program file is not executable"; break;
            case ReadStep::kRead: *reason = "cannot read the program file"; break;
        }
        return r;
    }
    const i64 loaded = exec_image(p, data, size, args, reason);
    kfree(data);
    return loaded;
}

}  // namespace kernel
