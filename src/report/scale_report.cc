// Reports for `danlu scale`: table, JSON and an SVG plot of throughput against cluster size.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "danlu/report.h"

namespace danlu {
namespace {

// The largest time component other than GEMM and attention compute: where the efficiency goes.
std::string largest_loss(const Result& r) {
  const Breakdown& b = r.time;
  const std::pair<const char*, double> parts[] = {
      {"memory-bound ops", b.memory_bound_s}, {"TP/CP comm", b.tp_comm_s}, {"DP comm", b.dp_comm_s},
      {"pipeline bubble", b.pp_bubble_s},     {"pipeline send/recv", b.pp_p2p_s}, {"optimizer", b.optimizer_s},
      {"overhead", b.overhead_s}};
  const auto* best = &parts[0];
  for (const auto& p : parts) {
    if (p.second > best->second) best = &p;
  }
  return fmt::format("{} {:.0f}%", best->first, 100.0 * best->second / r.step_s);
}

}  // namespace

std::string scale_text(const std::string& title, const std::vector<ScalePoint>& pts) {
  std::vector<std::vector<std::string>> rows;
  double base = 0;
  for (const ScalePoint& p : pts) {
    if (!p.found) {
      rows.push_back({std::to_string(p.gpus), std::to_string(p.global_batch), "-", "-", "-", "-", "-", "-", "no layout fits"});
      continue;
    }
    const Result& r = p.best.result;
    if (base == 0) base = r.tokens_per_s_per_gpu;
    const Layout& l = p.best.layout;
    rows.push_back({std::to_string(p.gpus), std::to_string(p.global_batch), fmt::format("{:.4g}", r.step_s),
                    fmt::format("{:.1f}", r.tokens_per_s_per_gpu), fmt::format("{:.1f}", 100.0 * r.mfu),
                    fmt::format("{:.1f}", 100.0 * r.tokens_per_s_per_gpu / base), binding_name(r.binding),
                    largest_loss(r),
                    fmt::format("tp{} cp{} pp{} vpp{} dp{} mb{} rc={} z{}", l.tp, l.cp, l.pp, l.vpp, l.dp, l.micro_batch,
                                recompute_label(l), l.zero)});
  }
  return title + "\n" +
         render_table({"gpus", "global_batch", "step_time_s", "tokens_per_s_per_gpu", "mfu_pct",
                       "scaling_efficiency_pct", "binding", "largest_loss", "best layout"},
                      rows);
}

nlohmann::json scale_json(const std::vector<ScalePoint>& pts) {
  nlohmann::json a = nlohmann::json::array();
  for (const ScalePoint& p : pts) {
    nlohmann::json j = {{"gpus", p.gpus}, {"global_batch", p.global_batch}, {"found", p.found},
                        {"considered", p.considered}, {"evaluated", p.evaluated}};
    if (p.found) {
      const Result& r = p.best.result;
      const Layout& l = p.best.layout;
      j["step_time_s"] = r.step_s;
      j["tokens_per_s_per_gpu"] = r.tokens_per_s_per_gpu;
      j["mfu"] = r.mfu;
      j["binding"] = binding_name(r.binding);
      j["largest_loss"] = largest_loss(r);
      j["layout"] = {{"tp", l.tp}, {"cp", l.cp}, {"pp", l.pp}, {"vpp", l.vpp}, {"dp", l.dp},
                     {"micro_batch", l.micro_batch}, {"sequence_parallel", l.sequence_parallel},
                     {"recompute", recompute_name(l.recompute)}, {"recompute_num_layers", l.recompute_num_layers},
                     {"zero", l.zero}, {"dp_shard", dp_shard_of(l)}};
    }
    a.push_back(j);
  }
  return {{"points", a}};
}

std::string scale_svg(const std::string& title, const std::vector<ScalePoint>& pts) {
  const double W = 900, H = 500, L = 80, R = 30, T = 50, B = 60;
  double ymax = 0;
  int gmin = 0, gmax = 0;
  for (const ScalePoint& p : pts) {
    if (!p.found) continue;
    ymax = std::max(ymax, p.best.result.tokens_per_s_per_gpu);
    gmin = gmin == 0 ? p.gpus : std::min(gmin, p.gpus);
    gmax = std::max(gmax, p.gpus);
  }
  std::string title_esc;
  for (char c : title) title_esc += c == '<' ? std::string("&lt;") : c == '&' ? std::string("&amp;") : std::string(1, c);
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\" font-family=\"sans-serif\" "
      "font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"{:.0f}\" y=\"25\" "
      "font-size=\"14\">{}</text>\n<line x1=\"{:.0f}\" y1=\"{:.0f}\" x2=\"{:.0f}\" y2=\"{:.0f}\" stroke=\"black\"/>\n"
      "<line x1=\"{:.0f}\" y1=\"{:.0f}\" x2=\"{:.0f}\" y2=\"{:.0f}\" stroke=\"black\"/>\n",
      W, H, L, title_esc, L, H - B, W - R, H - B, L, T, L, H - B);
  if (ymax <= 0 || gmin <= 0) return s + "<text x=\"100\" y=\"100\">no layout fits at any size</text>\n</svg>\n";
  ymax *= 1.1;
  const double lx0 = std::log2(static_cast<double>(gmin)), lx1 = std::log2(static_cast<double>(gmax));
  auto X = [&](int g) {
    return lx1 > lx0 ? L + (std::log2(static_cast<double>(g)) - lx0) / (lx1 - lx0) * (W - L - R) : (L + W - R) / 2;
  };
  auto Y = [&](double v) { return H - B - v / ymax * (H - T - B); };
  std::string path, mfu_path;
  for (const ScalePoint& p : pts) {
    if (!p.found) continue;
    const double x = X(p.gpus), y = Y(p.best.result.tokens_per_s_per_gpu);
    path += fmt::format("{}{:.1f},{:.1f} ", path.empty() ? "M" : "L", x, y);
    s += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4\" fill=\"#4c78a8\"><title>{} GPUs: {:.1f} tokens/s/GPU, "
                     "MFU {:.1f}%, {}</title></circle>\n",
                     x, y, p.gpus, p.best.result.tokens_per_s_per_gpu, 100 * p.best.result.mfu,
                     binding_name(p.best.result.binding));
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.0f}\" text-anchor=\"middle\">{}</text>\n", x, H - B + 18, p.gpus);
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#555\">{}</text>\n",
                     x, y - 8, largest_loss(p.best.result));
  }
  s += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"#4c78a8\" stroke-width=\"2\"/>\n", path);
  for (int i = 0; i <= 4; ++i) {
    const double v = ymax * i / 4;
    s += fmt::format("<text x=\"{:.0f}\" y=\"{:.1f}\" text-anchor=\"end\">{:.0f}</text>\n", L - 6, Y(v) + 4, v);
  }
  s += fmt::format("<text x=\"{:.0f}\" y=\"{:.0f}\" text-anchor=\"middle\">GPUs (log scale)</text>\n", (L + W - R) / 2,
                   H - 15);
  s += fmt::format("<text x=\"20\" y=\"{:.0f}\" transform=\"rotate(-90 20 {:.0f})\" text-anchor=\"middle\">"
                   "tokens/s per GPU (best layout)</text>\n</svg>\n",
                   (T + H - B) / 2, (T + H - B) / 2);
  return s;
}

}  // namespace danlu
