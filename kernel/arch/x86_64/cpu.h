// The privileged x86-64 instructions the qemu build uses, one inline wrapper
// each, so the rest of kernel/arch reads as C++ and every asm statement lives in
// one place. Register and MSR numbers follow the SDM (Vol. 3A 2.5 for CR0/CR4,
// Vol. 4 for MSRs).
#pragma once

#include "kernel/lib/types.h"

namespace kernel::x86 {

namespace cr0 {
inline constexpr u64 kMonitorCoprocessor = u64{1} << 1;  // MP: WAIT/FWAIT honour TS
inline constexpr u64 kEmulation = u64{1} << 2;           // EM: x87/SSE instructions #UD/#NM when set
inline constexpr u64 kTaskSwitched = u64{1} << 3;        // TS: the next x87/SSE instruction #NM
inline constexpr u64 kNumericError = u64{1} << 5;        // NE: x87 errors as #MF, not IRQ 13
inline constexpr u64 kWriteProtect = u64{1} << 16;  // WP: supervisor writes honour R/W (SDM 2.5)
inline constexpr u64 kPaging = u64{1} << 31;
}  // namespace cr0

namespace cr4 {
inline constexpr u64 kPae = u64{1} << 5;
inline constexpr u64 kPge = u64{1} << 7;
inline constexpr u64 kOsfxsr = u64{1} << 9;       // FXSAVE/FXRSTOR and SSE enabled (SDM 2.5, 13.1.3)
inline constexpr u64 kOsxmmexcpt = u64{1} << 10;  // unmasked SIMD FP exceptions raise #XM
inline constexpr u64 kLa57 = u64{1} << 12;
inline constexpr u64 kPcide = u64{1} << 17;
inline constexpr u64 kSmep = u64{1} << 20;
inline constexpr u64 kSmap = u64{1} << 21;
inline constexpr u64 kOsxsave = u64{1} << 18;     // XSAVE family and XGETBV/XSETBV enabled
}  // namespace cr4

namespace msr {
inline constexpr u32 kPat = 0x277;          // IA32_PAT (SDM 11.12.2)
inline constexpr u32 kEfer = 0xC000'0080;   // IA32_EFER
inline constexpr u64 kEferNxe = u64{1} << 11;
inline constexpr u32 kApicBase = 0x1B;      // IA32_APIC_BASE (SDM 10.4.4)
inline constexpr u64 kEferSce = u64{1} << 0;  // SYSCALL/SYSRET enabled
inline constexpr u32 kStar = 0xC000'0081;         // IA32_STAR: SYSCALL/SYSRET selectors (SDM Vol. 2B)
inline constexpr u32 kLstar = 0xC000'0082;        // IA32_LSTAR: 64-bit SYSCALL target
inline constexpr u32 kFmask = 0xC000'0084;        // IA32_FMASK: RFLAGS bits SYSCALL clears
inline constexpr u32 kFsBase = 0xC000'0100;       // IA32_FS_BASE
inline constexpr u32 kGsBase = 0xC000'0101; // IA32_GS_BASE (SDM 3.4.4)
inline constexpr u32 kKernelGsBase = 0xC000'0102; // IA32_KERNEL_GS_BASE: what SWAPGS exchanges with GS_BASE
}  // namespace msr

struct CpuidResult {
    u32 eax, ebx, ecx, edx;
};

inline CpuidResult cpuid(u32 leaf, u32 subleaf = 0) {
    CpuidResult r;
    asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
    return r;
}

inline u64 read_msr(u32 index) {
    u32 lo, hi;
    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(index));
    return (u64{hi} << 32) | lo;
}
inline void write_msr(u32 index, u64 value) {
    asm volatile("wrmsr" ::"c"(index), "a"(static_cast<u32>(value)), "d"(static_cast<u32>(value >> 32)) : "memory");
}

// Control-register writes are "memory" clobbers: they change how every later
// access is translated, so the compiler must not move loads or stores across them.
inline u64 read_cr0() {
    u64 v;
    asm volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}
inline u64 read_cr2() {
    u64 v;
    asm volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}
inline u64 read_cr3() {
    u64 v;
    asm volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}
inline void write_cr3(u64 v) { asm volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }
inline u64 read_cr4() {
    u64 v;
    asm volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}
inline void write_cr4(u64 v) { asm volatile("mov %0, %%cr4" ::"r"(v) : "memory"); }

inline void invlpg(u64 va) { asm volatile("invlpg (%0)" ::"r"(va) : "memory"); }
// INVPCID's descriptor: PCID in bits 11:0, the linear address in bits 127:64
// (SDM Vol. 2A INVPCID).
inline void invpcid(u64 type, u16 pcid, u64 va) {
    struct {
        u64 pcid;
        u64 address;
    } descriptor{pcid, va};
    asm volatile("invpcid %0, %1" ::"m"(descriptor), "r"(type) : "memory");
}

inline u64 read_rflags() {
    u64 v;
    asm volatile("pushfq; popq %0" : "=r"(v)::"memory");
    return v;
}
inline constexpr u64 kRflagsIf = u64{1} << 9;

// XSETBV: XCR0 names the state components XSAVE/XRSTOR manage (SDM Vol. 1 13.3).
inline void xsetbv(u32 index, u64 value) {
    asm volatile("xsetbv" ::"c"(index), "a"(static_cast<u32>(value)), "d"(static_cast<u32>(value >> 32)) : "memory");
}
inline void disable_interrupts() { asm volatile("cli" ::: "memory"); }
inline void enable_interrupts() { asm volatile("sti" ::: "memory"); }
inline void halt() { asm volatile("hlt" ::: "memory"); }
inline void pause() { asm volatile("pause" ::: "memory"); }

inline u64 rdtsc() {
    u32 lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (u64{hi} << 32) | lo;
}
// RDRAND: false when the DRNG had no value ready (CF=0); callers retry (SDM Vol. 1 7.3.17).
inline bool rdrand(u64* out) {
    bool ok;
    asm volatile("rdrand %0" : "=r"(*out), "=@ccc"(ok));
    return ok;
}

inline void out8(u16 port, u8 value) { asm volatile("outb %0, %1" ::"a"(value), "Nd"(port) : "memory"); }
inline void out32(u16 port, u32 value) { asm volatile("outl %0, %1" ::"a"(value), "Nd"(port) : "memory"); }
inline u8 in8(u16 port) {
    u8 v;
    asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
    return v;
}

}  // namespace kernel::x86
