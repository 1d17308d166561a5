// limits: resource limits and the thread name (getrlimit, setrlimit, prlimit64,
// prctl PR_SET_NAME/PR_GET_NAME). The starting values differ between machines,
// so only what a program sets, and the errors, are printed.
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_test.h"

int main(void) {
    struct rlimit r, got;
    CHECK_EQ("getrlimit_nofile", getrlimit(RLIMIT_NOFILE, &r), 0);
    CHECK("soft_le_hard", r.rlim_cur <= r.rlim_max);
    struct rlimit lower = {256, r.rlim_max};
    CHECK_EQ("setrlimit_lower", setrlimit(RLIMIT_NOFILE, &lower), 0);
    CHECK_EQ("getrlimit_again", getrlimit(RLIMIT_NOFILE, &got), 0);
    CHECK_EQ("soft_is_256", got.rlim_cur, 256);
    struct rlimit bad = {10, 5};
    CHECK_ERR("soft_above_hard", syscall(SYS_setrlimit, RLIMIT_NOFILE, &bad), EINVAL);
    CHECK_ERR("bad_resource", syscall(SYS_getrlimit, 999, &got), EINVAL);
    CHECK_ERR("getrlimit_efault", syscall(SYS_getrlimit, RLIMIT_STACK, (void*)8), EFAULT);
    struct rlimit old;
    struct rlimit stack = {4 << 20, RLIM_INFINITY};
    CHECK_EQ("prlimit_self", prlimit(0, RLIMIT_STACK, &stack, &old), 0);
    CHECK_EQ("prlimit_read_back", prlimit(getpid(), RLIMIT_STACK, NULL, &got), 0);
    CHECK_EQ("stack_soft", got.rlim_cur, 4 << 20);
    // The limits are inherited.
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        struct rlimit c;
        getrlimit(RLIMIT_NOFILE, &c);
        _exit(c.rlim_cur == 256 ? 0 : 1);
    }
    int status = -1;
    waitpid(child, &status, 0);
    CHECK_EQ("inherited", WEXITSTATUS(status), 0);

    char name[16] = {0};
    CHECK_EQ("set_name", prctl(PR_SET_NAME, "guest-limits-long-name"), 0);
    CHECK_EQ("get_name", prctl(PR_GET_NAME, name), 0);
    CHECK("name_truncated", strcmp(name, "guest-limits-lo") == 0);
    CHECK_ERR("prctl_unknown", prctl(0x7fff0000, 0, 0, 0, 0), EINVAL);
    CHECK_ERR("robust_list_size", syscall(SYS_set_robust_list, (void*)0, 7), EINVAL);
    return guest_finish("limits");
}
