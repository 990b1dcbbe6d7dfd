// Rent or build: the cost model's identities and the loader's defaults and overrides.
#include <gtest/gtest.h>

#include <cmath>

#include "danlu/catalog.h"
#include "danlu/cost.h"
#include "danlu/cost_inputs.h"
#include "danlu/error.h"

namespace {

danlu::CostSetup setup(const std::string& acc = "h100-sxm", int gpus = 1024, const std::string& rent = "",
                       const std::string& file = "") {
  return danlu::load_cost_setup(danlu::builtin_catalog(), acc, gpus, 0, 0, rent, file, "override.yaml");
}

double sum_build(const danlu::CostResult& r) {
  return r.gpus_usd + r.servers_usd + r.interconnect_usd + r.storage_usd + r.facility_usd + r.electricity_usd + r.staff_usd +
         r.maintenance_usd;
}

TEST(Cost, LineItemsSumAndScaleWithGpus) {
  danlu::CostInputs in = setup().in;
  in.staff_usd_per_gpu_year = 2000;
  in.maintenance_fraction_per_year = 0.05;
  const danlu::CostResult a = danlu::estimate_cost(in);
  EXPECT_NEAR(sum_build(a), a.build_usd, 1e-9 * a.build_usd);
  EXPECT_NEAR(a.rent_compute_usd + a.rent_storage_usd + a.rent_egress_usd, a.rent_usd, 1e-9 * a.rent_usd);
  in.gpus *= 2;
  const danlu::CostResult b = danlu::estimate_cost(in);
  EXPECT_NEAR(b.build_usd, 2 * a.build_usd, 1e-9 * b.build_usd);
  EXPECT_NEAR(b.rent_usd, 2 * a.rent_usd, 1e-9 * b.rent_usd);
  EXPECT_NEAR(b.gpu_share, a.gpu_share, 1e-12);
}

TEST(Cost, BreakEvenUtilisationEqualisesBothSides) {
  for (const char* acc : {"h100-sxm", "a100-sxm-80gb", "b200", "mi300x"}) {
    danlu::CostInputs in = setup(acc).in;
    in.egress_tb_per_gpu_month = 0.5;
    const double u = danlu::estimate_cost(in).break_even_utilisation;
    ASSERT_TRUE(std::isfinite(u)) << acc;
    if (u <= 0 || u > 1) continue;
    in.utilisation = u;
    const danlu::CostResult r = danlu::estimate_cost(in);
    EXPECT_NEAR(r.build_usd, r.rent_usd, 1e-9 * r.rent_usd) << acc;
    in.utilisation = std::min(1.0, u * 1.2);
    const danlu::CostResult above = danlu::estimate_cost(in);
    EXPECT_LT(above.build_usd, above.rent_usd) << acc;
  }
}

TEST(Cost, StraightLineAndCapitalRecovery) {
  danlu::CostInputs in = setup().in;
  in.years = 3;
  in.depreciation_years = 5;
  in.cost_of_capital = 0;
  const danlu::CostResult flat = danlu::estimate_cost(in);
  EXPECT_NEAR(flat.gpus_usd, in.gpu_price_usd * in.gpus * 3.0 / 5.0, 1e-6);
  in.cost_of_capital = 0.08;
  const danlu::CostResult financed = danlu::estimate_cost(in);
  // 8 % over 5 years: annual payment 0.2505 per dollar.
  EXPECT_NEAR(financed.gpus_usd / flat.gpus_usd, 0.25046 / 0.2, 1e-4);
}

TEST(Cost, UtilisationMovesOnlyElectricityAndRent) {
  danlu::CostInputs in = setup().in;
  in.utilisation = 0.4;
  const danlu::CostResult lo = danlu::estimate_cost(in);
  in.utilisation = 0.8;
  const danlu::CostResult hi = danlu::estimate_cost(in);
  EXPECT_DOUBLE_EQ(lo.gpus_usd, hi.gpus_usd);
  EXPECT_GT(hi.electricity_usd, lo.electricity_usd);
  EXPECT_NEAR(hi.rent_compute_usd, 2 * lo.rent_compute_usd, 1e-9 * hi.rent_compute_usd);
  EXPECT_LT(hi.build_usd_per_used_gpu_hour, lo.build_usd_per_used_gpu_hour);
}

// The talk's money claims, recomputed from the sourced defaults (not asserted by construction:
// different catalog prices would move them).
TEST(Cost, TalkClaimsFromSourcedDefaults) {
  danlu::CostInputs in = setup().in;
  in.depreciation_years = 3;  // the talk counts the GPU inside a three-year cost
  const danlu::CostResult r = danlu::estimate_cost(in);
  EXPECT_GT(r.gpu_share, 0.35);  // "GPUs are about half of a three-year cost"
  EXPECT_LT(r.gpu_share, 0.65);
  EXPECT_GT(r.facility_mw / 1.024, 0.8);  // "1,000 chips need a megawatt"
  EXPECT_LT(r.facility_mw / 1.024, 2.0);
  EXPECT_GT(r.rent_storage_usd, 10 * r.storage_usd);  // cloud storage vs owned disks
}

TEST(Cost, LoaderTiersAndOverrides) {
  EXPECT_EQ(setup().rent_tier, "market");
  EXPECT_DOUBLE_EQ(setup("h100-sxm", 8, "on_demand").in.rent_usd_per_gpu_hour, 12.29);
  const danlu::CostSetup given = setup("h100-sxm", 8, "1.5");
  EXPECT_EQ(given.rent_tier, "given");
  EXPECT_DOUBLE_EQ(given.in.rent_usd_per_gpu_hour, 1.5);
  const danlu::CostSetup over =
      setup("h100-sxm", 8, "", "build:\n  pue: {value: 1.1, source: mine}\ngpu_hour_usd:\n  h100-sxm:\n    market: 2.0\n");
  EXPECT_DOUBLE_EQ(over.in.pue, 1.1);
  EXPECT_DOUBLE_EQ(over.in.rent_usd_per_gpu_hour, 2.0);
  bool sourced = false;
  for (const auto& a : over.assumptions) sourced = sourced || (a.key == "pue" && a.source == "mine");
  EXPECT_TRUE(sourced);
  // Every built-in figure that entered the estimate carries a source.
  for (const auto& a : setup().assumptions) EXPECT_FALSE(a.source.empty()) << a.key;
  EXPECT_THROW(setup("h100-sxm", 8, "", "build:\n  pue: 0.9\n"), danlu::InputError);
  EXPECT_THROW(setup("h100-pcie", 8, "on_demand"), danlu::InputError);  // no public on-demand figure
}

}  // namespace
