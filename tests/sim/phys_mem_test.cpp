// Unit tests for sim/machine/phys_mem.h: the NUMA layout, node_of, round trips,
// and the bounds check that must reject every access outside RAM (including
// ones whose end would overflow) without touching host memory.
#include "sim/machine/phys_mem.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/machine/sim_error.h"

namespace simx {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

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

// Three nodes: 1 MiB at 0, 2 MiB at 0x100000, 4 KiB at 0x300000; RAM ends at 0x301000.
std::vector<uint64_t> three_nodes() { return {kMiB, 2 * kMiB, 4096}; }

TEST(PhysicalMemoryTest, NodeBasesAndSizes) {
    PhysicalMemory mem(three_nodes());
    EXPECT_EQ(mem.size(), 0x301000u);
    EXPECT_EQ(mem.node_count(), 3u);
    EXPECT_EQ(mem.node_base(0), PhysAddr{0});
    EXPECT_EQ(mem.node_base(1), PhysAddr{0x100000});
    EXPECT_EQ(mem.node_base(2), PhysAddr{0x300000});
    EXPECT_EQ(mem.node_size(0), kMiB);
    EXPECT_EQ(mem.node_size(1), 2 * kMiB);
    EXPECT_EQ(mem.node_size(2), 4096u);
}

TEST(PhysicalMemoryTest, NodeOf) {
    PhysicalMemory mem(three_nodes());
    EXPECT_EQ(mem.node_of(PhysAddr{0}), 0u);
    EXPECT_EQ(mem.node_of(PhysAddr{0xfffff}), 0u);
    EXPECT_EQ(mem.node_of(PhysAddr{0x100000}), 1u);
    EXPECT_EQ(mem.node_of(PhysAddr{0x2fffff}), 1u);
    EXPECT_EQ(mem.node_of(PhysAddr{0x300000}), 2u);
    EXPECT_EQ(mem.node_of(PhysAddr{0x300fff}), 2u);
    EXPECT_EQ(error_of([&] { mem.node_of(PhysAddr{0x301000}); }),
              "physical access outside RAM: address 0x301000, 1 bytes (RAM is [0, 0x301000))");
}

TEST(PhysicalMemoryTest, SingleNode) {
    PhysicalMemory mem({8192});
    EXPECT_EQ(mem.node_count(), 1u);
    EXPECT_EQ(mem.node_of(PhysAddr{8191}), 0u);
}

TEST(PhysicalMemoryTest, Contains) {
    PhysicalMemory mem(three_nodes());
    EXPECT_TRUE(mem.contains(PhysAddr{0}, 0x301000));
    EXPECT_TRUE(mem.contains(PhysAddr{0x300ff8}, 8));
    EXPECT_FALSE(mem.contains(PhysAddr{0x300ffc}, 8));
    EXPECT_FALSE(mem.contains(PhysAddr{0x301000}, 1));
    EXPECT_FALSE(mem.contains(PhysAddr{~uint64_t{0} - 3}, 16));
    EXPECT_FALSE(mem.contains(PhysAddr{8}, ~uint64_t{0}));
}

TEST(PhysicalMemoryTest, FreshRamReadsZero) {
    PhysicalMemory mem(three_nodes());
    EXPECT_EQ(mem.read64(PhysAddr{0}), 0u);
    EXPECT_EQ(mem.read64(PhysAddr{0x1ff000}), 0u);
    EXPECT_EQ(mem.read64(PhysAddr{0x300ff8}), 0u);
}

TEST(PhysicalMemoryTest, ReadWriteRoundTrip) {
    PhysicalMemory mem(three_nodes());
    mem.write64(PhysAddr{0x1000}, 0x0123456789abcdefull);
    EXPECT_EQ(mem.read64(PhysAddr{0x1000}), 0x0123456789abcdefull);
    // Little-endian byte order, as on x86.
    uint8_t first = 0;
    mem.read(PhysAddr{0x1000}, &first, 1);
    EXPECT_EQ(first, 0xefu);

    // A buffer straddling the node 0 / node 1 boundary and the last qword of RAM.
    std::array<uint8_t, 32> out{};
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(i * 7 + 1);
    mem.write(PhysAddr{0xffff0}, out.data(), out.size());
    std::array<uint8_t, 32> in{};
    mem.read(PhysAddr{0xffff0}, in.data(), in.size());
    EXPECT_EQ(in, out);
    mem.write64(PhysAddr{0x300ff8}, 0xfeedfacecafebeefull);
    EXPECT_EQ(mem.read64(PhysAddr{0x300ff8}), 0xfeedfacecafebeefull);

    // fill and host_view see the same bytes.
    mem.fill(PhysAddr{0x200000}, 0xab, 16);
    EXPECT_EQ(mem.read64(PhysAddr{0x200008}), 0xababababababababull);
    EXPECT_EQ(mem.read64(PhysAddr{0x200010}), 0u);
    uint8_t* view = mem.host_view(PhysAddr{0x200000}, 16);
    view[0] = 0x11;
    EXPECT_EQ(mem.read64(PhysAddr{0x200000}), 0xababababababab11ull);
}

TEST(PhysicalMemoryTest, AccessPastTheEndThrowsNamingTheAddress) {
    PhysicalMemory mem(three_nodes());
    EXPECT_EQ(error_of([&] { mem.read64(PhysAddr{0x301000}); }),
              "physical access outside RAM: address 0x301000, 8 bytes (RAM is [0, 0x301000))");
    EXPECT_EQ(error_of([&] { mem.write64(PhysAddr{0x12345678}, 1); }),
              "physical access outside RAM: address 0x12345678, 8 bytes (RAM is [0, 0x301000))");
}

TEST(PhysicalMemoryTest, AccessStraddlingTheEndThrows) {
    PhysicalMemory mem(three_nodes());
    mem.write64(PhysAddr{0x300ff8}, 42);
    // Starts in RAM, ends 4 bytes past it.
    EXPECT_EQ(error_of([&] { mem.read64(PhysAddr{0x300ffc}); }),
              "physical access outside RAM: address 0x300ffc, 8 bytes (RAM is [0, 0x301000))");
    uint8_t buf[16] = {};
    EXPECT_EQ(error_of([&] { mem.write(PhysAddr{0x300ff8}, buf, 9); }),
              "physical access outside RAM: address 0x300ff8, 9 bytes (RAM is [0, 0x301000))");
    EXPECT_EQ(error_of([&] { mem.fill(PhysAddr{0x300001}, 0xff, 0x1000); }),
              "physical access outside RAM: address 0x300001, 4096 bytes (RAM is [0, 0x301000))");
    EXPECT_EQ(error_of([&] { mem.host_view(PhysAddr{0}, 0x301001); }),
              "physical access outside RAM: address 0x0, 3149825 bytes (RAM is [0, 0x301000))");
    // The failed accesses changed nothing.
    EXPECT_EQ(mem.read64(PhysAddr{0x300ff8}), 42u);
}

TEST(PhysicalMemoryTest, HugeAddressWhoseEndOverflowsThrows) {
    PhysicalMemory mem(three_nodes());
    uint8_t buf[16] = {};
    // pa + len wraps around to a small number; the check must not be fooled.
    EXPECT_EQ(error_of([&] { mem.read(PhysAddr{0xfffffffffffffffcull}, buf, 16); }),
              "physical access outside RAM: address 0xfffffffffffffffc, 16 bytes (RAM is [0, 0x301000))");
    EXPECT_EQ(error_of([&] { mem.read64(PhysAddr{0xfffffffffffffff8ull}); }),
              "physical access outside RAM: address 0xfffffffffffffff8, 8 bytes (RAM is [0, 0x301000))");
    // A start in RAM with a length that wraps.
    EXPECT_EQ(error_of([&] { mem.write(PhysAddr{0x10}, buf, 0xfffffffffffffff8ull); }),
              "physical access outside RAM: address 0x10, 18446744073709551608 bytes (RAM is [0, 0x301000))");
}

TEST(PhysicalMemoryTest, BadNodeSizesRejected) {
    EXPECT_EQ(error_of([] { PhysicalMemory m({kMiB, 0}); }), "NUMA node size 0 is not a non-zero multiple of 4096");
    EXPECT_EQ(error_of([] { PhysicalMemory m({4097}); }), "NUMA node size 4097 is not a non-zero multiple of 4096");
    EXPECT_EQ(error_of([] { PhysicalMemory m(std::vector<uint64_t>{}); }),
              "physical memory needs at least one NUMA node");
}

}  // namespace
}  // namespace simx
