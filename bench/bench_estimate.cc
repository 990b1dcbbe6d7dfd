// Estimator evaluations per second on one core (Llama 3.1 405B layout on 1024 H100s), and the
// full layout search for Llama 3.1 405B on 16,384 H100s (seq 8192, global batch 2048), wall
// time with all cores.
// Run: build/bench/danlu_bench   (Estimate: items_per_second = evaluations/s;
//                                 Search: real_time per search, counters for layouts)
#include <benchmark/benchmark.h>

#include "danlu/catalog.h"
#include "danlu/estimate.h"
#include "danlu/search.h"
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

void BM_Search405B_16384(benchmark::State& state) {
  const danlu::Catalog& cat = danlu::builtin_catalog();
  const danlu::Model m = cat.find_model("llama3.1-405b")->model;
  const danlu::Cluster c = danlu::make_cluster(cat, "h100-sxm", 16384, 8, "ib-ndr-400", 8);
  danlu::Workload w;
  w.seq_len = 8192;
  w.global_batch = 2048;
  danlu::SearchOptions opt;  // all cores, pruning on, top 10
  long long considered = 0, evaluated = 0;
  for (auto _ : state) {
    const danlu::SearchResult r = danlu::search_layouts(m, c, w, opt);
    considered = r.considered;
    evaluated = r.evaluated;
    benchmark::DoNotOptimize(r.top.data());
  }
  state.counters["layouts_considered"] = static_cast<double>(considered);
  state.counters["layouts_evaluated"] = static_cast<double>(evaluated);
  state.counters["evaluated_per_s"] =
      benchmark::Counter(static_cast<double>(evaluated) * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Search405B_16384)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
