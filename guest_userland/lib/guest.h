// guest.h: the interface of libguest.so, the shared library of our own that
// tests/shlib.c links against (issue 6, item 5: dynamic linking). Each entry
// exercises one thing musl's dynamic loader does for a library: a call through
// the PLT, data reached through the GOT (or a copy relocation), a call back
// into the program, a constructor, a bss of several pages and thread-local
// storage in the library's own TLS block.
#ifndef SIMX_GUEST_LIB_H
#define SIMX_GUEST_LIB_H

extern int guest_counter;         // 7 until the program changes it
extern __thread int guest_tls;    // 5 in every new thread

int guest_add(int a, int b);
int guest_apply(int (*fn)(int), int x);   // fn(x) + guest_counter
int guest_constructed(void);              // 42 once the library's constructor ran
const char* guest_name(void);             // "libguest"
long guest_fill(int byte);                // fills a 64 KiB bss buffer, returns the sum of its bytes
int guest_tls_bump(void);                 // ++guest_tls

#endif
