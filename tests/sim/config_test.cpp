// Unit tests for sim/machine/config.h: defaults, the INI file and --set
// overrides, every error path (each must name the key and, for the file, the
// line), validation, byte sizes, and describe_machine_config.
#include "sim/machine/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sim/machine/machine.h"
#include "sim/machine/sim_error.h"

namespace simx {
namespace {

namespace fs = std::filesystem;

// Each test writes its INI files into its own directory under the system temp
// directory and removes it afterwards.
class ConfigFileTest : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = fs::temp_directory_path() /
               ("simx_config_test_" + std::to_string(::getpid()) + "_" + info->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string write_ini(const std::string& name, const std::string& text) {
        const fs::path p = dir_ / name;
        std::ofstream out(p);
        out << text;
        return p.string();
    }

    fs::path dir_;
};

// The message of the SimError that fn throws; fails the test if it throws nothing.
template <typename Fn>
std::string error_of(Fn&& fn) {
    try {
        fn();
    } catch (const SimError& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected a SimError";
    return {};
}

TEST(MachineConfigTest, DefaultsValidate) {
    EXPECT_NO_THROW(MachineConfig{}.validate());
}

TEST(MachineConfigTest, CpuNodesRoundRobinAndTotalRam) {
    MachineConfig c;
    c.cpus = 4;
    c.memory.node_bytes = {uint64_t{2} << 20, uint64_t{4} << 20, uint64_t{8} << 20};
    EXPECT_NO_THROW(c.validate());
    EXPECT_EQ(c.total_ram(), uint64_t{14} << 20);
    // cpu_node empty: CPU i sits on node i mod nodes.
    EXPECT_EQ(c.node_of_cpu(0), 0u);
    EXPECT_EQ(c.node_of_cpu(1), 1u);
    EXPECT_EQ(c.node_of_cpu(2), 2u);
    EXPECT_EQ(c.node_of_cpu(3), 0u);
}

TEST(MachineConfigTest, LoadWithoutFileOrOverridesIsTheDefaults) {
    const MachineConfig c = load_machine_config("", {});
    EXPECT_EQ(describe_machine_config(c), describe_machine_config(MachineConfig{}));
}

TEST(MachineConfigTest, ExplicitCpuNodesOverrideRoundRobin) {
    MachineConfig c;
    c.cpu_node = {1, 1};
    EXPECT_EQ(c.node_of_cpu(0), 1u);
    EXPECT_EQ(c.node_of_cpu(1), 1u);
}

TEST_F(ConfigFileTest, IniSectionsSetValues) {
    const std::string path = write_ini("m.ini",
                                       "# a test machine\n"
                                       "[machine]\n"
                                       "name = tiny\n"
                                       "cpus = 4\n"
                                       "cpu_nodes = 0,0,1,1\n"
                                       "seed = 0x10\n"
                                       "\n"
                                       "[memory]\n"
                                       "nodes = 1G, 256M\n"
                                       "[tlb.stlb]\n"
                                       "entries = 1024\n"
                                       "ways = 16\n"
                                       "latency = 7\n"
                                       "policy = plru\n"
                                       "[tlb]\n"
                                       "prefetcher = next-page\n"
                                       "prefetch_degree = 2\n"
                                       "[cache.l2]\n"
                                       "size = 512K\n"
                                       "[mmu]\n"
                                       "la57 = false\n"
                                       "pcid = off\n");
    const MachineConfig c = load_machine_config(path, {});
    EXPECT_EQ(c.name, "tiny");
    EXPECT_EQ(c.cpus, 4u);
    EXPECT_EQ(c.cpu_node, (std::vector<uint32_t>{0, 0, 1, 1}));
    EXPECT_EQ(c.seed, 16u);
    EXPECT_EQ(c.memory.node_bytes, (std::vector<uint64_t>{uint64_t{1} << 30, uint64_t{256} << 20}));
    EXPECT_EQ(c.tlb.stlb.entries, 1024u);
    EXPECT_EQ(c.tlb.stlb.ways, 16u);
    EXPECT_EQ(c.tlb.stlb.hit_latency, 7u);
    EXPECT_EQ(c.tlb.stlb.policy, "plru");
    EXPECT_EQ(c.tlb.prefetcher, "next-page");
    EXPECT_EQ(c.tlb.prefetch_degree, 2u);
    EXPECT_EQ(c.cache.l2.size_bytes, 512u * 1024);
    EXPECT_FALSE(c.mmu.la57_supported);
    EXPECT_FALSE(c.mmu.pcid_supported);
    // Untouched keys keep their defaults.
    EXPECT_EQ(c.tlb.stlb_1g.entries, 16u);
    EXPECT_EQ(c.cache.l1d.size_bytes, 32u * 1024);
    EXPECT_TRUE(c.mmu.pages_1g_supported);
}

TEST_F(ConfigFileTest, HashCommentsAnywhereInALine) {
    const std::string path = write_ini("m.ini",
                                       "# full-line comment\n"
                                       "   # indented comment\n"
                                       "[tlb.stlb]   # section comment\n"
                                       "ways = 6     # 1536 / 6 = 256 sets\n");
    EXPECT_EQ(load_machine_config(path, {"tlb.stlb.entries=1536"}).tlb.stlb.ways, 6u);
    // Lines are still counted across comments: the bad key is on line 5.
    const std::string bad = write_ini("bad.ini", "# one\n\n[tlb.stlb] # three\n# four\nsets = 4 # five\n");
    EXPECT_EQ(error_of([&] { load_machine_config(bad, {}); }), bad + ":5: unknown key 'tlb.stlb.sets'");
}

TEST_F(ConfigFileTest, SemicolonStartsNoCommentAndIsMalformedWithItsLine) {
    // program_options knows only '#' comments; the error must still name the line.
    const std::string path = write_ini("m.ini", "# ok\n; not a comment\n[tlb.stlb]\nways = 12\n");
    const std::string msg = error_of([&] { load_machine_config(path, {}); });
    EXPECT_EQ(msg.rfind(path + ":2: malformed line (", 0), 0u) << msg;
}

TEST_F(ConfigFileTest, SectionNameIsTakenAsWritten) {
    // Spaces inside the brackets are part of the section name, as program_options
    // reads it: the key is unknown, and the error still names its line.
    const std::string path = write_ini("m.ini", "[machine]\ncpus = 2\n[ tlb.stlb ]\nways = 12\n");
    EXPECT_EQ(error_of([&] { load_machine_config(path, {}); }), path + ":4: unknown key ' tlb.stlb .ways'");
}

TEST_F(ConfigFileTest, EmptyKeyNamesTheLine) {
    const std::string path = write_ini("m.ini", "[tlb.stlb]\n= 12\n");
    EXPECT_EQ(error_of([&] { load_machine_config(path, {}); }), path + ":2: unknown key 'tlb.stlb.'");
}

TEST_F(ConfigFileTest, FullyQualifiedKeysWithoutSection) {
    const std::string path = write_ini("m.ini", "tlb.dtlb_4k.ways = 8\ncache.dram_latency = 300\n");
    const MachineConfig c = load_machine_config(path, {});
    EXPECT_EQ(c.tlb.dtlb_4k.ways, 8u);
    EXPECT_EQ(c.cache.dram_latency, 300u);
}

TEST_F(ConfigFileTest, OverridesWinOverTheFile) {
    const std::string path = write_ini("m.ini", "[tlb.stlb]\nentries = 1024\nways = 8\nlatency = 7\n");
    const MachineConfig c = load_machine_config(path, {"tlb.stlb.ways=16", " tlb.stlb.latency = 5 "});
    EXPECT_EQ(c.tlb.stlb.entries, 1024u);  // from the file
    EXPECT_EQ(c.tlb.stlb.ways, 16u);       // override wins
    EXPECT_EQ(c.tlb.stlb.hit_latency, 5u); // whitespace around key and value ignored
}

TEST(MachineConfigTest, LaterOverrideWins) {
    const MachineConfig c = load_machine_config("", {"cache.dram_latency=100", "cache.dram_latency=200"});
    EXPECT_EQ(c.cache.dram_latency, 200u);
}

TEST(MachineConfigTest, MissingFileIsAnError) {
    EXPECT_EQ(error_of([] { load_machine_config("/nonexistent/simx/machine.ini", {}); }),
              "cannot open machine file '/nonexistent/simx/machine.ini'");
}

TEST_F(ConfigFileTest, UnknownKeyNamesKeyAndLine) {
    const std::string path = write_ini("m.ini", "[tlb.stlb]\nways = 12\n\nwayz = 4\n");
    EXPECT_EQ(error_of([&] { load_machine_config(path, {}); }), path + ":4: unknown key 'tlb.stlb.wayz'");
}

TEST_F(ConfigFileTest, UnknownSectionNamesKeyAndLine) {
    const std::string path = write_ini("m.ini", "[machine]\ncpus = 2\n[tlb.l3tlb]\nentries = 4\n");
    EXPECT_EQ(error_of([&] { load_machine_config(path, {}); }), path + ":4: unknown key 'tlb.l3tlb.entries'");
}

TEST_F(ConfigFileTest, BadValueNamesKeyAndLine) {
    const std::string path = write_ini("m.ini", "[tlb.stlb]\nlatency = 9\nways = abc\n");
    EXPECT_EQ(error_of([&] { load_machine_config(path, {}); }),
              path + ":3: bad value for key 'tlb.stlb.ways': 'abc' is not an unsigned integer");
}

TEST_F(ConfigFileTest, BadBooleanAndSizeNameKeyAndLine) {
    const std::string bool_path = write_ini("b.ini", "[mmu]\nla57 = maybe\n");
    EXPECT_EQ(error_of([&] { load_machine_config(bool_path, {}); }),
              bool_path + ":2: bad value for key 'mmu.la57': 'maybe' is not a boolean (true/false/on/off/1/0)");
    const std::string size_path = write_ini("s.ini", "[cache.llc]\nsize = 8X\n");
    EXPECT_EQ(error_of([&] { load_machine_config(size_path, {}); }),
              size_path + ":2: bad value for key 'cache.llc.size': '8X' is not a size (e.g. 4096, 64K, 512M, 2G)");
}

TEST_F(ConfigFileTest, ValueTooLargeForTheField) {
    const std::string path = write_ini("m.ini", "[machine]\ncpus = 4294967296\n");
    EXPECT_EQ(error_of([&] { load_machine_config(path, {}); }),
              path + ":2: bad value for key 'machine.cpus': 4294967296 is too large");
}

TEST_F(ConfigFileTest, MalformedLineNamesTheLine) {
    const std::string path = write_ini("m.ini", "[tlb.stlb]\nways = 12\nlatency 9\n");
    const std::string msg = error_of([&] { load_machine_config(path, {}); });
    EXPECT_EQ(msg.rfind(path + ":3: malformed line (", 0), 0u) << msg;
}

TEST_F(ConfigFileTest, UnterminatedSectionIsMalformed) {
    const std::string path = write_ini("m.ini", "# header\n[tlb.stlb\nways = 12\n");
    const std::string msg = error_of([&] { load_machine_config(path, {}); });
    EXPECT_EQ(msg.rfind(path + ":2: malformed line (", 0), 0u) << msg;
}

TEST_F(ConfigFileTest, KeyGivenTwiceNamesKeyAndLine) {
    const std::string path = write_ini("m.ini", "[tlb.stlb]\nways = 12\nlatency = 9\nways = 6\n");
    EXPECT_EQ(error_of([&] { load_machine_config(path, {}); }),
              path + ":4: key 'tlb.stlb.ways' given more than once (first at line 2)");
}

TEST_F(ConfigFileTest, KeyGivenThreeTimesNamesTheFirstRepeat) {
    const std::string path = write_ini("m.ini", "[tlb.stlb]\nways = 6\nways = 6\nways = 6\n");
    EXPECT_EQ(error_of([&] { load_machine_config(path, {}); }),
              path + ":3: key 'tlb.stlb.ways' given more than once (first at line 2)");
}

TEST_F(ConfigFileTest, SameKeyThroughSectionAndFullNameIsGivenTwice) {
    const std::string path = write_ini("m.ini", "tlb.stlb.ways = 12\n[tlb.stlb]\nways = 6\n");
    EXPECT_EQ(error_of([&] { load_machine_config(path, {}); }),
              path + ":3: key 'tlb.stlb.ways' given more than once (first at line 1)");
}

TEST(MachineConfigTest, UnknownOverrideNamesKey) {
    EXPECT_EQ(error_of([] { load_machine_config("", {"tlb.stlb.wayz=16"}); }),
              "--set tlb.stlb.wayz: unknown key 'tlb.stlb.wayz'");
}

TEST(MachineConfigTest, BadOverrideValueNamesKey) {
    EXPECT_EQ(error_of([] { load_machine_config("", {"machine.cpus=many"}); }),
              "--set machine.cpus: bad value for key 'machine.cpus': 'many' is not an unsigned integer");
}

TEST(MachineConfigTest, OverrideWithoutKeyValueShape) {
    EXPECT_EQ(error_of([] { load_machine_config("", {"tlb.stlb.ways"}); }),
              "--set 'tlb.stlb.ways': expected KEY=VALUE");
    EXPECT_EQ(error_of([] { load_machine_config("", {" =4"}); }), "--set ' =4': expected KEY=VALUE");
}

TEST(MachineConfigTest, ValidateWaysMustDivideEntries) {
    EXPECT_EQ(error_of([] { load_machine_config("", {"tlb.dtlb_4k.entries=64", "tlb.dtlb_4k.ways=5"}); }),
              "tlb.dtlb_4k: ways (5) must divide entries (64)");
    EXPECT_EQ(error_of([] { load_machine_config("", {"tlb.stlb.entries=1536", "tlb.stlb.ways=0"}); }),
              "tlb.stlb: ways (0) must divide entries (1536)");
}

TEST(MachineConfigTest, ValidateSetsMustBePowerOfTwo) {
    EXPECT_EQ(error_of([] { load_machine_config("", {"tlb.dtlb_4k.entries=48", "tlb.dtlb_4k.ways=4"}); }),
              "tlb.dtlb_4k: sets (entries/ways = 12) must be a power of two");
    // 1536 entries / 16 ways = 96 sets.
    EXPECT_EQ(error_of([] { load_machine_config("", {"tlb.stlb.entries=1536", "tlb.stlb.ways=16"}); }),
              "tlb.stlb: sets (entries/ways = 96) must be a power of two");
    EXPECT_EQ(error_of([] { load_machine_config("", {"cache.l2.size=192K", "cache.l2.ways=4"}); }),
              "cache.l2: sets (size/64/ways = 768) must be a power of two");
    EXPECT_EQ(error_of([] { load_machine_config("", {"cache.l1d.size=1000", "cache.l1d.ways=8"}); }),
              "cache.l1d: size (1000) must be a non-zero multiple of 64 * ways (8)");
}

TEST(MachineConfigTest, ValidateRequiredAndOptionalArrays) {
    // An L1 4K array is required; second-level and large-page arrays may be absent.
    EXPECT_EQ(error_of([] { load_machine_config("", {"tlb.dtlb_4k.entries=0"}); }),
              "tlb.dtlb_4k.entries must be at least 1");
    const MachineConfig c = load_machine_config("", {"tlb.dtlb_1g.entries=0", "tlb.stlb_1g.entries=0"});
    EXPECT_EQ(c.tlb.dtlb_1g.entries, 0u);
}

TEST(MachineConfigTest, ValidateCpuNodes) {
    EXPECT_EQ(error_of([] { load_machine_config("", {"machine.cpus=2", "memory.nodes=512M,512M", "machine.cpu_nodes=0,2"}); }),
              "machine.cpu_nodes: cpu 1 names node 2, but there are 2 nodes");
    EXPECT_EQ(error_of([] { load_machine_config("", {"machine.cpus=2", "machine.cpu_nodes=0,1,1"}); }),
              "machine.cpu_nodes lists 3 CPUs but machine.cpus is 2");
    const MachineConfig c = load_machine_config("", {"machine.cpus=2", "memory.nodes=512M,512M", "machine.cpu_nodes=1,0"});
    EXPECT_EQ(c.node_of_cpu(0), 1u);
    EXPECT_EQ(c.node_of_cpu(1), 0u);
}

TEST(MachineConfigTest, ValidateMachineWideLimits) {
    EXPECT_EQ(error_of([] { load_machine_config("", {"machine.cpus=0"}); }), "machine.cpus must be 1..256 (got 0)");
    EXPECT_EQ(error_of([] { load_machine_config("", {"memory.nodes=512M,3M"}); }),
              "memory.nodes: node 1 size must be a non-zero multiple of 2M");
    EXPECT_EQ(error_of([] { load_machine_config("", {"mmu.phys_addr_bits=31"}); }),
              "mmu.phys_addr_bits must be 32..52 (got 31)");
    EXPECT_EQ(error_of([] { load_machine_config("", {"memory.nodes=4G,2M", "mmu.phys_addr_bits=32"}); }),
              "memory.nodes total 4297064448 bytes exceeds 2^mmu.phys_addr_bits");
    EXPECT_EQ(error_of([] { load_machine_config("", {"tlb.prefetcher=stride"}); }),
              "tlb.prefetcher: unknown prefetcher 'stride' (none, next-page)");
}

TEST(MachineConfigTest, UnknownPolicySurfacesWhenBuildingAMachine) {
    // validate() leaves policy names to the arrays; building the machine reports them.
    MachineConfig tlb = load_machine_config("", {"machine.cpus=2", "tlb.stlb.policy=mru"});
    EXPECT_EQ(error_of([&] { Machine m(tlb); }),
              "tlb.stlb: unknown replacement policy 'mru' (known: lru, plru, random, srrip, fifo)");
    MachineConfig cache = load_machine_config("", {"cache.l2.policy=lfu"});
    EXPECT_EQ(error_of([&] { Machine m(cache); }),
              "cache.l2: unknown replacement policy 'lfu' (known: lru, plru, random, srrip, fifo)");
    MachineConfig ok = load_machine_config("", {"tlb.stlb.policy=srrip", "cache.llc.policy=random"});
    Machine m(ok);
    EXPECT_EQ(m.cpu_count(), 2u);
}

TEST(ParseByteSizeTest, Suffixes) {
    EXPECT_EQ(parse_byte_size("4096"), 4096u);
    EXPECT_EQ(parse_byte_size("64K"), 65536u);
    EXPECT_EQ(parse_byte_size("64k"), 65536u);
    EXPECT_EQ(parse_byte_size("512M"), uint64_t{512} << 20);
    EXPECT_EQ(parse_byte_size("2G"), uint64_t{2} << 30);
    EXPECT_EQ(parse_byte_size("1T"), uint64_t{1} << 40);
    EXPECT_EQ(parse_byte_size(" 8M "), uint64_t{8} << 20);
    EXPECT_EQ(parse_byte_size("0x1000"), 4096u);
    EXPECT_EQ(parse_byte_size("0"), 0u);
}

TEST(ParseByteSizeTest, Errors) {
    EXPECT_EQ(error_of([] { parse_byte_size(""); }), "empty size");
    EXPECT_EQ(error_of([] { parse_byte_size("   "); }), "empty size");
    EXPECT_EQ(error_of([] { parse_byte_size("12Q"); }), "'12Q' is not a size (e.g. 4096, 64K, 512M, 2G)");
    EXPECT_EQ(error_of([] { parse_byte_size("-1"); }), "'-1' is not a size (e.g. 4096, 64K, 512M, 2G)");
    EXPECT_EQ(error_of([] { parse_byte_size("K"); }), "'K' is not a size (e.g. 4096, 64K, 512M, 2G)");
    EXPECT_EQ(error_of([] { parse_byte_size("1.5G"); }), "'1.5G' is not a size (e.g. 4096, 64K, 512M, 2G)");
    EXPECT_EQ(error_of([] { parse_byte_size("99999999999G"); }), "size '99999999999G' overflows");
}

// A machine with every field set here, so the expected text does not depend on
// the built-in defaults.
MachineConfig fully_specified() {
    MachineConfig c;
    c.name = "described";
    c.cpus = 2;
    c.cpu_node = {};
    c.seed = 1;
    c.memory.node_bytes = {uint64_t{512} << 20, uint64_t{512} << 20};
    c.tlb.itlb_4k = {128, 8, 1, "lru"};
    c.tlb.itlb_2m = {8, 8, 1, "lru"};
    c.tlb.dtlb_4k = {64, 4, 1, "lru"};
    c.tlb.dtlb_2m = {32, 4, 1, "lru"};
    c.tlb.dtlb_1g = {4, 4, 1, "lru"};
    c.tlb.stlb = {1536, 12, 9, "lru"};
    c.tlb.stlb_1g = {16, 4, 9, "lru"};
    c.tlb.prefetcher = "none";
    c.tlb.prefetch_degree = 1;
    c.psc.pml5 = {2, 2, 0, "lru"};
    c.psc.pml4 = {4, 4, 0, "lru"};
    c.psc.pdpt = {8, 4, 0, "lru"};
    c.psc.pd = {32, 8, 0, "lru"};
    c.cache.l1d = {32 * 1024, 8, 4, "lru"};
    c.cache.l2 = {256 * 1024, 4, 12, "lru"};
    c.cache.llc = {8 * 1024 * 1024, 16, 44, "lru"};
    c.cache.dram_latency = 250;
    c.cache.remote_dram_extra = 90;
    c.mmu.phys_addr_bits = 39;
    c.mmu.la57_supported = true;
    c.mmu.pages_1g_supported = true;
    c.mmu.pcid_supported = true;
    c.mmu.walk_base_latency = 1;
    c.mmu.fault_latency = 0;
    return c;
}

TEST(DescribeMachineConfigTest, ListsEveryKeyWithItsValueInIniOrder) {
    const std::string d = describe_machine_config(fully_specified());
    const std::string expected =
        "machine.name = described\n"
        "machine.cpus = 2\n"
        "machine.cpu_nodes = \n"
        "machine.seed = 1\n"
        "memory.nodes = 512M,512M\n"
        "tlb.itlb_4k.entries = 128\ntlb.itlb_4k.ways = 8\ntlb.itlb_4k.latency = 1\ntlb.itlb_4k.policy = lru\n"
        "tlb.itlb_2m.entries = 8\ntlb.itlb_2m.ways = 8\ntlb.itlb_2m.latency = 1\ntlb.itlb_2m.policy = lru\n"
        "tlb.dtlb_4k.entries = 64\ntlb.dtlb_4k.ways = 4\ntlb.dtlb_4k.latency = 1\ntlb.dtlb_4k.policy = lru\n"
        "tlb.dtlb_2m.entries = 32\ntlb.dtlb_2m.ways = 4\ntlb.dtlb_2m.latency = 1\ntlb.dtlb_2m.policy = lru\n"
        "tlb.dtlb_1g.entries = 4\ntlb.dtlb_1g.ways = 4\ntlb.dtlb_1g.latency = 1\ntlb.dtlb_1g.policy = lru\n"
        "tlb.stlb.entries = 1536\ntlb.stlb.ways = 12\ntlb.stlb.latency = 9\ntlb.stlb.policy = lru\n"
        "tlb.stlb_1g.entries = 16\ntlb.stlb_1g.ways = 4\ntlb.stlb_1g.latency = 9\ntlb.stlb_1g.policy = lru\n"
        "tlb.prefetcher = none\n"
        "tlb.prefetch_degree = 1\n"
        "psc.pml5.entries = 2\npsc.pml5.ways = 2\npsc.pml5.latency = 0\npsc.pml5.policy = lru\n"
        "psc.pml4.entries = 4\npsc.pml4.ways = 4\npsc.pml4.latency = 0\npsc.pml4.policy = lru\n"
        "psc.pdpt.entries = 8\npsc.pdpt.ways = 4\npsc.pdpt.latency = 0\npsc.pdpt.policy = lru\n"
        "psc.pd.entries = 32\npsc.pd.ways = 8\npsc.pd.latency = 0\npsc.pd.policy = lru\n"
        "cache.l1d.size = 32768\ncache.l1d.ways = 8\ncache.l1d.latency = 4\ncache.l1d.policy = lru\n"
        "cache.l2.size = 262144\ncache.l2.ways = 4\ncache.l2.latency = 12\ncache.l2.policy = lru\n"
        "cache.llc.size = 8388608\ncache.llc.ways = 16\ncache.llc.latency = 44\ncache.llc.policy = lru\n"
        "cache.dram_latency = 250\n"
        "cache.remote_dram_extra = 90\n"
        "mmu.phys_addr_bits = 39\n"
        "mmu.la57 = true\n"
        "mmu.pages_1g = true\n"
        "mmu.pcid = true\n"
        "mmu.walk_base_latency = 1\n"
        "mmu.fault_latency = 0\n";
    // Every line is "key = value"; the keys above appear in this order with these
    // values (keys added later may sit between or after them).
    std::vector<std::string> got;
    std::istringstream in(d);
    for (std::string l; std::getline(in, l);) {
        EXPECT_NE(l.find(" = "), std::string::npos) << l;
        got.push_back(l);
    }
    EXPECT_EQ(d.back(), '\n');
    std::istringstream want(expected);
    auto pos = got.begin();
    for (std::string l; std::getline(want, l);) {
        auto it = std::find(pos, got.end(), l);
        ASSERT_NE(it, got.end()) << "missing or out of order: " << l;
        pos = it + 1;
    }
}

TEST_F(ConfigFileTest, DescribeRoundTripsThroughLoad) {
    const MachineConfig changed = load_machine_config(
        "", {"machine.name=rt", "machine.cpus=3", "machine.cpu_nodes=1,0,1", "machine.seed=77",
             "memory.nodes=256M,64M", "tlb.stlb.entries=1024", "tlb.stlb.ways=16", "tlb.stlb.policy=srrip",
             "tlb.dtlb_1g.entries=0", "tlb.prefetcher=next-page", "tlb.prefetch_degree=3", "psc.pd.latency=2",
             "cache.llc.size=4M", "cache.remote_dram_extra=0", "mmu.la57=false", "mmu.fault_latency=11"});
    const std::string text = describe_machine_config(changed);
    const std::string path = write_ini("described.ini", text);
    const MachineConfig reloaded = load_machine_config(path, {});
    EXPECT_EQ(describe_machine_config(reloaded), text);
    EXPECT_EQ(reloaded.name, "rt");
    EXPECT_EQ(reloaded.cpu_node, (std::vector<uint32_t>{1, 0, 1}));
    EXPECT_EQ(reloaded.memory.node_bytes, (std::vector<uint64_t>{uint64_t{256} << 20, uint64_t{64} << 20}));
    EXPECT_EQ(reloaded.tlb.stlb.policy, "srrip");
    EXPECT_EQ(reloaded.tlb.dtlb_1g.entries, 0u);
    EXPECT_EQ(reloaded.cache.llc.size_bytes, uint64_t{4} << 20);
    EXPECT_FALSE(reloaded.mmu.la57_supported);
    EXPECT_EQ(reloaded.mmu.fault_latency, 11u);

    // A machine with an empty cpu_nodes value round-trips as well, and so do the defaults.
    const std::string full = describe_machine_config(fully_specified());
    EXPECT_EQ(describe_machine_config(load_machine_config(write_ini("full.ini", full), {})), full);
    const std::string def = describe_machine_config(MachineConfig{});
    EXPECT_EQ(describe_machine_config(load_machine_config(write_ini("defaults.ini", def), {})), def);
}

}  // namespace
}  // namespace simx
