/* The ELF loader's test program (tests/kernel/elf_loader_test.cpp), built
   with musl as a static non-PIE and as a true static-PIE. It has text,
   read-only data, initialized data and a bss larger than a page. */
#include <stdio.h>

static char big_bss[20000];
int counter = 42;
const char greeting[] = "hello from simx";

int main(int argc, char** argv) {
    big_bss[argc] = 1;
    printf("%s %d %s\n", greeting, counter, argv[0]);
    return big_bss[1] - 1;
}
