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

#include "kernel/hal/trap_frame.h"
#include "kernel/lib/types.h"

namespace hal {

using kernel::PhysAddr;
using kernel::u16;
using kernel::u32;
using kernel::u64;
using kernel::u8;
using kernel::i64;
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
    // The initramfs: a cpio "newc" archive in RAM the kernel unpacks at boot
    // (size 0: none). Its frames are outside every usable region, so the
    // kernel may read it for as long as it likes.
    PhysAddr initrd_base{0};
    u64 initrd_size = 0;
    // The kernel command line, NUL-terminated (kernel/proc/command_line.h):
    // e.g. "init=/bin/prog -- arg1 'arg two'".
    static constexpr u32 kMaxCommandLine = 4096;
    char command_line[kMaxCommandLine] = {};
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

// ---------------------------------------------------------------- kernel contexts

// A kernel thread of control: its stack and saved registers. The sim build
// runs each on a fiber of its own (DESIGN.md "Determinism and multiple CPUs");
// the qemu build saves callee-saved registers on its stack and swaps RSP.
struct KernelContext;

// A new context that runs entry(arg) when first switched to, on `stack`
// (stack_bytes, 16-byte aligned; the qemu build runs on it, the sim build on a
// host stack of its own). entry must never return: a finished thread switches
// away for good and someone else destroys it. nullptr when out of memory.
KernelContext* context_create(void (*entry)(void* arg), void* arg, void* stack, usize stack_bytes);
// The context running on this CPU (each CPU starts on one the HAL made).
KernelContext* context_current();
// Saves the running context and resumes `to` on this CPU; returns when some
// CPU switches back. `to` must not be running anywhere.
void context_switch(KernelContext* to);
// Frees a context that is not running and will not be switched to again.
void context_destroy(KernelContext* context);

// ---------------------------------------------------------------- timer

// The vector the CPU's timer interrupts with (Linux's LOCAL_TIMER_VECTOR).
inline constexpr u8 kTimerVector = 0xec;
// Arms this CPU's one-shot timer for `deadline` (hal::cycles() units); 0
// disarms it. The interrupt is taken in user mode only (the kernel runs with
// interrupts off): at the first instruction boundary at or after the
// deadline, the CPU calls on_interrupt(frame, kTimerVector) on the running
// context, as for any interrupt; the timer is then disarmed.
void timer_set_deadline(u64 deadline);

// ---------------------------------------------------------------- inter-processor interrupts

// The vectors of the kernel's IPIs (Linux's CALL_FUNCTION_VECTOR and
// RESCHEDULE_VECTOR): "look at your cross-call mailbox" and "look at your run
// queue" (kernel/smp/cross_call.h, kernel/sched/scheduler.h).
inline constexpr u8 kCallFunctionVector = 0xfb;
inline constexpr u8 kRescheduleVector = 0xfd;
// Sends a fixed-delivery IPI with `vector` to `cpu` (not the calling CPU). It
// is taken like any interrupt, at an instruction boundary with interrupts on:
// in user mode the target calls on_interrupt(frame, vector) there; in
// hal::cpu_idle it ends the idle period early. The kernel runs with interrupts
// off, so a target busy in the kernel takes it only on its way back to user
// mode; kernel code that waits on another CPU polls what the IPI announces
// (its mailbox) while it spins. The sim build delivers it after the machine's
// IPI latency and counts it on both sides.
void send_ipi(u32 cpu, u8 vector);

// ---------------------------------------------------------------- user mode

// Enters user mode at frame (CS/SS the user selectors, RFLAGS with IF) in the
// address space CR3 holds. It does not return: every way back into the
// kernel — SYSCALL, an exception, an interrupt — calls on_syscall /
// on_exception / on_interrupt on this context with a frame, and when the
// handler returns the CPU resumes user mode from that frame. A thread leaves
// user mode for good by switching contexts from inside a handler.
[[noreturn]] void enter_user(const kernel::TrapFrame& frame);

// The user FS and GS bases (MSRs IA32_FS_BASE, IA32_KERNEL_GS_BASE) the CPU
// will run user code with.
void set_user_fs_base(u64 base);
void set_user_gs_base(u64 base);
u64 user_fs_base();
u64 user_gs_base();

// The extended (x87/SSE) state of user code on this CPU, saved and restored
// in the XSAVE standard layout (FXSAVE's 512-byte legacy area, then the XSAVE
// header); the area is xstate_size() bytes, 64-byte aligned.
usize xstate_size();
void xsave(void* area);
void xrstor(const void* area);
// FNINIT and MXCSR = 0x1F80: what a new program starts with.
void xstate_reset();

// ---------------------------------------------------------------- uaccess

// The only way the kernel touches memory through a user address (SMAP: CR4.SMAP
// is on, and the HAL lifts it, STAC/CLAC, only inside these). The caller has
// checked that the range lies in the user half (kernel/mm/uaccess.h). A page
// that is absent or lacks the right raises a #PF the kernel's handler sees as
// a kernel-mode fault on a user address: it resolves it (demand paging) and
// the copy goes on, or it calls uaccess_fixup and the copy stops there.
// A supervisor-only leaf in the user half (a PROT_NONE page) counts as a
// protection fault, as for user code.
// The copies return the number of bytes NOT copied (0: all), as Linux's do.
usize copy_from_user(void* dst, u64 user_src, usize n);
usize copy_to_user(u64 user_dst, const void* src, usize n);
usize clear_user(u64 user_dst, usize n);
// Copies a NUL-terminated string of at most n bytes including the NUL: its
// length (without the NUL; n when no NUL came in n bytes), or -1 on a fault.
i64 strncpy_from_user(char* dst, u64 user_src, usize n);
// A LOCK CMPXCHG on the aligned 32-bit user word at user_address (futexes):
// if it holds `expected` it becomes `desired`; *old gets what it held. False
// when the page could not be reached (faults are resolved as for the copies).
bool user_cmpxchg_u32(u64 user_address, u32 expected, u32 desired, u32* old);
// From the kernel's #PF handler, for a kernel-mode fault on a user address it
// will not resolve: true when the fault came from inside one of the copies
// above, which then stop and report the bytes left (the frame is adjusted to
// resume at the copy's fixup); false when it did not — a kernel bug touching
// user memory outside uaccess, which SMAP caught.
bool uaccess_fixup(kernel::TrapFrame& frame);
// For the SMAP test only: a kernel load of one byte through a user address
// *outside* uaccess, as a kernel bug would make it. SMAP faults it and the
// kernel's #PF handler panics naming `site`.
u8 smap_violation_probe(u64 user_address, const char* site);

// ---------------------------------------------------------------- console, terminal, time, randomness

// The kernel's log.
void console_write(const char* text, usize length);

// The terminal user programs talk to through /dev/console: in the sim build
// the host's stdin/stdout/stderr of `simx run`, in the qemu build COM1.
enum class TerminalStream : u8 { kOutput = 1, kError = 2 };
void terminal_write(TerminalStream stream, const char* text, usize length);
// Blocks until input comes; returns the bytes read, at most one line. 0 means
// end of input, which only the sim build can see (the host's stdin closed): a
// serial line has no end, so the qemu build blocks for the next byte.
usize terminal_read(char* buffer, usize length);
// Cycles of the current CPU's clock (modeled cycles in the sim build).
u64 cycles();
// The clock's rate, and the wall-clock time (seconds since the Unix epoch)
// at which it read 0: what CLOCK_REALTIME starts from.
u64 cycles_per_second();
u64 boot_epoch_seconds();
// Lets `cycles` pass with nothing to run (a sleep with no other work): the
// sim build advances this CPU's clock; the qemu build halts or spins.
void cpu_idle(u64 cycles);
// CPUID of this CPU: out = {EAX, EBX, ECX, EDX}.
void cpuid(u32 leaf, u32 subleaf, u32 out[4]);
u64 random_u64();

// Counters the kernel keeps (per process, say) published to the machine's
// stats registry under scope/name (the sim build), or printed (qemu).
void publish_counter(const char* scope, const char* name, u64 value);
// Whose account this CPU's user instructions, cycles and TLB activity go to
// from now on (a process id; 0 = the kernel). The sim build keeps per-process
// counters this way; the qemu build ignores it.
void set_accounting(u32 account);

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
