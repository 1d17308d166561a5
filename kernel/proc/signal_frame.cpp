// Building and reading back the rt_sigframe (Linux's arch/x86/kernel/signal.c
// get_sigframe, x64_setup_rt_frame, sys_rt_sigreturn; fpu/signal.c
// copy_fpstate_to_sigframe and __fpu_restore_sig; kernel/signal.c
// do_sigaltstack). The layout is in signal_frame.h.
#include "kernel/proc/signal_frame.h"

#include "kernel/hal/hal.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/string.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal.h"
#include "kernel/sched/scheduler.h"

namespace kernel {
namespace {

using namespace linux_abi;

constexpr u64 kRedZone = 128;          // the System V ABI's red zone below rsp
constexpr u64 kMinSigStackSize = 2048; // MINSIGSTKSZ
constexpr usize kLegacyArea = 512;     // the FXSAVE image; more means an XSAVE area with its header
constexpr usize kXsaveHeader = 512;
constexpr u64 kXfeaturesFpSse = 0x3;
constexpr usize kMxcsrOffset = 24;

// RFLAGS a handler starts with cleared (Linux: DF, RF, TF) and those
// rt_sigreturn takes from the frame (Linux's FIX_EFLAGS).
constexpr u64 kFlagCf = 1u << 0, kFlagPf = 1u << 2, kFlagAf = 1u << 4, kFlagZf = 1u << 6, kFlagSf = 1u << 7,
              kFlagTf = 1u << 8, kFlagDf = 1u << 10, kFlagOf = 1u << 11, kFlagRf = 1u << 16, kFlagAc = 1u << 18;
constexpr u64 kFixEflags = kFlagAc | kFlagOf | kFlagDf | kFlagTf | kFlagSf | kFlagZf | kFlagAf | kFlagPf | kFlagCf | kFlagRf;

constexpr u64 kUnblockable = signal_bit(9) | signal_bit(19);

// A kernel copy of the XSAVE area plus MAGIC2: the x87/SSE area every build
// uses (hal.h: legacy region and header, 576 bytes) with room to spare.
struct alignas(64) XstateBuffer {
    u8 bytes[1024];
};

bool on_sig_stack(const TaskSignals& s, u64 sp) {
    if (s.altstack_flags & kSsAutodisarm) return false;
    return sp > s.altstack_sp && sp - s.altstack_sp <= s.altstack_size;
}

i32 sas_ss_flags(const TaskSignals& s, u64 sp) {
    if (!s.altstack_size) return kSsDisable;
    return on_sig_stack(s, sp) ? kSsOnstack : 0;
}

usize xstate_bytes() {
    const usize size = hal::xstate_size();
    KASSERT(size + 4 <= sizeof(XstateBuffer), "xstate of %llu bytes", static_cast<unsigned long long>(size));
    return size;
}

}  // namespace

SigInfoAbi to_siginfo_abi(i32 sig, const SigInfo& info) {
    SigInfoAbi si;
    mem_set(&si, 0, sizeof si);
    si.si_signo = sig;
    si.si_code = info.code;
    // The union member is the one Linux's siginfo_layout picks: fault
    // signals from the kernel carry an address, the rest a sender.
    const bool fault = info.code > 0 && (sig == 4 || sig == 5 || sig == 7 || sig == 8 || sig == 11);
    if (fault) {
        si.fields.fault.addr = info.addr;
    } else {
        si.fields.kill_chld.pid = info.pid;
        si.fields.kill_chld.uid = info.uid;
        if (sig == 17) si.fields.kill_chld.status = info.status;
    }
    return si;
}

bool setup_rt_frame(TrapFrame& frame, i32 sig, const SigInfo& info, const SignalAction& action, u64 saved_mask) {
    Task* t = current_task();
    TaskSignals& s = t->signals;
    if (!(action.flags & kSaRestorer)) return false;  // x86-64 has no vDSO restorer to fall back on

    // Linux's get_sigframe.
    u64 sp = frame.rsp - kRedZone;
    bool on_altstack = on_sig_stack(s, sp);
    if ((action.flags & kSaOnstack) && sas_ss_flags(s, sp) == 0) {
        sp = s.altstack_sp + s.altstack_size;
        on_altstack = true;
    }
    const usize xsize = xstate_bytes();
    const bool xsave = xsize > kLegacyArea;
    const usize math_size = xsave ? xsize + 4 : xsize;
    sp = (sp - math_size) & ~u64{63};
    const u64 fpstate = sp;
    sp -= sizeof(RtSigframe);
    sp = (sp & ~u64{15}) - 8;
    // The frame must fit on the alternate stack it started on (no overflow below it).
    if (on_altstack && !(sp > s.altstack_sp && sp - s.altstack_sp <= s.altstack_size)) return false;

    // The x87/SSE state, as copy_fpstate_to_sigframe writes it.
    XstateBuffer fx;
    mem_set(fx.bytes, 0, sizeof fx.bytes);
    hal::xsave(fx.bytes);
    if (xsave) {
        FpxSwBytes sw{};
        sw.magic1 = kFpXstateMagic1;
        sw.extended_size = static_cast<u32>(xsize + 4);
        sw.xfeatures = kXfeaturesFpSse;
        sw.xstate_size = static_cast<u32>(xsize);
        mem_copy(fx.bytes + kFpxSwBytesOffset, &sw, sizeof sw);
        fx.bytes[kXsaveHeader] |= kXfeaturesFpSse;  // XSTATE_BV: the legacy region is always there
        const u32 magic2 = kFpXstateMagic2;
        mem_copy(fx.bytes + xsize, &magic2, sizeof magic2);
    }
    if (copy_to_user(fpstate, fx.bytes, math_size) != 0) return false;

    RtSigframe f;
    mem_set(&f, 0, sizeof f);
    f.pretcode = action.restorer;
    f.uc.uc_flags = kUcSigcontextSs | kUcStrictRestoreSs | (xsave ? kUcFpXstate : 0);
    f.uc.uc_link = 0;
    f.uc.uc_stack.ss_sp = s.altstack_sp;
    f.uc.uc_stack.ss_flags = s.altstack_flags;
    f.uc.uc_stack.ss_size = s.altstack_size;
    SigContext& sc = f.uc.uc_mcontext;
    sc.r8 = frame.r8, sc.r9 = frame.r9, sc.r10 = frame.r10, sc.r11 = frame.r11;
    sc.r12 = frame.r12, sc.r13 = frame.r13, sc.r14 = frame.r14, sc.r15 = frame.r15;
    sc.rdi = frame.rdi, sc.rsi = frame.rsi, sc.rbp = frame.rbp, sc.rbx = frame.rbx;
    sc.rdx = frame.rdx, sc.rax = frame.rax, sc.rcx = frame.rcx, sc.rsp = frame.rsp;
    sc.rip = frame.rip, sc.eflags = frame.rflags;
    sc.cs = static_cast<u16>(frame.cs), sc.ss = static_cast<u16>(frame.ss);
    sc.err = s.fault_error, sc.trapno = s.fault_trapno, sc.cr2 = s.fault_cr2;
    sc.oldmask = saved_mask;
    sc.fpstate = fpstate;
    f.uc.uc_sigmask = saved_mask;
    f.info = to_siginfo_abi(sig, info);
    if (copy_to_user(sp, &f, sizeof f) != 0) return false;
    s.fault_error = s.fault_trapno = s.fault_cr2 = 0;

    // The handler: handler(sig, &info, &uc), returning to the restorer.
    frame.rdi = static_cast<u64>(sig);
    frame.rsi = sp + __builtin_offsetof(RtSigframe, info);
    frame.rdx = sp + __builtin_offsetof(RtSigframe, uc);
    frame.rax = 0;
    frame.rsp = sp;
    frame.rip = action.handler;
    frame.rflags &= ~(kFlagDf | kFlagRf | kFlagTf);
    frame.cs = selector::kUserCode;
    frame.ss = selector::kUserData;
    if (s.altstack_flags & kSsAutodisarm) {
        s.altstack_sp = s.altstack_size = 0;
        s.altstack_flags = kSsDisable;
    }
    // The handler starts with fresh x87/SSE state (Linux's fpu__clear_user_states).
    hal::xstate_reset();
    return true;
}

bool restore_rt_frame(TrapFrame& frame) {
    Task* t = current_task();
    const u64 at = frame.rsp - 8;  // the restorer's `ret` popped pretcode
    RtSigframe f;
    if (copy_from_user(&f, at, sizeof f) != 0) return false;
    const SigContext& sc = f.uc.uc_mcontext;

    // The x87/SSE state first: nothing changes on a bad frame before the kill.
    const usize xsize = xstate_bytes();
    XstateBuffer fx;
    mem_set(fx.bytes, 0, sizeof fx.bytes);
    if (sc.fpstate) {
        if (sc.fpstate & 63) return false;
        if (copy_from_user(fx.bytes, sc.fpstate, xsize) != 0) return false;
        if (xsize > kLegacyArea) {
            FpxSwBytes sw;
            mem_copy(&sw, fx.bytes + kFpxSwBytesOffset, sizeof sw);
            u32 magic2 = 0;
            const bool full = sw.magic1 == kFpXstateMagic1 && sw.xstate_size == xsize &&
                              sw.extended_size == xsize + 4 && copy_from_user(&magic2, sc.fpstate + xsize, 4) == 0 &&
                              magic2 == kFpXstateMagic2;
            u64 header[8];
            mem_copy(header, fx.bytes + kXsaveHeader, sizeof header);
            if (full) {
                // XRSTOR's #GP conditions (SDM Vol. 1 13.8.1), refused as Linux's
                // validate_user_xstate_header does.
                if (header[0] & ~kXfeaturesFpSse) return false;
                for (int i = 1; i < 8; ++i)
                    if (header[i]) return false;
            } else {
                // A bare FXSAVE image (Linux's fx_only): the legacy region, header rebuilt.
                mem_set(fx.bytes + kXsaveHeader, 0, 64);
                fx.bytes[kXsaveHeader] = kXfeaturesFpSse;
            }
        }
        u32 mxcsr;
        mem_copy(&mxcsr, fx.bytes + kMxcsrOffset, sizeof mxcsr);
        if (mxcsr & ~0xFFFFu) return false;  // reserved MXCSR bits: XRSTOR would #GP
    }

    frame.r8 = sc.r8, frame.r9 = sc.r9, frame.r10 = sc.r10, frame.r11 = sc.r11;
    frame.r12 = sc.r12, frame.r13 = sc.r13, frame.r14 = sc.r14, frame.r15 = sc.r15;
    frame.rdi = sc.rdi, frame.rsi = sc.rsi, frame.rbp = sc.rbp, frame.rbx = sc.rbx;
    frame.rdx = sc.rdx, frame.rax = sc.rax, frame.rcx = sc.rcx, frame.rsp = sc.rsp;
    frame.rip = sc.rip;
    frame.rflags = (frame.rflags & ~kFixEflags) | (sc.eflags & kFixEflags);
    frame.cs = selector::kUserCode;  // only 64-bit user code returns here
    frame.ss = selector::kUserData;
    if (sc.fpstate) hal::xrstor(fx.bytes);
    else hal::xstate_reset();
    signal_set_blocked(t, f.uc.uc_sigmask & ~kUnblockable);
    // Errors other than EFAULT are squashed, as Linux's restore_altstack does.
    (void)do_sigaltstack(&f.uc.uc_stack, nullptr, frame.rsp);
    t->syscall_nr = -1;  // a restored rax is no restart code (Linux: orig_ax = -1)
    return true;
}

i64 do_sigaltstack(const StackT* next, StackT* old, u64 sp) {
    TaskSignals& s = current_task()->signals;
    if (old) {
        old->ss_sp = s.altstack_sp;
        old->ss_size = s.altstack_size;
        old->ss_flags = sas_ss_flags(s, sp) | (s.altstack_flags & kSsAutodisarm);
        old->pad = 0;
    }
    if (!next) return 0;
    if (on_sig_stack(s, sp)) return -linux::kEperm;
    const i32 mode = next->ss_flags & ~kSsAutodisarm;
    if (mode != kSsDisable && mode != kSsOnstack && mode != 0) return -linux::kEinval;
    u64 base = next->ss_sp, size = next->ss_size;
    if (mode == kSsDisable) {
        base = size = 0;
    } else if (size < kMinSigStackSize) {
        return -linux::kEnomem;
    }
    s.altstack_sp = base;
    s.altstack_size = size;
    s.altstack_flags = next->ss_flags;
    return 0;
}

}  // namespace kernel
