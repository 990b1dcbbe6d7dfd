// Whole runs: goodput, power and the wholerun validation file.
#include <gtest/gtest.h>

#include <cmath>

#include "danlu/catalog.h"
#include "danlu/estimate.h"
#include "danlu/inputs.h"
#include "danlu/plan.h"
#include "danlu/validate.h"

namespace {

danlu::PlanResult plan(int gpus, double failures, double pue = 1.3) {
  const danlu::Catalog& cat = danlu::builtin_catalog();
  const danlu::Model m = cat.find_model("llama3.1-405b")->model;
  const danlu::Cluster c = danlu::make_cluster(cat, "h100-sxm", gpus, 8, "", 0);
  danlu::Layout l;
  l.tp = 8;
  l.pp = 16;
  l.vpp = 4;
  l.dp = gpus / 128;
  l.sequence_parallel = true;
  l.zero = 1;
  danlu::Workload w;
  w.seq_len = 8192;
  w.global_batch = 2048;
  danlu::PlanInputs in;
  in.tokens = 15.6e12;
  in.failures_per_gpu_hour = failures;
  in.pue = pue;
  return danlu::plan_run(m, c, l, w, danlu::estimate_step(m, c, l, w), in);
}

TEST(Plan, Llama3GoodputAndPower) {
  const danlu::PlanInputs defaults;
  const danlu::PlanResult r = plan(16384, defaults.failures_per_gpu_hour);
  // Meta reports more than 90 % effective training time for this setup (Dubey et al. 2024).
  EXPECT_GT(r.goodput, 0.88);
  EXPECT_LT(r.goodput, 0.97);
  // 419 interruptions in 54 days on 16,384 GPUs: one every ~3.1 hours.
  EXPECT_NEAR(r.job_mtbf_h, 54.0 * 24.0 / 419.0, 1e-6);
  // The talk: ~1 kW per chip, so 1,000 chips need about a megawatt (facility, with PUE).
  const double mw_per_1000 = r.facility_mw / 16.384;
  EXPECT_GT(mw_per_1000, 0.8);
  EXPECT_LT(mw_per_1000, 1.6);
  EXPECT_NEAR(r.energy_mwh, r.facility_mw * r.days * 24.0, 1e-6 * r.energy_mwh);
  EXPECT_NEAR(r.gpu_hours, r.days * 24.0 * 16384, 1e-6 * r.gpu_hours);
}

TEST(Plan, FailuresAndScale) {
  const danlu::PlanResult none = plan(16384, 0.0);
  EXPECT_DOUBLE_EQ(none.goodput, 1.0);
  EXPECT_DOUBLE_EQ(none.days, none.ideal_days);
  const danlu::PlanResult small = plan(2048, 1e-4), large = plan(16384, 1e-4);
  EXPECT_GT(small.goodput, large.goodput);  // more GPUs, more frequent failures
  EXPECT_GT(plan(16384, 1e-4, 1.5).facility_mw, plan(16384, 1e-4, 1.1).facility_mw);
}

TEST(Plan, WholerunValidationScoresEveryRun) {
  const std::string path = std::string(DANLU_SOURCE_DIR) + "/data/validation/wholerun-dev.yaml";
  const danlu::Catalog& cat = danlu::builtin_catalog();
  const auto out = danlu::validate_wholeruns(danlu::parse_wholeruns(danlu::read_text_file(path), path, cat), cat);
  const danlu::ValidationSummary s = danlu::summarize(out);
  EXPECT_EQ(s.count, 4);
  EXPECT_EQ(s.unscored, 0);
  // First slice: GPU-hours within 40 % (regression guard; docs/validation.md lists why low).
  EXPECT_LE(s.max_abs_error_pct, 40.0);
}

}  // namespace
