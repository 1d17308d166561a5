// The kernel command line (kernel/proc/command_line.h) and the syscall table
// (kernel/sys/syscall_table.cpp): pure functions, checked on the host.
#include <gtest/gtest.h>
#include <sys/syscall.h>

#include <string>
#include <vector>

#include "kernel/lib/errno.h"
#include "kernel/proc/command_line.h"
#include "kernel/sys/sys_proc.h"
#include "kernel/sys/syscall.h"

namespace {

using kernel::CommandLine;

std::vector<std::string> words(const char* const* w, unsigned n) { return {w, w + n}; }

TEST(CommandLine, KnownParametersEnvironmentAndArguments) {
    CommandLine c;
    const char* reason = "";
    ASSERT_EQ(kernel::parse_command_line("  init=/bin/sh norandmaps HOME=/root -x   selftest TERM=vt100 plain",
                                         c, &reason), 0) << reason;
    EXPECT_STREQ(c.init, "/bin/sh");
    EXPECT_FALSE(c.randomize);
    EXPECT_TRUE(c.selftest);
    EXPECT_FALSE(c.test_syscalls);
    EXPECT_EQ(words(c.envp, c.envc), (std::vector<std::string>{"HOME=/root", "TERM=vt100"}));
    EXPECT_EQ(words(c.argv, c.argc), (std::vector<std::string>{"-x", "plain"}));
}

TEST(CommandLine, EverythingAfterDashesIsAnArgumentAndQuotesKeepSpaces) {
    CommandLine c;
    const char* reason = "";
    ASSERT_EQ(kernel::parse_command_line(
                  R"(init=/host/p initargv0="dir with space/p" test_syscalls -- "a b" init=x "q\"uote" "back\\slash" "")",
                  c, &reason), 0) << reason;
    EXPECT_STREQ(c.init, "/host/p");
    EXPECT_STREQ(c.init_argv0, "dir with space/p");
    EXPECT_TRUE(c.test_syscalls);
    EXPECT_EQ(words(c.argv, c.argc), (std::vector<std::string>{"a b", "init=x", "q\"uote", "back\\slash", ""}));
    EXPECT_EQ(c.envc, 0u);
}

TEST(CommandLine, ErrorsNameTheProblem) {
    CommandLine c;
    const char* reason = "";
    EXPECT_EQ(kernel::parse_command_line("init=/x \"open", c, &reason), -kernel::linux::kEinval);
    EXPECT_STREQ(reason, "a double quote is not closed");
    EXPECT_EQ(kernel::parse_command_line("init=", c, &reason), -kernel::linux::kEinval);
    std::string many = "init=/x --";
    for (int i = 0; i < 300; ++i) many += " a";
    EXPECT_EQ(kernel::parse_command_line(many.c_str(), c, &reason), -kernel::linux::kEinval);
    EXPECT_STREQ(reason, "too many arguments for init");
    EXPECT_EQ(kernel::parse_command_line("", c, &reason), 0);
    EXPECT_EQ(c.init, nullptr);
}

// The host's <sys/syscall.h> is the oracle for the numbers and names.
TEST(SyscallTable, NumbersAndNamesAreLinuxs) {
    const std::pair<long, const char*> host[] = {
        {SYS_read, "read"},         {SYS_write, "write"},           {SYS_mmap, "mmap"},
        {SYS_brk, "brk"},           {SYS_rt_sigaction, "rt_sigaction"}, {SYS_writev, "writev"},
        {SYS_exit, "exit"},         {SYS_uname, "uname"},           {SYS_arch_prctl, "arch_prctl"},
        {SYS_getdents64, "getdents64"}, {SYS_set_tid_address, "set_tid_address"},
        {SYS_clock_gettime, "clock_gettime"}, {SYS_exit_group, "exit_group"}, {SYS_openat, "openat"},
        {SYS_newfstatat, "newfstatat"}, {SYS_getrandom, "getrandom"}, {SYS_futex, "futex"},
        {SYS_clone, "clone"},       {SYS_execve, "execve"},         {SYS_statx, "statx"},
    };
    for (const auto& [number, name] : host) {
        ASSERT_NE(kernel::syscall_name(number), nullptr) << name;
        EXPECT_STREQ(kernel::syscall_name(number), name);
        const kernel::SyscallEntry* e = kernel::find_syscall(number);
        if (e) {
            EXPECT_EQ(e->number, static_cast<uint32_t>(number));
            EXPECT_STREQ(e->name, name) << "handler of " << number;
        }
    }
    // Every handler's name is the Linux name of its number.
    for (uint32_t n = 0; n < 512; ++n) {
        const kernel::SyscallEntry* e = kernel::find_syscall(n);
        if (!e) continue;
        ASSERT_NE(kernel::syscall_name(n), nullptr) << n;
        // Aliases share a handler (getgid, geteuid, getegid use getuid's) but keep their names.
        EXPECT_STREQ(e->name, kernel::syscall_name(n)) << n;
    }
    EXPECT_NE(kernel::find_syscall(SYS_futex), nullptr);
    EXPECT_EQ(kernel::find_syscall(SYS_rseq), nullptr);  // restartable sequences: not yet
    EXPECT_EQ(kernel::find_syscall(1000), nullptr);
    EXPECT_EQ(kernel::find_syscall(~uint64_t{0}), nullptr);
}

TEST(SyscallTable, TheSmapProbeExistsOnlyWhenEnabled) {
    EXPECT_EQ(kernel::find_syscall(kernel::kSysSmapProbe), nullptr);
    kernel::enable_test_syscalls();
    const kernel::SyscallEntry* e = kernel::find_syscall(kernel::kSysSmapProbe);
    ASSERT_NE(e, nullptr);
    EXPECT_STREQ(e->name, "simx_smap_probe");
}

}  // namespace
