// Rent or build (danlu/cost.h).
#include "danlu/cost.h"

#include <cmath>

namespace danlu {

namespace {
// Annual payment per dollar of capex over n years at rate r (straight line when r = 0).
double capital_recovery(double r, double n) {
  if (n <= 0) return 0;
  if (r <= 0) return 1.0 / n;
  const double g = std::pow(1.0 + r, n);
  return r * g / (g - 1.0);
}
}  // namespace

CostResult estimate_cost(const CostInputs& in) noexcept {
  CostResult r;
  const double n = static_cast<double>(in.gpus);
  const double hours_per_year = 8760.0;

  // Capex per GPU.
  const double gpu = in.gpu_price_usd;
  const double server_rest = gpu * (in.server_over_gpu_price - 1.0);
  const double server = gpu + server_rest;
  const double interconnect = in.interconnect_fraction < 1 ? server * in.interconnect_fraction / (1.0 - in.interconnect_fraction) : 0;
  const double storage = in.storage_tb_per_gpu * in.storage_build_usd_per_tb;
  r.it_power_busy_w = in.tdp_w * in.gpu_busy_power_fraction + in.server_w_per_gpu;
  const double peak_it_w = in.tdp_w + in.server_w_per_gpu;  // the facility is sized for peak draw
  const double facility = peak_it_w / 1e6 * in.facility_usd_per_mw;
  const double hardware = server + interconnect + storage;
  r.capex_usd = (hardware + facility) * n;

  const double hw_year = capital_recovery(in.cost_of_capital, in.depreciation_years);
  const double fac_year = capital_recovery(in.cost_of_capital, in.facility_life_years);
  const double y = in.years * n;
  r.gpus_usd = gpu * hw_year * y;
  r.servers_usd = server_rest * hw_year * y;
  r.interconnect_usd = interconnect * hw_year * y;
  r.storage_usd = storage * hw_year * y;
  r.facility_usd = facility * fac_year * y;

  // Electricity is the only cost that moves with utilisation.
  const double idle_w = in.tdp_w * in.gpu_idle_power_fraction + in.server_w_per_gpu;
  const double kwh_cost = in.pue * hours_per_year / 1000.0 * in.electricity_usd_per_kwh * y;  // per IT watt
  const double elec_fixed = idle_w * kwh_cost;
  const double elec_per_u = (r.it_power_busy_w - idle_w) * kwh_cost;
  r.electricity_usd = elec_fixed + in.utilisation * elec_per_u;
  r.staff_usd = in.staff_usd_per_gpu_year * y;
  r.maintenance_usd = in.maintenance_fraction_per_year * hardware * y;
  r.build_usd = r.gpus_usd + r.servers_usd + r.interconnect_usd + r.storage_usd + r.facility_usd + r.electricity_usd +
                r.staff_usd + r.maintenance_usd;
  r.gpu_share = r.build_usd > 0 ? r.gpus_usd / r.build_usd : 0;
  r.vendor_margin_usd = r.gpus_usd * in.vendor_gross_margin;
  r.facility_mw = peak_it_w * n * in.pue / 1e6;
  r.used_gpu_hours = in.utilisation * hours_per_year * y;
  r.build_usd_per_used_gpu_hour = r.used_gpu_hours > 0 ? r.build_usd / r.used_gpu_hours : 0;

  // Renting: pay for the used hours; storage and egress every month.
  r.rent_compute_usd = r.used_gpu_hours * in.rent_usd_per_gpu_hour;
  r.rent_storage_usd = in.storage_tb_per_gpu * in.storage_rent_usd_per_tb_month * 12.0 * y;
  r.rent_egress_usd = in.egress_tb_per_gpu_month * 1000.0 * in.egress_usd_per_gb * 12.0 * y;
  r.rent_usd = r.rent_compute_usd + r.rent_storage_usd + r.rent_egress_usd;

  // Both sides are linear in u: build = B0 + u B1, rent = R0 + u R1.
  const double b0 = r.build_usd - in.utilisation * elec_per_u;
  const double b1 = elec_per_u;
  const double r0 = r.rent_storage_usd + r.rent_egress_usd;
  const double r1 = hours_per_year * y * in.rent_usd_per_gpu_hour;
  r.break_even_utilisation = r1 - b1 > 0 ? (b0 - r0) / (r1 - b1) : INFINITY;
  r.implied_cloud_margin = in.rent_usd_per_gpu_hour > 0
                               ? (in.rent_usd_per_gpu_hour - r.build_usd_per_used_gpu_hour) / in.rent_usd_per_gpu_hour
                               : 0;
  return r;
}

}  // namespace danlu
