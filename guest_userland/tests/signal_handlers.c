// signal_handlers: signals a process sends itself or takes from its own faults,
// caught by handlers (issue 6, item 3). Checks the siginfo Linux fills
// (si_signo, si_code, si_addr, si_pid), the rt_sigframe (ucontext RIP, the XSAVE
// magic, alignment), siglongjmp out of fault handlers, masks (sigprocmask,
// sa_mask, SA_NODEFER), SA_RESETHAND, sigpending, sigaltstack, and the x87/SSE
// state across a handler that clobbers it. Prints outcomes only.
#define _GNU_SOURCE
#include <fenv.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "guest_test.h"

static sigjmp_buf jump;
static volatile sig_atomic_t hits;
static siginfo_t last_info;
static uintptr_t last_rip;
static int last_uc_aligned, last_info_offset, last_fp_magic;
static int last_blocked_self, last_blocked_mask;
static int last_round;

static void record(int sig, siginfo_t* info, void* ucv) {
    ucontext_t* uc = ucv;
    hits++;
    last_info = *info;
    last_rip = uc->uc_mcontext.gregs[REG_RIP];
    last_uc_aligned = ((uintptr_t)uc % 16) == 0;
    last_info_offset = (int)((char*)info - (char*)uc);
    last_fp_magic = uc->uc_mcontext.fpregs && *(uint32_t*)((char*)uc->uc_mcontext.fpregs + 464) == 0x46505853u;
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    last_blocked_self = sigismember(&now, sig);
    last_blocked_mask = sigismember(&now, SIGUSR2);
    last_round = fegetround();
}

static void fault_handler(int sig, siginfo_t* info, void* uc) {
    record(sig, info, uc);
    siglongjmp(jump, 1);
}

static void catch_with(int sig, void (*fn)(int, siginfo_t*, void*), int flags, int mask_sig) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    if (mask_sig) sigaddset(&sa.sa_mask, mask_sig);
    sigaction(sig, &sa, NULL);
}

static void test_faults(void) {
    char* page = mmap(NULL, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    catch_with(SIGSEGV, fault_handler, 0, 0);
    hits = 0;
    if (sigsetjmp(jump, 1) == 0) {
        (void)*(volatile char*)(page + 100);
        guest_fail("segv_accerr", "no fault");
    }
    CHECK("segv_accerr_caught", hits == 1);
    CHECK_EQ("segv_accerr_signo", last_info.si_signo, SIGSEGV);
    CHECK_EQ("segv_accerr_code", last_info.si_code, SEGV_ACCERR);
    CHECK("segv_accerr_addr", last_info.si_addr == page + 100);
    CHECK("segv_frame_aligned", last_uc_aligned);
    CHECK_EQ("segv_info_after_ucontext", last_info_offset, 304);
    CHECK("segv_xsave_magic", last_fp_magic);
    CHECK("segv_blocked_in_handler", last_blocked_self == 1);
    // siglongjmp restored the mask: a second fault is caught again.
    munmap(page, 8192);
    if (sigsetjmp(jump, 1) == 0) {
        *(volatile char*)(page + 4096 + 8) = 1;
        guest_fail("segv_maperr", "no fault");
    }
    CHECK("segv_maperr_caught", hits == 2);
    CHECK_EQ("segv_maperr_code", last_info.si_code, SEGV_MAPERR);
    CHECK("segv_maperr_addr", last_info.si_addr == page + 4096 + 8);

    catch_with(SIGILL, fault_handler, 0, 0);
    if (sigsetjmp(jump, 1) == 0) __asm__ volatile("ud2");
    CHECK_EQ("sigill_signo", last_info.si_signo, SIGILL);
    CHECK_EQ("sigill_code", last_info.si_code, ILL_ILLOPN);
    CHECK("sigill_addr_is_rip", (uintptr_t)last_info.si_addr == last_rip);

    catch_with(SIGFPE, fault_handler, 0, 0);
    if (sigsetjmp(jump, 1) == 0) {
        unsigned long zero = 0, hi = 0, lo = 1;
        __asm__ volatile("divq %2" : "+a"(lo), "+d"(hi) : "r"(zero));
    }
    CHECK_EQ("sigfpe_signo", last_info.si_signo, SIGFPE);
    CHECK_EQ("sigfpe_code", last_info.si_code, FPE_INTDIV);
    CHECK("sigfpe_addr_is_rip", (uintptr_t)last_info.si_addr == last_rip);

    catch_with(SIGTRAP, fault_handler, 0, 0);
    if (sigsetjmp(jump, 1) == 0) __asm__ volatile("int3");
    CHECK_EQ("sigtrap_code", last_info.si_code, SI_KERNEL);
}

static void plain_handler(int sig, siginfo_t* info, void* uc) { record(sig, info, uc); }

// Steps over the 2-byte UD2 and changes RBX in the ucontext: rt_sigreturn
// resumes from the registers as the handler left them.
static void skip_ud2(int sig, siginfo_t* info, void* ucv) {
    ucontext_t* uc = ucv;
    uc->uc_mcontext.gregs[REG_RIP] += 2;
    uc->uc_mcontext.gregs[REG_RBX] = 0x1234;
    hits++;
}

static void test_edit_context(void) {
    catch_with(SIGILL, skip_ud2, 0, 0);
    hits = 0;
    long rbx;
    __asm__ volatile("xor %%ebx, %%ebx\n\tud2\n\tmov %%rbx, %0" : "=r"(rbx) : : "rbx");
    CHECK("ucontext_rip_edit_resumes", hits == 1);
    CHECK("ucontext_register_edit", rbx == 0x1234);
    signal(SIGILL, SIG_DFL);
}

static void test_kill_self(void) {
    catch_with(SIGUSR1, plain_handler, 0, SIGUSR2);
    hits = 0;
    kill(getpid(), SIGUSR1);
    CHECK("kill_self_delivered", hits == 1);
    CHECK_EQ("kill_self_code", last_info.si_code, SI_USER);
    CHECK("kill_self_pid", last_info.si_pid == getpid());
    CHECK("handler_blocks_own_signal", last_blocked_self == 1);
    CHECK("handler_blocks_sa_mask", last_blocked_mask == 1);
    CHECK_EQ("handler_fresh_rounding", last_round, FE_TONEAREST);
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    CHECK("mask_restored_after_handler", !sigismember(&now, SIGUSR1) && !sigismember(&now, SIGUSR2));

    catch_with(SIGUSR2, plain_handler, 0, 0);
    raise(SIGUSR2);
    CHECK("raise_delivered", hits == 2);
    CHECK_EQ("raise_signo", last_info.si_signo, SIGUSR2);
    CHECK_EQ("raise_code", last_info.si_code, SI_TKILL);
    syscall(SYS_tgkill, getpid(), gettid(), SIGUSR2);
    CHECK("tgkill_delivered", hits == 3 && last_info.si_code == SI_TKILL && last_info.si_pid == getpid());
    CHECK_ERR("tgkill_bad_tid", syscall(SYS_tgkill, getpid(), 0x3fffffff, SIGUSR2), ESRCH);
}

static void test_masks(void) {
    catch_with(SIGUSR1, plain_handler, 0, 0);
    hits = 0;
    sigset_t set, pending;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    kill(getpid(), SIGUSR1);
    kill(getpid(), SIGUSR1);  // not queued twice
    CHECK("blocked_not_delivered", hits == 0);
    sigpending(&pending);
    CHECK("blocked_is_pending", sigismember(&pending, SIGUSR1) == 1);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    CHECK_EQ("unblock_delivers_once", hits, 1);
    sigpending(&pending);
    CHECK("pending_cleared", sigismember(&pending, SIGUSR1) == 0);

    // SIG_IGN discards a pending signal.
    sigprocmask(SIG_BLOCK, &set, NULL);
    kill(getpid(), SIGUSR1);
    signal(SIGUSR1, SIG_IGN);
    sigpending(&pending);
    CHECK("ignore_discards_pending", sigismember(&pending, SIGUSR1) == 0);
    sigprocmask(SIG_UNBLOCK, &set, NULL);

    // SA_NODEFER: the signal is not blocked in its own handler.
    catch_with(SIGUSR1, plain_handler, SA_NODEFER, 0);
    kill(getpid(), SIGUSR1);
    CHECK("nodefer_not_blocked", hits == 2 && last_blocked_self == 0);

    // SA_RESETHAND: one shot, then the default action.
    catch_with(SIGUSR1, plain_handler, SA_RESETHAND, 0);
    kill(getpid(), SIGUSR1);
    struct sigaction now;
    sigaction(SIGUSR1, NULL, &now);
    CHECK("resethand_ran", hits == 3);
    CHECK("resethand_now_default", now.sa_handler == SIG_DFL);

    CHECK_ERR("sigaction_sigkill", sigaction(SIGKILL, &now, NULL), EINVAL);
    CHECK_ERR("kill_bad_signal", kill(getpid(), 65), EINVAL);
    CHECK("kill_probe", kill(getpid(), 0) == 0);
}

static void test_sigwait(void) {
    catch_with(SIGUSR1, plain_handler, 0, 0);
    hits = 0;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    kill(getpid(), SIGUSR1);
    siginfo_t si;
    struct timespec zero = {0, 0}, one_ms = {0, 1000000};
    int r = sigtimedwait(&set, &si, &zero);
    CHECK("sigtimedwait_takes_pending", r == SIGUSR1 && si.si_code == SI_USER && si.si_pid == getpid());
    CHECK_ERR("sigtimedwait_none", sigtimedwait(&set, &si, &zero), EAGAIN);
    CHECK_ERR("sigtimedwait_timeout", sigtimedwait(&set, &si, &one_ms), EAGAIN);
    raise(SIGUSR1);
    int sig = 0;
    CHECK("sigwait", sigwait(&set, &sig) == 0 && sig == SIGUSR1);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    CHECK("sigwait_no_handler", hits == 0);
}

static char* alt_base;
static size_t alt_size;
static int alt_inside, alt_flags;

static void alt_handler(int sig, siginfo_t* info, void* uc) {
    char local;
    alt_inside = &local >= alt_base && &local < alt_base + alt_size;
    stack_t now;
    sigaltstack(NULL, &now);
    alt_flags = now.ss_flags;
    hits++;
}

static void test_altstack(void) {
    alt_size = 64 * 1024;
    alt_base = malloc(alt_size);
    stack_t ss = {.ss_sp = alt_base, .ss_size = alt_size, .ss_flags = 0};
    CHECK("sigaltstack_set", sigaltstack(&ss, NULL) == 0);
    stack_t tiny = {.ss_sp = alt_base, .ss_size = 100, .ss_flags = 0};
    CHECK_ERR("sigaltstack_too_small", sigaltstack(&tiny, NULL), ENOMEM);
    catch_with(SIGUSR2, alt_handler, SA_ONSTACK, 0);
    hits = 0;
    raise(SIGUSR2);
    CHECK("altstack_handler_ran", hits == 1);
    CHECK("altstack_used", alt_inside);
    CHECK_EQ("altstack_onstack_flag", alt_flags, SS_ONSTACK);
    stack_t old;
    sigaltstack(NULL, &old);
    CHECK("altstack_after", old.ss_sp == alt_base && old.ss_size == alt_size && old.ss_flags == 0);
    catch_with(SIGUSR2, alt_handler, 0, 0);
    raise(SIGUSR2);
    CHECK("no_onstack_uses_normal_stack", hits == 2 && !alt_inside && alt_flags == 0);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    sigaltstack(NULL, &old);
    CHECK_EQ("altstack_disabled", old.ss_flags, SS_DISABLE);
}

static void clobber_handler(int sig) {
    volatile double x = 3.0;
    for (int i = 0; i < 10; i++) x = x * 1.5 + 0.25;
    fesetround(FE_DOWNWARD);
    __asm__ volatile("xorpd %%xmm0, %%xmm0\n\txorpd %%xmm7, %%xmm7\n\txorpd %%xmm15, %%xmm15" ::: "xmm0", "xmm7", "xmm15");
    hits++;
}

static void test_fp_state(void) {
    signal(SIGUSR1, clobber_handler);
    hits = 0;
    fesetround(FE_UPWARD);
    double in0 = 1.2345, in7 = -7.5, in15 = 1e100, out0, out7, out15;
    long pid = getpid(), sig = SIGUSR1, ret;
    // kill(2) straight from asm, with live XMM registers across it.
    __asm__ volatile(
        "movsd %[in0], %%xmm0\n\t"
        "movsd %[in7], %%xmm7\n\t"
        "movsd %[in15], %%xmm15\n\t"
        "mov $62, %%eax\n\t"
        "syscall\n\t"
        "movsd %%xmm0, %[out0]\n\t"
        "movsd %%xmm7, %[out7]\n\t"
        "movsd %%xmm15, %[out15]\n\t"
        : [out0] "=m"(out0), [out7] "=m"(out7), [out15] "=m"(out15), "=a"(ret)
        : [in0] "m"(in0), [in7] "m"(in7), [in15] "m"(in15), "D"(pid), "S"(sig)
        : "rcx", "r11", "xmm0", "xmm7", "xmm15", "memory");
    int round = fegetround();
    fesetround(FE_TONEAREST);
    CHECK("fp_handler_ran", hits == 1 && ret == 0);
    CHECK("xmm0_restored", out0 == 1.2345);
    CHECK("xmm7_restored", out7 == -7.5);
    CHECK("xmm15_restored", out15 == 1e100);
    CHECK_EQ("mxcsr_rounding_restored", round, FE_UPWARD);

    // A computation with doubles across many signals.
    double acc = 0;
    for (int i = 1; i <= 200; i++) {
        acc += 1.0 / i;
        if (i % 20 == 0) raise(SIGUSR1);
        acc *= 1.0000001;
    }
    CHECK_EQ("fp_sum_across_signals", (long long)(acc * 1e9), 5878129097LL);
    CHECK_EQ("fp_handler_count", hits, 11);
}

int main(void) {
    test_faults();
    test_edit_context();
    test_kill_self();
    test_masks();
    test_sigwait();
    test_altstack();
    test_fp_state();
    return guest_finish("signal_handlers");
}
