// forkwork: N child processes each run a CPU-bound hash loop of K rounds and
// report its low bits through their exit status; the parent reaps them in
// whatever order they end and prints the statuses in child order. The output
// does not depend on how many CPUs run them or how they are scheduled, so the
// same binary on the host, and under simx with 1, 2 or 4 CPUs, prints the same.
//   usage: forkwork [N=4] [K=200000]
#define _GNU_SOURCE
#include <sys/wait.h>
#include <unistd.h>

#include "workload.h"

static unsigned hash_rounds(unsigned seed, uint64_t rounds) {
    uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
    uint64_t h = 0;
    for (uint64_t i = 0; i < rounds; i++) h ^= workload_rand(&state) >> (i & 31);
    return (unsigned)(h & 0x7f);
}

int main(int argc, char** argv) {
    uint64_t n = workload_arg(argc, argv, 1, 4);
    uint64_t k = workload_arg(argc, argv, 2, 200000);
    if (n > 64) n = 64;
    pid_t pids[64];
    fflush(stdout);
    for (uint64_t i = 0; i < n; i++) {
        pids[i] = fork();
        if (pids[i] == 0) _exit((int)hash_rounds((unsigned)i + 1, k));
        if (pids[i] < 0) {
            printf("forkwork: fork failed\n");
            return 1;
        }
    }
    int codes[64] = {0};
    for (uint64_t done = 0; done < n; done++) {
        int status = 0;
        pid_t p = wait(&status);
        for (uint64_t i = 0; i < n; i++)
            if (pids[i] == p) codes[i] = WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
    }
    printf("forkwork %llu children x %llu rounds:", (unsigned long long)n, (unsigned long long)k);
    for (uint64_t i = 0; i < n; i++) printf(" %d", codes[i]);
    printf("\n");
    return 0;
}
