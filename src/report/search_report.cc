// Human and JSON reports for `danlu search`.
#include <fmt/format.h>

#include "danlu/report.h"

namespace danlu {
namespace {

std::vector<std::string> layout_cells(const Layout& l) {
  return {std::to_string(l.tp), std::to_string(l.cp), std::to_string(l.pp), std::to_string(l.vpp),
          std::to_string(l.dp), std::to_string(l.ep), std::to_string(l.etp), std::to_string(l.micro_batch), l.sequence_parallel ? "on" : "off",
          recompute_label(l),
          // Hybrid sharding shows its shard group: zero 3 sharded over 8 of the dp ranks reads "3/8".
          dp_shard_of(l) < l.dp ? fmt::format("{}/{}", l.zero, dp_shard_of(l)) : std::to_string(l.zero)};
}

std::string candidates_table(const std::vector<Candidate>& list) {
  std::vector<std::vector<std::string>> rows;
  int rank = 1;
  for (const Candidate& c : list) {
    const Layout& l = c.layout;
    std::vector<std::string> row = {std::to_string(rank++), std::to_string(l.tp * l.cp * l.pp * l.dp),
                                    fmt::format("{:.4g}", c.result.step_s),
                                    fmt::format("{:.1f}", c.result.tokens_per_s_per_gpu),
                                    fmt::format("{:.1f}", 100.0 * c.result.mfu),
                                    fmt::format("{:.2f}", c.result.peak_memory_gib)};
    for (auto& cell : layout_cells(c.layout)) row.push_back(cell);
    row.push_back(binding_name(c.result.binding));
    rows.push_back(row);
  }
  return render_table({"#", "gpus", "step_time_s", "tokens_per_s_per_gpu", "mfu_pct", "peak_memory_gib", "tp", "cp", "pp",
                       "vpp", "dp", "ep", "etp", "micro_batch", "sp", "recompute", "zero", "binding"},
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
  if (!ctx.framework.empty()) {
    out += fmt::format("framework: {} (only its ZeRO stages and its 'selective'; its kernels and fusion; "
                       "data/frameworks.yaml)\n\n", ctx.framework);
  }
  if (s.top.empty()) {
    out += "no layout fits: every candidate was rejected (see the reasons below)\n";
  } else {
    out += "top layouts (fastest first)\n" + candidates_table(s.top) + "\n";
    out += "Pareto front (step time vs peak memory per GPU vs GPUs used)\n" + candidates_table(s.pareto) + "\n";
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
  return {{"considered", s.considered}, {"evaluated", s.evaluated}, {"refined", s.refined}, {"wall_s", wall_s},
          {"cancelled", s.cancelled},   {"ranked", list(s.top)},     {"pareto", list(s.pareto)},
          {"rejected", rejected},
          {"framework", ctx.framework.empty() ? nlohmann::json(nullptr) : nlohmann::json(ctx.framework)}};
}

namespace {


std::vector<const RankOutcome*> by_gain(const std::vector<RankOutcome>& ranks) {
  std::vector<const RankOutcome*> v;
  for (const auto& r : ranks) v.push_back(&r);
  std::stable_sort(v.begin(), v.end(), [](const RankOutcome* a, const RankOutcome* b) {
    if (a->ranked != b->ranked) return a->ranked;
    return a->gain_pct > b->gain_pct;
  });
  return v;
}

}  // namespace

std::string rank_text(const std::vector<RankOutcome>& ranks) {
  std::vector<std::vector<std::string>> rows;
  int n = 0, over20 = 0, first = 0;
  std::vector<double> gains;
  for (const RankOutcome* r : by_gain(ranks)) {
    if (!r->ranked) {
      rows.push_back({r->id, "-", "-", "-", "-", "not ranked: " + r->reason});
      continue;
    }
    ++n;
    if (r->gain_pct > 20) ++over20;
    if (r->rank == 1) ++first;
    gains.push_back(r->gain_pct);
    rows.push_back({r->id, fmt::format("{:.4g}", r->published_s), fmt::format("{:.4g}", r->best_s),
                    fmt::format("{:+.1f}", r->gain_pct), std::to_string(r->rank),
                    layout_difference(r->published, r->best)});
  }
  std::string out = render_table(
      {"run", "published_layout_s", "danlu_best_s", "claimed_gain_pct", "rank", "danlu's best vs published"}, rows);
  out += fmt::format("\n{} runs ranked: published layout is danlu's best in {}; median claimed gain {:.1f}%; "
                     "{} runs where danlu claims more than 20% (investigate: finding or modelling error)\n",
                     n, first, percentile(gains, 50), over20);
  return out;
}

nlohmann::json rank_json(const std::vector<RankOutcome>& ranks) {
  nlohmann::json runs = nlohmann::json::array();
  for (const RankOutcome* r : by_gain(ranks)) {
    if (!r->ranked) {
      runs.push_back({{"id", r->id}, {"rank", nullptr}, {"reason", r->reason}});
      continue;
    }
    const Layout& l = r->best;
    runs.push_back({{"id", r->id},
                    {"published_predicted_s", r->published_s},
                    {"best_predicted_s", r->best_s},
                    {"gain_pct", r->gain_pct},
                    {"rank", r->rank},
                    {"difference", layout_difference(r->published, r->best)},
                    {"best_layout",
                     {{"tp", l.tp}, {"cp", l.cp}, {"pp", l.pp}, {"vpp", l.vpp}, {"dp", l.dp},
                      {"micro_batch", l.micro_batch}, {"sequence_parallel", l.sequence_parallel},
                      {"recompute", recompute_name(l.recompute)}, {"recompute_num_layers", l.recompute_num_layers},
                      {"zero", l.zero}, {"dp_shard", dp_shard_of(l)}}}});
  }
  return {{"runs", runs}};
}

}  // namespace danlu
