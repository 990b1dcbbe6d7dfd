// Expert-ranking check (danlu/rank.h).
#include "danlu/rank.h"

#include <algorithm>

#include "danlu/framework.h"

namespace danlu {

std::vector<RankOutcome> rank_runs(const std::vector<TrainingRun>& runs, const std::vector<RunOutcome>& scored,
                                   const Catalog& cat) {
  std::vector<RankOutcome> out;
  for (std::size_t i = 0; i < runs.size() && i < scored.size(); ++i) {
    const TrainingRun& r = runs[i];
    const RunOutcome& o = scored[i];
    RankOutcome ro;
    ro.id = r.id;
    if (!o.error_pct) {
      ro.reason = o.reason;
      out.push_back(ro);
      continue;
    }
    Cluster c = make_cluster(cat, r.accelerator, r.gpus, r.gpus_per_node, r.network, r.nics_per_node);
    apply_variant(&c, r.power_cap_w, r.hbm_gib, r.hbm_gbs);
    SearchOptions opt;
    opt.top_k = 1;
    opt.base = o.layout;
    if (!o.framework.empty()) {  // the layouts the run's own stack could have used
      const Framework& f = cat.framework(o.framework);
      opt.zero_stages = f.zero_stages;
      if (f.selective) opt.selective = *f.selective;
    }
    opt.max_micro_batch = std::max(8, o.layout.micro_batch);
    ro.published_s = o.result.step_s;
    opt.count_faster_than_s = ro.published_s;
    const SearchResult s = search_layouts(r.model, c, o.workload, opt);
    if (s.top.empty()) {
      ro.reason = "search found no layout that fits";
      out.push_back(ro);
      continue;
    }
    ro.ranked = true;
    ro.published = o.layout;
    ro.best = s.top.front().layout;
    ro.best_s = s.top.front().result.step_s;
    // The published layout may sit outside the searched space (e.g. explicit stage splits);
    // the best found is then compared as is, and can be slower than the published one.
    ro.gain_pct = 100.0 * (ro.published_s / ro.best_s - 1.0);
    ro.rank = s.faster + 1;
    out.push_back(ro);
  }
  return out;
}

std::string layout_difference(const Layout& p, const Layout& b) {
  std::string s;
  auto add = [&](const char* name, const std::string& from, const std::string& to) {
    if (from == to) return;
    if (!s.empty()) s += ", ";
    s += std::string(name) + " " + from + "->" + to;
  };
  add("tp", std::to_string(p.tp), std::to_string(b.tp));
  add("cp", std::to_string(p.cp), std::to_string(b.cp));
  add("pp", std::to_string(p.pp), std::to_string(b.pp));
  add("vpp", std::to_string(p.vpp), std::to_string(b.vpp));
  add("dp", std::to_string(p.dp), std::to_string(b.dp));
  add("ep", std::to_string(p.ep), std::to_string(b.ep));
  add("etp", std::to_string(p.etp), std::to_string(b.etp));
  add("mb", std::to_string(p.micro_batch), std::to_string(b.micro_batch));
  add("sp", p.sequence_parallel ? "on" : "off", b.sequence_parallel ? "on" : "off");
  add("recompute", recompute_label(p), recompute_label(b));
  add("zero", std::to_string(p.zero), std::to_string(b.zero));
  return s.empty() ? "same layout" : s;
}

}  // namespace danlu
