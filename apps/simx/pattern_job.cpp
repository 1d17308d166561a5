#include "apps/simx/pattern_job.h"

#include <fmt/format.h>

#include <memory>
#include <numeric>
#include <vector>

#include "sim/machine/sim_error.h"
#include "sim/mmu/page_table_builder.h"

namespace simx {

Pattern parse_pattern(const std::string& name) {
    if (name == "seq" || name == "sequential") return Pattern::kSequential;
    if (name == "stride" || name == "strided") return Pattern::kStrided;
    if (name == "random") return Pattern::kRandom;
    if (name == "chase" || name == "pointer-chase") return Pattern::kPointerChase;
    throw SimError(fmt::format("unknown pattern '{}' (seq, stride, random, chase)", name));
}

std::string pattern_name(Pattern p) {
    switch (p) {
        case Pattern::kSequential: return "seq";
        case Pattern::kStrided: return "stride";
        case Pattern::kRandom: return "random";
        case Pattern::kPointerChase: return "chase";
    }
    return "?";
}

PageSize parse_page_size(const std::string& name) {
    if (name == "4k" || name == "4K") return PageSize::k4K;
    if (name == "2m" || name == "2M") return PageSize::k2M;
    if (name == "1g" || name == "1G") return PageSize::k1G;
    throw SimError(fmt::format("unknown page size '{}' (4k, 2m, 1g)", name));
}

namespace {

// The linear address where each CPU's data starts: user half, 1 GiB aligned so
// any page size maps it.
constexpr uint64_t kDataBase = 0x0000'7f00'0000'0000ull;
// Page tables and other frames sit below the data; 1 MiB is never used, as on a PC.
constexpr uint64_t kLowReserved = 1ull << 20;

struct Xorshift {
    uint64_t s;
    uint64_t next() {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        return s * 0x2545F4914F6CDD1Dull;
    }
};

// One CPU's share of the job.
struct CpuWork {
    Mmu* mmu = nullptr;
    PhysAddr data;        // physical base of the footprint (contiguous)
    uint64_t cursor = 0;  // offset of the next access (seq/stride) or chase position (a VA)
    Xorshift rng{1};
};

}  // namespace

PatternJobResult run_pattern_job(Machine& machine, const PatternJobOptions& o) {
    const uint64_t page = page_bytes(o.page_size);
    if (o.footprint < page || o.footprint % page)
        throw SimError(fmt::format("footprint {} must be a non-zero multiple of the {} page size", o.footprint,
                                   page_size_name(o.page_size)));
    if (o.footprint > (uint64_t{1} << 39)) throw SimError("footprint above 512 GiB per CPU");
    if (o.pattern == Pattern::kStrided && (o.stride == 0 || o.stride % 8))
        throw SimError(fmt::format("stride {} must be a non-zero multiple of 8", o.stride));
    if (o.write_percent > 100) throw SimError("--writes is a percentage (0..100)");
    if (o.levels != 4 && o.levels != 5) throw SimError("paging levels must be 4 or 5");

    // The machine must be fresh: its RAM all zero and no page tables built yet.
    PhysicalMemory& mem = machine.memory();
    const uint32_t cpus = machine.cpu_count();

    // One frame allocator per NUMA node; each CPU takes its page tables and data
    // from its own node, so walks and data loads are node-local.
    std::vector<std::unique_ptr<FrameAllocator>> node_frames;
    for (uint32_t n = 0; n < mem.node_count(); ++n) {
        uint64_t base = mem.node_base(n).value;
        if (base < kLowReserved) base = kLowReserved;
        node_frames.push_back(std::make_unique<FrameAllocator>(mem, PhysAddr{base},
                                                               PhysAddr{mem.node_base(n).value + mem.node_size(n)}));
    }

    std::vector<CpuWork> work(cpus);
    std::vector<std::unique_ptr<FrameAllocator>> pools;
    std::vector<std::unique_ptr<PageTableBuilder>> tables;
    for (uint32_t c = 0; c < cpus; ++c) {
        FrameAllocator& frames = *node_frames[machine.config().node_of_cpu(c)];
        CpuWork& w = work[c];
        w.mmu = &machine.mmu(c);
        w.rng.s = machine.config().seed * 0x9E3779B97F4A7C15ull + c + 1;
        // Page tables come from a pool taken first, so that a large, aligned data
        // block cannot leave them without frames: one table per 512 entries at
        // each level, plus the path down from the root.
        uint64_t table_pages = o.levels;
        for (uint64_t span = page * 512; span <= (uint64_t{1} << 48); span *= 512) table_pages += (o.footprint + span - 1) / span;
        try {
            const PhysAddr pool = frames.allocate(table_pages * 4096);
            pools.push_back(std::make_unique<FrameAllocator>(mem, pool, pool + table_pages * 4096));
            w.data = frames.allocate(o.footprint, page, /*zero=*/false);  // a fresh machine's RAM is zero
        } catch (const SimError& e) {
            throw SimError(fmt::format("footprint of {} MiB per CPU does not fit on NUMA node {} of this machine: {}",
                                       o.footprint >> 20, machine.config().node_of_cpu(c), e.what()));
        }
        tables.push_back(std::make_unique<PageTableBuilder>(mem, *pools.back(), o.levels));
        for (uint64_t off = 0; off < o.footprint; off += page)
            tables.back()->map(VirtAddr{kDataBase + off}, w.data + off, o.page_size,
                               Pte::kWritable | Pte::kUser | Pte::kNoExecute);

        Mmu& mmu = *w.mmu;
        // NXE before any XD bit is walked; SMEP/SMAP as a modern kernel runs.
        mmu.write_efer(mmu.regs().efer | efer::kNxe);
        uint64_t cr4 = mmu.regs().cr4 | cr4::kPge | cr4::kSmep | cr4::kSmap;
        if (o.levels == 5) cr4 |= cr4::kLa57;
        if (mmu.write_cr4(cr4) != FaultKind::kNone)
            throw SimError(o.levels == 5 ? "this machine has no 5-level paging (add --set mmu.la57=true)"
                                         : "this machine rejects CR4.PGE/SMEP/SMAP");
        const uint64_t pcid = o.pcid ? c + 1 : 0;
        if (o.pcid && mmu.write_cr4(mmu.regs().cr4 | cr4::kPcide) != FaultKind::kNone)
            throw SimError("this machine has no PCID support (mmu.pcid = false); run with --pcid=false");
        if (mmu.write_cr3(tables.back()->root().value | pcid) != FaultKind::kNone)
            throw SimError("CR3 load refused");

        if (o.pattern == Pattern::kPointerChase) {
            // A single random cycle through every cache line (Sattolo's algorithm),
            // each line holding the linear address of the next: the loads depend
            // on each other through simulated memory.
            const uint64_t lines = o.footprint / kCacheLineBytes;
            std::vector<uint32_t> order(lines);
            std::iota(order.begin(), order.end(), 0u);
            for (uint64_t i = lines - 1; i > 0; --i) std::swap(order[i], order[w.rng.next() % i]);
            for (uint64_t i = 0; i < lines; ++i) {
                const uint64_t from = order[i], to = order[(i + 1) % lines];
                mem.write64(w.data + from * kCacheLineBytes, kDataBase + to * kCacheLineBytes);
            }
            w.cursor = kDataBase + uint64_t{order[0]} * kCacheLineBytes;
        }
    }

    PatternJobResult r;
    for (uint64_t i = 0; i < o.accesses; ++i) {
        for (uint32_t c = 0; c < cpus; ++c) {
            CpuWork& w = work[c];
            uint64_t va = 0;
            switch (o.pattern) {
                case Pattern::kSequential:
                    va = kDataBase + w.cursor;
                    w.cursor = (w.cursor + 8) % o.footprint;
                    break;
                case Pattern::kStrided:
                    va = kDataBase + w.cursor;
                    w.cursor = (w.cursor + o.stride) % o.footprint;
                    break;
                case Pattern::kRandom:
                    va = kDataBase + (w.rng.next() % (o.footprint / 8)) * 8;
                    break;
                case Pattern::kPointerChase:
                    va = w.cursor;
                    break;
            }
            const bool write = o.pattern != Pattern::kPointerChase && o.write_percent &&
                               (w.rng.next() % 100) < o.write_percent;
            const Translation t =
                w.mmu->translate(VirtAddr{va}, Access::user(write ? AccessType::kWrite : AccessType::kRead));
            if (!t.ok())
                throw SimError(fmt::format("cpu{}: unexpected fault at {:#x} (error code {:#x})", c, va, t.error_code));
            r.translation_cycles += t.cycles;
            if (o.data_cache) r.data_cycles += w.mmu->data_access(t.pa, t.mem_type);
            const uint64_t value = mem.read64(t.pa);
            if (write) mem.write64(t.pa, value + 1);
            if (o.pattern == Pattern::kPointerChase) w.cursor = value;
            r.checksum = r.checksum * 31 + value;
            ++r.accesses;
        }
    }
    r.cycles = r.translation_cycles + r.data_cycles;

    // The job's own figures, reported with the machine's.
    machine.stats().add_value("job", "accesses", r.accesses);
    machine.stats().add_value("job", "cycles", r.cycles);
    machine.stats().add_value("job", "translation_cycles", r.translation_cycles);
    machine.stats().add_value("job", "data_cycles", r.data_cycles);
    return r;
}

std::string pattern_job_report(Machine& machine, const PatternJobOptions& o, const PatternJobResult& r) {
    StatsRegistry& s = machine.stats();
    const uint64_t dtlb_acc = s.total("tlb.dtlb.accesses");
    const uint64_t dtlb_miss = s.total("tlb.dtlb.misses");
    const uint64_t stlb_miss = s.total("tlb.stlb.misses");
    const uint64_t walks = s.total("mmu.walks");
    const uint64_t walk_cycles = s.total("mmu.walk_cycles");
    auto ratio = [](uint64_t a, uint64_t b) { return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0; };
    std::string out;
    out += fmt::format("machine     {} ({} CPUs, {} MiB RAM in {} NUMA nodes)\n", machine.config().name,
                       machine.cpu_count(), machine.config().total_ram() >> 20, machine.memory().node_count());
    out += fmt::format("workload    {} over {} MiB per CPU, {} pages, {}-level paging, PCIDs {}, {} accesses per CPU",
                       pattern_name(o.pattern), o.footprint >> 20, page_size_name(o.page_size), o.levels,
                       o.pcid ? "on" : "off", o.accesses);
    if (o.pattern == Pattern::kStrided) out += fmt::format(", stride {}", o.stride);
    if (o.write_percent) out += fmt::format(", {}% stores", o.write_percent);
    out += "\n";
    out += fmt::format("cycles      {} ({:.2f} per access: {:.2f} translation, {:.2f} data)\n", r.cycles,
                       ratio(r.cycles, r.accesses), ratio(r.translation_cycles, r.accesses),
                       ratio(r.data_cycles, r.accesses));
    out += fmt::format("L1 DTLB     {:.2f}% miss   STLB {:.2f}% miss ({:.2f} MPKA)   walks {} averaging {:.1f} cycles\n",
                       100.0 * ratio(dtlb_miss, dtlb_acc), 100.0 * ratio(stlb_miss, dtlb_miss),
                       1000.0 * ratio(stlb_miss, r.accesses), walks, ratio(walk_cycles, walks));
    if (o.pattern == Pattern::kPointerChase) out += fmt::format("chase sum   {:#018x}\n", r.checksum);
    out += "\n";
    out += s.table();
    return out;
}

}  // namespace simx
