// Human and JSON reports for `danlu search`.
#include <fmt/format.h>

#include "danlu/report.h"

namespace danlu {
namespace {

std::vector<std::string> layout_cells(const Layout& l) {
  return {std::to_string(l.tp), std::to_string(l.cp), std::to_string(l.pp), std::to_string(l.vpp),
          std::to_string(l.dp), std::to_string(l.micro_batch), l.sequence_parallel ? "on" : "off",
          recompute_name(l.recompute), std::to_string(l.zero)};
}

std::string candidates_table(const std::vector<Candidate>& list) {
  std::vector<std::vector<std::string>> rows;
  int rank = 1;
  for (const Candidate& c : list) {
    std::vector<std::string> row = {std::to_string(rank++), fmt::format("{:.4g}", c.result.step_s),
                                    fmt::format("{:.1f}", c.result.tokens_per_s_per_gpu),
                                    fmt::format("{:.1f}", 100.0 * c.result.mfu),
                                    fmt::format("{:.2f}", c.result.peak_memory_gib)};
    for (auto& cell : layout_cells(c.layout)) row.push_back(cell);
    row.push_back(binding_name(c.result.binding));
    rows.push_back(row);
  }
  return render_table({"#", "step_time_s", "tokens_per_s_per_gpu", "mfu_pct", "peak_memory_gib", "tp", "cp", "pp",
                       "vpp", "dp", "micro_batch", "sp", "recompute", "zero", "binding"},
                      rows);
}

}  // namespace

std::string search_text(const TrainContext& ctx, const SearchResult& s, double wall_s) {
  std::string out = fmt::format(
      "danlu search: {} on {} x {} (seq_len {}, global batch {}, {})\n"
      "{} layouts considered, {} estimated in full, {:.3f} s wall{}\n\n",
      ctx.model_name, ctx.cluster.gpus, ctx.accelerator_name, ctx.workload.seq_len, ctx.workload.global_batch,
      precision_name(ctx.workload.precision), s.considered, s.evaluated, wall_s,
      s.cancelled ? " (CANCELLED: partial results)" : "");
  if (s.top.empty()) {
    out += "no layout fits: every candidate was rejected (see the reasons below)\n";
  } else {
    out += "top layouts (fastest first)\n" + candidates_table(s.top) + "\n";
    out += "Pareto front (step time vs peak memory per GPU)\n" + candidates_table(s.pareto) + "\n";
  }
  std::vector<std::vector<std::string>> rows;
  for (int i = 0; i < static_cast<int>(Reject::kCount); ++i) {
    if (s.rejected[i] > 0) rows.push_back({reject_name(static_cast<Reject>(i)), std::to_string(s.rejected[i])});
  }
  if (!rows.empty()) out += "rejected layouts, by reason\n" + render_table({"reason", "layouts"}, rows) + "\n";
  if (!s.top.empty()) {
    TrainContext best = ctx;
    best.layout = s.top.front().layout;
    best.defaulted = 0;
    out += "best layout in detail\n" + train_text(best, s.top.front().result);
  }
  return out;
}

nlohmann::json search_json(const TrainContext& ctx, const SearchResult& s, double wall_s) {
  auto list = [&](const std::vector<Candidate>& v) {
    nlohmann::json a = nlohmann::json::array();
    for (const Candidate& c : v) {
      TrainContext t = ctx;
      t.layout = c.layout;
      t.defaulted = 0;
      a.push_back(train_json(t, c.result));
    }
    return a;
  };
  nlohmann::json rejected = nlohmann::json::object();
  for (int i = 0; i < static_cast<int>(Reject::kCount); ++i) rejected[reject_name(static_cast<Reject>(i))] = s.rejected[i];
  return {{"considered", s.considered}, {"evaluated", s.evaluated}, {"wall_s", wall_s},
          {"cancelled", s.cancelled},   {"ranked", list(s.top)},     {"pareto", list(s.pareto)},
          {"rejected", rejected}};
}

}  // namespace danlu
