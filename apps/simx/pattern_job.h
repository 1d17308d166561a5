// simx's first main job: drive the modeled hardware with a built-in access
// pattern over page tables built for it, and report the counters.
//
// Every CPU of the machine runs the pattern in its own address space (its own
// page tables, data frames on its own NUMA node, its own PCID when PCIDs are on,
// its own random stream), the CPUs interleaved one access at a time, so the
// shared LLC sees them all. Accesses are user-mode 8-byte loads (and stores,
// with --writes), each translated by the CPU's MMU and then charged through its
// data-cache hierarchy.
#pragma once

#include <cstdint>
#include <string>

#include "sim/machine/machine.h"

namespace simx {

enum class Pattern : uint8_t { kSequential, kStrided, kRandom, kPointerChase };

struct PatternJobOptions {
    Pattern pattern = Pattern::kRandom;
    uint64_t footprint = uint64_t{64} << 20;  // bytes per CPU
    PageSize page_size = PageSize::k4K;
    uint64_t stride = 4096;                   // bytes, for kStrided
    uint64_t accesses = 1'000'000;            // per CPU
    unsigned write_percent = 0;               // share of accesses that are stores
    unsigned levels = 4;                      // 4- or 5-level paging
    bool pcid = true;                         // CR4.PCIDE, one PCID per CPU
    bool data_cache = true;                   // charge data loads through the caches
};

// Parses "seq|stride|random|chase" and "4k|2m|1g"; throw SimError on anything else.
Pattern parse_pattern(const std::string& name);
std::string pattern_name(Pattern p);
PageSize parse_page_size(const std::string& name);

struct PatternJobResult {
    uint64_t accesses = 0;
    uint64_t cycles = 0;              // translation + data cycles, all CPUs
    uint64_t translation_cycles = 0;
    uint64_t data_cycles = 0;
    uint64_t checksum = 0;            // of the values loaded (the chase's path)
};

// Runs the job on `machine` (which must be fresh) and registers the job's own
// counters under scope "job". Throws SimError if the footprint does not fit.
PatternJobResult run_pattern_job(Machine& machine, const PatternJobOptions& options);

// The human-readable report: a summary and the machine's counter table.
std::string pattern_job_report(Machine& machine, const PatternJobOptions& options, const PatternJobResult& result);

}  // namespace simx
