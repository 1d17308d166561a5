// The HAL on real x86-64 hardware (kernel/hal/hal.h): each call is the
// instruction it names. boot_info() lives in boot_info.cpp.
#include "kernel/arch/x86_64/hal_x86.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/cpu_local.h"
#include "kernel/arch/x86_64/lapic.h"
#include "kernel/arch/x86_64/smp.h"
#include "kernel/arch/x86_64/qemu_exit.h"
#include "kernel/arch/x86_64/serial.h"
#include "kernel/arch/x86_64/uaccess.h"
#include "kernel/hal/hal.h"
#include "kernel/lib/format.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/string.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/pte.h"

namespace kernel::x86 {
namespace {

struct PublishedCounter {
    char scope[24];
    char name[48];
    u64 value;
};
constexpr u32 kMaxPublished = 2048;
PublishedCounter g_published[kMaxPublished];
u32 g_published_count = 0;   // slots taken (may pass kMaxPublished: the rest are dropped)

bool g_rdrand = false;
u64 g_xorshift = 0;

}  // namespace

void record_counter(const char* scope, const char* name, u64 value) {
    const u32 slot = __atomic_fetch_add(&g_published_count, 1u, __ATOMIC_ACQ_REL);
    if (slot >= kMaxPublished) return;
    PublishedCounter& c = g_published[slot];
    str_copy(c.scope, scope, sizeof c.scope);
    str_copy(c.name, name, sizeof c.name);
    c.value = value;
}

void print_published_counters() {
    const u32 n = __atomic_load_n(&g_published_count, __ATOMIC_ACQUIRE);
    for (u32 i = 0; i < n && i < kMaxPublished; ++i)
        kprintf("counter %s %s %llu\n", g_published[i].scope, g_published[i].name,
                static_cast<unsigned long long>(g_published[i].value));
    if (n > kMaxPublished) kprintf("counter: %u more counters were dropped\n", n - kMaxPublished);
}

void init_hal(const CpuFeatures& cpu) {
    g_rdrand = cpu.rdrand;
    g_xorshift = rdtsc() | 1;  // xorshift needs a non-zero state
}

}  // namespace kernel::x86

namespace hal {

namespace x86 = kernel::x86;

// ---------------------------------------------------------------- physical memory

// The direct map is pa + its base (kernel/mm/layout.h): boot.S maps it before
// any C++ runs, and the kernel's own tables map it at the same place.
void* phys_to_virt(PhysAddr pa) { return reinterpret_cast<void*>(kernel::layout().direct_map_base + pa.value); }

PhysAddr virt_to_phys(const void* p) {
    const u64 va = reinterpret_cast<u64>(p);
    if (!kernel::layout().in_direct_map(va)) kernel::panic("virt_to_phys of %p, which is not in the direct map", p);
    return PhysAddr{va - kernel::layout().direct_map_base};
}

void zero_frames(PhysAddr pa, u64 bytes) { kernel::mem_set(phys_to_virt(pa), 0, bytes); }
void copy_frames(PhysAddr dst, PhysAddr src, u64 bytes) { kernel::mem_move(phys_to_virt(dst), phys_to_virt(src), bytes); }

// ---------------------------------------------------------------- CPUs

// The CPU number lives in the per-CPU area at the GS base (cpu_local.h); the
// CPUs are the MADT's (smp.h).
u32 current_cpu() { return x86::this_cpu(); }
void start_secondary_cpus(void (*entry)(u32 cpu)) { x86::start_application_processors(entry); }
void cpu_relax() { x86::pause(); }
void send_ipi(u32 cpu, u8 vector) {
    KASSERT(cpu != current_cpu() && cpu < boot_info().cpu_count, "send_ipi to cpu %u from cpu %u", cpu, current_cpu());
    x86::lapic::send_fixed(x86::apic_id_of(cpu), vector);
}

u64 irq_save() {
    const u64 flags = x86::read_rflags();
    x86::disable_interrupts();
    return flags & x86::kRflagsIf;
}
void irq_restore(u64 state) {
    if (state & x86::kRflagsIf) x86::enable_interrupts();
}

// ---------------------------------------------------------------- MMU control

// EFER.NXE first: the kernel's tables set XD, a reserved bit without it
// (SDM 4.5). PCIDE last: it needs CR3[11:0] = 0 (SDM 4.10.1), true until the
// kernel loads a PCID. CR4.LA57 cannot change in IA-32e mode (SDM 2.5): boot.S
// chose the mode, so a request for the other one is a kernel bug.
void enable_paging_features(const PagingFeatures& f) {
    namespace cr4 = x86::cr4;
    if (f.nx) x86::write_msr(x86::msr::kEfer, x86::read_msr(x86::msr::kEfer) | x86::msr::kEferNxe);
    u64 value = x86::read_cr4();
    const bool la57 = (value & cr4::kLa57) != 0;
    if (f.la57 != la57)
        kernel::panic("enable_paging_features: %d-level paging asked, %d-level in force", f.la57 ? 5 : 4, la57 ? 5 : 4);
    if (f.pge) value |= cr4::kPge;
    if (f.smep) value |= cr4::kSmep;
    // SMAP: from here the kernel may touch user pages only with RFLAGS.AC set,
    // which the uaccess routines set around their copies (uaccess.h).
    if (f.smap) value |= cr4::kSmap;
    x86::write_cr4(value);
    x86::set_uaccess_smap(f.smap);
    if (f.pcid) x86::write_cr4(value | cr4::kPcide);
}

void write_pat(u64 value) { x86::write_msr(x86::msr::kPat, value); }

void write_cr3(PhysAddr root, u16 pcid, bool no_flush) {
    x86::write_cr3(root.value | pcid | (no_flush ? u64{1} << 63 : 0));
}
PhysAddr current_root() { return PhysAddr{x86::read_cr3() & kernel::Pte::kAddressBits}; }
void invlpg(VirtAddr va) { x86::invlpg(va.value); }
void invpcid(InvpcidType type, u16 pcid, VirtAddr va) { x86::invpcid(static_cast<u64>(type), pcid, va.value); }

// ---------------------------------------------------------------- user mode

// IA32_FS_BASE is the user's while the kernel runs too (the kernel never uses
// FS). The user's GS base waits in IA32_KERNEL_GS_BASE while the kernel runs:
// the SWAPGS before returning to user mode swaps it into IA32_GS_BASE
// (cpu_local.h).
void set_user_fs_base(u64 base) { x86::write_msr(x86::msr::kFsBase, base); }
void set_user_gs_base(u64 base) { x86::write_msr(x86::msr::kKernelGsBase, base); }
u64 user_fs_base() { return x86::read_msr(x86::msr::kFsBase); }
u64 user_gs_base() { return x86::read_msr(x86::msr::kKernelGsBase); }

// ---------------------------------------------------------------- console, terminal, time, randomness

void console_write(const char* text, usize length) { x86::serial::write(text, length); }

// The terminal is COM1 too: output and error streams both go to the serial line.
void terminal_write(TerminalStream, const char* text, usize length) { x86::serial::write(text, length); }

// A serial line cannot tell the end of input, so a read blocks until a byte
// comes (never returns 0). It returns what has arrived once the first byte
// is in, ending a line at '\n' as a terminal in canonical mode does; a CR
// (what a terminal's Enter sends) reads as '\n' (termios ICRNL). No echo.
usize terminal_read(char* buffer, usize length) {
    if (length == 0) return 0;
    usize n = 0;
    do {
        char c = x86::serial::read_byte();
        if (c == '\r') c = '\n';
        buffer[n++] = c;
        if (c == '\n') break;
    } while (n < length && x86::serial::can_read());
    return n;
}

u64 cycles() { return x86::rdtsc(); }

void cpuid(u32 leaf, u32 subleaf, u32 out[4]) {
    const x86::CpuidResult r = x86::cpuid(leaf, subleaf);
    out[0] = r.eax;
    out[1] = r.ebx;
    out[2] = r.ecx;
    out[3] = r.edx;
}

// No stats registry in the qemu build: each counter is a line on the console,
// "counter SCOPE NAME VALUE", for a script to collect.
// Counters are kept and printed together once boot_main returns
// (x86::print_published_counters): printed as they come, a process's counters
// at its exit would land in the middle of other processes' console output on
// the shared serial line.
void publish_counter(const char* scope, const char* name, u64 value) { x86::record_counter(scope, name, value); }

// Nothing to do: real hardware keeps no per-process counters for the kernel
// to switch (the sim build attributes modeled cycles and TLB events this way).
void set_accounting(u32) {}

// RDRAND when the CPU has it (retried: it may briefly have no value, SDM Vol. 1
// 7.3.17.1), else xorshift64 seeded from the TSC, advanced with a CAS so CPUs
// never share a value: not for secrets, but enough for ASLR-style variation
// until a real entropy source is wired.
u64 random_u64() {
    u64 v;
    if (x86::g_rdrand)
        for (int i = 0; i < 10; ++i)
            if (x86::rdrand(&v)) return v;
    u64 old = __atomic_load_n(&x86::g_xorshift, __ATOMIC_RELAXED);
    do {
        v = old;
        v ^= v << 13;
        v ^= v >> 7;
        v ^= v << 17;
    } while (!__atomic_compare_exchange_n(&x86::g_xorshift, &old, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    return v;
}

void panic_halt(const char* message) {
    x86::disable_interrupts();
    console_write(message, kernel::str_length(message));
    console_write("\n", 1);
    x86::qemu_exit(x86::QemuExit::kPanic);
}

}  // namespace hal
