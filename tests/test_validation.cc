// Accuracy on the published dev runs: a regression guard, plus contract checks.
//
// The issue's target, median |error| <= 10 % and p90 <= 20 % on the dense runs of the
// (annotated) dev file, asserted as such; the max bound pins today's worst run (see
// docs/validation.md). Tighten as the model improves; never loosen.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "danlu/catalog.h"
#include "danlu/inputs.h"
#include "danlu/rank.h"
#include "danlu/validate.h"

namespace {

std::vector<danlu::RunOutcome> dev_outcomes(const std::string& path) {
  const danlu::Catalog& cat = danlu::builtin_catalog();
  const auto runs = danlu::parse_training_runs(danlu::read_text_file(path), path, cat);
  return danlu::validate_runs(runs, cat);
}

const std::string kDev = std::string(DANLU_SOURCE_DIR) + "/data/validation/training-dev.yaml";

TEST(Validation, DevRunsAccuracyDoesNotRegress) {
  // The issue's target is on the dense runs; the mixture-of-experts runs are reported apart.
  const danlu::Catalog& cat = danlu::builtin_catalog();
  const auto runs = danlu::parse_training_runs(danlu::read_text_file(kDev), kDev, cat);
  const auto all = danlu::validate_runs(runs, cat);
  EXPECT_EQ(danlu::summarize(all).count, 74);
  // All scored: the four NeMo GPT-3 runs take the GPT-2 BPE vocabulary their notes name.
  EXPECT_EQ(danlu::summarize(all).unscored, 0);
  std::vector<danlu::RunOutcome> out;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (!runs[i].model.is_moe()) out.push_back(all[i]);
  }
  const danlu::ValidationSummary s = danlu::summarize(out);
  EXPECT_EQ(s.count, 72);
  EXPECT_EQ(s.unscored, 0);
  EXPECT_LE(s.median_abs_error_pct, 10.0);  // issue target
  // The core issue's target p90 <= 20 % on the dense runs. It was 23.6 % at worst on
  // 2026-12-05 and is 18.8 % once block recompute is the unstated-recompute default and
  // Nemotron-340B carries its NeMo recipe (no recompute, bf16 gradient reduction).
  EXPECT_LE(s.p90_abs_error_pct, 20.0);
  // The frontier issue's targets on all 74 runs: p90 <= 20 % and median <= 8 %. On
  // 2026-12-05 they stand at 17.9 % and 7.3 %; the median crossed 8 % once a power cap leaves
  // the GPU's idle draw unscaled (families.yaml idle_power_fraction).
  const danlu::ValidationSummary a = danlu::summarize(all);
  EXPECT_LE(a.p90_abs_error_pct, 20.0);
  EXPECT_LE(a.median_abs_error_pct, 8.0);
  EXPECT_LE(s.max_abs_error_pct, 34.0);
}

TEST(Validation, EveryRunIsReportedScoredOrWithAReason) {
  const auto out = dev_outcomes(kDev);
  std::set<std::string> ids;
  for (const auto& o : out) {
    EXPECT_TRUE(ids.insert(o.id).second) << o.id;
    if (o.error_pct) {
      EXPECT_TRUE(std::isfinite(*o.error_pct)) << o.id;
      EXPECT_GT(o.predicted, 0) << o.id;
      EXPECT_NEAR(*o.error_pct, 100.0 * (o.predicted - o.measured) / o.measured, 1e-9) << o.id;
      EXPECT_TRUE(o.reason.empty()) << o.id;
    } else {
      EXPECT_FALSE(o.reason.empty()) << o.id;
    }
  }
}

TEST(Validation, DenseCohortsStayWithinTheirBands) {
  // Per-source bands: a change that fixes one family of runs by breaking another shows here.
  const auto out = dev_outcomes(kDev);
  auto median_of = [&](const std::string& prefix) {
    std::vector<double> e;
    for (const auto& o : out) {
      if (o.id.rfind(prefix, 0) == 0 && o.error_pct) e.push_back(std::fabs(*o.error_pct));
    }
    return danlu::percentile(e, 50);
  };
  EXPECT_LE(median_of("narayanan2021"), 10.0);
  EXPECT_LE(median_of("korthikanti2022"), 12.0);
  EXPECT_LE(median_of("mcore"), 8.0);
  EXPECT_LE(median_of("maxtext"), 10.0);
  EXPECT_LE(median_of("nemo2407"), 13.0);
}

TEST(Validation, SharedFileAsPublishedStillScores) {
  // The unannotated shared copy must parse and score the same runs (annotations only add
  // structured facts); its accuracy is worse and is reported in README and docs/validation.md.
  const std::string shared = std::string(DANLU_SOURCE_DIR) + "/../shared/validation/training-dev.yaml";
  std::FILE* f = std::fopen(shared.c_str(), "r");
  if (!f) GTEST_SKIP() << "shared/ not beside the checkout";
  std::fclose(f);
  const danlu::ValidationSummary s = danlu::summarize(dev_outcomes(shared));
  EXPECT_EQ(s.count, 74);
  EXPECT_EQ(s.unscored, 4);
  // Without annotations, danlu takes each run's framework from its source line and applies
  // that stack's documented defaults (data/frameworks.yaml). That is what a held-out run from a
  // known stack gets. On 2026-12-05 it moved this file from median 17.9 % / p90 34.8 % to
  // 8.3 % / 21.6 %; what remains needs facts stated only in prose (power caps, torch.compile,
  // recipes).
  EXPECT_LE(s.median_abs_error_pct, 9.0);
  EXPECT_LE(s.p90_abs_error_pct, 23.0);
}

TEST(Validation, FrameworkComesFromTheSourceLineAndFillsOnlyGaps) {
  const std::string shared = std::string(DANLU_SOURCE_DIR) + "/../shared/validation/training-dev.yaml";
  std::FILE* f = std::fopen(shared.c_str(), "r");
  if (!f) GTEST_SKIP() << "shared/ not beside the checkout";
  std::fclose(f);
  int named = 0;
  for (const auto& o : dev_outcomes(shared)) {
    if (o.framework.empty()) continue;
    ++named;
    EXPECT_TRUE(o.framework_inferred) << o.id;
    if (!o.error_pct) continue;
    if (o.id.rfind("torchtitan", 0) == 0) {
      EXPECT_EQ(o.framework, "torchtitan");
      EXPECT_EQ(o.layout.attention, danlu::AttentionKernel::flash2) << o.id;
      EXPECT_FALSE(o.layout.fused_loss) << o.id;
      EXPECT_FALSE(o.layout.tp_comm_overlap) << o.id;
      EXPECT_NE(o.layout.recompute, danlu::Recompute::selective) << o.id;  // per-op SAC instead
    }
    if (o.id.rfind("narayanan2021", 0) == 0 || o.id.rfind("korthikanti2022", 0) == 0) {
      EXPECT_EQ(o.framework, "megatron");
      EXPECT_EQ(o.layout.attention, danlu::AttentionKernel::unfused) << o.id;  // before FlashAttention reached Megatron
    }
    if (o.id.rfind("mbridge2511-h100-llama3-8b", 0) == 0) {
      // ZeRO-3 under Megatron-FSDP keeps Transformer Engine's attention and the fused loss.
      EXPECT_EQ(o.layout.zero, 3);
      EXPECT_EQ(o.layout.attention, danlu::AttentionKernel::flash);
      EXPECT_TRUE(o.layout.fused_loss);
    }
    if (o.id == "torchtitan-t5-405b-512gpu-3d-1f1b") {
      EXPECT_EQ(o.layout.micro_batch, 4);  // 32 local / (8 x 1)
    }
  }
  EXPECT_EQ(named, 70);  // the four NeMo GPT-3 runs name NeMo only in notes, and are unscored
}

TEST(Validation, PercentileInterpolates) {
  std::vector<double> v = {4, 1, 3, 2};
  EXPECT_DOUBLE_EQ(danlu::percentile(v, 50), 2.5);
  EXPECT_DOUBLE_EQ(danlu::percentile(v, 0), 1);
  EXPECT_DOUBLE_EQ(danlu::percentile(v, 100), 4);
  v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_NEAR(danlu::percentile(v, 90), 9.1, 1e-12);
}

}  // namespace

namespace {

TEST(Rank, BestIsNeverSlowerThanAPublishedLayoutInsideTheSearchSpace) {
  const danlu::Catalog& cat = danlu::builtin_catalog();
  auto runs = danlu::parse_training_runs(danlu::read_text_file(kDev), kDev, cat);
  // Keep the check fast: the runs up to 256 GPUs.
  std::vector<danlu::TrainingRun> small;
  for (auto& r : runs) {
    if (r.gpus <= 256) small.push_back(r);
  }
  const auto scored = danlu::validate_runs(small, cat);
  const auto ranks = danlu::rank_runs(small, scored, cat);
  ASSERT_EQ(ranks.size(), small.size());
  int checked = 0;
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    const auto& rk = ranks[i];
    if (!rk.ranked) {
      EXPECT_FALSE(rk.reason.empty()) << rk.id;
      continue;
    }
    EXPECT_GE(rk.rank, 1) << rk.id;
    EXPECT_GT(rk.best_s, 0) << rk.id;
    const danlu::Layout& pub = scored[i].layout;
    const bool inside = pub.recompute != danlu::Recompute::selective_op && pub.first_stage_layers == 0 &&
                        pub.last_stage_layers == 0;
    if (inside) {
      EXPECT_LE(rk.best_s, rk.published_s * (1 + 1e-12)) << rk.id;
      EXPECT_GE(rk.gain_pct, -1e-9) << rk.id;
      ++checked;
    }
  }
  EXPECT_GT(checked, 10);
}

}  // namespace

namespace {

TEST(Validation, PeakMemoryWhereMeasured) {
  // Runs that state a measured peak (torchtitan: max over GPUs). The issue's target: median
  // |error| <= 10 %. It was 12.9 % while the loss was modelled as Megatron's fused kernel;
  // torchtitan's eager cross-entropy (DTensor loss_parallel under TP) brought it to 6 %. The
  // 405B pipeline runs stay 10-20 % low (docs/validation.md).
  const auto out = dev_outcomes(kDev);
  std::vector<double> err;
  for (const auto& o : out) {
    if (o.measured_peak_memory_gib <= 0 || !o.error_pct) continue;
    err.push_back(std::fabs(100.0 * (o.result.peak_memory_gib / o.measured_peak_memory_gib - 1.0)));
  }
  ASSERT_GE(err.size(), 10u);
  EXPECT_LE(danlu::percentile(err, 50), 10.0);
  EXPECT_LE(*std::max_element(err.begin(), err.end()), 25.0);
}

}  // namespace

namespace {

TEST(Validation, MoeRunsUseTheStatedExpertBalance) {
  // The Megatron-Bridge MoE benchmarks force-balance tokens among experts; the run files say
  // so (parallel.moe_imbalance 1.0) and the estimate uses it instead of the 1.15 default.
  const auto out = dev_outcomes(kDev);
  int moe = 0;
  for (const auto& o : out) {
    if (o.id != "mbridge2511-h100-qwen3-235b" && o.id != "mbridge2511-gb200-dsv3-bf16") continue;
    ++moe;
    EXPECT_DOUBLE_EQ(o.layout.moe_imbalance, 1.0) << o.id;
    ASSERT_TRUE(o.error_pct) << o.id;
    EXPECT_LE(std::fabs(*o.error_pct), 16.0) << o.id;
  }
  EXPECT_EQ(moe, 2);
}

TEST(Validation, MaxTextMinimalRematRunsFit) {
  // MaxText's remat_policy 'minimal' (XLA checkpoint_dots_with_no_batch_dims) ran on v5p with
  // 95 GiB per chip. Modelled as Megatron-style selective recompute, the memory model put
  // these runs at 137-159 GiB ("does not fit"); with the policy's own saved set they fit.
  const auto out = dev_outcomes(kDev);
  int n = 0;
  for (const auto& o : out) {
    if (o.layout.recompute != danlu::Recompute::selective_dots) continue;
    ++n;
    EXPECT_FALSE(o.result.oom) << o.id << " " << o.result.peak_memory_gib << " GiB";
  }
  EXPECT_GE(n, 4);
}

}  // namespace

namespace {

TEST(Validation, PowerCapSlowsTheClockByTheCubeRootOfTheDynamicPowerLeft) {
  const danlu::Catalog& cat = danlu::builtin_catalog();
  const danlu::Cluster stock = danlu::make_cluster(cat, "h100-sxm", 8, 8, "", 0);
  const double idle = stock.acc.eff.idle_power_fraction * stock.acc.tdp_w;
  ASSERT_GT(idle, 0.0);  // the catalog states Hopper's idle draw
  danlu::Cluster capped = stock;
  danlu::apply_variant(&capped, 500, 0, 0);
  const int bf16 = static_cast<int>(danlu::Precision::bf16);
  const double ratio = capped.acc.peak_tflops[bf16] / stock.acc.peak_tflops[bf16];
  EXPECT_NEAR(ratio, std::cbrt((500 - idle) / (stock.acc.tdp_w - idle)), 1e-12);
  EXPECT_LT(ratio, std::cbrt(500 / stock.acc.tdp_w));  // idle power does not scale with the clock
  EXPECT_EQ(capped.acc.hbm_gbs, stock.acc.hbm_gbs);
  danlu::Cluster at_tdp = stock;
  danlu::apply_variant(&at_tdp, stock.acc.tdp_w, 0, 0);
  EXPECT_EQ(at_tdp.acc.peak_tflops[bf16], stock.acc.peak_tflops[bf16]);
}

TEST(Validation, PowerCapBelowIdleIsUnscoredWithItsReason) {
  const danlu::Catalog& cat = danlu::builtin_catalog();
  const std::string text = R"(
- id: starved
  kind: training
  source: test
  accelerator_variant: {power_cap_w: 40}
  model: {preset: llama3-8b}
  seq_len: 4096
  accelerator: h100-sxm
  gpus: 8
  parallel: {tp: 1, pp: 1, dp: 8, global_batch: 16}
  measured: {step_time_s: 1.0}
)";
  const auto runs = danlu::parse_training_runs(text, "test.yaml", cat);
  const auto out = danlu::validate_runs(runs, cat);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].error_pct.has_value());
  EXPECT_NE(out[0].reason.find("idle draw"), std::string::npos) << out[0].reason;
}

}  // namespace
