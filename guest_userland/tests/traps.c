// traps: raises one CPU exception from user mode with no handler installed, so
// both the host and the simulator end the program with the signal Linux sends
// for it (arch/x86/kernel/traps.c) and report status 128 + signal:
//   traps ud      UD2                         #UD -> SIGILL  (132)
//   traps de      DIV by zero                 #DE -> SIGFPE  (136)
//   traps int3    INT3                        #BP -> SIGTRAP (133)
//   traps hlt     HLT at CPL 3                #GP -> SIGSEGV (139)
//   traps gp      load from a non-canonical address   #GP -> SIGSEGV (139)
#include <string.h>

#include "guest_test.h"

int main(int argc, char** argv) {
    const char* mode = argc > 1 ? argv[1] : "ud";
    guest_pass("before_trap");
    if (strcmp(mode, "ud") == 0) {
        __asm__ volatile("ud2");
    } else if (strcmp(mode, "de") == 0) {
        unsigned long zero = 0, hi = 0, lo = 1;
        __asm__ volatile("divq %2" : "+a"(lo), "+d"(hi) : "r"(zero));
    } else if (strcmp(mode, "int3") == 0) {
        __asm__ volatile("int3");
    } else if (strcmp(mode, "hlt") == 0) {
        __asm__ volatile("hlt");
    } else if (strcmp(mode, "gp") == 0) {
        unsigned long value;
        __asm__ volatile("movq (%1), %0" : "=r"(value) : "r"(0x8000000000000000ul));
    } else {
        guest_fail("mode", "unknown mode '%s'", mode);
        return 1;
    }
    guest_fail("after_trap", "the %s trap did not end the program", mode);
    return 1;
}
