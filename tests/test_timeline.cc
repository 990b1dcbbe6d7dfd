// Step timelines: valid trace JSON, no overlapping events within a lane, span = step time.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "danlu/catalog.h"
#include "danlu/estimate.h"
#include "danlu/timeline.h"
#include "danlu/validate.h"

namespace {

struct Case {
  const char* model;
  int gpus, tp, pp, vpp, dp;
  long global_batch;
  danlu::Recompute rc;
};

const Case kCases[] = {
    {"llama3-70b", 64, 8, 4, 5, 2, 32, danlu::Recompute::none},    // interleaved
    {"llama3-70b", 64, 8, 8, 1, 1, 16, danlu::Recompute::full},    // 1F1B, m = 2 pp
    {"llama3-8b", 8, 1, 1, 1, 8, 64, danlu::Recompute::selective}, // no pipeline
    {"llama3.1-405b", 512, 8, 32, 1, 2, 64, danlu::Recompute::full},  // more ranks than drawn
    {"gpt3-13b", 32, 4, 4, 2, 2, 16, danlu::Recompute::none},      // m == pp, interleaved
};

void check(const Case& k) {
  const danlu::Catalog& cat = danlu::builtin_catalog();
  const danlu::Model m = cat.find_model(k.model)->model;
  const danlu::Cluster c = danlu::make_cluster(cat, "h100-sxm", k.gpus, 8, "", 0);
  danlu::Layout l;
  l.tp = k.tp;
  l.pp = k.pp;
  l.vpp = k.vpp;
  l.dp = k.dp;
  l.recompute = k.rc;
  l.sequence_parallel = k.tp > 1;
  l.zero = 1;
  danlu::Workload w;
  w.seq_len = 4096;
  w.global_batch = k.global_batch;
  ASSERT_EQ(danlu::check_layout(m, c, l, w), danlu::LayoutIssue::kOk) << k.model;
  const danlu::Result r = danlu::estimate_step(m, c, l, w);
  danlu::Timeline t;
  ASSERT_TRUE(danlu::build_timeline(l, r, &t)) << k.model;
  EXPECT_NEAR(t.span_s, r.step_s, 1e-9 * r.step_s) << k.model;

  const nlohmann::json j = nlohmann::json::parse(danlu::timeline_trace_json(t));
  ASSERT_TRUE(j["traceEvents"].is_array());
  std::map<int, std::vector<std::pair<double, double>>> lanes;
  double end = 0;
  int forwards = 0, backwards = 0;
  for (const auto& e : j["traceEvents"]) {
    if (e["ph"] != "X") continue;
    const double ts = e["ts"].get<double>(), dur = e["dur"].get<double>();
    EXPECT_GE(ts, 0);
    EXPECT_GE(dur, 0);
    lanes[e["tid"].get<int>()].push_back({ts, ts + dur});
    end = std::max(end, ts + dur);
    const std::string name = e["name"];
    if (name.rfind("F mb", 0) == 0) ++forwards;
    if (name.rfind("B mb", 0) == 0) ++backwards;
  }
  EXPECT_NEAR(end / 1e6, r.step_s, 1e-6 * r.step_s) << k.model;
  EXPECT_EQ(forwards, backwards);
  const int drawn = std::min(k.pp, 16);
  EXPECT_EQ(forwards, drawn * k.vpp * r.micro_batches) << k.model;
  for (auto& [lane, iv] : lanes) {
    std::sort(iv.begin(), iv.end());
    for (std::size_t i = 1; i < iv.size(); ++i) {
      EXPECT_LE(iv[i - 1].second, iv[i].first + 1e-6) << k.model << " lane " << lane;
    }
  }
  const std::string svg = danlu::timeline_svg(t, std::string("test <&> ") + k.model);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find("&lt;&amp;&gt;"), std::string::npos);
  EXPECT_EQ(svg.find("<&>"), std::string::npos);
}

TEST(Timeline, SpanLanesAndSchedule) {
  for (const Case& k : kCases) check(k);
}

TEST(Timeline, OneFOneBMakespanMatchesTheBubbleFormula) {
  // With uniform stages, the replayed 1F1B schedule lasts (m + pp - 1)(f + b): the scale
  // factor to the estimator's pipeline time is then 1 up to the pipeline sends.
  const danlu::Catalog& cat = danlu::builtin_catalog();
  const danlu::Model m = cat.find_model("llama3-70b")->model;
  const danlu::Cluster c = danlu::make_cluster(cat, "h100-sxm", 64, 8, "", 0);
  danlu::Layout l;
  l.tp = 8;
  l.pp = 8;
  l.dp = 1;
  l.sequence_parallel = true;
  l.recompute = danlu::Recompute::full;
  danlu::Workload w;
  w.seq_len = 4096;
  w.global_batch = 32;
  const danlu::Result r = danlu::estimate_step(m, c, l, w);
  danlu::Timeline t;
  ASSERT_TRUE(danlu::build_timeline(l, r, &t));
  double first_f_end = 0;
  for (const auto& e : t.events) {
    if (e.lane == 0 && e.name == "F mb0") first_f_end = e.start_s + e.dur_s;
  }
  const double pipe = r.step_s - r.time.dp_comm_s - r.time.optimizer_s - r.time.overhead_s;
  const double unscaled = static_cast<double>(r.micro_batches + l.pp - 1) * (r.mb_forward_s + r.mb_backward_s);
  EXPECT_NEAR(first_f_end, r.mb_forward_s * pipe / unscaled, 1e-9);
  EXPECT_LT(std::abs(pipe / unscaled - 1.0), 0.05);
}

}  // namespace
