// Layout search: pruning never changes the answer; threads never change the answer.
#include <gtest/gtest.h>

#include <cmath>

#include "danlu/catalog.h"
#include "danlu/search.h"
#include "danlu/validate.h"

namespace {

using danlu::Candidate;
using danlu::SearchOptions;
using danlu::SearchResult;

struct Case {
  const char* model;
  const char* accelerator;
  int gpus;
  int seq;
  long global_batch;
  danlu::Precision precision;
};

SearchResult run(const Case& k, bool prune, int threads, int top = 8) {
  const danlu::Catalog& cat = danlu::builtin_catalog();
  const danlu::Model m = cat.find_model(k.model)->model;
  const danlu::Cluster c = danlu::make_cluster(cat, k.accelerator, k.gpus, 0, "", 0);
  danlu::Workload w;
  w.seq_len = k.seq;
  w.global_batch = k.global_batch;
  w.precision = k.precision;
  SearchOptions o;
  o.top_k = top;
  o.prune = prune;
  o.threads = threads;
  o.max_micro_batch = 8;
  return danlu::search_layouts(m, c, w, o);
}

bool same_layout(const danlu::Layout& a, const danlu::Layout& b) {
  return a.tp == b.tp && a.cp == b.cp && a.pp == b.pp && a.vpp == b.vpp && a.dp == b.dp && a.zero == b.zero &&
         a.micro_batch == b.micro_batch && a.sequence_parallel == b.sequence_parallel && a.recompute == b.recompute;
}

void expect_same(const std::vector<Candidate>& a, const std::vector<Candidate>& b, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(same_layout(a[i].layout, b[i].layout)) << what << " #" << i;
    EXPECT_EQ(a[i].result.step_s, b[i].result.step_s) << what << " #" << i;
  }
}

const Case kCases[] = {
    {"llama3-8b", "h100-sxm", 16, 8192, 64, danlu::Precision::bf16},
    {"llama3-70b", "h100-sxm", 32, 4096, 64, danlu::Precision::fp8},
    {"gpt3-13b", "a100-sxm-80gb", 24, 2048, 96, danlu::Precision::fp16},
    {"mistral-7b", "h100-sxm", 8, 4096, 32, danlu::Precision::bf16},
    {"llama2-13b", "a100-sxm-40gb", 16, 4096, 32, danlu::Precision::bf16},  // memory-tight
};

TEST(Search, PrunedEqualsExhaustive) {
  for (const Case& k : kCases) {
    const SearchResult pruned = run(k, true, 1);
    const SearchResult full = run(k, false, 1);
    ASSERT_FALSE(full.top.empty()) << k.model;
    expect_same(pruned.top, full.top, k.model);
    expect_same(pruned.pareto, full.pareto, k.model);
    EXPECT_EQ(pruned.considered, full.considered) << k.model;
    EXPECT_LE(pruned.evaluated, full.evaluated) << k.model;
  }
}

TEST(Search, ThreadCountDoesNotChangeTheAnswer) {
  for (const Case& k : kCases) {
    const SearchResult one = run(k, true, 1);
    const SearchResult four = run(k, true, 4);
    expect_same(one.top, four.top, k.model);
    expect_same(one.pareto, four.pareto, k.model);
    EXPECT_EQ(one.considered, four.considered);
  }
}

TEST(Search, TopIsSortedFeasibleAndDistinct) {
  const SearchResult s = run(kCases[1], true, 2, 20);
  ASSERT_EQ(s.top.size(), 20u);
  for (std::size_t i = 0; i < s.top.size(); ++i) {
    const Candidate& c = s.top[i];
    EXPECT_FALSE(c.result.oom);
    EXPECT_GT(c.result.step_s, 0);
    EXPECT_EQ(static_cast<long>(c.layout.tp) * c.layout.cp * c.layout.pp * c.layout.dp, kCases[1].gpus);
    if (i > 0) {
      EXPECT_LE(s.top[i - 1].result.step_s, c.result.step_s);
      EXPECT_FALSE(same_layout(s.top[i - 1].layout, c.layout));
    }
  }
  // Pareto: strictly better memory as time grows.
  for (std::size_t i = 1; i < s.pareto.size(); ++i) {
    EXPECT_LT(s.pareto[i].result.peak_memory_gib, s.pareto[i - 1].result.peak_memory_gib);
  }
}

// A framework's search (danlu/framework.h): only its ZeRO stages, its meaning of "selective",
// and the base layout's kernels on every candidate; pruning still never changes the answer.
TEST(Search, FrameworkLimitsZeroStagesAndSelectiveKind) {
  const danlu::Catalog& cat = danlu::builtin_catalog();
  const danlu::Model m = cat.find_model("llama3-8b")->model;
  const danlu::Cluster c = danlu::make_cluster(cat, "h100-sxm", 16, 0, "", 0);
  danlu::Workload w;
  w.seq_len = 8192;
  w.global_batch = 32;
  SearchOptions o;
  o.top_k = 40;
  o.max_micro_batch = 4;
  o.zero_stages = {0, 3};
  o.selective = danlu::Recompute::selective_op;
  danlu::Layout base;
  base.attention = danlu::AttentionKernel::flash2;
  base.fused_loss = false;
  o.base = base;
  const SearchResult s = danlu::search_layouts(m, c, w, o);
  ASSERT_FALSE(s.top.empty());
  for (const auto* list : {&s.top, &s.pareto}) {
    for (const Candidate& k : *list) {
      EXPECT_TRUE(k.layout.zero == 0 || k.layout.zero == 3) << k.layout.zero;
      EXPECT_NE(k.layout.recompute, danlu::Recompute::selective);
      EXPECT_EQ(k.layout.attention, danlu::AttentionKernel::flash2);
      EXPECT_FALSE(k.layout.fused_loss);
    }
  }
  o.prune = false;
  const SearchResult all = danlu::search_layouts(m, c, w, o);
  expect_same(s.top, all.top, "framework search pruned vs exhaustive");
  // Two stages and three recompute kinds: at least half the layouts of the four-stage search
  // fewer (each sharded stage also has a hybrid-sharded variant where dp spans domains, and the
  // four-stage search has three sharded stages to the two-stage search's one).
  SearchOptions any = o;
  any.zero_stages.clear();
  const SearchResult four = danlu::search_layouts(m, c, w, any);
  EXPECT_GT(four.considered, 2 * all.considered);
  EXPECT_LT(four.considered, 3 * all.considered);
}

TEST(Search, EveryConsideredLayoutIsAccountedFor) {
  const SearchResult s = run(kCases[0], false, 1);
  long long rejected = 0;
  for (long long r : s.rejected) rejected += r;
  long long feasible = s.evaluated - (s.rejected[static_cast<int>(danlu::Reject::kOomFirstStage)] +
                                      s.rejected[static_cast<int>(danlu::Reject::kOomMiddleStage)] +
                                      s.rejected[static_cast<int>(danlu::Reject::kOomLastStage)]);
  EXPECT_GT(feasible, 0);
  EXPECT_EQ(s.considered, rejected + feasible);
}

TEST(Search, BoundsNeverExceedTheEstimate) {
  // The pruning is only sound if both bounds are below what the estimator says.
  const danlu::Catalog& cat = danlu::builtin_catalog();
  for (const Case& k : kCases) {
    const SearchResult s = run(k, false, 1, 50);
    const danlu::Model m = cat.find_model(k.model)->model;
    const danlu::Cluster c = danlu::make_cluster(cat, k.accelerator, k.gpus, 0, "", 0);
    danlu::Workload w;
    w.seq_len = k.seq;
    w.global_batch = k.global_batch;
    w.precision = k.precision;
    for (const Candidate& cnd : s.pareto) {
      EXPECT_LE(danlu::step_time_lower_bound_s(m, c, cnd.layout, w), cnd.result.step_s);
      EXPECT_LE(danlu::state_memory_lower_bound_gib(m, c, cnd.layout), cnd.result.peak_memory_gib);
    }
  }
}

TEST(Search, CancelStopsEarly) {
  std::atomic<bool> stop{true};
  const danlu::Catalog& cat = danlu::builtin_catalog();
  SearchOptions o;
  o.cancel = &stop;
  danlu::Workload w;
  w.seq_len = 4096;
  w.global_batch = 64;
  const SearchResult s = danlu::search_layouts(cat.find_model("llama3-8b")->model,
                                               danlu::make_cluster(cat, "h100-sxm", 16, 0, "", 0), w, o);
  EXPECT_TRUE(s.cancelled);
  EXPECT_EQ(s.evaluated, 0);
}

}  // namespace

namespace {

TEST(Search, FewerGpusJoinTheParetoFront) {
  const danlu::Catalog& cat = danlu::builtin_catalog();
  const danlu::Model m = cat.find_model("llama3-8b")->model;
  const danlu::Cluster c = danlu::make_cluster(cat, "h100-sxm", 32, 0, "", 0);
  danlu::Workload w;
  w.seq_len = 4096;
  w.global_batch = 64;
  SearchOptions o;
  o.top_k = 5;
  o.max_micro_batch = 4;
  o.min_gpus = 8;
  o.threads = 2;
  const SearchResult pruned = danlu::search_layouts(m, c, w, o);
  o.prune = false;
  const SearchResult full = danlu::search_layouts(m, c, w, o);
  expect_same(pruned.top, full.top, "top");
  expect_same(pruned.pareto, full.pareto, "pareto");
  bool fewer = false;
  for (const Candidate& cnd : full.pareto) {
    const danlu::Layout& l = cnd.layout;
    const int used = l.tp * l.cp * l.pp * l.dp;
    EXPECT_TRUE(used == 8 || used == 16 || used == 32) << used;
    fewer = fewer || used < 32;
  }
  EXPECT_TRUE(fewer);  // fewer GPUs are never faster here, but they are cheaper: on the front
}

}  // namespace

namespace {

TEST(Search, TriesHybridShardingWithinADomain) {
  // 16 H100s in two nodes of 8: sharded stages also run as 8-way shards replicated twice.
  const danlu::Catalog& cat = danlu::builtin_catalog();
  const danlu::Model m = cat.find_model("llama3-8b")->model;
  const danlu::Cluster c = danlu::make_cluster(cat, "h100-sxm", 16, 8, "", 0);
  danlu::Workload w;
  w.seq_len = 4096;
  w.global_batch = 32;
  SearchOptions o;
  o.top_k = 100000;
  o.max_micro_batch = 2;
  o.prune = false;
  const SearchResult s = danlu::search_layouts(m, c, w, o);
  int hybrid = 0;
  for (const Candidate& k : s.top) {
    if (k.layout.dp_shard == 0) continue;
    ++hybrid;
    EXPECT_GE(k.layout.zero, 1);
    EXPECT_LT(k.layout.dp_shard, k.layout.dp);
    EXPECT_EQ(k.layout.dp_shard * k.layout.tp * k.layout.cp, 8);  // one shard per node
    EXPECT_EQ(danlu::estimate_step(m, c, k.layout, w).step_s, k.result.step_s);
  }
  EXPECT_GT(hybrid, 0);
}

}  // namespace
