// suite: the guest test programs one after another, as /init runs them in the
// qemu build (issue 7): each is forked and exec'd from BINDIR with its
// arguments, inherits stdout and stderr, and its exit status is checked
// against the one it should end with. The output is every program's output
// plus one line per program, so the same binary under simx, under qemu and on
// the host prints the same lines.
//   usage: suite BINDIR
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct test {
    const char* name;
    const char* args[3];  // "@BIN@/x" stands for BINDIR/x
    int expect;           // exit status, or 128 + signal
};

static const struct test tests[] = {
    {"files", {0}, 0},        {"mem", {0}, 0},
    {"strings", {0}, 0},      {"float", {0}, 0},
    {"uaccess", {0}, 0},      {"time", {0}, 0},
    {"random", {0}, 0},       {"sysinfo", {0}, 0},
    {"auxv", {0}, 0},         {"output", {0}, 0},
    {"limits", {0}, 0},       {"pages", {"1024", 0}, 0},
    {"stack", {"1024", 0}, 0}, {"fork", {"@BIN@/exit_status", 0}, 0},
    {"pipes", {"@BIN@/pipes", 0}, 0}, {"signal_handlers", {0}, 0},
    {"signal_children", {0}, 0}, {"exit_status", {0}, 3},
    {"trap_ud", {"ud", 0}, 128 + 4},
    {"threads", {0}, 0},      {"threads_signals", {0}, 0},
    {"threads_fork", {0}, 0}, {"threads_exit", {"@BIN@/threads_exit", 0}, 0},
    {"futex", {0}, 0},        {"shootdown", {0}, 0},
    {"itimer", {0}, 0},       {"affinity", {0}, 0},
    {"poll_mask", {0}, 0},
};

int main(int argc, char** argv) {
    const char* bindir = argc > 1 ? argv[1] : "/bin";
    extern char** environ;
    int failures = 0, count = (int)(sizeof tests / sizeof tests[0]);
    for (int i = 0; i < count; i++) {
        char path[512], args[3][512];
        char* child_argv[5] = {(char*)tests[i].name};
        snprintf(path, sizeof path, "%s/%s", bindir, tests[i].name);
        for (int a = 0; a < 3 && tests[i].args[a]; a++) {
            if (strncmp(tests[i].args[a], "@BIN@", 5) == 0)
                snprintf(args[a], sizeof args[a], "%s%s", bindir, tests[i].args[a] + 5);
            else
                snprintf(args[a], sizeof args[a], "%s", tests[i].args[a]);
            child_argv[a + 1] = args[a];
        }
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            execve(path, child_argv, environ);
            printf("suite: cannot run %s (errno %d)\n", path, errno);
            _exit(127);
        }
        int status = 0;
        if (pid < 0 || waitpid(pid, &status, 0) != pid) status = 127 << 8;
        int got = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        int ok = got == tests[i].expect;
        failures += !ok;
        printf("suite: %s ended with %d%s\n", tests[i].name, got, ok ? "" : " (FAIL: unexpected)");
    }
    printf("suite: %d of %d programs as expected\n", count - failures, count);
    return failures ? 1 : 0;
}
