// `danlu forecast` (cli/forecast_cmd.h): for each accelerator, the best layout (search), the
// whole run (plan: failures included), the market rental price (data/costs.yaml), and the
// model's value at completion under a half-life; plus a projected next generation.
#include "cli/output.h"
#include "cli/forecast_cmd.h"
#include "cli/flags.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <map>
#include <vector>

#include "danlu/catalog.h"
#include "danlu/cost_inputs.h"
#include "danlu/error.h"
#include "danlu/forecast.h"
#include "danlu/inputs.h"
#include "danlu/plan.h"
#include "danlu/report.h"
#include "danlu/search.h"
#include "danlu/validate.h"
#include "io/yaml_util.h"

namespace danlu {

namespace {
double current_year() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return 1900.0 + tm.tm_year + tm.tm_yday / 365.25;
}
// Least-squares slope of log(v) on year, as a yearly growth factor.
double yearly_growth(const std::vector<std::pair<double, double>>& pts) {
  if (pts.size() < 2) return NAN;
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const auto& [x, v] : pts) {
    const double y = std::log(v);
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  const double n = static_cast<double>(pts.size());
  const double den = n * sxx - sx * sx;
  if (den == 0) return NAN;
  return std::exp((n * sxy - sx * sy) / den);
}
}  // namespace

int run_hardware_trend(const ForecastFlags& f) {
  const Catalog& cat = builtin_catalog();
  struct Year {
    double tflops = 0, per_kusd = 0, per_w = 0, hbm = 0;
    std::string best;
  };
  std::map<int, Year> years;
  for (const AcceleratorEntry& a : cat.accelerators) {
    if (a.vendor != "NVIDIA" || a.launch_year <= 0 || a.acc.tdp_w < 300) continue;  // data-centre parts
    const double bf16 = a.acc.peak_tflops[static_cast<int>(Precision::bf16)];
    if (bf16 <= 0) continue;
    Year& y = years[a.launch_year];
    if (bf16 > y.tflops) {
      y.tflops = bf16;
      y.best = a.acc.id;
    }
    if (a.price_usd > 0) y.per_kusd = std::max(y.per_kusd, bf16 / (a.price_usd / 1e3));
    y.per_w = std::max(y.per_w, bf16 / a.acc.tdp_w);
    y.hbm = std::max(y.hbm, a.acc.hbm_gib);
  }
  std::vector<std::pair<double, double>> t, d, w, m;
  for (const auto& [yr, y] : years) {
    t.emplace_back(yr, y.tflops);
    if (y.per_kusd > 0) d.emplace_back(yr, y.per_kusd);
    w.emplace_back(yr, y.per_w);
    m.emplace_back(yr, y.hbm);
  }
  const double gt = yearly_growth(t), gd = yearly_growth(d), gw = yearly_growth(w), gm = yearly_growth(m);
  std::string out;
  if (f.json) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& [yr, y] : years) {
      a.push_back({{"year", yr}, {"fastest", y.best}, {"bf16_tflops", y.tflops}, {"bf16_tflops_per_kusd", y.per_kusd},
                   {"bf16_tflops_per_w", y.per_w}, {"max_hbm", y.hbm}});
    }
    auto g = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
    out = nlohmann::json{{"years", a},
                         {"yearly_growth", {{"bf16_tflops", g(gt)}, {"bf16_tflops_per_kusd", g(gd)}, {"bf16_tflops_per_w", g(gw)}, {"max_hbm", g(gm)}}}}
              .dump(2) + "\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [yr, y] : years) {
      rows.push_back({fmt::format("{}", yr), y.best, fmt::format("{:.0f}", y.tflops), y.per_kusd > 0 ? fmt::format("{:.1f}", y.per_kusd) : "-",
                      fmt::format("{:.2f}", y.per_w), fmt::format("{:.0f}", y.hbm)});
    }
    auto pct = [](double v) { return std::isfinite(v) ? fmt::format("{:+.0f} %/year", 100 * (v - 1)) : std::string("-"); };
    rows.push_back({"trend", "(log-linear fit)", pct(gt), pct(gd), pct(gw), pct(gm)});
    out = "danlu forecast --hardware: NVIDIA data-centre parts in the catalog, best per launch year (dense BF16; memory as catalogued)\n\n";
    out += render_table({"year", "fastest", "bf16_tflops", "tflops_per_kusd", "tflops_per_w", "max_hbm_gb"}, rows);
  }
  emit(out);
  return 0;
}

int run_forecast(const ForecastFlags& f, const std::atomic<bool>* cancel) {
  const Catalog& cat = builtin_catalog();
  const Model model = load_model(f.model, cat, nullptr);
  // Every flag but --now and --global-batch has a default, so empty text means the user gave
  // an empty value: refuse it rather than fall back.
  auto given = [](const char* name, const std::string& text) -> const std::string& {
    if (text.empty()) throw InputError(fmt::format("--{}: a value is required", name));
    return text;
  };
  const double tokens = real_flag("tokens", given("tokens", f.tokens), 1, 1e18, 0);
  const int gpus = *int_opt("gpus", given("gpus", f.gpus), 1, 10'000'000);
  const int seq = *int_opt("seq-len", given("seq-len", f.seq_len), 16, 10'000'000);
  const double now = real_flag("now", f.now, 2000, 2100, current_year());
  const double half_life = real_flag("half-life-years", given("half-life-years", f.half_life), 0.01, 100, 0);
  const double gen_years = real_flag("generation-years", given("generation-years", f.generation_years), 0.1, 20, 0);
  const double compute_gen = real_flag("compute-per-generation", given("compute-per-generation", f.compute_per_generation), 1, 100, 0);
  const double price_gen = real_flag("price-per-generation", given("price-per-generation", f.price_per_generation), 0.01, 100, 0);
  Workload w;
  w.seq_len = seq;
  w.global_batch = int_flag("global-batch", f.global_batch, 1, 1'000'000'000).value_or(std::max(1L, 4194304L / seq));

  std::vector<std::string> ids;
  for (size_t pos = 0; pos <= f.accelerators.size();) {
    size_t end = f.accelerators.find(',', pos);
    if (end == std::string::npos) end = f.accelerators.size();
    const std::string id = f.accelerators.substr(pos, end - pos);
    if (id.empty()) throw InputError(fmt::format("--accelerators: empty entry in '{}'", f.accelerators.substr(0, 80)));
    cat.accelerator(id);  // unknown id -> closest-name error before any work
    ids.push_back(id);
    pos = end + 1;
  }

  struct Line {
    ForecastRow row;
    std::string layout;
    int launch_year = 0;
  };
  std::vector<Line> lines;
  const Line* newest = nullptr;
  for (const std::string& id : ids) {
    const AcceleratorEntry& a = cat.accelerator(id);
    const Cluster c = make_cluster(cat, id, gpus, 0, "", 0);
    SearchOptions opt;
    opt.top_k = 1;
    opt.cancel = cancel;
    const SearchResult s = search_layouts(model, c, w, opt);
    if (s.cancelled) throw InputError("forecast: interrupted; nothing written");
    if (s.top.empty()) throw InputError(fmt::format("forecast: no layout of {} fits on {} x {} at seq {} and global batch {}", f.model, gpus, id, seq, w.global_batch));
    const Candidate& best = s.top.front();
    PlanInputs in;
    in.tokens = tokens;
    const PlanResult p = plan_run(model, c, best.layout, w, best.result, in);
    ForecastOption o;
    o.id = id;
    o.start_year = std::max(now, static_cast<double>(a.launch_year));
    o.days = p.days;
    o.gpu_hours = p.gpu_hours;
    try {
      o.usd_per_gpu_hour = load_cost_setup(cat, id, gpus, 0, 0, "market", "", "").in.rent_usd_per_gpu_hour;
    } catch (const InputError&) {
      o.usd_per_gpu_hour = 0;  // no public market price: cost shown as unknown
    }
    const Layout& l = best.layout;
    lines.push_back({forecast_option(o, now, half_life), fmt::format("tp{} pp{} dp{} cp{}", l.tp, l.pp, l.dp, l.cp), a.launch_year});
  }
  // The base of the projection: the newest part, and among equally new ones the fastest.
  for (const Line& x : lines) {
    if (newest == nullptr || x.launch_year > newest->launch_year ||
        (x.launch_year == newest->launch_year && x.row.option.days < newest->row.option.days)) {
      newest = &x;
    }
  }
  const int base_year = newest->launch_year;
  const ForecastOption next = project_next_generation(newest->row.option, base_year, gen_years, compute_gen, price_gen, now);
  newest = nullptr;  // lines may reallocate below
  lines.push_back({forecast_option(next, now, half_life), "(scaled)", base_year + static_cast<int>(std::lround(gen_years))});

  const Line* best = nullptr;
  for (const Line& x : lines) {
    if (x.row.cost_usd <= 0) continue;
    if (best == nullptr || x.row.value_adjusted_usd < best->row.value_adjusted_usd) best = &x;
  }

  std::string out;
  if (f.json) {
    nlohmann::json a = nlohmann::json::array();
    for (const Line& x : lines) {
      const ForecastRow& r = x.row;
      a.push_back({{"accelerator", r.option.id}, {"projected", r.option.projected}, {"layout", x.layout},
                   {"start_year", r.option.start_year}, {"days", r.option.days}, {"done_year", r.done_year},
                   {"gpu_hours", r.option.gpu_hours}, {"usd_per_gpu_hour", r.option.usd_per_gpu_hour},
                   {"cost_usd", r.cost_usd}, {"value_at_done", r.value}, {"value_adjusted_usd", r.value_adjusted_usd}});
    }
    out = nlohmann::json{{"model", f.model}, {"tokens", tokens}, {"gpus", gpus}, {"now_year", now}, {"half_life_years", half_life},
                         {"options", a}, {"best", best ? nlohmann::json(best->row.option.id) : nlohmann::json(nullptr)}}
              .dump(2) + "\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const Line& x : lines) {
      const ForecastRow& r = x.row;
      const bool priced = r.cost_usd > 0;
      rows.push_back({r.option.id, x.layout, fmt::format("{:.2f}", r.option.start_year), fmt::format("{:.1f}", r.option.days),
                      fmt::format("{:.2f}", r.done_year), priced ? fmt::format("{:.2f}", r.option.usd_per_gpu_hour) : "-",
                      priced ? fmt::format("{:.1f}", r.cost_usd / 1e6) : "-", fmt::format("{:.2f}", r.value),
                      priced ? fmt::format("{:.1f}", r.value_adjusted_usd / 1e6) : "-"});
    }
    out = fmt::format("danlu forecast: {} on {:.3g} tokens, {} GPUs each; now {:.2f}; a model loses half its value every {:g} years\n"
                      "(rent at market prices, data/costs.yaml; next generation: {:g}x compute at {:g}x price, {:g} years after the newest part)\n\n",
                      f.model, tokens, gpus, now, half_life, compute_gen, price_gen, gen_years);
    out += render_table({"accelerator", "layout", "start_year", "days", "done_year", "usd_per_gpu_h", "cost_musd", "value_at_done",
                         "value_adjusted_musd"},
                        rows);
    if (best != nullptr) out += fmt::format("\nbest value-adjusted: {}\n", best->row.option.id);
  }
  emit(out);
  return 0;
}

}  // namespace danlu
