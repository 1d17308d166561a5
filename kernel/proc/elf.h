// ELF64 as the loader reads it (System V gABI, the x86-64 psABI): the file
// and program headers, and the constants the loader checks. Written out here
// because the kernel includes no host header (<elf.h> would define the same
// names as macros).
#pragma once

#include "kernel/lib/types.h"

namespace kernel::elf {

// e_ident
inline constexpr u32 kIdentSize = 16;
inline constexpr u8 kMag0 = 0x7f, kMag1 = 'E', kMag2 = 'L', kMag3 = 'F';
inline constexpr u32 kEiClass = 4, kEiData = 5, kEiVersion = 6, kEiOsabi = 7;
inline constexpr u8 kClass64 = 2;
inline constexpr u8 kData2Lsb = 1;
inline constexpr u8 kEvCurrent = 1;
inline constexpr u8 kOsabiSysv = 0;
inline constexpr u8 kOsabiGnu = 3;  // ELFOSABI_GNU (= ELFOSABI_LINUX)

// e_type, e_machine
inline constexpr u16 kEtExec = 2;
inline constexpr u16 kEtDyn = 3;
inline constexpr u16 kEmX86_64 = 62;
inline constexpr u16 kPnXnum = 0xffff;  // e_phnum escape to section 0: refused

// p_type
inline constexpr u32 kPtNull = 0;
inline constexpr u32 kPtLoad = 1;
inline constexpr u32 kPtDynamic = 2;
inline constexpr u32 kPtInterp = 3;
inline constexpr u32 kPtNote = 4;
inline constexpr u32 kPtPhdr = 6;
inline constexpr u32 kPtTls = 7;
inline constexpr u32 kPtGnuStack = 0x6474e551;
inline constexpr u32 kPtGnuRelro = 0x6474e552;

// p_flags
inline constexpr u32 kPfX = 1;
inline constexpr u32 kPfW = 2;
inline constexpr u32 kPfR = 4;

// Auxiliary vector types (Linux include/uapi/linux/auxvec.h, x86 additions).
inline constexpr u64 kAtNull = 0;
inline constexpr u64 kAtPhdr = 3;
inline constexpr u64 kAtPhent = 4;
inline constexpr u64 kAtPhnum = 5;
inline constexpr u64 kAtPagesz = 6;
inline constexpr u64 kAtBase = 7;
inline constexpr u64 kAtFlags = 8;
inline constexpr u64 kAtEntry = 9;
inline constexpr u64 kAtUid = 11;
inline constexpr u64 kAtEuid = 12;
inline constexpr u64 kAtGid = 13;
inline constexpr u64 kAtEgid = 14;
inline constexpr u64 kAtPlatform = 15;
inline constexpr u64 kAtHwcap = 16;
inline constexpr u64 kAtClktck = 17;
inline constexpr u64 kAtSecure = 23;
inline constexpr u64 kAtRandom = 25;
inline constexpr u64 kAtExecfn = 31;

struct Ehdr {
    u8 e_ident[kIdentSize];
    u16 e_type;
    u16 e_machine;
    u32 e_version;
    u64 e_entry;
    u64 e_phoff;
    u64 e_shoff;
    u32 e_flags;
    u16 e_ehsize;
    u16 e_phentsize;
    u16 e_phnum;
    u16 e_shentsize;
    u16 e_shnum;
    u16 e_shstrndx;
};
static_assert(sizeof(Ehdr) == 64);

struct Phdr {
    u32 p_type;
    u32 p_flags;
    u64 p_offset;
    u64 p_vaddr;
    u64 p_paddr;
    u64 p_filesz;
    u64 p_memsz;
    u64 p_align;
};
static_assert(sizeof(Phdr) == 56);

}  // namespace kernel::elf
