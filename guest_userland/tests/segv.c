// segv: writes to a read-only page and must die of SIGSEGV (no handler is installed), so
// both the host and the simulator report status 139 (128 + SIGSEGV). Modes:
//   segv            store to a PROT_READ anonymous mapping (default)
//   segv rodata     store to a string literal in the read-only segment
//   segv null       load from address 0
//   segv noexec     call into a readable, writable, not executable page (NX)
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>

#include "guest_test.h"

int main(int argc, char** argv) {
    const char* mode = argc > 1 ? argv[1] : "mmap";
    volatile char* target;
    if (strcmp(mode, "rodata") == 0) {
        static const char literal[] = "read-only";
        target = (volatile char*)literal;
    } else if (strcmp(mode, "null") == 0) {
        target = (volatile char*)0;
        guest_pass("before_fault");
        return *target;  // never returns
    } else if (strcmp(mode, "noexec") == 0) {
        unsigned char* p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            guest_fail("mmap_no_exec", "mmap failed (errno %d)", errno);
            return 1;
        }
        p[0] = 0xc3;  // ret: harmless if the page were executable
        guest_pass("before_fault");
        ((void (*)(void))(void*)p)();  // SIGSEGV: instruction fetch from an NX page
        guest_fail("after_fault", "the call into a non-executable page did not fault");
        return 1;
    } else {
        void* p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            guest_fail("mmap_read_only", "mmap failed (errno %d)", errno);
            return 1;
        }
        target = (volatile char*)p;
        CHECK("read_only_page_reads_zero", target[0] == 0);
    }
    guest_pass("before_fault");
    target[0] = 'x';  // SIGSEGV: the page is not writable
    guest_fail("after_fault", "the store to a read-only page did not fault");
    return 1;
}
