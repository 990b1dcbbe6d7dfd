// Estimator evaluations per second on one core, for a Llama 3.1 405B layout on 1024 H100s.
// Run: build/bench/danlu_bench --benchmark_filter=Estimate  (items_per_second = evaluations/s)
#include <benchmark/benchmark.h>

#include "danlu/catalog.h"
#include "danlu/estimate.h"
#include "danlu/validate.h"

namespace {

void BM_Estimate405B(benchmark::State& state) {
  const danlu::Catalog& cat = danlu::builtin_catalog();
  const danlu::Model m = cat.find_model("llama3.1-405b")->model;
  const danlu::Cluster c = danlu::make_cluster(cat, "h100-sxm", 1024, 8, "ib-ndr-400", 8);
  danlu::Layout l;
  l.tp = 8;
  l.pp = 8;
  l.cp = 2;
  l.dp = 8;
  l.vpp = 8;
  l.sequence_parallel = true;
  l.recompute = danlu::Recompute::selective;
  l.zero = 1;
  danlu::Workload w;
  w.seq_len = 8192;
  w.global_batch = 512;
  w.precision = danlu::Precision::fp8;
  for (auto _ : state) {
    benchmark::DoNotOptimize(&l);
    danlu::Result r = danlu::estimate_step(m, c, l, w);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Estimate405B);

}  // namespace

BENCHMARK_MAIN();
