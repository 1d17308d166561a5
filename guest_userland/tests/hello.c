// hello: the smallest guest test. Prints a greeting, its arguments and the GUEST_*
// environment variables the driver sets, and checks the argv/envp layout the kernel
// built on the initial stack (argv[argc] == NULL, envp right after it).
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest_test.h"

extern char** environ;

static int compare_strings(const void* a, const void* b) {
    return strcmp(*(const char* const*)a, *(const char* const*)b);
}

int main(int argc, char** argv) {
    printf("hello, world\n");

    // argv[0] is the path the program was started with; only its last component is the
    // same on the host and in the simulator.
    const char* base = argc > 0 && argv[0] ? strrchr(argv[0], '/') : NULL;
    base = base ? base + 1 : (argc > 0 && argv[0] ? argv[0] : "(null)");
    printf("argv[0] basename: %s\n", base);
    printf("argc: %d\n", argc);
    for (int i = 1; i < argc; i++) printf("argv[%d]: \"%s\"\n", i, argv[i]);

    CHECK("argv_null_terminated", argv[argc] == NULL);
    CHECK("envp_follows_argv", environ == argv + argc + 1);

    // The driver sets GUEST_* variables for both runs; everything else in the
    // environment may legitimately differ, so only those are printed, sorted.
    const char* vars[64];
    int n = 0;
    for (char** e = environ; *e; e++)
        if (strncmp(*e, "GUEST_", 6) == 0 && n < 64) vars[n++] = *e;
    qsort(vars, (size_t)n, sizeof vars[0], compare_strings);
    for (int i = 0; i < n; i++) printf("env: %s\n", vars[i]);

    const char* greeting = getenv("GUEST_GREETING");
    CHECK("getenv", greeting != NULL && strcmp(greeting, "hello from the driver") == 0);
    return guest_finish("hello");
}
