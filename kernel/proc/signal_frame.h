// The signal frame a handler runs on, exactly as Linux x86-64 lays it out
// (arch/x86/include/asm/sigframe.h struct rt_sigframe, uapi/asm/sigcontext.h,
// uapi/asm/ucontext.h, uapi/asm-generic/siginfo.h), so that musl's and glibc's
// ucontext_t, siglongjmp and their rt_sigreturn restorers read it as Linux's.
//
// Below the interrupted stack pointer (less the 128-byte red zone, or at the
// top of the alternate stack), from high to low addresses:
//
//     [ XSAVE area, 64-byte aligned: xstate_size() bytes, then FP_XSTATE_MAGIC2 ]
//     [ rt_sigframe: pretcode | ucontext | siginfo ]   <- rsp at handler entry
//
// with rsp = frame, frame + 8 16-byte aligned (the ABI's state right after a
// call pushed the return address: pretcode, the restorer, is that address).
#pragma once

#include "kernel/hal/trap_frame.h"
#include "kernel/lib/types.h"
#include "kernel/proc/signal_state.h"

namespace kernel {

struct SignalAction;

namespace linux_abi {

// uapi/asm/sigcontext.h struct sigcontext (64-bit).
struct SigContext {
    u64 r8, r9, r10, r11, r12, r13, r14, r15;
    u64 rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp;
    u64 rip, eflags;
    u16 cs, gs, fs, ss;
    u64 err, trapno, oldmask, cr2;
    u64 fpstate;  // user address of the XSAVE area, or 0
    u64 reserved1[8];
};
static_assert(sizeof(SigContext) == 256);
static_assert(__builtin_offsetof(SigContext, rip) == 128);
static_assert(__builtin_offsetof(SigContext, cs) == 144);
static_assert(__builtin_offsetof(SigContext, err) == 152);
static_assert(__builtin_offsetof(SigContext, fpstate) == 184);

// stack_t.
struct StackT {
    u64 ss_sp;
    i32 ss_flags;
    i32 pad;
    u64 ss_size;
};
static_assert(sizeof(StackT) == 24);

// uapi/asm/ucontext.h struct ucontext, with the kernel's 8-byte sigset.
struct UContext {
    u64 uc_flags;
    u64 uc_link;
    StackT uc_stack;
    SigContext uc_mcontext;
    u64 uc_sigmask;
};
static_assert(sizeof(UContext) == 304);
static_assert(__builtin_offsetof(UContext, uc_mcontext) == 40);
static_assert(__builtin_offsetof(UContext, uc_sigmask) == 296);

inline constexpr u64 kUcFpXstate = 0x1;
inline constexpr u64 kUcSigcontextSs = 0x2;
inline constexpr u64 kUcStrictRestoreSs = 0x4;

// siginfo_t: 128 bytes; the union of per-kind fields starts at 16.
struct SigInfoAbi {
    i32 si_signo;
    i32 si_errno;
    i32 si_code;
    i32 pad;
    union {
        struct {
            i32 pid;
            i32 uid;
            i32 status;  // SIGCHLD
            i32 pad;
            i64 utime, stime;
        } kill_chld;
        struct {
            u64 addr;
        } fault;
        u8 bytes[112];
    } fields;
};
static_assert(sizeof(SigInfoAbi) == 128);
static_assert(__builtin_offsetof(SigInfoAbi, fields) == 16);

// arch/x86/include/asm/sigframe.h struct rt_sigframe (64-bit).
struct RtSigframe {
    u64 pretcode;
    UContext uc;
    SigInfoAbi info;
};
static_assert(sizeof(RtSigframe) == 440);
static_assert(__builtin_offsetof(RtSigframe, info) == 312);

// uapi/asm/sigcontext.h struct _fpx_sw_bytes, in the FXSAVE image's
// software-available bytes 464..511: tells user code (and rt_sigreturn) that
// an XSAVE area, not a bare FXSAVE image, follows.
struct FpxSwBytes {
    u32 magic1;
    u32 extended_size;  // the whole area: xstate size + 4 (MAGIC2)
    u64 xfeatures;
    u32 xstate_size;
    u32 padding[7];
};
static_assert(sizeof(FpxSwBytes) == 48);
inline constexpr u32 kFpXstateMagic1 = 0x46505853;
inline constexpr u32 kFpXstateMagic2 = 0x46505845;
inline constexpr u64 kFpxSwBytesOffset = 464;

}  // namespace linux_abi

// The siginfo_t user code sees for a queued signal (the frame's, rt_sigtimedwait's).
linux_abi::SigInfoAbi to_siginfo_abi(i32 sig, const SigInfo& info);

// Builds the frame for handler `action` of signal `sig` on the current
// task's user stack (or its alternate stack for SA_ONSTACK) and points
// `frame` at the handler. `saved_mask` goes in uc_sigmask: what rt_sigreturn
// puts back. False when the frame cannot be written (a bad stack, no
// SA_RESTORER): Linux then forces SIGSEGV.
bool setup_rt_frame(TrapFrame& frame, i32 sig, const SigInfo& info, const SignalAction& action, u64 saved_mask);

// rt_sigreturn: restores registers, mask, x87/SSE state and sigaltstack from
// the frame at frame.rsp - 8. False for a bad frame (Linux's badframe: the
// caller kills with SIGSEGV).
bool restore_rt_frame(TrapFrame& frame);

// sigaltstack(2) on the current task: `next` (nullptr: none) replaces the
// alternate stack, `old` (nullptr: not asked) receives it, `sp` is the user
// stack pointer. 0, -EPERM (on the alternate stack), -EINVAL, -ENOMEM.
i64 do_sigaltstack(const linux_abi::StackT* next, linux_abi::StackT* old, u64 sp);

}  // namespace kernel
