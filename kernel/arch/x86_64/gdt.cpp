#include "kernel/arch/x86_64/gdt.h"

#include "kernel/arch/x86_64/boot_constants.h"

namespace kernel::x86 {
namespace {

static_assert(selector::kKernelCode == BOOT_CODE_SELECTOR && selector::kKernelData == BOOT_DATA_SELECTOR,
              "boot.S's GDT and this one agree, so the switch between them keeps every selector valid");

// The 64-bit TSS (SDM 7.7, figure 7-11).
struct [[gnu::packed]] Tss {
    u32 reserved0;
    u64 rsp[3];
    u64 reserved1;
    u64 ist[7];
    u64 reserved2;
    u16 reserved3;
    u16 io_map_base;
};
static_assert(sizeof(Tss) == 104);

// Code and data descriptors (SDM 3.4.5): base and limit are ignored in 64-bit
// mode; what counts is P, DPL, S, the type, and L for code.
constexpr u64 kKernelCode64 = 0x00af'9a00'0000'ffffull;  // P, DPL 0, code exec/read, L
constexpr u64 kKernelData = 0x00cf'9200'0000'ffffull;    // P, DPL 0, data read/write
constexpr u64 kUserData = 0x00cf'f200'0000'ffffull;      // P, DPL 3, data read/write
constexpr u64 kUserCode64 = 0x00af'fa00'0000'ffffull;    // P, DPL 3, code exec/read, L

struct alignas(16) Gdt {
    u64 entries[8];
};

constexpr u64 kIstStackBytes = 16 * 1024;
struct alignas(16) IstStack {
    u8 bytes[kIstStackBytes];
};

// One GDT, TSS and set of IST stacks per CPU: a TSS descriptor is marked busy
// by LTR (SDM 7.2.2), so CPUs cannot share one, and an IST stack used by two
// CPUs at once (an NMI on each) would be corrupted.
Gdt g_gdt[kMaxCpus];
Tss g_tss[kMaxCpus];
IstStack g_ist_stacks[kMaxCpus][3];

// A 16-byte system descriptor for an available 64-bit TSS (SDM 7.2.3, type 9).
void set_tss_descriptor(Gdt& gdt, unsigned index, const Tss& tss) {
    const u64 base = reinterpret_cast<u64>(&tss);
    const u64 limit = sizeof(Tss) - 1;
    gdt.entries[index] = (limit & 0xffff) | ((base & 0xff'ffff) << 16) | (u64{0x89} << 40) |
                         (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    gdt.entries[index + 1] = base >> 32;
}

}  // namespace

void load_gdt_and_tss(u32 cpu) {
    Gdt& gdt = g_gdt[cpu];
    Tss& tss = g_tss[cpu];
    IstStack* ist = g_ist_stacks[cpu];
    gdt.entries[0] = 0;
    gdt.entries[selector::kKernelCode / 8] = kKernelCode64;
    gdt.entries[selector::kKernelData / 8] = kKernelData;
    gdt.entries[3] = 0;  // SYSRET's base slot: a 32-bit user code segment, never used
    gdt.entries[selector::kUserData / 8] = kUserData;
    gdt.entries[selector::kUserCode / 8] = kUserCode64;
    tss = Tss{};
    tss.ist[kIstDoubleFault - 1] = reinterpret_cast<u64>(&ist[0] + 1);
    tss.ist[kIstNmi - 1] = reinterpret_cast<u64>(&ist[1] + 1);
    tss.ist[kIstMachineCheck - 1] = reinterpret_cast<u64>(&ist[2] + 1);
    tss.io_map_base = sizeof(Tss);  // beyond the limit: no I/O permission bitmap
    set_tss_descriptor(gdt, selector::kTss / 8, tss);

    struct [[gnu::packed]] {
        u16 limit;
        u64 base;
    } pointer{sizeof(Gdt) - 1, reinterpret_cast<u64>(&gdt)};
    asm volatile("lgdt %0" ::"m"(pointer) : "memory");
    // CS only changes through a far transfer: return to the next instruction
    // with the new selector.
    asm volatile(
        "pushq %[code]\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "movl %[data], %%eax\n\t"
        "movl %%eax, %%ds\n\t"
        "movl %%eax, %%es\n\t"
        "movl %%eax, %%ss\n\t"
        "xorl %%eax, %%eax\n\t"
        "movl %%eax, %%fs\n\t"
        "movl %%eax, %%gs\n\t"
        :
        : [code] "i"(u64{selector::kKernelCode}), [data] "i"(u32{selector::kKernelData})
        : "rax", "memory");
    asm volatile("ltr %w0" ::"r"(selector::kTss) : "memory");
}

void set_kernel_stack(u32 cpu, u64 top) { g_tss[cpu].rsp[0] = top; }

}  // namespace kernel::x86
