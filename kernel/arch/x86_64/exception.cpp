// What an exception does in the qemu build today: print everything a reader
// needs to find the cause (vector, error code, RIP, CR2, the registers) and
// panic. The kernel takes no exception on purpose yet; page faults on user
// memory and the uaccess fixups come with the syscall path (issue 7).
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/interrupt_frame.h"
#include "kernel/lib/format.h"
#include "kernel/lib/panic.h"

namespace kernel::x86 {
namespace {

// Mnemonics of SDM Vol. 3A table 6-1.
const char* exception_name(u64 vector) {
    static constexpr const char* kNames[kExceptionVectors] = {
        "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow", "#BR bound range",
        "#UD invalid opcode", "#NM device not available", "#DF double fault", "coprocessor segment overrun",
        "#TS invalid TSS", "#NP segment not present", "#SS stack fault", "#GP general protection",
        "#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check", "#MC machine check",
        "#XM SIMD error", "#VE virtualization", "#CP control protection", "reserved 22", "reserved 23",
        "reserved 24", "reserved 25", "reserved 26", "reserved 27", "#HV hypervisor injection",
        "#VC VMM communication", "#SX security", "reserved 31",
    };
    return vector < kExceptionVectors ? kNames[vector] : "?";
}

unsigned long long ull(u64 v) { return static_cast<unsigned long long>(v); }

}  // namespace
}  // namespace kernel::x86

extern "C" void x86_handle_exception(kernel::x86::InterruptFrame* f) {
    using namespace kernel;
    using namespace kernel::x86;
    const u64 cr2 = read_cr2();  // before anything else can fault and replace it
    kprintf("x86 exception: vector %llu (%s), error code %#llx\n", ull(f->vector), exception_name(f->vector),
            ull(f->error_code));
    kprintf("  rip %#018llx  cs %#llx  rflags %#llx  rsp %#018llx  ss %#llx  cr2 %#018llx\n", ull(f->rip), ull(f->cs),
            ull(f->rflags), ull(f->rsp), ull(f->ss), ull(cr2));
    kprintf("  rax %#018llx  rbx %#018llx  rcx %#018llx  rdx %#018llx\n", ull(f->rax), ull(f->rbx), ull(f->rcx),
            ull(f->rdx));
    kprintf("  rsi %#018llx  rdi %#018llx  rbp %#018llx  r8  %#018llx\n", ull(f->rsi), ull(f->rdi), ull(f->rbp),
            ull(f->r8));
    kprintf("  r9  %#018llx  r10 %#018llx  r11 %#018llx  r12 %#018llx\n", ull(f->r9), ull(f->r10), ull(f->r11),
            ull(f->r12));
    kprintf("  r13 %#018llx  r14 %#018llx  r15 %#018llx  cr3 %#018llx\n", ull(f->r13), ull(f->r14), ull(f->r15),
            ull(read_cr3()));
    panic("unhandled %s at rip %#llx (error code %#llx, cr2 %#llx)", exception_name(f->vector), ull(f->rip),
          ull(f->error_code), ull(cr2));
}
