// End-to-end speed of simx's pattern job: accesses simulated per host second,
// translation plus data-cache model, on the default two-CPU machine.
#include <benchmark/benchmark.h>

#include "apps/simx/pattern_job.h"

using namespace simx;

namespace {

void BM_PatternJob(benchmark::State& state, Pattern pattern) {
    PatternJobOptions o;
    o.pattern = pattern;
    o.footprint = uint64_t{16} << 20;
    o.accesses = 200'000;
    for (auto _ : state) {
        Machine machine{MachineConfig{}};
        PatternJobResult r = run_pattern_job(machine, o);
        benchmark::DoNotOptimize(r);
        state.SetItemsProcessed(state.items_processed() + static_cast<int64_t>(r.accesses));
    }
}
BENCHMARK_CAPTURE(BM_PatternJob, seq, Pattern::kSequential)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_PatternJob, random, Pattern::kRandom)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_PatternJob, chase, Pattern::kPointerChase)->Unit(benchmark::kMillisecond);

}  // namespace
