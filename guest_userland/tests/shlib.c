// shlib: a dynamically linked program using a shared library of our own
// (lib/libguest.so): musl's loader (/lib/ld-musl-x86_64.so.1, loaded by the
// kernel as the PT_INTERP) maps the library with mmap of its file, relocates
// both objects and runs the library's constructor before main. Then dlopen
// finds the loaded library again by name.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "../lib/guest.h"
#include "guest_test.h"

static int twice(int x) { return 2 * x; }

int main(void) {
    CHECK("call_through_plt", guest_add(2, 3) == 5);
    CHECK("library_data", guest_counter == 7);
    guest_counter = 10;
    CHECK("callback_into_the_program", guest_apply(twice, 4) == 18);
    CHECK("constructor_ran", guest_constructed() == 42);
    CHECK("library_rodata", strcmp(guest_name(), "libguest") == 0);
    CHECK("library_bss", guest_fill(1) == 64 * 1024);
    CHECK("library_tls_initial", guest_tls == 5);
    CHECK("library_tls_bump", guest_tls_bump() == 6 && guest_tls == 6);
    void* handle = dlopen("libguest.so", RTLD_NOW);
    CHECK("dlopen_finds_it", handle != NULL);
    if (handle) {
        CHECK("dlsym_same_function", dlsym(handle, "guest_add") == (void*)guest_add);
    }
    CHECK("dlopen_missing_fails", dlopen("libnothere.so", RTLD_NOW) == NULL);
    return guest_finish("shlib");
}
