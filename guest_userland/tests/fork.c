// fork: processes (issue 6): fork with copy-on-write isolation, exit statuses
// through wait4/waitpid for exits and signals, many children reaped in any
// order, execve of another program, orphans, ECHILD. Children never print
// (their output would interleave differently on the host): they report
// through their exit status.
//   usage: fork EXEC_PATH   (a program that exits with status 3)
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_test.h"
#include "guest_proc.h"

#define PAGES 64
static volatile int global_value = 100;

int main(int argc, char** argv) {
    const char* exec_path = argc > 1 ? argv[1] : "/bin/exit_status";
    fflush(stdout);

    // Copy-on-write isolation: the child changes everything, the parent sees nothing.
    unsigned char* pages = mmap(NULL, PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK("mmap", pages != MAP_FAILED);
    for (int i = 0; i < PAGES; i++) pages[i * 4096] = (unsigned char)i;
    pid_t child = fork();
    if (child == 0) {
        int ok = pages[5 * 4096] == 5 && global_value == 100;
        for (int i = 0; i < PAGES; i++) pages[i * 4096] = 0xee;
        global_value = 7;
        _exit(ok && pages[0] == 0xee ? 42 : 1);
    }
    CHECK("fork_returns_pid", child > 0);
    int status = wait_status_of(child);
    CHECK("child_exited", WIFEXITED(status));
    CHECK_EQ("child_saw_parent_memory", WEXITSTATUS(status), 42);
    int intact = global_value == 100;
    for (int i = 0; i < PAGES; i++) intact &= pages[i * 4096] == (unsigned char)i;
    CHECK("parent_memory_intact", intact);

    // The parent writes after the child is gone: its pages are its own again.
    for (int i = 0; i < PAGES; i++) pages[i * 4096] = (unsigned char)(i + 1);
    CHECK_EQ("parent_writes_after_child", pages[63 * 4096], 64);

    // A child that dies of a signal.
    child = fork();
    if (child == 0) {
        *(volatile int*)0 = 1;
        _exit(0);
    }
    status = wait_status_of(child);
    CHECK("signaled", WIFSIGNALED(status));
    CHECK_EQ("termsig_segv", WTERMSIG(status), SIGSEGV);

    // Many children, reaped in whatever order they end.
    enum { KIDS = 16 };
    for (int i = 0; i < KIDS; i++) {
        pid_t p = fork();
        if (p == 0) _exit(i + 1);
        if (p < 0) guest_fail("fork_many", "fork %d failed (errno %d)", i, errno);
    }
    int sum = 0, reaped = 0;
    for (;;) {
        pid_t p = wait(&status);
        if (p < 0) break;
        reaped++;
        if (WIFEXITED(status)) sum += WEXITSTATUS(status);
    }
    CHECK_EQ("reaped_all", reaped, KIDS);
    CHECK_EQ("status_sum", sum, KIDS * (KIDS + 1) / 2);
    CHECK_ERR("echild", wait(&status), ECHILD);

    // execve in a child: the new program's exit status comes back.
    child = fork();
    if (child == 0) {
        char* args[] = {"exit_status", NULL};
        char* env[] = {"FROM_FORK=1", NULL};
        execve(exec_path, args, env);
        _exit(100 + errno);
    }
    status = wait_status_of(child);
    CHECK("exec_exited", WIFEXITED(status));
    CHECK_EQ("exec_status", WEXITSTATUS(status), 3);

    // execve failures keep the caller's image.
    char* none[] = {NULL};
    CHECK_ERR("exec_enoent", execve("/no/such/program", none, none), ENOENT);
    CHECK_ERR("exec_efault", execve((const char*)1, none, none), EFAULT);

    // A grandchild outlives its parent and is re-parented.
    child = fork();
    if (child == 0) {
        pid_t me = getpid();
        pid_t grandchild = fork();
        if (grandchild == 0) {
            for (int i = 0; i < 1000 && getppid() == me; i++) usleep(1000);
            _exit(getppid() != me ? 0 : 1);
        }
        _exit(grandchild > 0 ? 0 : 1);
    }
    status = wait_status_of(child);
    CHECK_EQ("orphan_parent_exited", WEXITSTATUS(status), 0);

    // waitid: siginfo for an exit and a kill; WNOWAIT leaves the child waitable;
    // WNOHANG with nothing to report clears si_pid; no event type is EINVAL.
    child = fork();
    if (child == 0) _exit(9);
    siginfo_t si;
    memset(&si, 0xff, sizeof si);
    CHECK_EQ("waitid_nowait", waitid(P_PID, (id_t)child, &si, WEXITED | WNOWAIT), 0);
    CHECK("waitid_nowait_info", si.si_pid == child && si.si_code == CLD_EXITED && si.si_status == 9);
    memset(&si, 0, sizeof si);
    CHECK_EQ("waitid_reap", waitid(P_PID, (id_t)child, &si, WEXITED), 0);
    CHECK("waitid_info", si.si_signo == SIGCHLD && si.si_pid == child && si.si_code == CLD_EXITED && si.si_status == 9);
    CHECK_ERR("waitid_gone", waitid(P_PID, (id_t)child, &si, WEXITED), ECHILD);
    child = fork();
    if (child == 0) {
        for (;;) pause();
    }
    memset(&si, 0xff, sizeof si);
    // (P_PID, not P_ALL: under simx this program is init and also adopts the
    // orphan made above, which may have ended by now.)
    int nohang = waitid(P_PID, (id_t)child, &si, WEXITED | WNOHANG);
    CHECK("waitid_wnohang", nohang == 0 && (si.si_pid == 0 || si.si_pid == child));
    kill(child, SIGKILL);
    memset(&si, 0, sizeof si);
    CHECK_EQ("waitid_killed", waitid(P_PID, (id_t)child, &si, WEXITED), 0);
    CHECK("waitid_killed_info", si.si_pid == child && si.si_code == CLD_KILLED && si.si_status == SIGKILL);
    CHECK_ERR("waitid_no_event_type", waitid(P_ALL, 0, &si, WNOHANG), EINVAL);

    // waitpid for a pid that is not a child.
    CHECK_ERR("waitpid_not_child", waitpid(1, &status, WNOHANG), ECHILD);
    // rusage comes back with the status.
    child = fork();
    if (child == 0) _exit(0);
    struct rusage ru;
    CHECK_EQ("wait4_rusage", wait4(child, &status, 0, &ru), child);
    return guest_finish("fork");
}
