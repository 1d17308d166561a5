// `simx run` end to end (issue 5): what a user waits for. Each benchmark boots
// a fresh simulated machine and runs a guest program from guest_userland; the
// counters give the simulated work done per host second.
//
//   BM_RunHello       boot + exec + exit of the smallest program (host time per run)
//   BM_Syscalls       simulated syscalls per host second (entry, table, handler, exit)
//   BM_PageFaults     demand-zero faults per host second (the #PF round trip)
//   BM_ChaseMips      interpreted instructions per host second of a TLB-bound pointer chase
//   BM_Fork           fork + exit + wait of a child (copy-on-write of a small process)
//   BM_Threads/N      threads_work (4 pthreads, futexes, a barrier) on N simulated CPUs:
//                     simulated instructions per host second as CPUs are added
//   BM_Shootdown/N    the shootdown test's 40 mapping changes under a reader thread on
//                     N CPUs: host time per change, and the modeled TLB shootdowns
//                     (remote ones interrupt the reader's CPU by IPI)
#include <benchmark/benchmark.h>

#include <sstream>
#include <string>

#include "apps/simx/run_job.h"
#include "sim/machine/config.h"
#include "sim/machine/sim_error.h"

namespace simx {
namespace {

std::string bin(const std::string& name) { return std::string(SIMX_GUEST_BIN_DIR) + "/" + name; }

MachineConfig machine(uint32_t cpus = 1) {
    MachineConfig c;
    c.cpus = cpus;
    c.memory.node_bytes = {uint64_t{256} << 20};
    return c;
}

// Runs it once; the value of a counter of the process ("process1" scope), via the JSON.
RunJobResult run_once(const std::string& program, std::vector<std::string> args, int expect = 0, uint32_t cpus = 1) {
    RunJobOptions o;
    o.program = bin(program);
    o.args = std::move(args);
    std::istringstream in;
    std::ostringstream out, err;
    RunJobResult r = run_program(machine(cpus), o, in, out, err);
    if (r.exit_status != expect) throw SimError(program + " failed: " + out.str() + r.kernel_log);
    return r;
}

uint64_t json_counter(const std::string& json, const std::string& key) {
    // The process section's first occurrence of "key": N.
    const size_t p = json.find("\"processes\"");
    const size_t k = json.find("\"" + key + "\": ", p);
    if (p == std::string::npos || k == std::string::npos) return 0;
    return std::stoull(json.substr(k + key.size() + 4));
}

void BM_RunHello(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(run_once("exit_status", {}, 3).exit_status);
}
BENCHMARK(BM_RunHello)->Unit(benchmark::kMillisecond);

void BM_Syscalls(benchmark::State& state) {
    const uint64_t calls = static_cast<uint64_t>(state.range(0));
    for (auto _ : state) run_once("syscalls", {std::to_string(calls)});
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * calls));
}
BENCHMARK(BM_Syscalls)->Arg(200000)->Unit(benchmark::kMillisecond);

void BM_PageFaults(benchmark::State& state) {
    const uint64_t pages = static_cast<uint64_t>(state.range(0));
    for (auto _ : state) run_once("pages", {std::to_string(pages)});
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * pages));
}
BENCHMARK(BM_PageFaults)->Arg(16384)->Unit(benchmark::kMillisecond);

void BM_ChaseMips(benchmark::State& state) {
    uint64_t instructions = 0;
    for (auto _ : state) {
        const RunJobResult r = run_once("chase", {"16", "1000000"});
        instructions += json_counter(r.stats_json, "instructions");
    }
    state.counters["MIPS"] = benchmark::Counter(static_cast<double>(instructions) / 1e6, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ChaseMips)->Unit(benchmark::kMillisecond);

void BM_Fork(benchmark::State& state) {
    const uint64_t children = 64;
    for (auto _ : state) run_once("forkwork", {std::to_string(children), "1"});
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * children));
}
BENCHMARK(BM_Fork)->Unit(benchmark::kMillisecond);

void BM_Threads(benchmark::State& state) {
    const auto cpus = static_cast<uint32_t>(state.range(0));
    uint64_t instructions = 0;
    for (auto _ : state) {
        const RunJobResult r = run_once("threads_work", {"4", "20000"}, 0, cpus);
        instructions += json_counter(r.stats_json, "instructions");
    }
    state.counters["MIPS"] = benchmark::Counter(static_cast<double>(instructions) / 1e6, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Threads)->Arg(1)->Arg(2)->Arg(4)->Unit(benchmark::kMillisecond);

void BM_Shootdown(benchmark::State& state) {
    const auto cpus = static_cast<uint32_t>(state.range(0));
    constexpr uint64_t kChanges = 40;  // tests/shootdown.c's rounds
    uint64_t remote = 0, runs = 0;
    for (auto _ : state) {
        const RunJobResult r = run_once("shootdown", {}, 0, cpus);
        remote += json_counter(r.stats_json, "remote_requests");
        ++runs;
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kChanges));
    state.counters["remote_shootdowns_per_run"] = static_cast<double>(remote) / static_cast<double>(runs ? runs : 1);
}
BENCHMARK(BM_Shootdown)->Arg(1)->Arg(2)->Arg(4)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace simx
