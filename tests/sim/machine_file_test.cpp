// machines/skylake-client.ini documents the defaults; it must describe exactly
// the machine the built-in defaults give.
#include <gtest/gtest.h>

#include "sim/machine/config.h"

using namespace simx;

TEST(MachineFile, SkylakeClientEqualsBuiltInDefaults) {
    const MachineConfig from_file = load_machine_config(SIMX_SOURCE_DIR "/machines/skylake-client.ini", {});
    EXPECT_EQ(describe_machine_config(from_file), describe_machine_config(MachineConfig{}));
}

TEST(MachineFile, OverridesApplyOnTopOfTheFile) {
    const MachineConfig c =
        load_machine_config(SIMX_SOURCE_DIR "/machines/skylake-client.ini", {"tlb.stlb.entries=2048", "tlb.stlb.ways=16", "cache.llc.size=16M"});
    EXPECT_EQ(c.tlb.stlb.entries, 2048u);
    EXPECT_EQ(c.tlb.stlb.ways, 16u);
    EXPECT_EQ(c.cache.llc.size_bytes, uint64_t{16} << 20);
}
