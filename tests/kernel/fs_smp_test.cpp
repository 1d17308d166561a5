// The file layer on two CPUs at once: both create, write, append to a shared
// file, rename across directories and unlink in the same directories, with
// hal::cpu_relax() between operations so that the simulated CPUs interleave
// (the sim switches CPUs when one spins). The namespace and file locks keep
// every invariant; appends never interleave inside one write.
#include <map>
#include <string>

#include "tests/kernel/fs_fixture.h"

using namespace simx;
using namespace simx::testing;

namespace {

MachineConfig two_cpus() {
    MachineConfig c = small_machine(2, {uint64_t{64} << 20});
    c.mmu.pcid_supported = true;
    return c;
}

TEST(FsSmpTest, TwoCpusShareDirectoriesAndAFile) {
    AddressSpaceEnv env(two_cpus());
    env.km().on_all_cpus([](uint32_t cpu) {
        if (cpu != 0) kernel::pmm::init_cpu();
    });
    ASSERT_EQ(env.run([] { return k::vfs_init(); }), 0);
    ASSERT_EQ(env.run([] { return k::vfs_mkdir(nullptr, "/tmp/shared", 0755); }), 0);
    constexpr int kRounds = 150;
    int failures[2] = {0, 0};
    env.km().on_all_cpus([&](uint32_t cpu) {
        auto check = [&](bool ok) {
            if (!ok) ++failures[cpu];
            hal::cpu_relax();
        };
        k::File* log = nullptr;
        check(k::vfs_open(nullptr, "/tmp/log", lx::kOWronly | lx::kOCreat | lx::kOAppend, 0644, &log) == 0);
        for (int i = 0; i < kRounds; ++i) {
            const std::string mine = "/tmp/cpu" + std::to_string(cpu) + "_" + std::to_string(i);
            const std::string shared = "/tmp/shared/f" + std::to_string(cpu) + "_" + std::to_string(i);
            k::File* f = nullptr;
            check(k::vfs_open(nullptr, mine.c_str(), lx::kORdwr | lx::kOCreat | lx::kOExcl, 0644, &f) == 0);
            if (!f) continue;
            check(k::file_write(*f, reinterpret_cast<const uint8_t*>(mine.data()), mine.size()) ==
                  static_cast<int64_t>(mine.size()));
            check(k::vfs_rename(nullptr, mine.c_str(), nullptr, shared.c_str()) == 0);
            const std::string line = "cpu " + std::to_string(cpu) + " round " + std::to_string(i) + "\n";
            check(k::file_write(*log, reinterpret_cast<const uint8_t*>(line.data()), line.size()) ==
                  static_cast<int64_t>(line.size()));
            if (i % 2) check(k::vfs_unlink(nullptr, shared.c_str()) == 0);
            k::file_put(f);
        }
        k::file_put(log);
    });
    EXPECT_EQ(failures[0], 0);
    EXPECT_EQ(failures[1], 0);
    env.run([] { k::vfs_check_invariants(); });
    std::string log;
    ASSERT_EQ(env.run([&] {
        uint8_t* data = nullptr;
        size_t size = 0;
        const int64_t rc = k::vfs_read_file("/tmp/log", &data, &size);
        if (rc == 0) {
            log.assign(reinterpret_cast<char*>(data), size);
            k::kfree(data);
        }
        return rc;
    }), 0);
    std::map<std::string, int> lines;
    size_t start = 0;
    int switches = 0;  // consecutive lines from different CPUs: the two really interleaved
    char last = 0;
    for (size_t nl; (nl = log.find('\n', start)) != std::string::npos; start = nl + 1) {
        ++lines[log.substr(start, nl - start)];
        if (last && log[start + 4] != last) ++switches;
        last = log[start + 4];
    }
    EXPECT_GT(switches, kRounds / 2);
    EXPECT_EQ(start, log.size());
    EXPECT_EQ(lines.size(), 2u * kRounds);
    for (uint32_t cpu = 0; cpu < 2; ++cpu)
        for (int i = 0; i < kRounds; ++i)
            EXPECT_EQ(lines["cpu " + std::to_string(cpu) + " round " + std::to_string(i)], 1);
    // Half the files were unlinked; the others are in /tmp/shared with their data.
    k::Inode* dir = nullptr;
    ASSERT_EQ(env.run([&] { return k::vfs_lookup(nullptr, "/tmp/shared", true, &dir); }), 0);
    EXPECT_EQ(dir->dir.entries.size(), static_cast<size_t>(kRounds));  // kRounds / 2 per CPU
    env.run([&] { k::inode_put(dir); });
}

}  // namespace
