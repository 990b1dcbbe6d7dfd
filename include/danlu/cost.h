// danlu/cost.h — rent or build: what a GPU cluster costs over N years when owned, against
// renting the same GPU-hours.
//
//  * build capex per GPU: the GPU's price, the rest of its server (Epoch AI's server / GPU
//    price ratio), the cluster interconnect as a fraction of cluster hardware (Epoch), storage,
//    and the facility priced per MW of critical IT load (Cushman & Wakefield) at the GPU's
//    peak IT draw (TDP + its share of the server). Hardware is annualised over its
//    depreciation life, the facility over its own, both with the capital recovery factor
//    r(1+r)^n / ((1+r)^n - 1) (straight line when r = 0).
//  * build opex per GPU-year: electricity at utilisation u — IT power idle + u x (busy - idle),
//    times PUE — plus staff and maintenance as a fraction of hardware capex.
//  * rent: the used GPU-hours (u x 8760 h per year) at a tier's price, plus storage per
//    TB-month and egress per GB.
//  * break-even utilisation: the u at which owning equals renting (both linear in u); above
//    it building is cheaper. The implied cloud margin is (rent - build cost per used GPU-hour
//    at that utilisation) / rent.
// Every default lives in data/costs.yaml with its source.
#pragma once

namespace danlu {

struct CostInputs {
  int gpus = 1;
  double years = 3;
  double utilisation = 0.8;
  double gpu_price_usd = 0;
  double tdp_w = 0;
  double server_w_per_gpu = 0;
  double rent_usd_per_gpu_hour = 0;
  // build
  double server_over_gpu_price = 1.64;
  double interconnect_fraction = 0.19;
  double storage_tb_per_gpu = 0;
  double storage_build_usd_per_tb = 0;
  double facility_usd_per_mw = 0;
  double facility_life_years = 15;
  double depreciation_years = 5;
  double cost_of_capital = 0;
  double electricity_usd_per_kwh = 0;
  double pue = 1.3;
  double gpu_busy_power_fraction = 0.75;
  double gpu_idle_power_fraction = 0.25;
  double staff_usd_per_gpu_year = 0;
  double maintenance_fraction_per_year = 0;
  double vendor_gross_margin = 0;
  // rent
  double storage_rent_usd_per_tb_month = 0;
  double egress_usd_per_gb = 0;
  double egress_tb_per_gpu_month = 0;
};

// Totals over `years` for the whole cluster, USD.
struct CostResult {
  // build, by line item
  double gpus_usd = 0, servers_usd = 0, interconnect_usd = 0, storage_usd = 0, facility_usd = 0;
  double electricity_usd = 0, staff_usd = 0, maintenance_usd = 0;
  double build_usd = 0;
  double capex_usd = 0;                 // up-front purchase: hardware + facility
  double gpu_share = 0;                 // gpus_usd / build_usd (the talk: about half)
  double vendor_margin_usd = 0;         // part of gpus_usd that is the vendor's gross margin
  double it_power_busy_w = 0;           // per GPU, with its server share, at full load
  double facility_mw = 0;               // peak facility power, MW (IT x PUE)
  double used_gpu_hours = 0;
  double build_usd_per_used_gpu_hour = 0;
  // rent
  double rent_compute_usd = 0, rent_storage_usd = 0, rent_egress_usd = 0, rent_usd = 0;
  // decision
  double break_even_utilisation = 0;    // > 1: renting always cheaper; <= 0: building always cheaper
  double implied_cloud_margin = 0;      // (rent price - build cost per used GPU-hour) / rent price
};

// Pure: no I/O. Inputs are validated by the loader (positive prices, fractions in [0, 1]).
CostResult estimate_cost(const CostInputs& in) noexcept;

}  // namespace danlu
