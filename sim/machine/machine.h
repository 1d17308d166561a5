// A simulated machine: its configuration, physical memory, the LLC shared by all
// CPUs, one MMU per CPU and the stats registry that reports on all of them.
// Built from a MachineConfig and nothing else, so two runs with the same config
// and seed are identical.
#pragma once

#include <memory>
#include <vector>

#include "sim/machine/config.h"
#include "sim/machine/phys_mem.h"
#include "sim/machine/stats.h"
#include "sim/mmu/cache_hierarchy.h"
#include "sim/mmu/mmu.h"

namespace simx {

class Machine {
public:
    explicit Machine(const MachineConfig& config);

    const MachineConfig& config() const { return config_; }
    PhysicalMemory& memory() { return memory_; }
    uint32_t cpu_count() const { return static_cast<uint32_t>(mmus_.size()); }
    Mmu& mmu(uint32_t cpu) { return *mmus_.at(cpu); }
    StatsRegistry& stats() { return stats_; }

private:
    MachineConfig config_;
    PhysicalMemory memory_;
    SharedLlc llc_;
    std::vector<std::unique_ptr<Mmu>> mmus_;
    StatsRegistry stats_;
};

}  // namespace simx
