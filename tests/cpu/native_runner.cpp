#include "tests/cpu/native_runner.h"

#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <cstring>
#include <stdexcept>

extern "C" void simx_native_enter(simx::test::NativeRegs* regs, const void* code);
extern "C" void simx_native_exit();
extern "C" uint8_t simx_native_host_fx[512];

namespace simx::test {
namespace {

sigjmp_buf g_jump;
NativeOutcome* g_outcome = nullptr;

// Linux's greg order differs from the encoding order.
void record(const ucontext_t* uc, NativeRegs& r) {
    const greg_t* g = uc->uc_mcontext.gregs;
    r.gpr[0] = static_cast<uint64_t>(g[REG_RAX]);
    r.gpr[1] = static_cast<uint64_t>(g[REG_RCX]);
    r.gpr[2] = static_cast<uint64_t>(g[REG_RDX]);
    r.gpr[3] = static_cast<uint64_t>(g[REG_RBX]);
    r.gpr[4] = static_cast<uint64_t>(g[REG_RSP]);
    r.gpr[5] = static_cast<uint64_t>(g[REG_RBP]);
    r.gpr[6] = static_cast<uint64_t>(g[REG_RSI]);
    r.gpr[7] = static_cast<uint64_t>(g[REG_RDI]);
    r.gpr[8] = static_cast<uint64_t>(g[REG_R8]);
    r.gpr[9] = static_cast<uint64_t>(g[REG_R9]);
    r.gpr[10] = static_cast<uint64_t>(g[REG_R10]);
    r.gpr[11] = static_cast<uint64_t>(g[REG_R11]);
    r.gpr[12] = static_cast<uint64_t>(g[REG_R12]);
    r.gpr[13] = static_cast<uint64_t>(g[REG_R13]);
    r.gpr[14] = static_cast<uint64_t>(g[REG_R14]);
    r.gpr[15] = static_cast<uint64_t>(g[REG_R15]);
    r.rflags = static_cast<uint64_t>(g[REG_EFL]);
}

void on_fault(int sig, siginfo_t* info, void* context) {
    if (!g_outcome) {  // not from generated code: crash as usual
        signal(sig, SIG_DFL);
        return;
    }
    const auto* uc = static_cast<const ucontext_t*>(context);
    NativeOutcome& o = *g_outcome;
    o.faulted = true;
    o.signal = sig;
    o.trapno = static_cast<uint64_t>(uc->uc_mcontext.gregs[REG_TRAPNO]);
    o.error_code = static_cast<uint64_t>(uc->uc_mcontext.gregs[REG_ERR]);
    o.fault_rip = static_cast<uint64_t>(uc->uc_mcontext.gregs[REG_RIP]);
    o.fault_address = reinterpret_cast<uint64_t>(info->si_addr);
    record(uc, o.regs);
    // The x87/SSE state at the fault, as the kernel saved it (FXSAVE layout).
    if (uc->uc_mcontext.fpregs) std::memcpy(o.regs.fx.bytes, uc->uc_mcontext.fpregs, sizeof o.regs.fx.bytes);
    siglongjmp(g_jump, 1);
}

constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP};

}  // namespace

NativeRunner::NativeRunner(DataLayout layout) : layout_(layout), alt_stack_(1 << 16) {
    void* c = mmap(nullptr, kCodeBytes, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    void* d = mmap(nullptr, kDataBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (c == MAP_FAILED || d == MAP_FAILED) throw std::runtime_error("native runner: mmap failed");
    code_ = static_cast<uint8_t*>(c);
    data_ = static_cast<uint8_t*>(d);
    // Handlers stay installed for the runner's life: one signal setup, not one per case.
    stack_t ss{};
    ss.ss_sp = alt_stack_.data();
    ss.ss_size = alt_stack_.size();
    sigaltstack(&ss, &old_stack_);
    struct sigaction sa{};
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    for (unsigned k = 0; k < 5; ++k) sigaction(kSignals[k], &sa, &old_actions_[k]);
}

NativeRunner::~NativeRunner() {
    for (unsigned k = 0; k < 5; ++k) sigaction(kSignals[k], &old_actions_[k], nullptr);
    sigaltstack(&old_stack_, nullptr);
    munmap(code_, kCodeBytes);
    munmap(data_, kDataBytes);
}

// Applies the layout for a run, or makes every page accessible to the harness.
void NativeRunner::protect(bool for_run) {
    if (layout_ == kAllWritable) return;
    for (unsigned p = 0; p < layout_.size(); ++p) {
        int prot = PROT_READ | PROT_WRITE;
        if (for_run && layout_[p] == PageProtection::kReadOnly) prot = PROT_READ;
        if (for_run && layout_[p] == PageProtection::kNone) prot = PROT_NONE;
        mprotect(data_ + p * 4096, 4096, prot);
    }
}

NativeOutcome NativeRunner::run(std::span<const uint8_t> code, uint64_t offset, const NativeRegs& in,
                                std::span<const uint8_t> memory) {
    if (offset + code.size() + 14 > kCodeBytes || memory.size() != kDataBytes)
        throw std::runtime_error("native runner: code or data does not fit");
    std::memset(code_, 0xCC, kCodeBytes);  // INT3 everywhere else
    std::memcpy(code_ + offset, code.data(), code.size());
    // jmp [rip+0]; .quad simx_native_exit
    uint8_t* tail = code_ + offset + code.size();
    const uint8_t jmp[6] = {0xFF, 0x25, 0, 0, 0, 0};
    std::memcpy(tail, jmp, 6);
    const uint64_t exit_address = reinterpret_cast<uint64_t>(&simx_native_exit);
    std::memcpy(tail + 6, &exit_address, 8);
    __builtin___clear_cache(reinterpret_cast<char*>(code_), reinterpret_cast<char*>(code_ + kCodeBytes));
    protect(false);
    std::memcpy(data_, memory.data(), kDataBytes);
    protect(true);

    outcome_ = NativeOutcome{};
    outcome_.regs = in;
    g_outcome = &outcome_;
    // SA_NODEFER: the handler blocks nothing, so no signal mask needs restoring.
    if (sigsetjmp(g_jump, 0) == 0) {
        simx_native_enter(&outcome_.regs, code_ + offset);
    } else {
        // The handler ran with a fresh FPU state: give the host its own back.
        asm volatile("fxrstor64 %0" : : "m"(*reinterpret_cast<uint8_t(*)[512]>(simx_native_host_fx)));
    }
    g_outcome = nullptr;
    protect(false);
    return outcome_;
}

}  // namespace simx::test
