// sysinfo: uname, the process and user ids, sched_yield, and an unknown system call
// number (which must fail with ENOSYS, as on Linux).
#define _GNU_SOURCE
#include <sched.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "guest_test.h"

int main(void) {
    struct utsname u;
    CHECK_EQ("uname", uname(&u), 0);
    CHECK("uname_sysname_Linux", strcmp(u.sysname, "Linux") == 0);
    CHECK("uname_machine_x86_64", strcmp(u.machine, "x86_64") == 0);
    CHECK("uname_release_set", u.release[0] != 0);
    CHECK("uname_nodename_set", u.nodename[0] != 0);
    CHECK_ERR("uname_bad_pointer_EFAULT", syscall(SYS_uname, (void*)8), EFAULT);

    CHECK("getpid_positive", getpid() > 0);
    CHECK("gettid_equals_pid", syscall(SYS_gettid) == getpid());
    CHECK("getppid_non_negative", getppid() >= 0);
    CHECK("uid_euid", getuid() == geteuid());
    CHECK("gid_egid", getgid() == getegid());
    CHECK_EQ("sched_yield", sched_yield(), 0);

    CHECK_ERR("syscall_1000_ENOSYS", syscall(1000), ENOSYS);
    CHECK_ERR("syscall_100000_ENOSYS", syscall(100000), ENOSYS);
    CHECK_ERR("syscall_512_ENOSYS", syscall(512), ENOSYS);  // x32 numbers are not x86-64's
    CHECK_ERR("syscall_minus_1_ENOSYS", syscall(-1), ENOSYS);
    return guest_finish("sysinfo");
}
