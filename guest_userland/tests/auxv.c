// auxv: the auxiliary vector the kernel put on the initial stack, read with getauxval:
// AT_PAGESZ is 4096, AT_PHDR/AT_PHENT/AT_PHNUM describe this program's real program
// headers, AT_ENTRY is its entry point, AT_RANDOM points at 16 readable bytes, AT_HWCAP
// is CPUID.1:EDX (non-zero, SSE2 set), AT_SECURE is 0.
#define _GNU_SOURCE
#include <elf.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "guest_test.h"

extern void _start(void);

int main(int argc, char** argv) {
    CHECK_EQ("at_pagesz", getauxval(AT_PAGESZ), 4096);
    CHECK_EQ("at_clktck", getauxval(AT_CLKTCK), 100);
    CHECK("at_ids_match_syscalls", getauxval(AT_UID) == getuid() && getauxval(AT_EUID) == geteuid() &&
                                       getauxval(AT_GID) == getgid() && getauxval(AT_EGID) == getegid());
    const char* platform = (const char*)getauxval(AT_PLATFORM);
    CHECK("at_platform_x86_64", platform && strcmp(platform, "x86_64") == 0);
    // AT_EXECFN is the path execve was given; its last component is the program's name.
    const char* execfn = (const char*)getauxval(AT_EXECFN);
    const char* a0 = argc > 0 ? strrchr(argv[0], '/') : NULL;
    const char* e0 = execfn ? strrchr(execfn, '/') : NULL;
    CHECK("at_execfn_names_program",
          execfn && argc > 0 && strcmp(e0 ? e0 + 1 : execfn, a0 ? a0 + 1 : argv[0]) == 0);
    uintptr_t phdr = getauxval(AT_PHDR), entry = getauxval(AT_ENTRY);
    uintptr_t random = getauxval(AT_RANDOM), hwcap = getauxval(AT_HWCAP);
    CHECK("at_phdr_nonzero", phdr != 0);
    CHECK("at_entry_nonzero", entry != 0);
    CHECK("at_random_nonzero", random != 0);
    CHECK("at_hwcap_nonzero", hwcap != 0);
    CHECK("at_hwcap_sse2", (hwcap & (1UL << 26)) != 0);
    CHECK_EQ("at_phent", getauxval(AT_PHENT), sizeof(Elf64_Phdr));
    CHECK_EQ("at_secure", getauxval(AT_SECURE), 0);
    CHECK("at_entry_is_start", entry == (uintptr_t)_start);

    // AT_PHDR points at this program's program headers: there is a PT_LOAD, and the
    // executable PT_LOAD contains the entry point (after the load bias, 0 unless PIE).
    size_t phnum = getauxval(AT_PHNUM);
    CHECK("at_phnum", phnum > 0 && phnum < 64);
    if (phdr && phnum > 0 && phnum < 64) {
        const Elf64_Phdr* ph = (const Elf64_Phdr*)phdr;
        uintptr_t bias = 0;
        int have_phdr = 0;
        for (size_t i = 0; i < phnum; i++)
            if (ph[i].p_type == PT_PHDR) {
                bias = phdr - ph[i].p_vaddr;
                have_phdr = 1;
            }
        if (!have_phdr) {
            // No PT_PHDR (a static non-PIE): the headers sit in the first PT_LOAD at
            // file offset e_phoff, mapped at its p_vaddr + (e_phoff - p_offset).
            const Elf64_Ehdr* eh = (const Elf64_Ehdr*)(phdr - sizeof(Elf64_Ehdr));
            for (size_t i = 0; i < phnum; i++)
                if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0) {
                    bias = phdr - eh->e_phoff - ph[i].p_vaddr;
                    break;
                }
        }
        CHECK("load_bias_page_aligned", (bias & 4095) == 0);
        int loads = 0, entry_in_text = 0;
        for (size_t i = 0; i < phnum; i++) {
            if (ph[i].p_type != PT_LOAD) continue;
            loads++;
            uintptr_t lo = bias + ph[i].p_vaddr, hi = lo + ph[i].p_memsz;
            if ((ph[i].p_flags & PF_X) && entry >= lo && entry < hi) entry_in_text = 1;
        }
        CHECK("phdrs_have_pt_load", loads > 0);
        CHECK("entry_in_executable_load", entry_in_text);
        // The ELF header is mapped right before the program headers (e_phoff == 64).
        const Elf64_Ehdr* eh = (const Elf64_Ehdr*)(phdr - sizeof(Elf64_Ehdr));
        CHECK("elf_header_mapped", memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 &&
                                       eh->e_phnum == phnum && eh->e_entry + bias == entry);
    }
    if (random) {
        volatile const unsigned char* r = (const unsigned char*)random;
        unsigned sum = 0;
        for (int i = 0; i < 16; i++) sum += r[i];
        CHECK("at_random_readable", sum == sum);
    }
    return guest_finish("auxv");
}
