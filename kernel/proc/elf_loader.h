// The ELF loader (Linux's fs/binfmt_elf.c load_elf_binary and
// load_elf_interp): validates an ELF64 x86-64 image held in a byte buffer,
// maps its PT_LOAD segments into an AddressSpace, loads its interpreter
// (PT_INTERP) when it has one, and builds the initial stack
// (initial_stack.h).
//
// Validation (elf_validate) reads the buffer only within [data, data + size)
// and answers -ENOEXEC with a short reason for any of: bad magic, class, byte
// order, version or OS ABI; a machine other than x86-64; a type other than
// ET_EXEC/ET_DYN; header sizes other than ELF64's; a program header table
// that is empty, larger than 64 KiB (Linux's limit) or outside the file; a
// PT_LOAD whose file bytes lie outside the file, with p_filesz > p_memsz, a
// p_align that is not a power of two >= 4096, p_vaddr != p_offset mod p_align,
// an address range that wraps or leaves the user half, or that overlaps (or
// shares a page with) the previous PT_LOAD (segments must be sorted); no
// PT_LOAD; an entry point outside every executable PT_LOAD; more than one
// PT_INTERP, PT_TLS, PT_PHDR or PT_GNU_STACK; a PT_INTERP that is outside the
// file or not NUL-terminated; a PT_TLS with a bad size or alignment; a PT_PHDR
// after a PT_LOAD, not describing the table itself, or not inside a PT_LOAD.
//
// Sharing a page between two PT_LOADs is refused (Linux maps the later one
// over the earlier); our linkers never produce it (-z separate-code, and the
// data segment starts on a page of its own).
//
// Loading (elf_load): ET_EXEC at its addresses, ET_DYN (PIE, static or with
// an interpreter) at aslr::pie_base, i.e. ELF_ET_DYN_BASE + random, which is
// where Linux puts a PIE with an interpreter (a static PIE Linux puts in the
// mmap area instead: aslr.h). Each PT_LOAD becomes a private anonymous VMA
// over its pages with PROT from p_flags; a W+X segment is refused with
// ENOEXEC unless the space's options allow W+X. The file bytes are copied
// into the frames (see user_write below); the rest of the segment (the bss,
// including the tail of the last file page) is zero because fresh frames are
// zeroed, and bss pages past the last file page stay demand-zero. The heap
// starts after the program's highest segment (aslr::brk_start), the mmap
// base below the stack (aslr::mmap_base). TLS is left to libc
// (arch_prctl(ARCH_SET_FS)), as on Linux.
//
// The interpreter: a program with a PT_INTERP is loaded with its
// interpreter's image (the caller reads the file the path names: exec.h).
// The interpreter goes through the same elf_validate, must be ET_DYN and
// must not have a PT_INTERP of its own (-ENOEXEC otherwise; Linux says
// ELIBBAD for a broken interpreter, accepts an ET_EXEC one and ignores its
// PT_INTERP). Its whole span is reserved where an mmap without a hint goes
// (the top of the mmap area: random through aslr::mmap_base, fixed without
// ASLR), then its segments are mapped as the program's are. User code then
// starts at the interpreter's entry; the auxiliary vector keeps the
// program's AT_PHDR/AT_PHNUM/AT_ENTRY and gives AT_BASE, the interpreter's
// load bias (0 without one).
//
// Once elf_load has begun mapping (after the program's validation), a
// failure leaves the address space partly built: the caller destroys it
// (Linux's point of no return in exec). A failure that is the interpreter's
// fault sets LoadedProgram::interp_failed, so the caller can name it.
#pragma once

#include "kernel/lib/types.h"

namespace kernel {

class AddressSpace;

struct ElfInfo {
    u16 type = 0;                 // elf::kEtExec or kEtDyn
    u64 entry = 0;                // e_entry (unbiased)
    u64 phoff = 0;
    u16 phnum = 0;
    u16 phentsize = 0;
    u32 load_count = 0;           // PT_LOADs (with p_memsz > 0)
    u64 lowest = 0;               // lowest PT_LOAD page (unbiased)
    u64 highest = 0;              // end of the highest PT_LOAD, unrounded (unbiased)
    u64 max_align = 0;            // largest PT_LOAD p_align
    u64 phdr_vaddr = 0;           // where the program headers are mapped (unbiased), 0 if nowhere
    bool write_execute = false;   // some PT_LOAD is both W and X
    const char* interp = nullptr; // PT_INTERP path inside the image (NUL-terminated), or nullptr
    bool has_tls = false;         // PT_TLS
    u64 tls_vaddr = 0, tls_filesz = 0, tls_memsz = 0, tls_align = 0;
    bool exec_stack = false;      // PT_GNU_STACK with PF_X (no PT_GNU_STACK: NX stack too)
};

// 0, or -ENOEXEC with *reason set. info may be filled partly on failure.
i64 elf_validate(const u8* data, usize size, ElfInfo* info, const char** reason);

struct ExecArgs {
    const char* const* argv = nullptr;  // argc strings
    u32 argc = 0;
    const char* const* envp = nullptr;  // envc strings
    u32 envc = 0;
    const char* execfn = nullptr;       // AT_EXECFN; argv[0] or "" when null
    bool randomize = true;              // ASLR (aslr.h)
    bool allow_write_execute = false;   // the new address space allows W+X (AddressSpaceOptions)
    u64 hwcap = 0;                      // AT_HWCAP: CPUID.1:EDX of the CPU, as Linux gives
    u32 uid = 0, euid = 0, gid = 0, egid = 0;
};

struct LoadedProgram {
    u64 entry = 0;        // RIP at user entry: the interpreter's entry, else the program's
    u64 program_entry = 0;  // AT_ENTRY: the program's entry (biased)
    u64 rsp = 0;          // RSP at user entry (16-byte aligned, pointing at argc)
    u64 load_bias = 0;    // 0 for ET_EXEC
    u64 phdr = 0;         // AT_PHDR
    u64 brk_start = 0;
    u64 mmap_base = 0;
    u64 stack_top = 0;
    u64 random_bytes = 0; // AT_RANDOM: where the 16 random bytes are
    ElfInfo info;
    // The interpreter (PT_INTERP), when there is one.
    u64 interp_base = 0;  // AT_BASE: its load bias (its lowest page, as its p_vaddrs start at 0)
    ElfInfo interp_info;
    bool interp_failed = false;  // the error returned is about the interpreter's image
};

// An ELF image in memory: the interpreter's for elf_load.
struct ElfImage {
    const u8* data = nullptr;
    usize size = 0;
};

// Validates, maps and builds the stack of a fresh AddressSpace (no VMAs yet).
// `interp` is the interpreter's image, required when the program has a
// PT_INTERP (out->info.interp after elf_validate) and ignored otherwise.
// 0, or -errno (-ENOEXEC with *reason for a bad image, a bad interpreter or
// W+X; -ENOMEM; -E2BIG for arguments larger than a quarter of the stack
// limit) with *reason set.
i64 elf_load(AddressSpace& space, const u8* data, usize size, const ExecArgs& args, LoadedProgram* out,
             const char** reason, const ElfImage* interp = nullptr);

// Kernel writes into user memory of a space being built: each page is made
// present through the fault path as a kernel write (so a fresh, private,
// zeroed frame), then written through the direct map of the frame the page
// table names. The VMA must be writable. 0 or -ENOMEM / -EFAULT.
i64 user_write(AddressSpace& space, u64 va, const void* src, usize n);

}  // namespace kernel
