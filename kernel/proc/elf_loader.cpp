#include "kernel/proc/elf_loader.h"

#include "kernel/hal/hal.h"
#include "kernel/lib/string.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/mman.h"
#include "kernel/proc/aslr.h"
#include "kernel/proc/elf.h"
#include "kernel/proc/initial_stack.h"

namespace kernel {

using namespace linux;

namespace {

constexpr u64 kMaxPhdrTable = 65536;  // Linux's load_elf_phdrs limit
constexpr u64 kMaxInterpPath = 4096;  // PATH_MAX

bool is_pow2(u64 v) { return v && !(v & (v - 1)); }

// [off, off + len) inside a file of `size` bytes, without wrapping.
bool in_file(u64 off, u64 len, usize size) { return off <= size && len <= size - off; }

i64 fail(const char** reason, const char* why) {
    if (reason) *reason = why;
    return -kEnoexec;
}

elf::Phdr read_phdr(const u8* data, u64 phoff, u32 i) {
    elf::Phdr p;
    mem_copy(&p, data + phoff + u64{i} * sizeof(elf::Phdr), sizeof p);
    return p;
}

}  // namespace

i64 elf_validate(const u8* data, usize size, ElfInfo* info, const char** reason) {
    using namespace elf;
    *info = ElfInfo{};
    if (!data || size < sizeof(Ehdr)) return fail(reason, "file shorter than the ELF header");
    Ehdr eh;
    mem_copy(&eh, data, sizeof eh);
    const u8* id = eh.e_ident;
    if (id[0] != kMag0 || id[1] != kMag1 || id[2] != kMag2 || id[3] != kMag3) return fail(reason, "bad ELF magic");
    if (id[kEiClass] != kClass64) return fail(reason, "not ELFCLASS64");
    if (id[kEiData] != kData2Lsb) return fail(reason, "not little-endian");
    if (id[kEiVersion] != kEvCurrent || eh.e_version != kEvCurrent) return fail(reason, "bad ELF version");
    if (id[kEiOsabi] != kOsabiSysv && id[kEiOsabi] != kOsabiGnu) return fail(reason, "OS ABI not SYSV or GNU");
    if (eh.e_machine != kEmX86_64) return fail(reason, "machine is not x86-64");
    if (eh.e_type != kEtExec && eh.e_type != kEtDyn) return fail(reason, "not ET_EXEC or ET_DYN");
    if (eh.e_ehsize != sizeof(Ehdr)) return fail(reason, "bad e_ehsize");
    if (eh.e_phentsize != sizeof(Phdr)) return fail(reason, "bad e_phentsize");
    if (eh.e_phnum == 0 || eh.e_phnum == kPnXnum) return fail(reason, "bad e_phnum");
    const u64 table = u64{eh.e_phnum} * sizeof(Phdr);
    if (table > kMaxPhdrTable) return fail(reason, "program header table too large");
    if (!in_file(eh.e_phoff, table, size)) return fail(reason, "program header table outside the file");
    info->type = eh.e_type;
    info->entry = eh.e_entry;
    info->phoff = eh.e_phoff;
    info->phnum = eh.e_phnum;
    info->phentsize = eh.e_phentsize;

    const u64 user_end = layout().user_end;
    bool seen_load = false, seen_interp = false, seen_phdr = false, seen_stack = false;
    u64 prev_end = 0;
    u64 phdr_vaddr = 0, phdr_size = 0;
    for (u32 i = 0; i < eh.e_phnum; ++i) {
        const Phdr p = read_phdr(data, eh.e_phoff, i);
        switch (p.p_type) {
            case kPtLoad: {
                if (p.p_filesz > p.p_memsz) return fail(reason, "PT_LOAD p_filesz > p_memsz");
                if (!in_file(p.p_offset, p.p_filesz, size)) return fail(reason, "PT_LOAD bytes outside the file");
                if (!is_pow2(p.p_align) || p.p_align < kPageSize) return fail(reason, "PT_LOAD p_align not a power of two >= 4096");
                if ((p.p_vaddr - p.p_offset) & (p.p_align - 1)) return fail(reason, "PT_LOAD p_vaddr != p_offset mod p_align");
                if (p.p_memsz == 0) break;  // maps nothing (Linux skips it too)
                if (p.p_vaddr >= user_end || p.p_memsz > user_end - p.p_vaddr)
                    return fail(reason, "PT_LOAD outside the user half");
                const u64 end = p.p_vaddr + p.p_memsz;
                if (seen_load) {
                    if (p.p_vaddr < prev_end) return fail(reason, "PT_LOADs overlap or are not sorted");
                    if (align_down(p.p_vaddr, kPageSize) < align_up(prev_end, kPageSize))
                        return fail(reason, "PT_LOADs share a page");
                } else {
                    info->lowest = align_down(p.p_vaddr, kPageSize);
                }
                if ((p.p_flags & kPfW) && (p.p_flags & kPfX)) info->write_execute = true;
                if (p.p_align > info->max_align) info->max_align = p.p_align;
                prev_end = end;
                info->highest = end;
                seen_load = true;
                ++info->load_count;
                break;
            }
            case kPtInterp: {
                if (seen_interp) return fail(reason, "more than one PT_INTERP");
                seen_interp = true;
                if (!in_file(p.p_offset, p.p_filesz, size)) return fail(reason, "PT_INTERP outside the file");
                if (p.p_filesz < 2 || p.p_filesz > kMaxInterpPath) return fail(reason, "bad PT_INTERP size");
                const char* path = reinterpret_cast<const char*>(data + p.p_offset);
                if (path[p.p_filesz - 1] != '\0') return fail(reason, "PT_INTERP not NUL-terminated");
                info->interp = path;
                break;
            }
            case kPtTls:
                if (info->has_tls) return fail(reason, "more than one PT_TLS");
                if (p.p_filesz > p.p_memsz) return fail(reason, "PT_TLS p_filesz > p_memsz");
                if (p.p_align > 1 && !is_pow2(p.p_align)) return fail(reason, "PT_TLS alignment not a power of two");
                if (!in_file(p.p_offset, p.p_filesz, size)) return fail(reason, "PT_TLS outside the file");
                info->has_tls = true;
                info->tls_vaddr = p.p_vaddr;
                info->tls_filesz = p.p_filesz;
                info->tls_memsz = p.p_memsz;
                info->tls_align = p.p_align;
                break;
            case kPtGnuStack:
                if (seen_stack) return fail(reason, "more than one PT_GNU_STACK");
                seen_stack = true;
                info->exec_stack = p.p_flags & kPfX;
                break;
            case kPtPhdr:
                if (seen_phdr) return fail(reason, "more than one PT_PHDR");
                if (seen_load) return fail(reason, "PT_PHDR after a PT_LOAD");
                if (p.p_offset != eh.e_phoff || p.p_filesz < table) return fail(reason, "PT_PHDR does not describe the table");
                seen_phdr = true;
                phdr_vaddr = p.p_vaddr;
                phdr_size = table;
                break;
            default: break;  // PT_DYNAMIC, PT_NOTE, PT_GNU_RELRO, ...: nothing to check for a static load
        }
    }
    if (!seen_load) return fail(reason, "no PT_LOAD");

    // Entry point and program headers against the loaded segments.
    bool entry_ok = false, phdr_found = false;
    for (u32 i = 0; i < eh.e_phnum; ++i) {
        const Phdr p = read_phdr(data, eh.e_phoff, i);
        if (p.p_type != kPtLoad || p.p_memsz == 0) continue;
        if ((p.p_flags & kPfX) && eh.e_entry >= p.p_vaddr && eh.e_entry - p.p_vaddr < p.p_memsz) entry_ok = true;
        if (seen_phdr) {
            // The table's addresses lie in this segment's file bytes at the matching offset.
            if (phdr_vaddr >= p.p_vaddr && phdr_vaddr - p.p_vaddr <= p.p_filesz &&
                phdr_size <= p.p_filesz - (phdr_vaddr - p.p_vaddr) &&
                p.p_offset + (phdr_vaddr - p.p_vaddr) == eh.e_phoff)
                phdr_found = true;
        } else if (!phdr_found && eh.e_phoff >= p.p_offset && eh.e_phoff - p.p_offset <= p.p_filesz &&
                   table <= p.p_filesz - (eh.e_phoff - p.p_offset)) {
            // Linux: the first PT_LOAD whose file bytes hold the table.
            phdr_vaddr = p.p_vaddr + (eh.e_phoff - p.p_offset);
            phdr_found = true;
        }
    }
    if (!entry_ok) return fail(reason, "entry point outside every executable PT_LOAD");
    if (seen_phdr && !phdr_found) return fail(reason, "PT_PHDR not inside a PT_LOAD");
    info->phdr_vaddr = phdr_found ? phdr_vaddr : 0;
    return 0;
}

i64 user_write(AddressSpace& space, u64 va, const void* src, usize n) {
    const u8* from = static_cast<const u8*>(src);
    while (n) {
        const u64 page = align_down(va, kPageSize);
        const usize chunk = static_cast<usize>(page + kPageSize - va < n ? page + kPageSize - va : n);
        Mapping m;
        if (!space.page_table().lookup(VirtAddr{page}, &m) || !m.attrs.writable) {
            const FaultResult r = space.handle_page_fault(va, FaultAccess::kWrite, false);
            if (r.status == FaultStatus::kOutOfMemory) return -kEnomem;
            if (r.status != FaultStatus::kRetry) return -kEfault;
            if (!space.page_table().lookup(VirtAddr{page}, &m)) return -kEfault;
        }
        u8* to = static_cast<u8*>(hal::phys_to_virt(m.frame)) + (va - m.base.value);
        mem_copy(to, from, chunk);
        from += chunk;
        va += chunk;
        n -= chunk;
    }
    return 0;
}

namespace {

u32 prot_of(u32 flags) {
    u32 prot = 0;
    if (flags & elf::kPfR) prot |= kProtRead;
    if (flags & elf::kPfW) prot |= kProtWrite;
    if (flags & elf::kPfX) prot |= kProtExec;
    return prot;
}

// Maps each PT_LOAD of a validated image at p_vaddr + bias: a private
// anonymous VMA, writable while the kernel copies the file bytes in, then
// given the segment's own rights.
i64 map_segments(AddressSpace& space, const u8* data, const ElfInfo& info, u64 bias, const char** reason) {
    for (u32 i = 0; i < info.phnum; ++i) {
        const elf::Phdr p = read_phdr(data, info.phoff, i);
        if (p.p_type != elf::kPtLoad || p.p_memsz == 0) continue;
        const u64 va = p.p_vaddr + bias;
        const u64 start = align_down(va, kPageSize), end = align_up(va + p.p_memsz, kPageSize);
        i64 r = space.mmap(start, end - start, kProtRead | kProtWrite,
                           kMapPrivate | kMapAnonymous | kMapFixedNoreplace);
        if (r < 0) {
            if (reason) *reason = "mapping a PT_LOAD failed";
            return r == -kEnomem ? r : -kEnoexec;
        }
        if (p.p_filesz) {
            r = user_write(space, va, data + p.p_offset, static_cast<usize>(p.p_filesz));
            if (r < 0) {
                if (reason) *reason = "copying a PT_LOAD failed";
                return r;
            }
        }
        r = space.mprotect(start, end - start, prot_of(p.p_flags));
        if (r < 0) {
            if (reason) *reason = "protecting a PT_LOAD failed";
            return r;
        }
    }
    return 0;
}

// The interpreter (Linux's load_elf_interp): an ET_DYN placed where an mmap
// without a hint would go, i.e. at the top of the mmap area below mmap_base,
// which is random (aslr::mmap_base) or fixed with randomization off. Its
// whole span is reserved first (Linux's total_mapping_size), so the
// segments keep their distances; the reservation is then given back and each
// segment mapped into it (the holes between segments stay unmapped, as on
// Linux). The base is aligned to the largest p_align.
i64 load_interpreter(AddressSpace& space, const ElfImage& image, LoadedProgram* out, const char** reason) {
    auto bad = [&](const char* why) {
        out->interp_failed = true;
        return fail(reason, why);
    };
    ElfInfo& info = out->interp_info;
    if (elf_validate(image.data, image.size, &info, reason) < 0) {
        out->interp_failed = true;
        return -kEnoexec;
    }
    if (info.type != elf::kEtDyn) return bad("not ET_DYN");
    if (info.interp) return bad("has a PT_INTERP of its own");
    if (info.write_execute && !space.options().allow_write_execute)
        return bad("PT_LOAD both writable and executable (W^X)");

    const u64 low = align_down(info.lowest, info.max_align);
    const u64 span = align_up(info.highest, kPageSize) - low;
    const u64 slack = info.max_align - kPageSize;  // room to align the base
    const i64 at = space.mmap(0, span + slack, kProtNone, kMapPrivate | kMapAnonymous);
    if (at < 0) {
        out->interp_failed = true;
        if (reason) *reason = "no room for the interpreter in the mmap area";
        return at == -kEnomem ? at : -kEnoexec;
    }
    const u64 base = align_up(static_cast<u64>(at), info.max_align);
    if (const i64 r = space.munmap(static_cast<u64>(at), span + slack); r < 0) {
        if (reason) *reason = "releasing the interpreter's reservation failed";
        return r;
    }
    const u64 bias = base - low;
    if (const i64 r = map_segments(space, image.data, info, bias, reason); r < 0) {
        out->interp_failed = true;
        return r;
    }
    out->interp_base = bias;
    out->entry = info.entry + bias;
    return 0;
}

}  // namespace

i64 elf_load(AddressSpace& space, const u8* data, usize size, const ExecArgs& args, LoadedProgram* out,
             const char** reason, const ElfImage* interp) {
    *out = LoadedProgram{};
    ElfInfo& info = out->info;
    if (const i64 r = elf_validate(data, size, &info, reason); r < 0) return r;
    if (info.write_execute && !space.options().allow_write_execute)
        return fail(reason, "PT_LOAD both writable and executable (W^X)");
    if (info.interp && !interp) return fail(reason, "PT_INTERP but no interpreter image given");

    const bool rnd = args.randomize;
    u64 bias = 0;
    if (info.type == elf::kEtDyn) {
        // A multiple of the largest p_align, so every segment keeps its alignment.
        bias = aslr::pie_base(rnd, info.max_align) - align_down(info.lowest, info.max_align);
        const u64 user_end = layout().user_end;
        if (info.highest > user_end || bias > user_end - info.highest)
            return fail(reason, "PIE image does not fit in the user half");
    }
    out->load_bias = bias;
    out->program_entry = info.entry + bias;
    out->entry = out->program_entry;
    out->phdr = info.phdr_vaddr ? info.phdr_vaddr + bias : 0;

    // Layout first: the stack top, the mmap base below it, the heap after the image.
    out->stack_top = aslr::stack_top(rnd);
    out->mmap_base = aslr::mmap_base(rnd, space.options().stack_limit, space.options().stack_guard_gap);
    out->brk_start = aslr::brk_start(rnd, info.highest + bias);
    if (info.highest + bias > out->mmap_base || out->brk_start >= out->mmap_base)
        return fail(reason, "image reaches the mmap area");
    space.set_program_layout(out->brk_start, out->mmap_base);

    if (const i64 r = map_segments(space, data, info, bias, reason); r < 0) return r;
    // The interpreter after the program, as Linux maps it: the program's
    // segments are in place, so the mmap area's search cannot collide.
    if (info.interp) {
        if (const i64 r = load_interpreter(space, *interp, out, reason); r < 0) return r;
    }

    InitialStack stack;
    stack.top = out->stack_top;
    stack.phdr = out->phdr;
    stack.phnum = info.phnum;
    stack.entry = out->program_entry;  // AT_ENTRY: the program's, even when the interpreter runs first
    stack.base = out->interp_base;     // AT_BASE: 0 without an interpreter
    // PT_GNU_STACK with PF_X: an executable stack only where W+X is allowed; else NX.
    // The program's PT_GNU_STACK decides, not the interpreter's (as Linux).
    stack.executable = info.exec_stack && space.options().allow_write_execute;
    const i64 r = build_initial_stack(space, args, stack, reason);
    if (r < 0) return r;
    out->rsp = stack.rsp;
    out->random_bytes = stack.random_bytes;
    return 0;
}

}  // namespace kernel
