// write_execute: asks for memory both writable and executable (W+X) three
// ways and prints what the kernel answered. Under simx the answer depends on
// the machine's kernel.allow_write_execute (EACCES when W^X is enforced), so
// tests run it under simx with both settings rather than against the host.
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest_test.h"

static const char* outcome(long r) { return r < 0 ? strerror(errno) : "allowed"; }

int main(void) {
    long r = syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap rwx: %s\n", outcome(r));
    void* p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 1;
    r = syscall(SYS_mprotect, p, 4096, PROT_READ | PROT_WRITE | PROT_EXEC);
    printf("mprotect rw->rwx: %s\n", outcome(r));
    if (r == 0) {
        // W+X granted: code written here runs.
        unsigned char* code = p;
        code[0] = 0xb8, code[1] = 42, code[2] = code[3] = code[4] = 0;  // mov eax, 42
        code[5] = 0xc3;                                                  // ret
        printf("generated code returned %d\n", ((int (*)(void))p)());
    }
    guest_pass("asked");
    return 0;
}
