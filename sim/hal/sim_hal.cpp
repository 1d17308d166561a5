#include "sim/hal/sim_hal.h"

#include <fmt/format.h>

#include <cstring>

#include "sim/hal/cpu_fiber.h"
#include "sim/hal/kernel_context.h"
#include "sim/hal/sim_hal_cpu.h"
#include "sim/machine/sim_error.h"
#include "sim/mmu/pte.h"

namespace simx {
namespace {

thread_local SimHal* g_active = nullptr;

// The first MiB of each machine is not given to the kernel, as on a PC (real-mode
// area, BIOS data); it also keeps physical address 0 from ever being a frame.
constexpr uint64_t kReservedLow = 1ull << 20;

}  // namespace



SimHal::SimHal(Machine& machine, std::ostream& console)
    : machine_(machine), console_(console), rng_(machine.config().seed * 0x9E3779B97F4A7C15ull + 0x5eed) {
    const MachineConfig& c = machine.config();
    PhysicalMemory& mem = machine.memory();
    boot_info_.cpu_count = machine.cpu_count();
    if (boot_info_.cpu_count > kernel::kMaxCpus)
        throw SimError(fmt::format("the kernel supports at most {} CPUs", kernel::kMaxCpus));
    boot_info_.node_count = mem.node_count();
    if (boot_info_.node_count > kernel::kMaxNodes)
        throw SimError(fmt::format("the kernel supports at most {} NUMA nodes", kernel::kMaxNodes));
    for (uint32_t cpu = 0; cpu < boot_info_.cpu_count; ++cpu) boot_info_.cpu_node[cpu] = c.node_of_cpu(cpu);
    for (uint32_t n = 0; n < mem.node_count(); ++n) {
        uint64_t base = mem.node_base(n).value, size = mem.node_size(n);
        if (base < kReservedLow) {
            auto& r = boot_info_.regions[boot_info_.region_count++];
            r = {hal::PhysAddr{base}, std::min(size, kReservedLow - base), n, hal::MemoryKind::kReserved};
            const uint64_t skip = std::min(size, kReservedLow - base);
            base += skip;
            size -= skip;
        }
        if (size) boot_info_.regions[boot_info_.region_count++] = {hal::PhysAddr{base}, size, n, hal::MemoryKind::kUsable};
    }
    boot_info_.phys_addr_bits = c.mmu.phys_addr_bits;
    boot_info_.la57 = c.mmu.la57_supported;
    boot_info_.pages_1g = c.mmu.pages_1g_supported;
    boot_info_.pcid = c.mmu.pcid_supported;
    boot_info_.pge = true;
    boot_info_.nx = true;
    boot_info_.smep = true;
    boot_info_.smap = true;
    code_ = std::make_unique<CodeCache>(mem);
    for (uint32_t cpu = 0; cpu < boot_info_.cpu_count; ++cpu) {
        cpus_.push_back(std::make_unique<Cpu>());
        Cpu& me = *cpus_.back();
        me.id = cpu;
        me.interp = std::make_unique<Interpreter>(machine, cpu, *code_);
        const std::string scope = fmt::format("cpu{}", cpu);
        StatsRegistry& s = machine.stats();
        me.interp->register_stats(s, scope);
        SimCpuStats& st = me.stats;
        s.add(scope, "kernel.cycles", &st.cycles);
        s.add(scope, "kernel.idle_cycles", &st.idle_cycles);
        s.add(scope, "kernel.hal_calls", &st.hal_calls);
        s.add(scope, "kernel.cr3_writes", &st.cr3_writes);
        s.add(scope, "kernel.invlpg", &st.invlpg);
        s.add(scope, "kernel.invpcid", &st.invpcid);
        s.add(scope, "kernel.frames_zeroed", &st.frames_zeroed);
        s.add(scope, "kernel.frames_copied", &st.frames_copied);
        s.add(scope, "kernel.spins", &st.spins);
        s.add(scope, "kernel.syscalls", &st.syscalls);
        s.add(scope, "kernel.exceptions", &st.exceptions);
        s.add(scope, "kernel.context_switches", &st.context_switches);
        s.add(scope, "kernel.xsaves", &st.xsaves);
        s.add(scope, "kernel.xrstors", &st.xrstors);
        s.add(scope, "kernel.uaccess_calls", &st.uaccess_calls);
        s.add(scope, "kernel.uaccess_bytes", &st.uaccess_bytes);
        s.add(scope, "kernel.uaccess_faults", &st.uaccess_faults);
        s.add(scope, "kernel.timer_interrupts", &st.timer_interrupts);
        s.add(scope, "kernel.ipis_sent", &st.ipis_sent);
        s.add(scope, "kernel.ipis_received", &st.ipis_received);
    }
    // Per-process accounting reads every counter of the CPU's scope.
    for (auto& cpu : cpus_) {
        cpu->counters = machine.stats().counters_of(fmt::format("cpu{}", cpu->id));
        cpu->baseline.assign(cpu->counters.size(), 0);
    }
}

void SimHal::set_initrd(const std::vector<uint8_t>& archive) {
    if (booted_) throw SimError("set_initrd after boot");
    if (boot_info_.initrd_size) throw SimError("set_initrd called twice");
    if (archive.empty()) return;
    // The top of the highest usable region that holds it, page-aligned.
    const uint64_t bytes = (archive.size() + 4095) & ~uint64_t{4095};
    for (uint32_t i = boot_info_.region_count; i-- > 0;) {
        hal::MemoryRegion& r = boot_info_.regions[i];
        if (r.kind != hal::MemoryKind::kUsable || r.size < bytes + (uint64_t{16} << 20)) continue;
        if (boot_info_.region_count == hal::BootInfo::kMaxRegions) throw SimError("set_initrd: too many memory regions");
        r.size -= bytes;
        for (uint32_t j = boot_info_.region_count; j > i + 1; --j) boot_info_.regions[j] = boot_info_.regions[j - 1];
        boot_info_.regions[i + 1] = {hal::PhysAddr{r.base.value + r.size}, bytes, r.node, hal::MemoryKind::kReserved};
        ++boot_info_.region_count;
        boot_info_.initrd_base = hal::PhysAddr{r.base.value + r.size};
        boot_info_.initrd_size = archive.size();
        std::memcpy(machine_.memory().host_view(simx::PhysAddr{boot_info_.initrd_base.value}, archive.size()),
                    archive.data(), archive.size());
        return;
    }
    throw SimError(fmt::format("the initramfs ({} bytes) does not fit in the machine's memory", archive.size()));
}

void SimHal::set_command_line(const std::string& line) {
    if (booted_) throw SimError("set_command_line after boot");
    if (line.size() >= hal::BootInfo::kMaxCommandLine)
        throw SimError(fmt::format("the kernel command line is {} bytes; at most {} fit", line.size(),
                                   hal::BootInfo::kMaxCommandLine - 1));
    std::memcpy(boot_info_.command_line, line.c_str(), line.size() + 1);
}

SimHal::~SimHal() { stop_all_cpus(); }

void SimHal::stop_all_cpus() {
    // Fibers end by unwinding from their yield point (see cpu_fiber.h); the
    // kernel code they unwind sees a HAL that is still this one.
    for (auto& context : contexts_) {
        if (!context->fiber.running()) continue;
        const uint32_t saved = current_;
        if (context->cpu >= 0) current_ = static_cast<uint32_t>(context->cpu);
        SimHal* previous = g_active;
        g_active = this;
        context->fiber.abort();
        g_active = previous;
        current_ = saved;
    }
}

// Makes a SimHal the one hal:: calls reach for the length of a run.
class SimHal::Activation {
public:
    explicit Activation(SimHal* hal) : previous_(g_active) {
        if (g_active && g_active != hal) throw SimError("a simulated machine is already running on this thread");
        g_active = hal;
    }
    ~Activation() { g_active = previous_; }
    Activation(const Activation&) = delete;
    Activation& operator=(const Activation&) = delete;

private:
    SimHal* previous_;
};

const SimCpuStats& SimHal::cpu_stats(uint32_t cpu) const { return cpus_.at(cpu)->stats; }
Interpreter& SimHal::interpreter(uint32_t cpu) { return *cpus_.at(cpu)->interp; }
uint64_t SimHal::clock(uint32_t cpu) const { return cpus_.at(cpu)->stats.cycles + cpus_.at(cpu)->interp->cycles(); }
uint64_t SimHal::cycles() const { return clock(current_); }
uint64_t SimHal::cycles_per_second() const { return machine_.config().frequency_mhz * 1'000'000; }
uint64_t SimHal::boot_epoch_seconds() const { return machine_.config().epoch_seconds; }

// HLT until `cycles` passed or an IPI arrives (which ends the idle period,
// taken in kernel mode: the kernel then looks at what it announced).
void SimHal::cpu_idle(uint64_t cycles) {
    Cpu& cpu = me();
    const uint64_t now = clock(cpu.id);
    const uint64_t arrival = earliest_ipi(cpu);
    if (arrival && arrival < now + cycles) {
        cycles = arrival > now ? arrival - now : 0;
        for (int v; (v = next_ipi(cpu, now + cycles)) >= 0;) take_ipi(cpu, v);
        charge(machine_.config().costs.exception);
    }
    cpu.stats.idle_cycles += cycles;
    charge(cycles);
    yield_to_scheduler();
}
void SimHal::charge(uint64_t cycles) { cpus_[current_]->stats.cycles += cycles; }

SimHal& SimHal::active() {
    if (!g_active) throw SimError("a hal:: call was made with no simulated machine running the kernel");
    return *g_active;
}

void SimHal::start_cpu(uint32_t id, std::function<void()> body) {
    Cpu& cpu = *cpus_.at(id);
    if (!cpu.first) {
        contexts_.push_back(std::make_unique<hal::KernelContext>());
        cpu.first = contexts_.back().get();
    }
    if (cpu.current && cpu.current != cpu.first) cpu.current->cpu = -1;
    cpu.current = cpu.first;
    cpu.first->cpu = static_cast<int32_t>(id);
    cpu.first->fiber.start(std::move(body));
}

bool SimHal::cpu_running(const Cpu& cpu) const { return cpu.current && cpu.current->fiber.running(); }

int SimHal::boot() {
    if (booted_) throw SimError("SimHal::boot called twice");
    booted_ = true;
    int status = 0;
    Activation active(this);
    start_cpu(0, [&status] { status = kernel::boot_main(); });
    run_scheduler([this] { return cpus_[0]->first->fiber.finished(); });
    if (panicked_) {
        stop_all_cpus();
        throw SimError(panic_message_);
    }
    for (auto& cpu : cpus_) flush_accounting(*cpu);
    // The machine stops when boot_main returns, as a real one powering off:
    // CPUs still running (other processes when init ended) are stopped.
    for (const auto& cpu : cpus_) stopped_running_ += cpu_running(*cpu) ? 1 : 0;
    stop_all_cpus();
    return status;
}

void SimHal::run_on_cpus(const std::vector<uint32_t>& ids, const std::function<void(uint32_t)>& fn) {
    if (panicked_) throw SimError("run_on_cpus after a kernel panic: " + panic_message_);
    for (uint32_t id : ids) {
        if (id >= cpus_.size()) throw SimError(fmt::format("run_on_cpus: no cpu{}", id));
        if (cpu_running(*cpus_[id])) throw SimError(fmt::format("cpu{} is already running", id));
    }
    Activation active(this);
    for (uint32_t id : ids) start_cpu(id, [&fn, id] { fn(id); });
    run_scheduler([&] {
        for (uint32_t id : ids)
            if (cpus_[id]->first->fiber.running()) return false;
        return true;
    });
    for (auto& cpu : cpus_) flush_accounting(*cpu);
    if (panicked_) {
        stop_all_cpus();
        throw SimError(panic_message_);
    }
}

void SimHal::run_scheduler(const std::function<bool()>& done) {
    while (!panicked_ && !done()) {
        // The running CPU with the lowest clock goes next (lowest number on a tie).
        Cpu* next = nullptr;
        uint64_t next_clock = 0;
        for (auto& cpu : cpus_) {
            if (!cpu_running(*cpu)) continue;
            const uint64_t c = clock(cpu->id);
            if (!next || c < next_clock) next = cpu.get(), next_clock = c;
        }
        if (!next) return;
        current_ = next->id;
        next->current->fiber.resume();
    }
}

void SimHal::yield_to_scheduler() { cpus_[current_]->current->fiber.yield(); }

void* SimHal::phys_to_virt(hal::PhysAddr pa) {
    ++cpus_[current_]->stats.hal_calls;
    return machine_.memory().host_view(simx::PhysAddr{pa.value}, 1);
}

hal::PhysAddr SimHal::virt_to_phys(const void* p) {
    PhysicalMemory& mem = machine_.memory();
    const uint8_t* base = mem.host_view(simx::PhysAddr{0}, 1);
    const auto* b = static_cast<const uint8_t*>(p);
    if (b < base || static_cast<uint64_t>(b - base) >= mem.size())
        panic_halt(fmt::format("virt_to_phys of {} which is not in the direct map", p).c_str());
    return hal::PhysAddr{static_cast<uint64_t>(b - base)};
}

void SimHal::invalidate_code(uint64_t pa, uint64_t bytes) {
    if (!bytes) return;
    for (uint64_t f = pa >> 12; f <= (pa + bytes - 1) >> 12; ++f)
        if (code_->holds_code(f)) code_->invalidate(f);
}

void SimHal::zero_frames(hal::PhysAddr pa, uint64_t bytes) {
    machine_.memory().fill(simx::PhysAddr{pa.value}, 0, bytes);
    invalidate_code(pa.value, bytes);
    const uint64_t frames = (bytes + 4095) / 4096;
    cpus_[current_]->stats.frames_zeroed += frames;
    charge(frames * machine_.config().costs.zero_4k);
}

void SimHal::copy_frames(hal::PhysAddr dst, hal::PhysAddr src, uint64_t bytes) {
    PhysicalMemory& mem = machine_.memory();
    std::memmove(mem.host_view(simx::PhysAddr{dst.value}, bytes), mem.host_view(simx::PhysAddr{src.value}, bytes), bytes);
    invalidate_code(dst.value, bytes);
    const uint64_t frames = (bytes + 4095) / 4096;
    cpus_[current_]->stats.frames_copied += frames;
    charge(frames * machine_.config().costs.copy_4k);
}

void SimHal::start_secondary_cpus(void (*entry)(uint32_t)) {
    for (auto& cpu : cpus_) {
        if (cpu->id == current_ || cpu_running(*cpu)) continue;
        // A secondary starts at the starting CPU's current time, as after INIT-SIPI.
        const uint64_t now = clock(current_), its = clock(cpu->id);
        if (now > its) cpu->stats.cycles += now - its;
        const uint32_t id = cpu->id;
        start_cpu(id, [entry, id] { entry(id); });
    }
}

void SimHal::cpu_relax() {
    ++cpus_[current_]->stats.spins;
    charge(machine_.config().costs.pause);
    yield_to_scheduler();
}

void SimHal::send_ipi(uint32_t target, uint8_t vector) {
    if (target >= cpus_.size() || target == current_)
        panic_halt(fmt::format("send_ipi to cpu{} from cpu{}: no such other CPU", target, current_).c_str());
    charge(machine_.config().costs.ipi_send);
    ++cpus_[current_]->stats.ipis_sent;
    Cpu& to = *cpus_[target];
    if (to.ipi_arrival[vector]) return;  // already pending: merged
    to.ipi_arrival[vector] = clock(current_) + machine_.config().costs.ipi_latency;
    ++to.ipis_pending;
}

int SimHal::next_ipi(Cpu& cpu, uint64_t by) {
    if (!cpu.ipis_pending) return -1;
    // The APIC delivers the highest pending vector first (SDM Vol. 3A 10.8.3).
    for (int v = 255; v >= 0; --v)
        if (cpu.ipi_arrival[v] && cpu.ipi_arrival[v] <= by) return v;
    return -1;
}

uint64_t SimHal::earliest_ipi(const Cpu& cpu) const {
    uint64_t earliest = 0;
    if (!cpu.ipis_pending) return 0;
    for (uint64_t a : cpu.ipi_arrival)
        if (a && (!earliest || a < earliest)) earliest = a;
    return earliest;
}

void SimHal::take_ipi(Cpu& cpu, int vector) {
    cpu.ipi_arrival[static_cast<size_t>(vector)] = 0;
    --cpu.ipis_pending;
    ++cpu.stats.ipis_received;
}

uint64_t SimHal::irq_save() {
    Cpu& me = *cpus_[current_];
    const uint64_t was = me.irqs_enabled ? 1 : 0;
    me.irqs_enabled = false;
    return was;
}

void SimHal::irq_restore(uint64_t state) { cpus_[current_]->irqs_enabled = state != 0; }

void SimHal::enable_paging_features(const hal::PagingFeatures& f) {
    Mmu& m = mmu();
    const ControlRegisters& r = m.regs();
    if (f.nx && m.write_efer(r.efer | efer::kNxe) != FaultKind::kNone) panic_halt("EFER.NXE refused");
    uint64_t cr4 = r.cr4;
    if (f.pge) cr4 |= cr4::kPge;
    if (f.smep) cr4 |= cr4::kSmep;
    if (f.smap) cr4 |= cr4::kSmap;
    if (f.la57) cr4 |= cr4::kLa57;
    if (m.write_cr4(cr4) != FaultKind::kNone) panic_halt("CR4 write refused (unsupported feature)");
    // PCIDE last: it needs CR3[11:0] = 0, which holds until the kernel loads a PCID.
    if (f.pcid && m.write_cr4(m.regs().cr4 | cr4::kPcide) != FaultKind::kNone)
        panic_halt("CR4.PCIDE refused (no PCID support, or CR3[11:0] != 0)");
    charge(2 * machine_.config().costs.cr4_write);
}

void SimHal::write_pat(uint64_t value) {
    // Each byte must name a defined type (0, 1, 4, 5, 6, 7); anything else is #GP.
    for (int i = 0; i < 8; ++i) {
        const uint64_t t = (value >> (8 * i)) & 0xff;
        if (t == 2 || t == 3 || t > 7) panic_halt(fmt::format("WRMSR IA32_PAT {:#x}: entry {} is reserved", value, i).c_str());
    }
    mmu().write_pat(value);
    charge(machine_.config().costs.cr4_write);
}

void SimHal::write_cr3(hal::PhysAddr root, uint16_t pcid, bool no_flush) {
    Mmu& m = mmu();
    uint64_t value = root.value | pcid;
    if (no_flush) value |= cr3::kNoFlush;
    if (m.write_cr3(value) != FaultKind::kNone)
        panic_halt(fmt::format("MOV to CR3 of {:#x} raised #GP", value).c_str());
    ++cpus_[current_]->stats.cr3_writes;
    charge(machine_.config().costs.cr3_write);
}

hal::PhysAddr SimHal::current_root() {
    return hal::PhysAddr{mmu().regs().cr3 & Pte::kAddressBits};
}

void SimHal::invlpg(hal::VirtAddr va) {
    mmu().invlpg(VirtAddr{va.value});
    ++cpus_[current_]->stats.invlpg;
    charge(machine_.config().costs.invlpg);
}

void SimHal::invpcid(hal::InvpcidType type, uint16_t pcid, hal::VirtAddr va) {
    if (mmu().invpcid(static_cast<uint64_t>(type), pcid, VirtAddr{va.value}) != FaultKind::kNone)
        panic_halt(fmt::format("INVPCID type {} pcid {} va {:#x} faulted", static_cast<int>(type), pcid, va.value).c_str());
    ++cpus_[current_]->stats.invpcid;
    charge(machine_.config().costs.invpcid);
}

void SimHal::console_write(const char* text, size_t length) { console_.write(text, static_cast<std::streamsize>(length)); }

void SimHal::terminal_write(hal::TerminalStream stream, const char* text, size_t length) {
    std::ostream* out = stream == hal::TerminalStream::kError ? terminal_.error : terminal_.output;
    if (!out) out = &console_;
    out->write(text, static_cast<std::streamsize>(length));
    // Interleaving with the other stream and with the report stays in program order.
    out->flush();
}

size_t SimHal::terminal_read(char* buffer, size_t length) {
    if (!terminal_.input || length == 0) return 0;
    // One line at a time, as a terminal in canonical mode gives it; a pipe or
    // file gives what is there.
    std::istream& in = *terminal_.input;
    size_t n = 0;
    while (n < length) {
        const int c = in.get();
        if (c == std::char_traits<char>::eof()) break;
        buffer[n++] = static_cast<char>(c);
        if (c == '\n') break;
    }
    return n;
}

uint64_t SimHal::random_u64() {
    rng_ ^= rng_ >> 12;
    rng_ ^= rng_ << 25;
    rng_ ^= rng_ >> 27;
    return rng_ * 0x2545F4914F6CDD1Dull;
}

void SimHal::panic_halt(const char* message) {
    console_ << message << "\n";
    console_.flush();
    if (!panicked_) panic_message_ = message;
    panicked_ = true;
    // Leave this CPU's fiber for good; the scheduler reports the panic and
    // later unwinds the fiber from here.
    cpus_[current_]->current->fiber.leave();
}

}  // namespace simx

// ---------------------------------------------------------------- hal:: for the kernel

namespace hal {
namespace {

// A simulator error inside a HAL call (a physical address outside RAM, say) must
// not unwind through kernel frames: it becomes a kernel panic naming the problem.
template <typename Fn>
auto guarded(Fn&& fn) -> decltype(fn()) {
    try {
        return fn();
    } catch (const simx::SimError& e) {
        simx::SimHal::active().panic_halt(e.what());
    }
}

simx::SimHal& sim() { return simx::SimHal::active(); }

}  // namespace

const BootInfo& boot_info() { return sim().boot_info(); }
void* phys_to_virt(PhysAddr pa) { return guarded([&] { return sim().phys_to_virt(pa); }); }
PhysAddr virt_to_phys(const void* p) { return sim().virt_to_phys(p); }
void zero_frames(PhysAddr pa, u64 bytes) { guarded([&] { sim().zero_frames(pa, bytes); }); }
void copy_frames(PhysAddr dst, PhysAddr src, u64 bytes) { guarded([&] { sim().copy_frames(dst, src, bytes); }); }
u32 current_cpu() { return sim().current_cpu(); }
void start_secondary_cpus(void (*entry)(u32 cpu)) { sim().start_secondary_cpus(entry); }
void cpu_relax() { sim().cpu_relax(); }
void send_ipi(u32 cpu, u8 vector) { sim().send_ipi(cpu, vector); }
u64 irq_save() { return sim().irq_save(); }
void irq_restore(u64 state) { sim().irq_restore(state); }
void enable_paging_features(const PagingFeatures& f) { sim().enable_paging_features(f); }
void write_pat(u64 value) { sim().write_pat(value); }
void write_cr3(PhysAddr root, u16 pcid, bool no_flush) { sim().write_cr3(root, pcid, no_flush); }
PhysAddr current_root() { return sim().current_root(); }
void invlpg(VirtAddr va) { sim().invlpg(va); }
void invpcid(InvpcidType type, u16 pcid, VirtAddr va) { sim().invpcid(type, pcid, va); }
void console_write(const char* text, usize length) { sim().console_write(text, length); }
u64 cycles() { return sim().cycles(); }
u64 cycles_per_second() { return sim().cycles_per_second(); }
u64 boot_epoch_seconds() { return sim().boot_epoch_seconds(); }
void cpu_idle(u64 cycles) { sim().cpu_idle(cycles); }
void cpuid(u32 leaf, u32 subleaf, u32 out[4]) { sim().cpuid(leaf, subleaf, out); }
KernelContext* context_create(void (*entry)(void*), void* arg, void*, usize) {
    return guarded([&] { return sim().context_create(entry, arg); });
}
KernelContext* context_current() { return sim().context_current(); }
void context_switch(KernelContext* to) { sim().context_switch(to); }
void context_destroy(KernelContext* context) { guarded([&] { sim().context_destroy(context); }); }
void enter_user(const kernel::TrapFrame& frame) { sim().enter_user(frame); }
void set_user_fs_base(u64 base) { sim().set_user_fs_base(base); }
void set_user_gs_base(u64 base) { sim().set_user_gs_base(base); }
u64 user_fs_base() { return sim().user_fs_base(); }
u64 user_gs_base() { return sim().user_gs_base(); }
usize xstate_size() { return 576; }
void xsave(void* area) { sim().xsave(area); }
void xrstor(const void* area) { sim().xrstor(area); }
void xstate_reset() { sim().xstate_reset(); }
usize copy_from_user(void* dst, u64 user_src, usize n) { return guarded([&] { return sim().copy_from_user(dst, user_src, n); }); }
usize copy_to_user(u64 user_dst, const void* src, usize n) { return guarded([&] { return sim().copy_to_user(user_dst, src, n); }); }
usize clear_user(u64 user_dst, usize n) { return guarded([&] { return sim().clear_user(user_dst, n); }); }
i64 strncpy_from_user(char* dst, u64 user_src, usize n) { return guarded([&] { return sim().strncpy_from_user(dst, user_src, n); }); }
bool uaccess_fixup(kernel::TrapFrame& frame) { return sim().uaccess_fixup(frame); }
bool user_cmpxchg_u32(u64 user_address, u32 expected, u32 desired, u32* old) {
    return guarded([&] { return sim().user_cmpxchg_u32(user_address, expected, desired, old); });
}
u8 smap_violation_probe(u64 user_address, const char* site) { return guarded([&] { return sim().smap_violation_probe(user_address, site); }); }
void terminal_write(TerminalStream stream, const char* text, usize length) { sim().terminal_write(stream, text, length); }
usize terminal_read(char* buffer, usize length) { return sim().terminal_read(buffer, length); }
void publish_counter(const char* scope, const char* name, u64 value) { sim().publish_counter(scope, name, value); }
void set_accounting(u32 account) { sim().set_accounting(account); }
void timer_set_deadline(u64 deadline) { sim().timer_set_deadline(deadline); }
u64 random_u64() { return sim().random_u64(); }
void panic_halt(const char* message) { sim().panic_halt(message); }

}  // namespace hal
