// Loading a program into a process (Linux's execve from the point of no
// return, for the first program; execve(2) itself comes with the lifecycle
// work): a fresh address space with the image, its stack and layout; the old
// one is destroyed once the new one is complete.
#pragma once

#include "kernel/lib/types.h"
#include "kernel/proc/elf_loader.h"

namespace kernel {

struct Process;

// The program in the VFS at `path`. 0, or -errno with *reason set: the
// lookup's errno ("cannot read the program"), or elf_load's.
i64 exec_file(Process& process, const char* path, const ExecArgs& args, const char** reason);
// The program held in [image, image + size). A program with a PT_INTERP
// gets its interpreter from the VFS (absolute path, from the root): ENOENT /
// EACCES when it is missing, not executable or not a regular file, ENOEXEC
// when elf_load refuses it; the reason then names the interpreter's path
// (formatted into a static buffer: valid until the next exec).
i64 exec_image(Process& process, const u8* image, usize size, const ExecArgs& args, const char** reason);

// AT_HWCAP as Linux gives it on x86-64: CPUID.1:EDX of this CPU.
u64 cpu_hwcap();

}  // namespace kernel
