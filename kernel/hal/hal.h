// The hardware abstraction layer: everything the kernel asks of the machine, and
// the entry points the machine calls in the kernel. It is the one interface
// between generic kernel code and hardware (DESIGN.md "The HAL and the trap ABI").
//
// Two implementations: sim/hal (the kernel runs natively inside simx; each call is
// answered, and charged in modeled cycles, by the simulated machine) and
// kernel/arch/x86_64 (the qemu build: real instructions).
//
// Rules every implementation keeps:
// - phys_to_virt is the direct map: the kernel reaches any RAM frame through it.
//   In the sim build it is a host pointer into simulated RAM, so kernel code never
//   turns a pointer into a VirtAddr; layout addresses come from kernel/mm/layout.h.
// - User memory is reached only through the uaccess calls (issue 5).
// - Calls may be made on any CPU, concurrently; the kernel supplies the locking.
#pragma once

#include "kernel/lib/types.h"

namespace kernel {
struct TrapFrame;
}

namespace hal {

using kernel::PhysAddr;
using kernel::u16;
using kernel::u32;
using kernel::u64;
using kernel::u8;
using kernel::usize;
using kernel::VirtAddr;

// ---------------------------------------------------------------- boot information

enum class MemoryKind : u8 { kUsable, kReserved };

struct MemoryRegion {
    PhysAddr base;
    u64 size;
    u32 node;          // NUMA node holding the region
    MemoryKind kind;
};

// A part of the kernel image with its rights. The kernel maps each at
// layout().kernel_image_base + offset when it builds its own page tables, so
// the code and data it runs on stay mapped after it loads CR3; text is
// executable, never writable (W^X). The qemu build has three (text, rodata,
// data+bss); the sim build's kernel is part of the host program: none.
struct ImageSection {
    u64 offset;        // from layout().kernel_image_base
    PhysAddr phys;
    u64 size;          // a multiple of the page size
    bool writable;
    bool executable;
};

// A window of device registers (MMIO) the HAL needs the kernel's address space
// to map, uncached (UC), at its direct-map address layout().direct_map(base):
// the qemu build's local APIC (SDM Vol. 3A 10.4.1 requires UC). Mapped when the
// kernel builds its tables, so the HAL never allocates page tables later. The
// sim build has none.
struct DeviceWindow {
    PhysAddr base;     // page aligned
    u64 size;          // a multiple of the page size
};

// What the kernel learns at boot: the memory map (sorted, non-overlapping, each
// region within one node), the CPUs and their nodes, the paging features, and
// where the kernel image is.
struct BootInfo {
    static constexpr u32 kMaxRegions = 64;
    static constexpr u32 kMaxImageSections = 4;
    MemoryRegion regions[kMaxRegions];
    u32 region_count = 0;
    ImageSection image_sections[kMaxImageSections];
    u32 image_section_count = 0;
    static constexpr u32 kMaxDeviceWindows = 4;
    DeviceWindow device_windows[kMaxDeviceWindows];
    u32 device_window_count = 0;
    u32 cpu_count = 1;
    u32 node_count = 1;
    u32 cpu_node[kernel::kMaxCpus] = {};
    u32 phys_addr_bits = 36;
    bool la57 = false;      // 5-level paging available
    bool pages_1g = false;
    bool pcid = false;      // CR4.PCIDE and INVPCID
    bool pge = true;
    bool nx = true;
    bool smep = false;
    bool smap = false;
};

const BootInfo& boot_info();

// ---------------------------------------------------------------- physical memory

// The direct map. pa must be inside RAM.
void* phys_to_virt(PhysAddr pa);
// Inverse of phys_to_virt for pointers it returned.
PhysAddr virt_to_phys(const void* p);

// Page-sized work the machine charges per byte: zeroing and copying frames.
void zero_frames(PhysAddr pa, u64 bytes);
void copy_frames(PhysAddr dst, PhysAddr src, u64 bytes);

// ---------------------------------------------------------------- CPUs

u32 current_cpu();
// Runs entry(cpu) on every CPU but the boot CPU; returns once each has started.
void start_secondary_cpus(void (*entry)(u32 cpu));
// A spin-wait hint. In the sim build it lets the other simulated CPUs run.
void cpu_relax();
// Interrupt flag: save-and-disable, and restore.
u64 irq_save();
void irq_restore(u64 state);

// ---------------------------------------------------------------- MMU control

// Paging features the kernel turns on once per CPU: CR4.PGE, PCIDE, SMEP, SMAP,
// LA57 and EFER.NXE, each only if boot_info() reports it.
struct PagingFeatures {
    bool pge = false;
    bool pcid = false;
    bool smep = false;
    bool smap = false;
    bool nx = false;
    bool la57 = false;
};
void enable_paging_features(const PagingFeatures& features);
// WRMSR IA32_PAT on this CPU: the eight memory types PAT/PCD/PWT select.
void write_pat(u64 value);

// MOV to CR3: root of the top-level table, the PCID (0 without PCIDs) and the
// no-flush bit (bit 63, meaningful with PCIDs).
void write_cr3(PhysAddr root, u16 pcid, bool no_flush);
PhysAddr current_root();
void invlpg(VirtAddr va);
enum class InvpcidType : u8 { kAddress = 0, kContext = 1, kAllWithGlobals = 2, kAllButGlobals = 3 };
void invpcid(InvpcidType type, u16 pcid, VirtAddr va);

// ---------------------------------------------------------------- console, time, randomness

void console_write(const char* text, usize length);
// Cycles of the current CPU's clock (modeled cycles in the sim build).
u64 cycles();
u64 random_u64();

// Stops the machine: prints the message and never returns. In the sim build the
// run ends with a clear error naming the message.
[[noreturn]] void panic_halt(const char* message);

}  // namespace hal

// ---------------------------------------------------------------- entry points
// Called by the machine, defined by the kernel; the same in both builds.
namespace kernel {

// The boot CPU's entry, once the HAL is ready; returns the kernel's exit status.
int boot_main();
// A secondary CPU's entry (through hal::start_secondary_cpus).
void secondary_main(u32 cpu);

// Trap ABI (DESIGN.md): the simulated CPU or the qemu stubs build the TrapFrame.
void on_syscall(TrapFrame& frame);
void on_exception(TrapFrame& frame, u8 vector, u64 error_code, u64 cr2);
void on_interrupt(TrapFrame& frame, u8 vector);

}  // namespace kernel
