// The step estimator (danlu/estimate.h): physical invariants and monotone relations that
// must hold whatever the calibrated efficiency figures are. No exact timings are asserted.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <string>
#include <vector>

#include "danlu/catalog.h"
#include "danlu/estimate.h"
#include "danlu/validate.h"

namespace {

using danlu::Binding;
using danlu::Cluster;
using danlu::Layout;
using danlu::LayoutIssue;
using danlu::Model;
using danlu::Precision;
using danlu::Recompute;
using danlu::Result;
using danlu::StageMemory;
using danlu::Workload;

constexpr double kGiB = 1073741824.0;

const danlu::Catalog& cat() { return danlu::builtin_catalog(); }

Model preset(const char* id) {
  const danlu::ModelEntry* e = cat().find_model(id);
  EXPECT_NE(e, nullptr) << id;
  return e ? e->model : Model{};
}

Cluster h100(int gpus) { return danlu::make_cluster(cat(), "h100-sxm", gpus, 8, "ib-ndr-400", 8); }
Cluster a100(int gpus) { return danlu::make_cluster(cat(), "a100-sxm-80gb", gpus, 8, "ib-hdr-200", 8); }

Layout layout(int tp, int pp, int dp, int zero = 1, Recompute rc = Recompute::none, int vpp = 1) {
  Layout l;
  l.tp = tp;
  l.pp = pp;
  l.dp = dp;
  l.vpp = vpp;
  l.zero = zero;
  l.recompute = rc;
  l.sequence_parallel = tp > 1;
  return l;
}

Workload work(int seq, long global_batch, Precision p = Precision::bf16) {
  Workload w;
  w.seq_len = seq;
  w.global_batch = global_batch;
  w.precision = p;
  return w;
}

double rel(double a, double b) { return std::fabs(a - b) / std::fabs(b); }

void expect_stage_sane(const StageMemory& s, const char* which) {
  SCOPED_TRACE(which);
  for (double v : {s.weights_gib, s.gradients_gib, s.optimizer_gib, s.activations_gib, s.workspace_gib}) {
    EXPECT_TRUE(std::isfinite(v));
    EXPECT_GE(v, 0);
  }
  EXPECT_GT(s.weights_gib, 0);
  EXPECT_GT(s.activations_gib, 0);
  EXPECT_GT(s.layers, 0);
  EXPECT_GE(s.microbatches_in_flight, 1);
  const double sum = s.weights_gib + s.gradients_gib + s.optimizer_gib + s.activations_gib + s.workspace_gib;
  EXPECT_LT(rel(s.total_gib, sum), 1e-12);
}

// Invariants every estimate must satisfy.
void expect_sane(const Model& m, const Cluster& c, const Layout& l, const Workload& w, const Result& r) {
  const danlu::Breakdown& t = r.time;
  const double parts[] = {t.gemm_s,    t.attention_s, t.memory_bound_s, t.tp_comm_s, t.dp_comm_s,
                          t.pp_bubble_s, t.pp_p2p_s,  t.optimizer_s,    t.overhead_s};
  double sum = 0;
  for (double p : parts) {
    EXPECT_TRUE(std::isfinite(p));
    EXPECT_GE(p, 0);
    sum += p;
  }
  ASSERT_TRUE(std::isfinite(r.step_s));
  ASSERT_GT(r.step_s, 0);
  EXPECT_LT(rel(r.breakdown_sum_s(), r.step_s), 1e-12);
  EXPECT_LT(rel(sum, r.step_s), 1e-12);
  EXPECT_GT(t.gemm_s, 0);
  EXPECT_GT(t.attention_s, 0);
  EXPECT_GT(t.memory_bound_s, 0);
  EXPECT_GT(t.optimizer_s, 0);

  const double tokens = static_cast<double>(w.global_batch) * w.seq_len;
  EXPECT_LT(rel(r.tokens_per_s_per_gpu * r.step_s * c.gpus, tokens), 1e-12);
  EXPECT_LT(rel(r.model_flops_per_step,
                static_cast<double>(w.global_batch) * danlu::model_flops_per_sequence(m, w.seq_len)),
            1e-12);
  const double peak = c.acc.peak_tflops[static_cast<int>(w.precision)] * 1e12 * c.gpus;
  EXPECT_LT(rel(r.mfu, r.model_flops_per_step / (r.step_s * peak)), 1e-12);
  EXPECT_GT(r.mfu, 0);
  EXPECT_LT(r.mfu, 1);
  EXPECT_GE(r.hfu, r.mfu * (1 - 1e-12));
  EXPECT_LT(r.hfu, 1);
  EXPECT_GE(r.hardware_flops_per_step, r.model_flops_per_step);
  EXPECT_EQ(r.micro_batches, w.global_batch / (static_cast<long>(l.dp) * l.micro_batch));

  expect_stage_sane(r.first, "first");
  expect_stage_sane(r.middle, "middle");
  expect_stage_sane(r.last, "last");
  EXPECT_DOUBLE_EQ(r.peak_memory_gib, std::max({r.first.total_gib, r.middle.total_gib, r.last.total_gib}));
  EXPECT_GT(r.usable_memory_gib, 0);
  EXPECT_LE(r.usable_memory_gib, c.acc.hbm_gib);
  EXPECT_EQ(r.oom, r.peak_memory_gib > r.usable_memory_gib);
  EXPECT_EQ(r.oom, r.binding == Binding::memory_capacity);
  EXPECT_STRNE(danlu::binding_name(r.binding), "?");

  // Structural zeros: no communication of a kind the layout does not have.
  if (l.pp == 1) {
    EXPECT_EQ(t.pp_bubble_s, 0);
    EXPECT_EQ(t.pp_p2p_s, 0);
    EXPECT_EQ(r.first.layers, m.layers);
  } else {
    EXPECT_GT(t.pp_bubble_s, 0);
    EXPECT_GT(t.pp_p2p_s, 0);
  }
  if (l.tp == 1 && l.cp == 1 && l.ep == 1) { EXPECT_EQ(t.tp_comm_s, 0); }  // ep > 1: the token all-to-all counts here
  if (l.tp > 1) { EXPECT_GT(t.tp_comm_s, 0); }
  if (l.dp == 1 && l.cp == 1) { EXPECT_EQ(t.dp_comm_s, 0); }
  if (l.dp > 1) { EXPECT_GT(t.dp_comm_s, 0); }
}

Result estimate(const Model& m, const Cluster& c, const Layout& l, const Workload& w) {
  EXPECT_EQ(danlu::check_layout(m, c, l, w), LayoutIssue::kOk)
      << danlu::layout_issue_text(danlu::check_layout(m, c, l, w));
  const Result r = danlu::estimate_step(m, c, l, w);
  {
    SCOPED_TRACE("tp=" + std::to_string(l.tp) + " pp=" + std::to_string(l.pp) + " dp=" + std::to_string(l.dp) +
                 " vpp=" + std::to_string(l.vpp));
    expect_sane(m, c, l, w, r);
  }
  return r;
}

double bubble_share(const Result& r) { return r.time.pp_bubble_s / r.step_s; }

// ------------------------------------------------------------------ invariants over a sweep

TEST(Estimate, InvariantsOverLayoutSweep) {
  struct Case { const char* model; bool h; int gpus, tp, pp, dp, vpp, zero; Recompute rc; int seq; long gb; Precision p; };
  const Case cases[] = {
      {"llama3-70b", true, 64, 8, 4, 2, 1, 1, Recompute::none, 8192, 64, Precision::bf16},
      {"llama3-70b", true, 64, 8, 4, 2, 5, 1, Recompute::selective, 8192, 64, Precision::bf16},
      {"llama3-70b", true, 1024, 8, 4, 32, 1, 1, Recompute::full, 8192, 512, Precision::fp8},
      {"llama3-70b", false, 128, 8, 8, 2, 2, 0, Recompute::full, 4096, 256, Precision::bf16},
      {"llama3-8b", true, 8, 1, 1, 8, 1, 3, Recompute::none, 8192, 32, Precision::bf16},
      {"llama3-8b", false, 16, 2, 2, 4, 1, 2, Recompute::selective, 4096, 64, Precision::fp16},
      {"gpt3-175b", false, 1024, 8, 16, 8, 1, 0, Recompute::full, 2048, 1536, Precision::fp16},
      {"gpt3-1.3b", true, 8, 1, 1, 8, 1, 1, Recompute::none, 2048, 512, Precision::bf16},
      {"gpt3-13b", false, 32, 4, 2, 4, 1, 1, Recompute::none, 2048, 128, Precision::bf16},
      {"mistral-7b", true, 16, 2, 1, 8, 1, 1, Recompute::none, 4096, 128, Precision::fp8},
      {"qwen2.5-72b", true, 256, 8, 4, 8, 1, 1, Recompute::selective, 4096, 256, Precision::bf16},
      {"llama3.1-405b", true, 2048, 8, 16, 16, 1, 1, Recompute::none, 8192, 256, Precision::bf16},
      {"nemotron4-340b", true, 768, 8, 12, 8, 8, 1, Recompute::none, 4096, 768, Precision::bf16},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.model);
    const Model m = preset(k.model);
    const Cluster c = k.h ? h100(k.gpus) : a100(k.gpus);
    Layout l = layout(k.tp, k.pp, k.dp, k.zero, k.rc, k.vpp);
    estimate(m, c, l, work(k.seq, k.gb, k.p));
  }
}

TEST(Estimate, Deterministic) {
  const Model m = preset("llama3-70b");
  const Cluster c = h100(64);
  const Layout l = layout(8, 4, 2, 1, Recompute::selective, 2);
  const Workload w = work(8192, 64);
  const Result a = danlu::estimate_step(m, c, l, w);
  const Result b = danlu::estimate_step(m, c, l, w);
  // Bitwise equal (EXPECT_EQ on doubles is exact).
  EXPECT_EQ(a.step_s, b.step_s);
  EXPECT_EQ(a.tokens_per_s_per_gpu, b.tokens_per_s_per_gpu);
  EXPECT_EQ(a.mfu, b.mfu);
  EXPECT_EQ(a.hfu, b.hfu);
  EXPECT_EQ(a.model_flops_per_step, b.model_flops_per_step);
  EXPECT_EQ(a.hardware_flops_per_step, b.hardware_flops_per_step);
  EXPECT_EQ(a.time.gemm_s, b.time.gemm_s);
  EXPECT_EQ(a.time.attention_s, b.time.attention_s);
  EXPECT_EQ(a.time.memory_bound_s, b.time.memory_bound_s);
  EXPECT_EQ(a.time.tp_comm_s, b.time.tp_comm_s);
  EXPECT_EQ(a.time.dp_comm_s, b.time.dp_comm_s);
  EXPECT_EQ(a.time.pp_bubble_s, b.time.pp_bubble_s);
  EXPECT_EQ(a.time.pp_p2p_s, b.time.pp_p2p_s);
  EXPECT_EQ(a.time.optimizer_s, b.time.optimizer_s);
  EXPECT_EQ(a.time.overhead_s, b.time.overhead_s);
  for (auto [x, y] : {std::pair{a.first, b.first}, std::pair{a.middle, b.middle}, std::pair{a.last, b.last}}) {
    EXPECT_EQ(x.total_gib, y.total_gib);
    EXPECT_EQ(x.activations_gib, y.activations_gib);
    EXPECT_EQ(x.layers, y.layers);
  }
  EXPECT_EQ(a.peak_memory_gib, b.peak_memory_gib);
  EXPECT_EQ(a.oom, b.oom);
  EXPECT_EQ(a.binding, b.binding);
}

// ------------------------------------------------------------------ recompute

TEST(Estimate, RecomputeTradesTimeForMemory) {
  const Model m = preset("llama3-70b");
  const Cluster c = h100(64);
  const Workload w = work(8192, 64);
  const Result none = estimate(m, c, layout(8, 4, 2, 1, Recompute::none), w);
  const Result sel = estimate(m, c, layout(8, 4, 2, 1, Recompute::selective), w);
  const Result full = estimate(m, c, layout(8, 4, 2, 1, Recompute::full), w);

  EXPECT_LT(none.step_s, sel.step_s);
  EXPECT_LT(sel.step_s, full.step_s);
  EXPECT_LT(full.first.activations_gib, none.first.activations_gib);
  EXPECT_LT(full.last.activations_gib, none.last.activations_gib);
  EXPECT_LE(sel.first.activations_gib, none.first.activations_gib);
  EXPECT_LT(full.first.activations_gib, sel.first.activations_gib);
  // Weights/optimizer state do not depend on recompute.
  EXPECT_EQ(full.first.weights_gib, none.first.weights_gib);
  EXPECT_EQ(full.first.optimizer_gib, none.first.optimizer_gib);

  // Model FLOPs do not count recompute; hardware FLOPs do.
  EXPECT_EQ(none.model_flops_per_step, full.model_flops_per_step);
  EXPECT_LT(rel(none.hfu, none.mfu), 1e-12);
  EXPECT_EQ(none.hardware_flops_per_step, none.model_flops_per_step);
  EXPECT_GT(sel.hardware_flops_per_step, none.hardware_flops_per_step);
  EXPECT_GT(full.hardware_flops_per_step, sel.hardware_flops_per_step);
  EXPECT_GT(full.hfu, full.mfu);
  EXPECT_GT(sel.hfu, sel.mfu);
  // Full recompute re-runs one forward: at most +1/3 of the 6*N model FLOPs plus the attention.
  EXPECT_LT(full.hardware_flops_per_step, full.model_flops_per_step * 4.0 / 3.0 * 1.01);
  EXPECT_GT(full.hardware_flops_per_step, full.model_flops_per_step * 1.25);
  // Recompute costs time but not model work: MFU falls.
  EXPECT_LT(full.mfu, none.mfu);
}

TEST(Estimate, BlockRecomputeSitsBetweenNoneAndFull) {
  // Megatron's block method: recomputing N of a chunk's layers costs N/layers of full
  // recompute's extra forward and keeps the other layers' activations; more layers, less memory.
  const Model m = preset("llama3-70b");  // 80 layers: 20 per stage at pp 4
  const Cluster c = h100(64);
  const Workload w = work(8192, 64);
  const Result none = estimate(m, c, layout(8, 4, 2, 1, Recompute::none), w);
  const Result full = estimate(m, c, layout(8, 4, 2, 1, Recompute::full), w);
  double prev_s = none.step_s, prev_act = 1e300;
  for (int n : {1, 5, 10, 19}) {
    Layout l = layout(8, 4, 2, 1, Recompute::full);
    l.recompute_num_layers = n;
    ASSERT_EQ(danlu::check_layout(m, c, l, w), LayoutIssue::kOk) << n;
    const Result r = estimate(m, c, l, w);
    EXPECT_GT(r.step_s, prev_s) << n;
    EXPECT_LT(r.step_s, full.step_s) << n;
    EXPECT_LT(r.first.activations_gib, prev_act) << n;
    EXPECT_GT(r.first.activations_gib, full.first.activations_gib) << n;
    EXPECT_GT(r.hardware_flops_per_step, none.hardware_flops_per_step) << n;
    EXPECT_LT(r.hardware_flops_per_step, full.hardware_flops_per_step) << n;
    prev_s = r.step_s;
    prev_act = r.first.activations_gib;
  }
  // Every layer of the chunk is plain full recompute.
  Layout all = layout(8, 4, 2, 1, Recompute::full);
  all.recompute_num_layers = 20;
  EXPECT_DOUBLE_EQ(estimate(m, c, all, w).step_s, full.step_s);
  // Only with full recompute, and no more than a chunk holds.
  Layout bad = layout(8, 4, 2, 1, Recompute::selective);
  bad.recompute_num_layers = 2;
  EXPECT_EQ(danlu::check_layout(m, c, bad, w), LayoutIssue::kRecomputeLayers);
  all.recompute_num_layers = 21;
  EXPECT_EQ(danlu::check_layout(m, c, all, w), LayoutIssue::kRecomputeLayers);
}

TEST(Estimate, BlockRecomputeCountsEachChunk) {
  // Megatron recomputes min(chunk, N) layers of every chunk: with an uneven split (first and
  // last chunks of 4, middle chunks of 12) N = 6 recomputes 4 + 6 + 6 + 4 layers, and N up to
  // the largest chunk (12) is valid.
  const Model m = preset("llama3-8b");  // 32 layers
  Layout l = layout(1, 4, 2, 1, Recompute::full);
  l.first_stage_layers = 4;
  l.last_stage_layers = 4;
  l.recompute_num_layers = 6;
  danlu::StageSplit split;
  ASSERT_TRUE(danlu::split_stages(m.layers, l, &split));
  EXPECT_EQ(split.max_chunk, 12);
  EXPECT_EQ(split.rec_first, 4);
  EXPECT_EQ(split.rec_middle, 6);
  EXPECT_EQ(split.rec_last, 4);
  EXPECT_EQ(split.rec_total, 20);
  const Cluster c = h100(8);
  const Workload w = work(4096, 64);
  l.recompute_num_layers = 12;
  EXPECT_EQ(danlu::check_layout(m, c, l, w), LayoutIssue::kOk);
  l.recompute_num_layers = 13;
  EXPECT_EQ(danlu::check_layout(m, c, l, w), LayoutIssue::kRecomputeLayers);
  // Interleaved: a rank's chunks each count (2 chunks of 4 layers, N = 3: 6 of 8).
  Layout v = layout(1, 4, 2, 1, Recompute::full, 2);
  v.recompute_num_layers = 3;
  ASSERT_TRUE(danlu::split_stages(m.layers, v, &split));
  EXPECT_EQ(split.first, 8);
  EXPECT_EQ(split.rec_first, 6);
  EXPECT_EQ(split.rec_total, 24);
}

TEST(ResolveLayout, UnstatedRecomputeTakesTheFewestLayersThatFit) {
  // When selective recompute does not fit, danlu's default recomputes as few layers per chunk
  // as fit, not every layer; one layer fewer would not fit.
  const Model m = preset("llama3-70b");
  const Cluster c = h100(64);
  Workload w = work(8192, 64);
  danlu::PartialLayout p;
  p.tp = 8;
  p.pp = 2;
  p.micro_batch = 2;
  unsigned flags = 0;
  const Layout l = danlu::resolve_layout(m, c, p, &w, true, &flags);
  ASSERT_EQ(l.recompute, Recompute::full);
  ASSERT_GT(l.recompute_num_layers, 1);
  EXPECT_FALSE(estimate(m, c, l, w).oom);
  Layout fewer = l;
  fewer.recompute_num_layers -= 1;
  EXPECT_TRUE(estimate(m, c, fewer, w).oom);
  Layout sel = l;
  sel.recompute = Recompute::selective;
  sel.recompute_num_layers = 0;
  EXPECT_TRUE(estimate(m, c, sel, w).oom);
}

// ------------------------------------------------------------------ pipeline

TEST(Estimate, MorePipelineStagesGiveLargerBubbleShare) {
  const Model m = preset("llama3-70b");
  const Workload w = work(8192, 16);  // dp=1, micro_batch 1: 16 micro-batches for every pp
  double prev = -1;
  for (int pp : {2, 4, 8, 16}) {
    const Result r = estimate(m, h100(8 * pp), layout(8, pp, 1, 1, Recompute::full), w);
    EXPECT_EQ(r.micro_batches, 16);
    EXPECT_GT(bubble_share(r), prev) << "pp=" << pp;
    prev = bubble_share(r);
  }
}

TEST(Estimate, InterleavingShrinksTheBubble) {
  const Model m = preset("llama3-70b");
  const Cluster c = h100(64);
  const Workload w = work(8192, 64);
  const Result v1 = estimate(m, c, layout(8, 4, 2, 1, Recompute::none, 1), w);
  const Result v2 = estimate(m, c, layout(8, 4, 2, 1, Recompute::none, 2), w);
  const Result v5 = estimate(m, c, layout(8, 4, 2, 1, Recompute::none, 5), w);
  EXPECT_LT(v2.time.pp_bubble_s, v1.time.pp_bubble_s);
  EXPECT_LT(v5.time.pp_bubble_s, v2.time.pp_bubble_s);
  // (pp-1)/vpp of a micro-batch's time: halving with vpp=2 (same per-rank work).
  EXPECT_LT(rel(v2.time.pp_bubble_s, v1.time.pp_bubble_s / 2), 0.05);
  // ... with more point-to-point traffic, which Megatron overlaps with the next chunk
  // (overlap_p2p_comm): only warm-up/cool-down transfers stay exposed, fewer than 1F1B's
  // per-micro-batch transfers; and more activations in flight on rank 0.
  EXPECT_GT(v2.time.pp_p2p_s, 0.0);
  EXPECT_LT(v2.time.pp_p2p_s, v1.time.pp_p2p_s);
  EXPECT_GT(v2.first.activations_gib, v1.first.activations_gib);
}

TEST(Estimate, MoreMicroBatchesShrinkTheBubbleShare) {
  const Model m = preset("llama3-70b");
  const Cluster c = h100(64);
  const Layout l = layout(8, 4, 2);
  const Result small = estimate(m, c, l, work(8192, 32));
  const Result big = estimate(m, c, l, work(8192, 64));
  EXPECT_EQ(big.micro_batches, 2 * small.micro_batches);
  EXPECT_LT(bubble_share(big), bubble_share(small));
  // The bubble itself does not depend on the number of micro-batches.
  EXPECT_LT(rel(big.time.pp_bubble_s, small.time.pp_bubble_s), 1e-9);
  // Twice the work takes longer but less than twice as long (bubble and fixed costs amortise).
  EXPECT_GT(big.step_s, small.step_s);
  EXPECT_LT(big.step_s, 2 * small.step_s);
  EXPECT_GT(big.mfu, small.mfu);
}

TEST(Estimate, OneF1BActivationsDecreaseAlongThePipeline) {
  // 80 layers / pp=4: 20 layers on every rank; rank r holds pp - r micro-batches.
  const Model m = preset("llama3-70b");
  const Result r = estimate(m, h100(64), layout(8, 4, 2), work(8192, 64));
  EXPECT_EQ(r.first.layers, 20);
  EXPECT_EQ(r.middle.layers, 20);
  EXPECT_EQ(r.last.layers, 20);
  EXPECT_EQ(r.first.microbatches_in_flight, 4);
  EXPECT_EQ(r.middle.microbatches_in_flight, 3);
  EXPECT_EQ(r.last.microbatches_in_flight, 1);
  EXPECT_GT(r.first.activations_gib, r.middle.activations_gib);
  EXPECT_GT(r.middle.activations_gib, r.last.activations_gib);
  // Roughly proportional to the micro-batches in flight (the last rank adds the logits).
  EXPECT_GT(r.first.activations_gib, 3.0 * r.last.activations_gib);
  // Fewer micro-batches than stages: in flight is capped by the micro-batches that exist.
  const Result few = estimate(m, h100(64), layout(8, 4, 2), work(8192, 4));
  EXPECT_EQ(few.micro_batches, 2);
  EXPECT_EQ(few.first.microbatches_in_flight, 2);
  EXPECT_LT(few.first.activations_gib, r.first.activations_gib);
}

TEST(Estimate, LastStageHoldsTheLogits) {
  // Same model with a smaller vocabulary: only the last rank's activations change, by at
  // least the 16-bit logits of one micro-batch (T x V/tp).
  Model big = preset("llama3-70b");
  Model small = big;
  small.vocab = 32000;
  const Cluster c = h100(64);
  const Layout l = layout(8, 4, 2);
  const Workload w = work(8192, 64);
  const Result rb = estimate(big, c, l, w);
  const Result rs = estimate(small, c, l, w);
  const double logits_bf16_gib = 8192.0 * (128256.0 - 32000.0) / 8 * 2.0 / kGiB;
  EXPECT_GE(rb.last.activations_gib - rs.last.activations_gib, logits_bf16_gib * (1 - 1e-9));
  EXPECT_EQ(rb.middle.activations_gib, rs.middle.activations_gib);
  // The logits term is there at all: the last rank is more than 1/4 of the first's per-layer
  // share even though it holds one micro-batch against four.
  EXPECT_GT(rb.last.activations_gib, rb.first.activations_gib / 4.0);
}

TEST(Estimate, UnevenPipelineSplitOf405b) {
  const Model m = preset("llama3.1-405b");  // 126 layers
  const Result r = estimate(m, h100(1024), layout(8, 16, 8, 1, Recompute::full), work(8192, 128));
  EXPECT_EQ(r.first.layers, 7);
  EXPECT_EQ(r.middle.layers, 8);
  EXPECT_EQ(r.last.layers, 7);
  EXPECT_FALSE(r.oom);
  // Truly uneven: 126 layers on 5 stages (25, 26, 25, 25, 25).
  const Result u = estimate(m, h100(5 * 8 * 16), layout(8, 5, 16, 1, Recompute::full), work(8192, 128));
  EXPECT_EQ(u.first.layers, 25);
  EXPECT_EQ(u.middle.layers, 26);
  EXPECT_EQ(u.last.layers, 25);
  // Explicit first/last stage sizes reach the memory report.
  Layout e = layout(8, 16, 8, 1, Recompute::full);
  e.first_stage_layers = 6;
  e.last_stage_layers = 8;  // 112 over 14 stages = 8
  const Result re = estimate(m, h100(1024), e, work(8192, 128));
  EXPECT_EQ(re.first.layers, 6);
  EXPECT_EQ(re.last.layers, 8);
  EXPECT_EQ(re.middle.layers, 8);
}

// ------------------------------------------------------------------ tensor parallel, precision

TEST(Estimate, TensorParallelHurtsSmallModels) {
  const Model m = preset("gpt3-1.3b");
  const Workload w = work(2048, 64);
  const Result tp1 = estimate(m, h100(8), layout(1, 1, 8), w);
  const Result tp8 = estimate(m, h100(8), layout(8, 1, 1), w);
  EXPECT_LT(tp8.mfu, tp1.mfu);
  EXPECT_GT(tp8.step_s, tp1.step_s);
  EXPECT_GT(tp8.time.tp_comm_s, 0);
  EXPECT_EQ(tp1.time.tp_comm_s, 0);
}

TEST(Estimate, KvHeadsFewerThanTensorParallel) {
  // llama3-70b has 8 KV heads; tp=16 spans two 8-GPU nodes and replicates K/V.
  const Model m = preset("llama3-70b");
  const Workload w = work(8192, 32);
  const Result r16 = estimate(m, h100(32), layout(16, 1, 2, 1, Recompute::full), w);
  const Result r8 = estimate(m, h100(32), layout(8, 1, 4, 1, Recompute::full), w);
  EXPECT_GT(r16.time.tp_comm_s, r8.time.tp_comm_s);  // tensor parallel over the NICs
  EXPECT_LT(r16.first.weights_gib, r8.first.weights_gib);
}

TEST(Estimate, Fp8FasterThanBf16OnH100) {
  const Model m = preset("llama3-70b");
  const Cluster c = h100(64);
  const Layout l = layout(8, 4, 2);
  const Result bf = estimate(m, c, l, work(8192, 64, Precision::bf16));
  const Result f8 = estimate(m, c, l, work(8192, 64, Precision::fp8));
  EXPECT_LT(f8.step_s, bf.step_s);
  EXPECT_LT(f8.time.gemm_s, bf.time.gemm_s);
  // Same model FLOPs, but MFU is quoted against the (doubled) FP8 peak.
  EXPECT_EQ(f8.model_flops_per_step, bf.model_flops_per_step);
  EXPECT_LT(f8.mfu, bf.mfu);
  // No GEMM gets faster than the 2x peak ratio.
  EXPECT_GT(f8.time.gemm_s, bf.time.gemm_s / 2.0 * 0.99);
}

TEST(Estimate, A100SlowerThanH100) {
  const Model m = preset("llama3-70b");
  const Layout l = layout(8, 4, 2, 1, Recompute::full);
  const Workload w = work(4096, 64);
  const Result a = estimate(m, a100(64), l, w);
  const Result h = estimate(m, h100(64), l, w);
  EXPECT_GT(a.step_s, h.step_s);
  EXPECT_GT(a.time.gemm_s, h.time.gemm_s);
}

TEST(Estimate, MoreDataParallelIsFasterAtFixedBatch) {
  const Model m = preset("llama3-70b");
  const Workload w = work(8192, 256);
  const Result d2 = estimate(m, h100(64), layout(8, 4, 2), w);
  const Result d8 = estimate(m, h100(256), layout(8, 4, 8), w);
  EXPECT_LT(d8.step_s, d2.step_s);
  EXPECT_GT(d8.time.dp_comm_s, 0);
}

TEST(Estimate, LongerSequencesCostMore) {
  const Model m = preset("llama3-8b");
  const Cluster c = h100(8);
  const Layout l = layout(1, 1, 8, 1, Recompute::full);
  const Result s4 = estimate(m, c, l, work(4096, 64));
  const Result s8 = estimate(m, c, l, work(8192, 64));
  EXPECT_GT(s8.time.gemm_s, 1.9 * s4.time.gemm_s);            // twice the tokens
  EXPECT_GT(s8.time.attention_s, 3.0 * s4.time.attention_s);  // quadratic in seq
  EXPECT_GT(s8.step_s, 1.5 * s4.step_s);
  EXPECT_GT(s8.first.activations_gib, s4.first.activations_gib);
}

TEST(Estimate, SequenceParallelSavesActivationMemory) {
  const Model m = preset("llama3-70b");
  Layout sp = layout(8, 4, 2);
  Layout nosp = sp;
  nosp.sequence_parallel = false;
  const Result a = estimate(m, h100(64), sp, work(8192, 64));
  const Result b = estimate(m, h100(64), nosp, work(8192, 64));
  EXPECT_LT(a.first.activations_gib, b.first.activations_gib);
}

TEST(Estimate, LargerMicroBatchHoldsMoreActivations) {
  const Model m = preset("llama3-70b");
  Layout l1 = layout(8, 4, 2);
  Layout l2 = l1;
  l2.micro_batch = 2;
  const Result r1 = estimate(m, h100(64), l1, work(4096, 64));
  const Result r2 = estimate(m, h100(64), l2, work(4096, 64));
  EXPECT_EQ(r2.micro_batches, r1.micro_batches / 2);
  EXPECT_GT(r2.first.activations_gib, 1.5 * r1.first.activations_gib);
}

// ------------------------------------------------------------------ ZeRO

TEST(Estimate, ZeroStagesShardState) {
  const Model m = preset("llama3-70b");
  const Cluster c = h100(256);
  const Workload w = work(8192, 256);
  const int dp = 8;
  const Result z0 = estimate(m, c, layout(8, 4, dp, 0, Recompute::full), w);
  const Result z1 = estimate(m, c, layout(8, 4, dp, 1, Recompute::full), w);
  const Result z2 = estimate(m, c, layout(8, 4, dp, 2, Recompute::full), w);
  const Result z3 = estimate(m, c, layout(8, 4, dp, 3, Recompute::full), w);
  for (auto [a, b] : {std::pair{z0.first, z1.first}, std::pair{z0.last, z1.last}}) {
    EXPECT_LT(rel(a.optimizer_gib / b.optimizer_gib, dp), 1e-9);
    EXPECT_EQ(a.gradients_gib, b.gradients_gib);
    EXPECT_EQ(a.weights_gib, b.weights_gib);
  }
  EXPECT_LT(rel(z1.first.gradients_gib / z2.first.gradients_gib, dp), 1e-9);
  EXPECT_EQ(z1.first.optimizer_gib, z2.first.optimizer_gib);
  // Under a pipeline, FSDP keeps the stage's weights gathered and its gradients unsharded for
  // the whole step (no resharding between micro-batches): ZeRO-3 then holds more than ZeRO-2.
  EXPECT_EQ(z3.first.weights_gib, z2.first.weights_gib);
  EXPECT_GT(z3.first.gradients_gib, z2.first.gradients_gib);
  // Without a pipeline ZeRO-3 shards the weights too.
  const Result p2 = estimate(m, c, layout(8, 1, 32, 2, Recompute::full), w);
  const Result p3 = estimate(m, c, layout(8, 1, 32, 3, Recompute::full), w);
  EXPECT_LT(p3.first.weights_gib, p2.first.weights_gib);
  EXPECT_LT(p3.first.total_gib, p2.first.total_gib);
  EXPECT_LT(z2.first.total_gib, z1.first.total_gib);
  EXPECT_LT(z1.first.total_gib, z0.first.total_gib);
  // Sharding the optimizer also shards its step.
  EXPECT_LT(z1.time.optimizer_s, z0.time.optimizer_s);
  // Activations do not depend on the ZeRO stage.
  EXPECT_EQ(z0.first.activations_gib, z3.first.activations_gib);
}

// FSDP2's flat-buffer copies (Layout::fsdp_copies): per micro-batch two gathers, each copying
// the rank's 16-bit parameters out (read + write, 4 B) plus its fp32 shard in (4 + 2 B over the
// shards); the reduce-scatter copy-in (2 + 4 B) rides its own stream and costs only SMs.
TEST(Estimate, FsdpCopiesAreHbmTrafficPerGather) {
  const Model m = preset("llama3-8b");
  const Cluster c = h100(8);
  Layout on = layout(1, 1, 8, 3);
  on.micro_batch = 2;
  on.fsdp_copies = true;
  Layout off = on;
  off.fsdp_copies = false;
  const Workload w = work(8192, 16);  // one micro-batch per step
  const Result a = estimate(m, c, on, w);
  const Result b = estimate(m, c, off, w);
  const double p = static_cast<double>(danlu::count_params(m).total);
  const double hbm = c.acc.hbm_gbs * 1e9 * c.acc.eff.hbm;
  const double gathers = 2 * p * (4.0 + 6.0 / 8) / hbm;
  const double reduce = p * 6.0 / hbm * c.acc.eff.comm_sm_fraction;
  const double extra = a.time.memory_bound_s - b.time.memory_bound_s;
  EXPECT_GT(extra, gathers + reduce);                         // plus one launch per layer and gather
  EXPECT_LT(extra, gathers + reduce + 200 * c.acc.eff.kernel_us * 1e-6);
  EXPECT_EQ(a.time.gemm_s, b.time.gemm_s);
  // Twice the micro-batches, twice the copies; none below ZeRO-3.
  const Workload w2 = work(8192, 32);
  const double extra2 = estimate(m, c, on, w2).time.memory_bound_s - estimate(m, c, off, w2).time.memory_bound_s;
  EXPECT_NEAR(extra2, 2 * extra, 1e-9);
  Layout z1 = on;
  z1.zero = 1;
  Layout z1_off = z1;
  z1_off.fsdp_copies = false;
  EXPECT_EQ(estimate(m, c, z1, w).step_s, estimate(m, c, z1_off, w).step_s);
}

TEST(Estimate, GradientReductionAfterTheBackwardIsFullyExposed) {
  const Model m = preset("llama3-8b");
  const Cluster c = h100(32);
  Layout on = layout(1, 1, 32, 0);
  on.micro_batch = 1;
  Layout off = on;
  off.grad_reduce_overlap = false;
  const Workload w = work(4096, 128);  // 4 micro-batches per replica
  const Result a = estimate(m, c, on, w);
  const Result b = estimate(m, c, off, w);
  EXPECT_GT(b.time.dp_comm_s, 1.5 * a.time.dp_comm_s);  // the backward no longer hides it
  EXPECT_EQ(a.time.gemm_s, b.time.gemm_s);
  EXPECT_NEAR(b.step_s - a.step_s, b.time.dp_comm_s - a.time.dp_comm_s, 1e-12);
  // Exposed in full, it scales with the gradient width: 16-bit halves it (latency aside).
  Layout off16 = off;
  off16.grad_reduce_bf16 = true;
  EXPECT_NEAR(estimate(m, c, off16, w).time.dp_comm_s / b.time.dp_comm_s, 0.5, 0.01);
  // And it does not depend on how many micro-batches the step has.
  EXPECT_NEAR(estimate(m, c, off, work(4096, 256)).time.dp_comm_s, b.time.dp_comm_s, 1e-12);
  // ZeRO-3 prefetches its collectives either way.
  Layout z3 = on;
  z3.zero = 3;
  Layout z3_off = z3;
  z3_off.grad_reduce_overlap = false;
  EXPECT_EQ(estimate(m, c, z3, w).step_s, estimate(m, c, z3_off, w).step_s);
}

TEST(Estimate, TpuCollectiveMatmulsHideAllButOneChunk) {
  // On a TPU slice the decomposed collective matmul leaves 1/tp of the TP traffic exposed;
  // on H100 the family's fixed fraction (plus the SMs NCCL takes) applies.
  const Model m = preset("llama3-70b");
  const Cluster tpu = danlu::make_cluster(cat(), "tpu-v5p", 256, 0, "", 0);
  ASSERT_TRUE(tpu.acc.eff.tp_overlap_all_but_one_chunk);
  for (int tp : {4, 16}) {
    Layout on = layout(tp, 1, 256 / tp, 3, Recompute::full);
    on.micro_batch = 4;
    on.tp_comm_overlap = true;
    Layout off = on;
    off.tp_comm_overlap = false;
    const Workload w = work(4096, 1024);
    const double exposed = estimate(m, tpu, on, w).time.tp_comm_s;
    const double all = estimate(m, tpu, off, w).time.tp_comm_s;
    ASSERT_GT(all, 0.0);
    // (The embedding's one collective per micro-batch is not overlapped: slightly above 1/tp.)
    EXPECT_GE(exposed / all, 1.0 / tp) << "tp " << tp;
    EXPECT_LT(exposed / all, 1.02 / tp) << "tp " << tp;
  }
  const Cluster gpu = h100(64);
  EXPECT_FALSE(gpu.acc.eff.tp_overlap_all_but_one_chunk);
  Layout on = layout(8, 1, 8, 1);
  on.tp_comm_overlap = true;
  Layout off = on;
  off.tp_comm_overlap = false;
  const double ratio = estimate(m, gpu, on, work(4096, 64)).time.tp_comm_s / estimate(m, gpu, off, work(4096, 64)).time.tp_comm_s;
  EXPECT_GT(ratio, 1.0 - gpu.acc.eff.tp_overlap);  // what hides still takes SMs
  EXPECT_LT(ratio, 0.75);
}

TEST(Estimate, MultiTokenPredictionLoadsTheLastStage) {
  const Model with = preset("deepseek-v3");
  ASSERT_EQ(with.mtp_layers, 1);
  Model without = with;
  without.mtp_layers = 0;
  const Cluster c = h100(1024);
  Layout l = layout(2, 16, 32, 1, Recompute::full);
  l.ep = 64;
  l.micro_batch = 1;
  const Workload w = work(4096, 2048);
  const Result a = estimate(with, c, l, w);
  const Result b = estimate(without, c, l, w);
  // The first stage is untouched; the last one holds and runs one more MoE layer, the
  // projection and a second pass through the head.
  EXPECT_EQ(a.first.total_gib, b.first.total_gib);
  EXPECT_GT(a.last.weights_gib, b.last.weights_gib);
  EXPECT_GT(a.last.activations_gib, b.last.activations_gib);
  // Model FLOPs grow by the module: about one MoE layer of 58 plus the head and projection.
  const double grow = a.model_flops_per_step / b.model_flops_per_step - 1.0;
  EXPECT_GT(grow, 0.01);
  EXPECT_LT(grow, 0.04);
  EXPECT_GE(a.step_s, b.step_s);
  // Without a pipeline the one rank pays all of it.
  Layout one = layout(8, 1, 128, 1, Recompute::full);
  one.ep = 64;
  const Result x = estimate(with, c, one, w);
  const Result y = estimate(without, c, one, w);
  EXPECT_GT(x.time.gemm_s, y.time.gemm_s * 1.01);
  EXPECT_GT(x.first.weights_gib, y.first.weights_gib);
}

TEST(Estimate, HybridShardingShardsOverTheShardGroupAndReplicatesAcross) {
  const Model m = preset("llama3-70b");
  const Cluster c = h100(512);
  const Workload w = work(8192, 512);
  for (int zero : {1, 3}) {
    Layout full = layout(8, 1, 64, zero, Recompute::full);
    Layout same = full;
    same.dp_shard = 64;  // one shard group: plain sharding
    const Result a = estimate(m, c, full, w);
    const Result b = estimate(m, c, same, w);
    EXPECT_EQ(a.step_s, b.step_s) << "zero " << zero;
    EXPECT_EQ(a.peak_memory_gib, b.peak_memory_gib) << "zero " << zero;
    Layout hybrid = full;
    hybrid.dp_shard = 8;  // 8 replicas of 8-way shards
    ASSERT_EQ(danlu::check_layout(m, c, hybrid, w), danlu::LayoutIssue::kOk);
    const Result h = estimate(m, c, hybrid, w);
    // The sharded optimizer states are 8 times larger per rank.
    EXPECT_NEAR(h.first.optimizer_gib / a.first.optimizer_gib, 8.0, 1e-9) << "zero " << zero;
    EXPECT_GT(h.time.dp_comm_s, 0.0);
  }
  // Shards of one rank replicated over all of dp: the replicas' all-reduce is plain DDP's.
  Layout ddp = layout(8, 1, 64, 0, Recompute::full);
  ddp.grad_reduce_overlap = false;
  Layout replicated = ddp;
  replicated.zero = 1;
  replicated.dp_shard = 1;
  EXPECT_NEAR(estimate(m, c, replicated, w).time.dp_comm_s, estimate(m, c, ddp, w).time.dp_comm_s, 1e-12);
}

TEST(Layout, HybridShardingNeedsShardedStatesAndADivisor) {
  const Model m = preset("llama3-70b");
  const Cluster c = h100(512);
  const Workload w = work(8192, 512);
  Layout l = layout(8, 1, 64, 0);
  l.dp_shard = 8;
  EXPECT_EQ(danlu::check_layout(m, c, l, w), danlu::LayoutIssue::kDpShard);  // zero 0 shards nothing
  l.zero = 1;
  EXPECT_EQ(danlu::check_layout(m, c, l, w), danlu::LayoutIssue::kOk);
  l.dp_shard = 3;
  EXPECT_EQ(danlu::check_layout(m, c, l, w), danlu::LayoutIssue::kDpShard);
}

TEST(Estimate, MixedPrecisionAdamStateIsEighteenBytesPerParam) {
  // Without sharding: 16-bit weights (2 B), fp32 grads (4 B), fp32 master + 2 moments (12 B).
  // One GPU holds the whole model (final norm aside).
  const Model m = preset("llama3-8b");
  const Result r = estimate(m, h100(1), layout(1, 1, 1, 0, Recompute::full), work(2048, 8));
  const double params = danlu::count_params(m).total;
  const double state = r.first.weights_gib + r.first.gradients_gib + r.first.optimizer_gib;
  EXPECT_LT(rel(state * kGiB, 18.0 * params), 1e-3);
  EXPECT_LT(rel(r.first.optimizer_gib / r.first.weights_gib, 6.0), 1e-9);
  EXPECT_LT(rel(r.first.gradients_gib / r.first.weights_gib, 2.0), 1e-9);
}

// With a single pipeline stage the input embedding and the output head live on the same
// rank. For a model with tied embeddings they are one tensor and must be stored once; the
// estimator adds pc.embedding for the head as well (rank_cost: has_emb and has_head both
// true when pp == 1), so the weights (and grads, Adam state, DP traffic) of every tied
// single-stage model include the embedding twice: +8 % for gpt3-1.3b, +32 % for gpt2.
TEST(Estimate, SingleStageHoldsEveryParameterOnce) {
  for (const char* id : {"llama3-8b", "gpt3-1.3b"}) {
    SCOPED_TRACE(id);
    const Model m = preset(id);
    const Result r = estimate(m, h100(1), layout(1, 1, 1, 0, Recompute::full), work(2048, 8));
    const double params = danlu::count_params(m).total;
    EXPECT_LT(rel(r.first.weights_gib * kGiB / 2.0, params), 1e-3)
        << "weights hold " << r.first.weights_gib * kGiB / 2.0 << " params, the model has " << params;
  }
}

// ------------------------------------------------------------------ memory verdicts

TEST(Estimate, Llama405bOnOneNodeIsOutOfMemory) {
  const Model m = preset("llama3.1-405b");
  const Result r = estimate(m, h100(8), layout(8, 1, 1, 1, Recompute::full), work(8192, 8));
  EXPECT_TRUE(r.oom);
  EXPECT_EQ(r.binding, Binding::memory_capacity);
  EXPECT_GT(r.peak_memory_gib, r.usable_memory_gib);
  EXPECT_GT(r.first.weights_gib, 80.0);  // 405 B params / 8 in 16-bit = 94 GiB
}

TEST(Estimate, SmallModelFits) {
  const Model m = preset("gpt3-1.3b");
  const Result r = estimate(m, h100(8), layout(1, 1, 8), work(2048, 64));
  EXPECT_FALSE(r.oom);
  EXPECT_NE(r.binding, Binding::memory_capacity);
  EXPECT_LT(r.peak_memory_gib, r.usable_memory_gib);
}

TEST(Estimate, OomFlipsWithMemoryPressure) {
  // llama3-70b on 8 GPUs cannot hold weights + grads + Adam state (> 18 B/param / 8).
  const Model m = preset("llama3-70b");
  const Result one_node = estimate(m, h100(8), layout(8, 1, 1, 1, Recompute::full), work(8192, 8));
  EXPECT_TRUE(one_node.oom);
  const Result many = estimate(m, h100(64), layout(8, 8, 1, 1, Recompute::full), work(8192, 8));
  EXPECT_FALSE(many.oom);
}

// ------------------------------------------------------------------ resolve_layout

TEST(ResolveLayout, DefaultsForLlama70bOn1024H100) {
  const Model m = preset("llama3-70b");
  const Cluster c = h100(1024);
  Workload w = work(8192, 1);
  unsigned flags = 0;
  const Layout l = danlu::resolve_layout(m, c, danlu::PartialLayout{}, &w, false, &flags);
  EXPECT_EQ(l.tp, 8);
  EXPECT_TRUE(l.sequence_parallel);
  EXPECT_EQ(l.cp, 1);
  EXPECT_EQ(l.vpp, 1);
  EXPECT_EQ(l.micro_batch, 1);
  EXPECT_EQ(l.zero, 1);
  EXPECT_EQ(static_cast<long>(l.dp) * l.pp * l.tp * l.cp, 1024);
  const unsigned want = danlu::kDefTp | danlu::kDefPp | danlu::kDefDp;
  EXPECT_EQ(flags & want, want);
  EXPECT_TRUE(flags & danlu::kDefSp);
  EXPECT_TRUE(flags & danlu::kDefRecompute);
  EXPECT_TRUE(flags & danlu::kDefZero);
  // Default global batch: about 2^22 tokens, a multiple of dp * micro_batch.
  EXPECT_EQ(w.global_batch % (static_cast<long>(l.dp) * l.micro_batch), 0);
  EXPECT_GE(static_cast<double>(w.global_batch) * w.seq_len, 4194304.0 / 2);
  EXPECT_LE(static_cast<double>(w.global_batch) * w.seq_len, 4194304.0 * 2);
  ASSERT_EQ(danlu::check_layout(m, c, l, w), LayoutIssue::kOk);
  const Result r = estimate(m, c, l, w);
  EXPECT_FALSE(r.oom);
  // The smallest pp that fits: one stage fewer (same recompute) would not fit.
  if (l.pp > 1) {
    for (int pp = l.pp - 1; pp >= 1; --pp) {
      if (1024 % (8 * pp) != 0) continue;
      Layout smaller = l;
      smaller.pp = pp;
      smaller.dp = 1024 / (8 * pp);
      Workload ws = w;
      ws.global_batch = w.global_batch / l.dp * smaller.dp;  // keep micro-batches divisible
      if (danlu::check_layout(m, c, smaller, ws) != LayoutIssue::kOk) continue;
      EXPECT_TRUE(danlu::estimate_step(m, c, smaller, ws).oom) << "pp=" << pp << " would fit";
      break;
    }
  }
}

TEST(ResolveLayout, GivenDegreesAreKept) {
  const Model m = preset("llama3-70b");
  const Cluster c = h100(1024);
  Workload w = work(8192, 512);
  danlu::PartialLayout p;
  p.tp = 8;
  p.pp = 4;
  p.dp = 32;
  p.recompute = Recompute::selective;
  p.sequence_parallel = true;
  unsigned flags = 0;
  const Layout l = danlu::resolve_layout(m, c, p, &w, true, &flags);
  EXPECT_EQ(l.tp, 8);
  EXPECT_EQ(l.pp, 4);
  EXPECT_EQ(l.dp, 32);
  EXPECT_EQ(l.recompute, Recompute::selective);
  EXPECT_EQ(w.global_batch, 512);  // set by the caller: untouched
  EXPECT_EQ(flags & (danlu::kDefTp | danlu::kDefPp | danlu::kDefDp | danlu::kDefRecompute | danlu::kDefSp), 0u);
  EXPECT_TRUE(flags & danlu::kDefMicroBatch);
}

TEST(ResolveLayout, PpGivenDpFilled) {
  const Model m = preset("llama3-70b");
  const Cluster c = h100(1024);
  Workload w = work(8192, 512);
  danlu::PartialLayout p;
  p.pp = 4;
  unsigned flags = 0;
  const Layout l = danlu::resolve_layout(m, c, p, &w, true, &flags);
  EXPECT_EQ(l.tp, 8);
  EXPECT_EQ(l.pp, 4);
  EXPECT_EQ(l.dp, 32);
  EXPECT_TRUE(flags & danlu::kDefDp);
  EXPECT_FALSE(flags & danlu::kDefPp);
  EXPECT_TRUE(flags & danlu::kDefTp);
}

TEST(ResolveLayout, TensorParallelCappedByNodeAndHeads) {
  // 4 GPUs per node: tp <= 4.
  const Model m = preset("llama3-70b");
  const Cluster c4 = danlu::make_cluster(cat(), "h100-sxm", 64, 4, "ib-ndr-400", 4);
  Workload w = work(4096, 256);
  unsigned flags = 0;
  const Layout l = danlu::resolve_layout(m, c4, danlu::PartialLayout{}, &w, true, &flags);
  EXPECT_EQ(l.tp, 4);
  // 12 heads on 8-GPU nodes: 6 divides the heads but not the 64 GPUs, so tp = 4.
  Model odd = preset("gpt3-1.3b");
  odd.heads = 12;
  odd.kv_heads = 12;
  odd.hidden = 1536;
  const Cluster c = h100(64);  // 64 % 6 != 0 -> tp 4
  const Layout lo = danlu::resolve_layout(odd, c, danlu::PartialLayout{}, &w, true, &flags);
  EXPECT_EQ(odd.heads % lo.tp, 0);
  EXPECT_EQ(64 % lo.tp, 0);
  EXPECT_EQ(lo.tp, 4);
}

TEST(ResolveLayout, SmallModelNeedsNoPipeline) {
  const Model m = preset("llama3-8b");
  const Cluster c = h100(64);
  Workload w = work(8192, 1);
  unsigned flags = 0;
  const Layout l = danlu::resolve_layout(m, c, danlu::PartialLayout{}, &w, false, &flags);
  EXPECT_EQ(l.pp, 1);
  EXPECT_EQ(l.tp * l.dp, 64);
  EXPECT_EQ(l.recompute, Recompute::none);
  EXPECT_FALSE(estimate(m, c, l, w).oom);
}

}  // namespace

// Torus scale-up domains (TPU ICI): a group's collectives use the links of the axes it spans.
#include "estimate/collective.h"

namespace {

TEST(Torus, SliceShapesAreBalanced) {
  const auto t512 = danlu::detail::torus_shape(512, 3);
  EXPECT_EQ(t512.size[0] * t512.size[1] * t512.size[2], 512);
  EXPECT_EQ(t512.size[0], 8);
  EXPECT_EQ(t512.size[2], 8);
  const auto t128 = danlu::detail::torus_shape(128, 3);
  EXPECT_EQ(t128.size[0] * t128.size[1] * t128.size[2], 128);
  EXPECT_EQ(danlu::detail::torus_shape(256, 2).size[0], 16);
  EXPECT_EQ(danlu::detail::torus_shape(6144, 3).size[0] * danlu::detail::torus_shape(6144, 3).size[1] *
                danlu::detail::torus_shape(6144, 3).size[2],
            6144);
  EXPECT_EQ(danlu::detail::torus_shape(64, 0).dims, 0);  // a switched fabric has no shape
}

TEST(Torus, GroupsGetTheLinksOfTheAxesTheySpan) {
  using danlu::detail::place_group;
  const auto t = danlu::detail::torus_shape(512, 3);  // 8x8x8
  EXPECT_DOUBLE_EQ(place_group(8, 1, 512, &t).up_share, 1.0 / 3);   // tp 8: one axis
  EXPECT_DOUBLE_EQ(place_group(64, 8, 512, &t).up_share, 2.0 / 3);  // the other two axes
  EXPECT_DOUBLE_EQ(place_group(16, 1, 512, &t).up_share, 2.0 / 3);  // tp 16 needs two axes
  EXPECT_DOUBLE_EQ(place_group(512, 1, 512, &t).up_share, 1.0);     // the whole slice
  EXPECT_DOUBLE_EQ(place_group(8, 1, 512).up_share, 1.0);            // switched fabric
  // Strides that do not line up with the axes: the members' real coordinates decide.
  const auto t44 = danlu::detail::torus_shape(16, 2);  // 4x4
  EXPECT_EQ(danlu::detail::torus_axes_spanned(t44, 2, 3), 1);  // ranks 0, 3: same row
  EXPECT_EQ(danlu::detail::torus_axes_spanned(t44, 2, 6), 2);  // ranks 0, 6: (0,0), (2,1)
  EXPECT_EQ(danlu::detail::torus_axes_spanned(t44, 2, 16), 1); // a whole-slice stride wraps: one axis at least
  const auto t34 = danlu::detail::torus_shape(12, 2);
  EXPECT_EQ(t34.size[0] * t34.size[1], 12);
  EXPECT_EQ(danlu::detail::torus_axes_spanned(t34, 3, t34.size[0] + 1), 2);
  // Same bytes, same ranks: a one-axis group on a torus takes three times as long as on a switch.
  const danlu::detail::Link up{100e9, 0}, out{10e9, 0};
  const double torus_s = danlu::detail::all_gather_s(1e9, place_group(8, 1, 512, &t), up, out);
  const double switch_s = danlu::detail::all_gather_s(1e9, place_group(8, 1, 512), up, out);
  EXPECT_NEAR(torus_s / switch_s, 3.0, 1e-9);
}

TEST(Torus, TensorParallelOnTpuPaysForItsAxis) {
  // The catalog marks TPU v5p as a 3D torus; with that fact removed (a hypothetical switched
  // v5p), the same TP-16 layout's exposed tensor-parallel traffic shrinks.
  Cluster c = danlu::make_cluster(cat(), "tpu-v5p", 512, 0, "", 0);
  ASSERT_EQ(c.acc.torus_dims, 3);
  const Model m = preset("llama3-70b");
  Layout l = layout(16, 1, 32, 3, Recompute::full);
  l.tp_comm_overlap = false;
  const Workload w = work(4096, 512);
  const Result torus = danlu::estimate_step(m, c, l, w);
  c.acc.torus_dims = 0;
  const Result flat = danlu::estimate_step(m, c, l, w);
  EXPECT_GT(torus.time.tp_comm_s, 1.3 * flat.time.tp_comm_s);
  EXPECT_GT(torus.step_s, flat.step_s);
}


// ------------------------------------------------------------------ loss kernel

TEST(LossKernel, EagerCrossEntropyHoldsMoreOfTheLogitsAtItsPeak) {
  // Only the last pipeline stage computes the loss; an eager PyTorch cross-entropy keeps
  // 12 B per logit at its peak (tp 1) and DTensor's loss_parallel 16 B (tp > 1), against
  // 10 B for a fused kernel. Nothing else in the stage's memory changes.
  const Model m = preset("llama3-8b");
  const Workload w = work(8192, 64);
  for (int tp : {1, 4}) {
    Layout fused = layout(tp, 2, 8 / tp * 2, 1, Recompute::selective);
    Layout eager = fused;
    eager.fused_loss = false;
    const Cluster c = h100(32);
    ASSERT_EQ(danlu::check_layout(m, c, fused, w), LayoutIssue::kOk);
    const Result rf = estimate(m, c, fused, w);
    const Result re = estimate(m, c, eager, w);
    const double logits = 8192.0 * fused.micro_batch * m.vocab / tp;
    const double extra = tp > 1 ? 6.0 : 2.0;
    EXPECT_NEAR((re.last.activations_gib - rf.last.activations_gib) * kGiB, logits * extra, logits * 1e-6) << tp;
    EXPECT_DOUBLE_EQ(re.first.activations_gib, rf.first.activations_gib) << tp;
    // The eager loss also moves more bytes: the last stage never gets faster.
    EXPECT_GE(re.step_s, rf.step_s) << tp;
  }
}

TEST(LossKernel, DefaultFollowsTheStack) {
  // ZeRO-3 on a GPU fabric is the PyTorch-native stack (FSDP2/torchtitan): eager loss. XLA
  // (TPU) and Megatron-style ZeRO-1 fuse it; eager elementwise ops imply an eager loss; a
  // stated value wins.
  const Model m = preset("llama3-8b");
  auto resolve = [&](const Cluster& c, danlu::PartialLayout p) {
    Workload w = work(4096, 256);
    unsigned flags = 0;
    return danlu::resolve_layout(m, c, p, &w, true, &flags).fused_loss;
  };
  danlu::PartialLayout p;
  p.zero = 3;
  EXPECT_FALSE(resolve(h100(64), p));
  EXPECT_TRUE(resolve(danlu::make_cluster(cat(), "tpu-v5p", 64, 0, "", 0), p));
  p.fused_loss = true;
  EXPECT_TRUE(resolve(h100(64), p));
  danlu::PartialLayout q;
  q.zero = 1;
  EXPECT_TRUE(resolve(h100(64), q));
  q.fused_elementwise = false;
  EXPECT_FALSE(resolve(h100(64), q));
}


// ------------------------------------------------------------------ expert tensor parallel

TEST(ExpertTensorParallel, SplitsExpertWeightsNotWork) {
  // Each routed expert split over etp ranks: the expert weights a rank holds fall by etp, the
  // FLOPs of the step stay, and the extra all-gather / reduce-scatter pair per MoE layer only
  // adds communication.
  const Model m = preset("mixtral-8x7b");
  const Cluster c = h100(64);
  const Workload w = work(4096, 256);
  Layout base = layout(8, 2, 4, 1, Recompute::full);
  base.ep = 4;
  ASSERT_EQ(danlu::check_layout(m, c, base, w), LayoutIssue::kOk);
  const Result r1 = estimate(m, c, base, w);
  double prev_weights = r1.first.weights_gib;
  for (int etp : {2, 4, 8}) {
    Layout l = base;
    l.etp = etp;
    ASSERT_EQ(danlu::check_layout(m, c, l, w), LayoutIssue::kOk) << etp;
    const Result r = estimate(m, c, l, w);
    EXPECT_LT(r.first.weights_gib, prev_weights) << etp;
    prev_weights = r.first.weights_gib;
    EXPECT_DOUBLE_EQ(r.model_flops_per_step, r1.model_flops_per_step) << etp;
    EXPECT_NEAR(r.hardware_flops_per_step, r1.hardware_flops_per_step, 1e-9 * r1.hardware_flops_per_step) << etp;
    EXPECT_GT(r.time.tp_comm_s, r1.time.tp_comm_s) << etp;
  }
  // The expert weights alone: halving them with etp 2 removes exactly half of the routed
  // experts' bytes (the attention and router weights stay).
  Layout two = base;
  two.etp = 2;
  const double expert_params_per_rank = 32.0 / 2 * (8.0 / 4) * 3.0 * 4096 * 14336;  // layers/pp x local experts x 3 mats
  const double drop_gib = (r1.first.weights_gib - estimate(m, c, two, w).first.weights_gib);
  EXPECT_NEAR(drop_gib * kGiB, expert_params_per_rank / 2 * 2.0, 1e-6 * expert_params_per_rank);
}


TEST(Estimate, XlaDotsPolicySitsBetweenSelectiveAndFull) {
  // XLA's checkpoint_dots_with_no_batch_dims keeps the projections' outputs and the layer
  // input: less than Megatron's selective (which also keeps norm and activation outputs), more
  // than full (only the layer input). It reruns the attention core like selective, and every
  // elementwise op besides, so it is slower than selective and faster than full; its HFU
  // counts the attention core again, as selective's does.
  const Model m = preset("llama3-70b");
  const Cluster c = h100(64);
  const Workload w = work(8192, 64);
  const Result sel = estimate(m, c, layout(8, 4, 2, 1, Recompute::selective), w);
  const Result dots = estimate(m, c, layout(8, 4, 2, 1, Recompute::selective_dots), w);
  const Result full = estimate(m, c, layout(8, 4, 2, 1, Recompute::full), w);
  EXPECT_LT(dots.first.activations_gib, sel.first.activations_gib);
  EXPECT_GT(dots.first.activations_gib, full.first.activations_gib);
  EXPECT_GT(dots.step_s, sel.step_s);
  EXPECT_LT(dots.step_s, full.step_s);
  EXPECT_GT(dots.time.memory_bound_s, sel.time.memory_bound_s);
  EXPECT_DOUBLE_EQ(dots.hardware_flops_per_step, sel.hardware_flops_per_step);
  EXPECT_STREQ(danlu::recompute_name(Recompute::selective_dots), "selective-dots");
}


TEST(Estimate, PerOpSacRunsTheForwardAllGathersAgain) {
  // torchtitan's per-op SAC saves reduce-scatter outputs, not all-gathers: with SP its
  // backward repeats the two forward all-gathers per layer, a quarter of a layer's TP traffic.
  const Model m = preset("llama3-8b");
  const Cluster c = h100(16);
  const Workload w = work(8192, 32);
  const Result none = estimate(m, c, layout(8, 1, 2, 1, Recompute::none), w);
  const Result op = estimate(m, c, layout(8, 1, 2, 1, Recompute::selective_op), w);
  EXPECT_NEAR(op.time.tp_comm_s / none.time.tp_comm_s, 1.25, 0.05);
  const Result one = estimate(m, h100(2), layout(1, 1, 2, 1, Recompute::selective_op), w);
  EXPECT_EQ(one.time.tp_comm_s, 0.0);
}


// ------------------------------------------------------------------ Megatron recompute modules

TEST(RecomputeModules, EachModuleTradesItsOwnMemoryForItsOwnForward) {
  // Megatron's --recompute-modules: every module added keeps less and reruns more. Measured
  // against the default (core_attn), on a dense GQA model and on DeepSeek-V3 (MLA + MoE).
  struct Case {
    const char* model;
    int gpus, ep;
    std::uint8_t mods;
  };
  const Case cases[] = {
      {"llama3-70b", 64, 1, danlu::kRmLayernorm},
      {"llama3-70b", 64, 1, danlu::kRmMlp},
      {"deepseek-v3", 256, 32, danlu::kRmMoe},
      {"deepseek-v3", 256, 32, danlu::kRmMoeAct},
      {"deepseek-v3", 256, 32, danlu::kRmMlaUpProj},
      {"deepseek-v3", 256, 32, danlu::kRmSharedExperts},
  };
  for (const Case& k : cases) {
    const Model m = preset(k.model);
    const Cluster c = h100(k.gpus);
    const Workload w = work(4096, 256);
    Layout base = layout(8, 4, k.gpus / 32, 1, Recompute::selective);
    base.ep = k.ep;
    ASSERT_EQ(danlu::check_layout(m, c, base, w), LayoutIssue::kOk) << k.model;
    Layout more = base;
    more.recompute_modules = static_cast<std::uint8_t>(danlu::kRmCoreAttn | k.mods);
    ASSERT_EQ(danlu::check_layout(m, c, more, w), LayoutIssue::kOk) << k.model << " " << int{k.mods};
    const Result r0 = estimate(m, c, base, w);
    const Result r1 = estimate(m, c, more, w);
    EXPECT_LT(r1.middle.activations_gib, r0.middle.activations_gib) << k.model << " " << int{k.mods};
    EXPECT_GT(r1.step_s, r0.step_s) << k.model << " " << int{k.mods};
    EXPECT_GE(r1.hardware_flops_per_step, r0.hardware_flops_per_step) << k.model << " " << int{k.mods};
    EXPECT_EQ(r1.model_flops_per_step, r0.model_flops_per_step);
    EXPECT_NE(danlu::recompute_label(more).find(danlu::recompute_module_name(std::countr_zero(unsigned{k.mods}))),
              std::string::npos);
  }
}

TEST(RecomputeModules, ModulesTheModelLacksAreRejected) {
  const Model dense = preset("llama3-70b");
  const Cluster c = h100(64);
  const Workload w = work(4096, 256);
  Layout l = layout(8, 4, 2, 1, Recompute::selective);
  const std::uint8_t bads[] = {danlu::kRmMoe, danlu::kRmMoeAct, danlu::kRmSharedExperts, danlu::kRmMlaUpProj, 0};
  for (std::uint8_t bad : bads) {
    l.recompute_modules = bad;
    EXPECT_EQ(danlu::check_layout(dense, c, l, w), LayoutIssue::kRecomputeModules) << int{bad};
  }
  // Modules only matter with selective recompute.
  l.recompute = Recompute::full;
  EXPECT_EQ(danlu::check_layout(dense, c, l, w), LayoutIssue::kOk);
}


TEST(BlockRecompute, DenseLayersOfAnMoeModelAreRecomputedFirst) {
  // Megatron's block method recomputes the first N layers of each chunk; DeepSeek-V3's three
  // dense layers open the first chunk. So on the first stage, going from full:3 to full:4
  // adds exactly one MoE layer's saving, the same per in-flight micro-batch as going from
  // full:1 to full:2 on a stage of MoE layers only.
  const Model m = preset("deepseek-v3");
  const Cluster c = danlu::make_cluster(cat(), "gb200", 256, 72, "", 0);
  const Workload w = work(4096, 256);
  auto run = [&](int n) {
    Layout l = layout(1, 4, 64, 1, Recompute::full);
    l.ep = 64;
    l.recompute_num_layers = n;
    EXPECT_EQ(danlu::check_layout(m, c, l, w), LayoutIssue::kOk) << n;
    return estimate(m, c, l, w);
  };
  const Result f1 = run(1), f2 = run(2), f3 = run(3), f4 = run(4);
  const double first_step = (f3.first.activations_gib - f4.first.activations_gib) / f3.first.microbatches_in_flight;
  const double middle_step = (f1.middle.activations_gib - f2.middle.activations_gib) / f1.middle.microbatches_in_flight;
  EXPECT_GT(middle_step, 0.0);
  EXPECT_NEAR(first_step, middle_step, 1e-9 * middle_step);
}


TEST(Estimate, MemoryMarginShrinksWhatFits) {
  // --memory-margin-gib: the headroom a user keeps free comes off the usable memory, so a
  // layout with less headroom than the margin no longer fits, and the default layout moves on.
  const Model m = preset("llama3-70b");
  Cluster c = h100(64);
  const Workload w = work(8192, 64);
  const Layout l = layout(8, 2, 4, 1, Recompute::none);
  const Result plain = estimate(m, c, l, w);
  ASSERT_FALSE(plain.oom);
  const double headroom = plain.usable_memory_gib - plain.peak_memory_gib;
  c.memory_margin_gib = headroom + 1.0;
  const Result tight = estimate(m, c, l, w);
  EXPECT_DOUBLE_EQ(tight.usable_memory_gib, plain.usable_memory_gib - c.memory_margin_gib);
  EXPECT_DOUBLE_EQ(tight.peak_memory_gib, plain.peak_memory_gib);
  EXPECT_TRUE(tight.oom);
  Workload wd = w;
  unsigned flags = 0;
  const Layout chosen = danlu::resolve_layout(m, c, danlu::PartialLayout{}, &wd, true, &flags);
  EXPECT_FALSE(estimate(m, c, chosen, wd).oom);
}

}  // namespace

// A strided-batched GEMM is one launch: its waves count every batch entry's tiles together.
#include "estimate/kernels.h"

namespace {

TEST(Kernels, BatchedGemmFillsWavesAcrossTheBatch) {
  danlu::detail::Rates r;
  r.flops = 312e12;
  r.gemm_eff = 0.8;
  r.hbm = 1e18;  // memory never binds here: the test is about how tiles fill the units
  r.kernel_s = 5e-6;
  r.units = 108;
  r.k0 = 128;
  // 2048 x 96 outputs (16 tiles of 128 x 256) over K = 2048, 384 times: alone each GEMM fills
  // 16 of 108 units; batched, 6144 tiles run in 57 waves, the last one 96 % full.
  const double one_by_one = danlu::detail::gemm_s(r, 2048, 96, 2048, 384);
  const double batched = danlu::detail::batched_gemm_s(r, 2048, 96, 2048, 384);
  const double flops = 2.0 * 2048 * 96 * 2048 * 384;
  const double ideal = flops / (r.flops * r.gemm_eff * (2048.0 / (2048 + 128)));
  EXPECT_NEAR(batched, ideal * 57 * 108 / 6144.0 + r.kernel_s, 1e-12);
  EXPECT_GT(one_by_one, 5 * batched);
  // A batch of one is the plain GEMM.
  EXPECT_DOUBLE_EQ(danlu::detail::batched_gemm_s(r, 4096, 4096, 4096, 1), danlu::detail::gemm_s(r, 4096, 4096, 4096));
}

}  // namespace
