// `danlu cost` (cli/cost_cmd.h).
#include "cli/output.h"
#include "cli/cost_cmd.h"
#include "cli/flags.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "danlu/catalog.h"
#include "danlu/cost_inputs.h"
#include "danlu/error.h"
#include "danlu/inputs.h"
#include "danlu/report.h"

namespace danlu {

namespace {
std::string money(double usd) {
  if (std::fabs(usd) >= 1e9) return fmt::format("{:.2f} B", usd / 1e9);
  if (std::fabs(usd) >= 1e6) return fmt::format("{:.2f} M", usd / 1e6);
  if (std::fabs(usd) >= 1e3) return fmt::format("{:.1f} K", usd / 1e3);
  return fmt::format("{:.2f}", usd);
}

std::string verdict(const CostResult& r, double u) {
  if (!std::isfinite(r.break_even_utilisation) || r.break_even_utilisation > 1) return "renting is cheaper at any utilisation";
  if (r.break_even_utilisation <= 0) return "building is cheaper at any utilisation";
  return fmt::format("building is cheaper above {:.0f} % utilisation; at {:.0f} % {}", 100 * r.break_even_utilisation, 100 * u,
                     u > r.break_even_utilisation ? "build" : "rent");
}
}  // namespace

int run_cost(const CostFlags& f) {
  const int gpus = int_opt("gpus", f.gpus, 1, 10'000'000).value_or(0);
  if (gpus == 0) throw InputError("--gpus: a whole number in [1, 10000000] is required");
  const double years = real_flag("years", f.years, 0.1, 30, 0);
  const double util = real_flag("utilisation", f.utilisation, 0.001, 1, 0);
  const std::string text = f.file.empty() ? std::string() : read_text_file(f.file);
  const CostSetup s = load_cost_setup(builtin_catalog(), f.accelerator, gpus, years, util, f.rent, text, f.file);
  const CostResult r = estimate_cost(s.in);
  const double be = std::isfinite(r.break_even_utilisation) ? r.break_even_utilisation : -1;

  if (f.json) {
    nlohmann::json a = nlohmann::json::array();
    for (const CostAssumption& x : s.assumptions) a.push_back({{"key", x.key}, {"value", x.value}, {"source", x.source}, {"uncertain", x.uncertain}});
    const nlohmann::json j = {
        {"accelerator", f.accelerator}, {"gpus", s.in.gpus}, {"years", s.in.years}, {"utilisation", s.in.utilisation},
        {"rent_tier", s.rent_tier}, {"rent_usd_per_gpu_hour", s.in.rent_usd_per_gpu_hour},
        {"build", {{"gpus_usd", r.gpus_usd}, {"servers_usd", r.servers_usd}, {"interconnect_usd", r.interconnect_usd},
                   {"storage_usd", r.storage_usd}, {"facility_usd", r.facility_usd}, {"electricity_usd", r.electricity_usd},
                   {"staff_usd", r.staff_usd}, {"maintenance_usd", r.maintenance_usd}, {"total_usd", r.build_usd},
                   {"capex_usd", r.capex_usd}, {"gpu_share", r.gpu_share}, {"vendor_margin_usd", r.vendor_margin_usd},
                   {"usd_per_used_gpu_hour", r.build_usd_per_used_gpu_hour}, {"facility_mw", r.facility_mw},
                   {"it_peak_kw", r.facility_mw * 1000.0 / s.in.pue}}},
        {"storage_cloud_year_over_purchase",
         s.in.storage_build_usd_per_tb > 0 ? nlohmann::json(12.0 * s.in.storage_rent_usd_per_tb_month / s.in.storage_build_usd_per_tb)
                                           : nlohmann::json(nullptr)},
        {"rent", {{"compute_usd", r.rent_compute_usd}, {"storage_usd", r.rent_storage_usd}, {"egress_usd", r.rent_egress_usd},
                  {"total_usd", r.rent_usd}}},
        {"used_gpu_hours", r.used_gpu_hours},
        {"break_even_utilisation", be < 0 ? nlohmann::json(nullptr) : nlohmann::json(be)},
        {"implied_cloud_margin", r.implied_cloud_margin},
        {"assumptions", a}};
    const std::string out = j.dump(2) + "\n";
    emit(out);
    return 0;
  }

  auto pct = [&](double v) { return r.build_usd > 0 ? fmt::format("{:.1f}", 100 * v / r.build_usd) : std::string("-"); };
  std::vector<std::vector<std::string>> build = {
      {"GPUs", money(r.gpus_usd), pct(r.gpus_usd)},
      {"rest of the servers", money(r.servers_usd), pct(r.servers_usd)},
      {"cluster interconnect", money(r.interconnect_usd), pct(r.interconnect_usd)},
      {"storage", money(r.storage_usd), pct(r.storage_usd)},
      {"facility (per MW, amortised)", money(r.facility_usd), pct(r.facility_usd)},
      {"electricity", money(r.electricity_usd), pct(r.electricity_usd)},
      {"staff", money(r.staff_usd), pct(r.staff_usd)},
      {"maintenance", money(r.maintenance_usd), pct(r.maintenance_usd)},
      {"total", money(r.build_usd), "100.0"}};
  const double rent_total = r.rent_usd;
  auto rpct = [&](double v) { return rent_total > 0 ? fmt::format("{:.1f}", 100 * v / rent_total) : std::string("-"); };
  std::vector<std::vector<std::string>> rent = {
      {fmt::format("GPU-hours ({} at {:.2f} USD)", s.rent_tier, s.in.rent_usd_per_gpu_hour), money(r.rent_compute_usd), rpct(r.rent_compute_usd)},
      {"storage", money(r.rent_storage_usd), rpct(r.rent_storage_usd)},
      {"egress", money(r.rent_egress_usd), rpct(r.rent_egress_usd)},
      {"total", money(rent_total), "100.0"}};
  std::vector<std::vector<std::string>> summary = {
      {"used GPU-hours", fmt::format("{:.4g}", r.used_gpu_hours)},
      {"build USD per used GPU-hour", fmt::format("{:.2f}", r.build_usd_per_used_gpu_hour)},
      {"rent USD per GPU-hour", fmt::format("{:.2f}", s.in.rent_usd_per_gpu_hour)},
      {"GPU share of the build total (%)", fmt::format("{:.1f}", 100 * r.gpu_share)},
      {"vendor gross margin inside it (USD)", money(r.vendor_margin_usd)},
      {"up-front capex (USD)", money(r.capex_usd)},
      {"facility peak power (MW)", fmt::format("{:.2f}", r.facility_mw)},
      {"break-even utilisation (%)", be < 0 ? std::string("never") : fmt::format("{:.1f}", 100 * be)},
      {"implied cloud margin at this utilisation (%)", fmt::format("{:.1f}", 100 * r.implied_cloud_margin)}};
  std::vector<std::vector<std::string>> assumptions;
  for (const CostAssumption& x : s.assumptions) {
    assumptions.push_back({x.key, fmt::format("{:.6g}", x.value), (x.uncertain ? "[uncertain] " : "") + x.source});
  }
  std::string out = fmt::format("danlu cost: {} x {} over {:g} years at {:.0f} % utilisation (USD, nominal)\n\n", s.in.gpus,
                                f.accelerator, s.in.years, 100 * s.in.utilisation);
  out += render_table({"build", "usd", "share_pct"}, build) + "\n";
  out += render_table({"rent", "usd", "share_pct"}, rent) + "\n";
  out += render_table({"decision", "value"}, summary) + "\n";
  out += "verdict: " + verdict(r, s.in.utilisation) + "\n\n";
  out += render_table({"assumption", "value", "source"}, assumptions);
  emit(out);
  return 0;
}

}  // namespace danlu
