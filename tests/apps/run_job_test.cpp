// `simx run` (apps/simx/run_job.h) end to end: guest programs from
// guest_userland run on a fresh simulated machine with their output, exit
// status and counters checked, and the job's own failure modes.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "apps/simx/run_job.h"
#include "sim/machine/config.h"
#include "sim/machine/sim_error.h"

namespace simx {
namespace {

std::string bin(const std::string& name) { return std::string(SIMX_GUEST_BIN_DIR) + "/" + name; }

MachineConfig machine(uint64_t seed = 1) {
    MachineConfig c;
    c.seed = seed;
    c.memory.node_bytes = {uint64_t{64} << 20};
    c.cpus = 1;
    return c;
}

struct Ran {
    RunJobResult result;
    std::string out, err;
};

Ran run(const RunJobOptions& o, const std::string& input = "", const MachineConfig& config = machine()) {
    std::istringstream in(input);
    std::ostringstream out, err;
    Ran r{run_program(config, o, in, out, err), "", ""};
    r.out = out.str();
    r.err = err.str();
    return r;
}

TEST(RunJob, ArgumentsWithSpacesAndQuotesReachTheProgramIntact) {
    RunJobOptions o;
    o.program = bin("hello");
    o.args = {"one", "two words", "q\"uote", "back\\slash", ""};
    o.env = {"GUEST_GREETING=hello from the driver"};
    const Ran r = run(o);
    EXPECT_NE(r.out.find("env: GUEST_GREETING=hello from the driver"), std::string::npos) << r.out;
    EXPECT_EQ(r.result.exit_status, 0) << r.out << r.result.kernel_log;
    EXPECT_NE(r.out.find("argv[2]: \"two words\""), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("argv[3]: \"q\"uote\""), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("argv[4]: \"back\\slash\""), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("argv[5]: \"\""), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("argc: 6"), std::string::npos) << r.out;
}

TEST(RunJob, ExitStatusStdinAndStderrAreTheProgramsOwn) {
    RunJobOptions o;
    o.program = bin("exit_status");
    EXPECT_EQ(run(o).result.exit_status, 3);
    o.program = bin("stdin_sum");
    o.args = {"2"};
    const Ran r = run(o, "first line\nsecond\n");
    EXPECT_NE(r.out.find("PASS"), std::string::npos) << r.out << r.err;
    EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
}

TEST(RunJob, AFaultKillsTheProgramWithSigsegvAndTheKernelSaysWhere) {
    RunJobOptions o;
    o.program = bin("segv");
    o.args = {"null"};
    const Ran r = run(o);
    EXPECT_EQ(r.result.exit_status, 128 + 11);
    EXPECT_NE(r.result.program_messages.find("segv[1]: segfault at 0 ip"), std::string::npos)
        << r.result.program_messages;
}

TEST(RunJob, CountersNameTheSyscallsAndTheUnimplementedOnes) {
    RunJobOptions o;
    o.program = bin("sysinfo");
    const Ran r = run(o);
    EXPECT_EQ(r.result.exit_status, 0) << r.out;
    EXPECT_NE(r.result.report.find("process1: syscalls ("), std::string::npos) << r.result.report;
    EXPECT_NE(r.result.report.find("uname="), std::string::npos) << r.result.report;
    // sysinfo makes syscall 1000, which Linux does not have: listed by number.
    EXPECT_NE(r.result.report.find("unimplemented syscalls (ENOSYS):"), std::string::npos) << r.result.report;
    EXPECT_NE(r.result.report.find("nr1000x1"), std::string::npos) << r.result.report;
    EXPECT_NE(r.result.stats_json.find("\"process1\""), std::string::npos);
}

TEST(RunJob, SameSeedSameCountersDifferentSeedDifferentLayout) {
    RunJobOptions o;
    o.program = bin("chase");
    o.args = {"1", "20000"};
    const Ran a = run(o, "", machine(7)), b = run(o, "", machine(7)), c = run(o, "", machine(8));
    EXPECT_EQ(a.out, b.out);
    EXPECT_EQ(a.result.stats_json, b.result.stats_json);
    EXPECT_EQ(a.out, c.out);  // the program's result does not depend on where it lives
    EXPECT_NE(a.result.stats_json, c.result.stats_json);
}

// The value of process1's counter `group.name` in the job's JSON.
uint64_t process_counter(const RunJobResult& r, const std::string& group, const std::string& name) {
    const size_t p = r.stats_json.find("\"process1\"");
    const size_t g = r.stats_json.find("\"" + group + "\": {", p);
    const size_t k = r.stats_json.find("\"" + name + "\": ", g);
    EXPECT_NE(k, std::string::npos) << group << "." << name;
    return k == std::string::npos ? 0 : std::stoull(r.stats_json.substr(k + name.size() + 4));
}

TEST(RunJob, FreshPagesGiveExactlyOneFaultEachOfTheRightKind) {
    // guest_userland/tests/pages.c with N pages: an mmap of N pages read on
    // every other page (N/2 zero-page faults) then written everywhere (N/2
    // demand-zero on the untouched pages, N/2 permission faults replacing the
    // zero page), a malloc of N pages written first (N demand-zero) and a
    // calloc of N pages read (N zero-page). Startup costs the same for any N,
    // so doubling N adds exactly these.
    RunJobOptions o;
    o.program = bin("pages");
    o.args = {"1000"};
    const Ran small = run(o);
    o.args = {"2000"};
    const Ran large = run(o);
    ASSERT_EQ(small.result.exit_status, 0) << small.out;
    ASSERT_EQ(large.result.exit_status, 0) << large.out;
    auto delta = [&](const std::string& group, const std::string& name) {
        return process_counter(large.result, group, name) - process_counter(small.result, group, name);
    };
    EXPECT_EQ(delta("faults", "demand_zero"), 1500u);
    EXPECT_EQ(delta("faults", "zero_page"), 1500u);
    EXPECT_EQ(delta("faults", "permission"), 500u);
    EXPECT_EQ(delta("mmu", "page_faults"), 3500u);
    EXPECT_EQ(delta("faults", "segv_maperr"), 0u);
}

TEST(RunJob, WriteExecuteIsRefusedUnlessTheMachineAllowsIt) {
    RunJobOptions o;
    o.program = bin("write_execute");
    const Ran enforced = run(o);
    EXPECT_EQ(enforced.result.exit_status, 0) << enforced.out;
    EXPECT_NE(enforced.out.find("mmap rwx: Permission denied"), std::string::npos) << enforced.out;
    EXPECT_NE(enforced.out.find("mprotect rw->rwx: Permission denied"), std::string::npos) << enforced.out;
    MachineConfig allow = machine();
    allow.kernel.allow_write_execute = true;
    const Ran allowed = run(o, "", allow);
    EXPECT_NE(allowed.out.find("mmap rwx: allowed"), std::string::npos) << allowed.out;
    EXPECT_NE(allowed.out.find("generated code returned 42"), std::string::npos) << allowed.out;
}

TEST(RunJob, ProcessesOnOneTwoOrFourCpusGiveTheSameOutputAndReproduce) {
    RunJobOptions o;
    o.program = bin("forkwork");
    o.args = {"6", "300000"};
    std::string first;
    for (uint32_t cpus : {1u, 2u, 4u}) {
        MachineConfig c = machine();
        c.cpus = cpus;
        const Ran a = run(o, "", c), b = run(o, "", c);
        ASSERT_EQ(a.result.exit_status, 0) << a.out << a.result.kernel_log;
        if (first.empty()) first = a.out;
        EXPECT_EQ(a.out, first) << cpus << " CPUs";
        // Same machine, same seed: the same schedule, counters byte for byte.
        EXPECT_EQ(a.result.stats_json, b.result.stats_json) << cpus << " CPUs";
        // Six children and their parent, all reported.
        EXPECT_NE(a.result.stats_json.find("\"process7\""), std::string::npos);
        // Every CPU took part: a second boot in the same host process must
        // not inherit the first one's state (it once let secondaries see
        // "init has exited" and stop at once).
        for (uint32_t cpu = 0; cpu < cpus; ++cpu) {
            const std::string& j = a.result.stats_json;
            const size_t at = j.find("\"context_switches\": ", j.find(fmt::format("\"cpu{}\"", cpu)));
            ASSERT_NE(at, std::string::npos);
            EXPECT_GT(std::stoull(j.substr(at + 20)), 0u) << "cpu" << cpu << " of " << cpus << " never ran a task";
        }
        if (cpus == 1) {
            // On one CPU the timer shares it: children are interrupted before they end.
            const std::string& j = a.result.stats_json;
            const size_t at = j.find("\"timer_interrupts\": ", j.find("\"cpu0\""));
            ASSERT_NE(at, std::string::npos);
            EXPECT_GT(std::stoull(j.substr(at + 20)), 0u) << "no timer interrupt on one CPU";
        }
    }
}

TEST(RunJob, ABadProgramIsRefusedWithAReason) {
    RunJobOptions o;
    o.program = "/nonexistent/program";
    EXPECT_THROW(run(o), SimError);
    o.program = std::string(SIMX_GUEST_BIN_DIR) + "/../../CMakeCache.txt";  // a text file
    const Ran r = run(o);
    EXPECT_EQ(r.result.exit_status, 127);
    EXPECT_NE(r.result.program_messages.find("ENOEXEC"), std::string::npos) << r.result.program_messages;
    o.program = bin("hello");
    o.args = {std::string(5000, 'x')};
    EXPECT_THROW(run(o), SimError);
    o.args = {};
    o.env = {"=novalue"};
    EXPECT_THROW(run(o), SimError);
}

std::string guest_initramfs() { return std::string(SIMX_GUEST_BIN_DIR) + "/../initramfs.cpio"; }

bool contains(const std::vector<uint8_t>& bytes, const std::string& what) {
    return std::search(bytes.begin(), bytes.end(), what.begin(), what.end()) != bytes.end();
}

TEST(RunJob, ADynamicProgramRunsWithTheHostsInterpreterWhenNoInitramfsIsGiven) {
    RunJobOptions o;
    o.program = bin("hello-dyn");
    o.args = {"one"};
    o.env = {"GUEST_GREETING=hello from the driver"};
    const std::vector<uint8_t> archive = run_initramfs(o);
    EXPECT_TRUE(contains(archive, "lib/ld-musl-x86_64.so.1")) << "the host's loader is packed at its path";
    const Ran r = run(o);
    EXPECT_EQ(r.result.exit_status, 0) << r.out << r.result.kernel_log;
    EXPECT_NE(r.out.find("argv[1]: \"one\""), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
    // A static program gets no interpreter.
    o.program = bin("hello");
    EXPECT_FALSE(contains(run_initramfs(o), "ld-musl"));
}

TEST(RunJob, ADynamicProgramWithASharedLibraryRunsFromTheGuestInitramfs) {
    RunJobOptions o;
    o.program = bin("shlib-dyn");
    o.initramfs = guest_initramfs();
    const Ran r = run(o);
    EXPECT_EQ(r.result.exit_status, 0) << r.out << r.result.kernel_log;
    EXPECT_NE(r.out.find("PASS dlopen_finds_it"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
}

TEST(RunJob, AMissingInterpreterIsAClearError) {
    // hello-dyn with its PT_INTERP renamed (same length) to a loader nobody has.
    std::ifstream in(bin("hello-dyn"), std::ios::binary);
    std::vector<uint8_t> image((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string from = "/lib/ld-musl-x86_64.so.1", to = "/lib/ld-none-x86_64.so.1";
    ASSERT_EQ(from.size(), to.size());
    const auto it = std::search(image.begin(), image.end(), from.begin(), from.end());
    ASSERT_NE(it, image.end());
    std::copy(to.begin(), to.end(), it);
    const std::string path = ::testing::TempDir() + "/hello-none-dyn";
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(image.data()),
                                                static_cast<std::streamsize>(image.size()));
    RunJobOptions o;
    o.program = path;
    // Without --initramfs: simx looks for it on the host and says so.
    try {
        run(o);
        ADD_FAILURE() << "expected a SimError";
    } catch (const SimError& e) {
        EXPECT_NE(std::string(e.what()).find("needs the interpreter /lib/ld-none-x86_64.so.1"), std::string::npos)
            << e.what();
    }
    // With an initramfs that lacks it: the kernel refuses the exec with ENOENT, naming it.
    o.initramfs = guest_initramfs();
    const Ran r = run(o);
    EXPECT_EQ(r.result.exit_status, 127);
    EXPECT_NE(r.result.program_messages.find("cannot find the interpreter /lib/ld-none-x86_64.so.1"), std::string::npos)
        << r.result.program_messages;
    EXPECT_NE(r.result.program_messages.find("ENOENT"), std::string::npos) << r.result.program_messages;
    std::filesystem::remove(path);
}

}  // namespace
}  // namespace simx
