// Timeline of one step (danlu/timeline.h): schedule replay, Chrome trace JSON, SVG.
#include "danlu/timeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace danlu {
namespace {

struct Op {
  bool fwd;
  int chunk;
  int mb;
};

// Megatron's per-rank op order: forwards walk micro-batch groups of pp, chunk by chunk;
// backwards the same with chunks reversed; warm-up forwards, then 1F1B, then cool-down.
std::vector<Op> rank_order(int rank, int pp, int vpp, int m) {
  std::vector<Op> fw, bw;
  for (int g = 0; g < m; g += pp) {
    const int size = std::min(pp, m - g);
    for (int v = 0; v < vpp; ++v) {
      for (int j = 0; j < size; ++j) {
        fw.push_back({true, v, g + j});
        bw.push_back({false, vpp - 1 - v, g + j});
      }
    }
  }
  const int total = static_cast<int>(fw.size());
  int warm = vpp == 1 ? pp - rank - 1 : (pp - rank - 1) * 2 + (vpp - 1) * pp;
  warm = std::min(warm, total);
  std::vector<Op> order;
  order.reserve(2 * fw.size());
  for (int i = 0; i < warm; ++i) order.push_back(fw[static_cast<std::size_t>(i)]);
  for (int i = 0; i < total - warm; ++i) {
    order.push_back(fw[static_cast<std::size_t>(warm + i)]);
    order.push_back(bw[static_cast<std::size_t>(i)]);
  }
  for (int i = total - warm; i < total; ++i) order.push_back(bw[static_cast<std::size_t>(i)]);
  return order;
}

}  // namespace

bool build_timeline(const Layout& l, const Result& r, Timeline* out, int max_ranks, std::size_t max_events) {
  *out = Timeline{};
  const int pp = l.pp, vpp = l.vpp;
  const long m = r.micro_batches;
  if (pp < 1 || vpp < 1 || m < 1) return false;
  const double total_ops = 2.0 * static_cast<double>(m) * vpp * pp;
  if (total_ops > 5e7) return false;
  const int mi = static_cast<int>(m);

  // Replay with unit chunk times f, b; end times per (rank, chunk, mb).
  const double f = r.mb_forward_s / vpp, b = r.mb_backward_s / vpp;
  auto idx = [&](int rank, int chunk, int mb) {
    return (static_cast<std::size_t>(rank) * vpp + chunk) * mi + mb;
  };
  const std::size_t cells = static_cast<std::size_t>(pp) * vpp * mi;
  std::vector<double> end_f(cells, -1), end_b(cells, -1);
  std::vector<std::vector<Op>> orders(static_cast<std::size_t>(pp));
  for (int rank = 0; rank < pp; ++rank) orders[static_cast<std::size_t>(rank)] = rank_order(rank, pp, vpp, mi);
  std::vector<std::size_t> next(static_cast<std::size_t>(pp), 0);
  std::vector<double> free_at(static_cast<std::size_t>(pp), 0.0);
  struct Placed {
    int rank;
    Op op;
    double start, dur;
  };
  std::vector<Placed> placed;
  const bool draw_all = pp <= max_ranks;
  auto drawn = [&](int rank) { return draw_all || rank < max_ranks / 2 || rank >= pp - max_ranks / 2; };
  std::size_t remaining = 0;
  for (auto& o : orders) remaining += o.size();
  while (remaining > 0) {
    bool progress = false;
    for (int rank = 0; rank < pp; ++rank) {
      auto& ord = orders[static_cast<std::size_t>(rank)];
      std::size_t& p = next[static_cast<std::size_t>(rank)];
      while (p < ord.size()) {
        const Op op = ord[p];
        double dep;
        if (op.fwd) {
          dep = rank > 0 ? end_f[idx(rank - 1, op.chunk, op.mb)]
                : op.chunk > 0 ? end_f[idx(pp - 1, op.chunk - 1, op.mb)]
                               : 0.0;
        } else {
          dep = rank < pp - 1          ? end_b[idx(rank + 1, op.chunk, op.mb)]
                : op.chunk < vpp - 1   ? end_b[idx(0, op.chunk + 1, op.mb)]
                                       : end_f[idx(pp - 1, vpp - 1, op.mb)];
        }
        if (dep < 0) break;  // dependency not scheduled yet
        const double start = std::max(free_at[static_cast<std::size_t>(rank)], dep);
        const double dur = op.fwd ? f : b;
        (op.fwd ? end_f : end_b)[idx(rank, op.chunk, op.mb)] = start + dur;
        free_at[static_cast<std::size_t>(rank)] = start + dur;
        if (drawn(rank)) {
          placed.push_back({rank, op, start, dur});
          if (placed.size() > max_events) return false;
        }
        ++p;
        --remaining;
        progress = true;
      }
    }
    if (!progress) return false;  // an inconsistent order (cannot happen for Megatron's)
  }
  double makespan = 0;
  for (double t : free_at) makespan = std::max(makespan, t);

  const Breakdown& bd = r.time;
  const double t_pipe = r.step_s - bd.dp_comm_s - bd.optimizer_s - bd.overhead_s;
  const double scale = makespan > 0 ? t_pipe / makespan : 1.0;

  Timeline& t = *out;
  std::vector<int> lane_of(static_cast<std::size_t>(pp), -1);
  for (int rank = 0; rank < pp; ++rank) {
    if (drawn(rank)) {
      lane_of[static_cast<std::size_t>(rank)] = static_cast<int>(t.lanes.size());
      t.lanes.push_back(fmt::format("pipeline stage {}", rank));
    }
  }
  const int tp_lane = static_cast<int>(t.lanes.size());
  t.lanes.push_back("tensor/context-parallel comm (stage 0, exposed)");
  const int dp_lane = static_cast<int>(t.lanes.size());
  t.lanes.push_back("data-parallel comm (exposed)");
  const int opt_lane = static_cast<int>(t.lanes.size());
  t.lanes.push_back("optimizer step");
  const int ovh_lane = static_cast<int>(t.lanes.size());
  t.lanes.push_back("fixed overhead");

  const double mb_total = r.mb_forward_s + r.mb_backward_s;
  const double tp_share = mb_total > 0 ? r.mb_tp_comm_s / mb_total : 0.0;
  t.events.reserve(placed.size() + 4);
  for (const Placed& p : placed) {
    const std::string name = vpp > 1 ? fmt::format("{} mb{} c{}", p.op.fwd ? "F" : "B", p.op.mb, p.op.chunk)
                                     : fmt::format("{} mb{}", p.op.fwd ? "F" : "B", p.op.mb);
    const double s = p.start * scale, d = p.dur * scale;
    t.events.push_back({lane_of[static_cast<std::size_t>(p.rank)], name, s, d});
    if (p.rank == 0 && tp_share > 0) {
      t.events.push_back({tp_lane, "TP " + name, s + d * (1.0 - tp_share), d * tp_share});
    }
  }
  double at = t_pipe;
  if (bd.dp_comm_s > 0) t.events.push_back({dp_lane, "gradient reduce / weight gather (exposed)", at, bd.dp_comm_s});
  at += bd.dp_comm_s;
  if (bd.optimizer_s > 0) t.events.push_back({opt_lane, "Adam step", at, bd.optimizer_s});
  at += bd.optimizer_s;
  if (bd.overhead_s > 0) t.events.push_back({ovh_lane, "per-step overhead", at, bd.overhead_s});
  t.span_s = at + bd.overhead_s;
  return true;
}

std::string timeline_trace_json(const Timeline& t) {
  nlohmann::json ev = nlohmann::json::array();
  for (std::size_t i = 0; i < t.lanes.size(); ++i) {
    ev.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", 1}, {"tid", i}, {"args", {{"name", t.lanes[i]}}}});
    ev.push_back({{"name", "thread_sort_index"}, {"ph", "M"}, {"pid", 1}, {"tid", i}, {"args", {{"sort_index", i}}}});
  }
  ev.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", 1}, {"args", {{"name", "danlu: one training step"}}}});
  for (const TimelineEvent& e : t.events) {
    ev.push_back({{"name", e.name}, {"ph", "X"}, {"pid", 1}, {"tid", e.lane}, {"ts", e.start_s * 1e6},
                  {"dur", e.dur_s * 1e6}});
  }
  return nlohmann::json{{"traceEvents", ev}, {"displayTimeUnit", "ms"},
                        {"otherData", {{"span_s", t.span_s}, {"generator", "danlu"}}}}
             .dump();
}

namespace {
std::string xml_escape(const std::string& in) {
  std::string o;
  for (char c : in) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}
}  // namespace

std::string timeline_svg(const Timeline& t, const std::string& title) {
  const double width = 1400, label = 330, lane_h = 22, top = 40;
  const double height = top + lane_h * static_cast<double>(t.lanes.size()) + 40;
  const double px = t.span_s > 0 ? (width - label - 20) / t.span_s : 0;
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\" font-family=\"sans-serif\" "
      "font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"10\" y=\"20\" font-size=\"14\">{}</text>\n",
      width, height, xml_escape(title));
  for (std::size_t i = 0; i < t.lanes.size(); ++i) {
    s += fmt::format("<text x=\"10\" y=\"{:.1f}\">{}</text>\n", top + lane_h * static_cast<double>(i) + 15,
                     xml_escape(t.lanes[i]));
  }
  for (const TimelineEvent& e : t.events) {
    const char* fill = e.name.rfind("F ", 0) == 0   ? "#4c78a8"
                       : e.name.rfind("B ", 0) == 0 ? "#59a14f"
                       : e.name.rfind("TP", 0) == 0 ? "#f28e2b"
                                                    : "#e15759";
    s += fmt::format("<rect x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.3f}\" height=\"{:.1f}\" fill=\"{}\"><title>{} "
                     "{:.6f}s</title></rect>\n",
                     label + e.start_s * px, top + lane_h * e.lane + 3, std::max(0.2, e.dur_s * px), lane_h - 6,
                     fill, e.name, e.dur_s);
  }
  s += fmt::format("<text x=\"{:.0f}\" y=\"{:.0f}\">0 s</text><text x=\"{:.0f}\" y=\"{:.0f}\" "
                   "text-anchor=\"end\">{:.4g} s</text>\n</svg>\n",
                   label, height - 12, width - 20, height - 12, t.span_s);
  return s;
}

}  // namespace danlu
