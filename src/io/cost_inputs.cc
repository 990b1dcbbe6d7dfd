// Cost inputs from data/costs.yaml and overrides (danlu/cost_inputs.h).
#include "danlu/cost_inputs.h"

#include <fmt/format.h>

#include <cmath>

#include "danlu/error.h"
#include "io/embedded.h"
#include "io/yaml_util.h"

namespace danlu {

const char* default_costs() { return embedded::kCosts; }

namespace {

struct Field {
  const char* section;
  const char* key;
  double CostInputs::*member;
  double lo, hi;
};

constexpr Field kFields[] = {
    {"build", "server_over_gpu_price", &CostInputs::server_over_gpu_price, 1, 10},
    {"build", "interconnect_fraction", &CostInputs::interconnect_fraction, 0, 0.9},
    {"build", "storage_tb_per_gpu", &CostInputs::storage_tb_per_gpu, 0, 1e6},
    {"build", "storage_build_usd_per_tb", &CostInputs::storage_build_usd_per_tb, 0, 1e6},
    {"build", "facility_usd_per_mw", &CostInputs::facility_usd_per_mw, 0, 1e10},
    {"build", "facility_life_years", &CostInputs::facility_life_years, 1, 100},
    {"build", "depreciation_years", &CostInputs::depreciation_years, 0.5, 50},
    {"build", "cost_of_capital", &CostInputs::cost_of_capital, 0, 1},
    {"build", "electricity_usd_per_kwh", &CostInputs::electricity_usd_per_kwh, 0, 10},
    {"build", "pue", &CostInputs::pue, 1, 5},
    {"build", "gpu_busy_power_fraction", &CostInputs::gpu_busy_power_fraction, 0, 1.5},
    {"build", "gpu_idle_power_fraction", &CostInputs::gpu_idle_power_fraction, 0, 1},
    {"build", "staff_usd_per_gpu_year", &CostInputs::staff_usd_per_gpu_year, 0, 1e7},
    {"build", "maintenance_fraction_per_year", &CostInputs::maintenance_fraction_per_year, 0, 1},
    {"build", "vendor_gross_margin", &CostInputs::vendor_gross_margin, 0, 0.99},
    {"build", "utilisation", &CostInputs::utilisation, 0.001, 1},
    {"build", "gpu_price_usd", &CostInputs::gpu_price_usd, 1, 1e8},
    {"build", "server_w_per_gpu", &CostInputs::server_w_per_gpu, 0, 1e5},
    {"rent", "storage_usd_per_tb_month", &CostInputs::storage_rent_usd_per_tb_month, 0, 1e5},
    {"rent", "egress_usd_per_gb", &CostInputs::egress_usd_per_gb, 0, 100},
    {"rent", "egress_tb_per_gpu_month", &CostInputs::egress_tb_per_gpu_month, 0, 1e6},
};

constexpr const char* kTiers[] = {"market", "reserved", "on_demand"};

std::vector<std::string> keys_of(const char* section) {
  std::vector<std::string> out;
  for (const Field& f : kFields) {
    if (std::string(f.section) == section) out.emplace_back(f.key);
  }
  return out;
}

void upsert(std::vector<CostAssumption>* list, CostAssumption a) {
  for (CostAssumption& x : *list) {
    if (x.key == a.key) {
      x = std::move(a);
      return;
    }
  }
  list->push_back(std::move(a));
}

// Read the build/rent sections of one file into `in`, recording sources.
void read_sections(const YAML::Node& root, const std::string& origin, bool strict, CostInputs* in,
                   std::vector<CostAssumption>* used) {
  for (const char* section : {"build", "rent"}) {
    const YAML::Node s = root[section];
    if (!s) continue;
    if (!s.IsMap()) throw InputError(fmt::format("{}: '{}' must be a mapping of figures", io::where(origin, s), section));
    if (strict) {
      const std::vector<std::string> known = keys_of(section);
      for (const auto& kv : s) {
        const std::string k = kv.first.Scalar();
        bool ok = false;
        for (const std::string& x : known) ok = ok || x == k;
        if (!ok) {
          throw InputError(fmt::format("{}: unknown {} figure '{}'{}", io::where(origin, kv.first), section, k.substr(0, 40),
                                       did_you_mean(k, known)));
        }
      }
    }
    for (const Field& f : kFields) {
      if (std::string(f.section) != section || !s[f.key]) continue;
      const double v = io::number(s, f.key, origin, true, 0, f.lo, f.hi);
      in->*f.member = v;
      std::string src = io::source_of(s, f.key);
      if (src.empty()) src = fmt::format("given in {}", origin);
      upsert(used, {f.key, v, src, io::uncertain_of(s, f.key)});
    }
  }
}

}  // namespace

CostSetup load_cost_setup(const Catalog& cat, const std::string& accelerator, int gpus, double years,
                          double utilisation, const std::string& rent, const std::string& overrides_text,
                          const std::string& overrides_origin) {
  const AcceleratorEntry& acc = cat.accelerator(accelerator);
  CostSetup out;
  CostInputs& in = out.in;
  in.gpus = gpus;
  in.tdp_w = acc.acc.tdp_w;
  in.server_w_per_gpu = acc.acc.eff.server_w_per_gpu;
  in.gpu_price_usd = acc.price_usd;
  for (const Figure& f : acc.figures) {
    if (f.field == "price_usd") out.assumptions.push_back({"gpu_price_usd", f.value, f.source, f.uncertain});
    if (f.field == "tdp_w") out.assumptions.push_back({"tdp_w", f.value, f.source, f.uncertain});
  }
  out.assumptions.push_back({"server_w_per_gpu", in.server_w_per_gpu,
                             fmt::format("families.yaml, {} family: the GPU's share of its server's other parts", acc.family), true});

  const std::string base_origin = "data/costs.yaml";
  const YAML::Node base = io::parse_yaml(default_costs(), base_origin);
  read_sections(base, base_origin, false, &in, &out.assumptions);
  YAML::Node over;
  if (!overrides_text.empty()) {
    over = io::parse_yaml(overrides_text, overrides_origin);
    if (!over.IsMap()) throw InputError(fmt::format("{}: a cost file is a mapping with build, rent and gpu_hour_usd", overrides_origin));
    for (const auto& kv : over) {
      const std::string k = kv.first.Scalar();
      if (k != "build" && k != "rent" && k != "gpu_hour_usd") {
        throw InputError(fmt::format("{}: unknown section '{}'; allowed: build, rent, gpu_hour_usd{}", io::where(overrides_origin, kv.first),
                                     k.substr(0, 40), did_you_mean(k, {"build", "rent", "gpu_hour_usd"})));
      }
    }
    read_sections(over, overrides_origin, true, &in, &out.assumptions);
  }
  if (years > 0) {
    in.years = years;
    upsert(&out.assumptions, {"years", years, "given on the command line", false});
  } else {
    upsert(&out.assumptions, {"years", in.years, "the talk's three-year horizon (default)", false});
  }
  if (utilisation > 0) {
    if (utilisation > 1) throw InputError(fmt::format("--utilisation {} is outside (0, 1]", utilisation));
    in.utilisation = utilisation;
    upsert(&out.assumptions, {"utilisation", utilisation, "given on the command line", false});
  }
  if (in.gpu_price_usd <= 0) {
    throw InputError(fmt::format("cost: no purchase price for '{}' in the catalog; give build.gpu_price_usd in a --file", accelerator));
  }

  // Rental price: a number, or a tier from the override file, then the built-in table.
  double price = 0;
  if (!rent.empty() && io::parse_number(rent, &price)) {
    if (!(price > 0) || price > 1000) throw InputError(fmt::format("--rent {} is outside (0, 1000] USD per GPU-hour", rent));
    out.rent_tier = "given";
    in.rent_usd_per_gpu_hour = price;
    upsert(&out.assumptions, {"rent_usd_per_gpu_hour", price, "given on the command line", false});
    return out;
  }
  if (!rent.empty()) {
    bool ok = false;
    for (const char* t : kTiers) ok = ok || rent == t;
    if (!ok) {
      throw InputError(fmt::format("--rent '{}': allowed: market, reserved, on_demand or a price in USD per GPU-hour{}",
                                   rent.substr(0, 40), did_you_mean(rent, {"market", "reserved", "on_demand"})));
    }
  }
  auto lookup = [&](const YAML::Node& root, const std::string& origin) -> bool {
    const YAML::Node table = root["gpu_hour_usd"];
    if (!table) return false;
    if (!table.IsMap()) throw InputError(fmt::format("{}: gpu_hour_usd must map accelerator ids to tiers", io::where(origin, table)));
    const YAML::Node row = table[accelerator];
    if (!row) return false;
    if (!row.IsMap()) throw InputError(fmt::format("{}: gpu_hour_usd.{} must map tiers to prices", io::where(origin, row), accelerator));
    for (const auto& kv : row) {
      const std::string k = kv.first.Scalar();
      bool ok = false;
      for (const char* t : kTiers) ok = ok || k == t;
      if (!ok) {
        throw InputError(fmt::format("{}: unknown rent tier '{}'; allowed: market, reserved, on_demand{}", io::where(origin, kv.first),
                                     k.substr(0, 40), did_you_mean(k, {"market", "reserved", "on_demand"})));
      }
    }
    for (const char* t : kTiers) {
      if (!rent.empty() && rent != t) continue;
      if (!row[t]) continue;
      const double v = io::number(row, t, origin, true, 0, 0.01, 1000);
      out.rent_tier = t;
      in.rent_usd_per_gpu_hour = v;
      std::string src = io::source_of(row, t);
      if (src.empty()) src = fmt::format("given in {}", origin);
      upsert(&out.assumptions, {"rent_usd_per_gpu_hour", v, src, io::uncertain_of(row, t)});
      return true;
    }
    return false;
  };
  if (over && lookup(over, overrides_origin)) return out;
  if (lookup(base, base_origin)) return out;
  throw InputError(fmt::format("cost: no {} rental price for '{}' in data/costs.yaml; give --rent USD or gpu_hour_usd.{} in a --file",
                               rent.empty() ? "public" : rent, accelerator, accelerator));
}

}  // namespace danlu
