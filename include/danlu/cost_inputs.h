// danlu/cost_inputs.h — builds CostInputs (danlu/cost.h) from data/costs.yaml (embedded),
// the accelerator catalog (price, TDP, server share) and an optional override file with the
// same sections (build, rent, gpu_hour_usd). Each figure used is returned with its source so
// the report can show every assumption. Bad values and unknown keys throw InputError with
// file:line, the allowed range and the closest known key.
#pragma once

#include <string>
#include <vector>

#include "danlu/catalog.h"
#include "danlu/cost.h"

namespace danlu {

struct CostAssumption {
  std::string key;
  double value = 0;
  std::string source;
  bool uncertain = false;
};

struct CostSetup {
  CostInputs in;
  std::string rent_tier;                     // on_demand | reserved | market | "given"
  std::vector<CostAssumption> assumptions;   // every figure that entered the estimate
};

// `rent` is a tier name (on_demand, reserved, market) or a price in USD per GPU-hour; empty
// picks market, then reserved, then on_demand. `years` and `utilisation` <= 0 keep the file's.
CostSetup load_cost_setup(const Catalog& cat, const std::string& accelerator, int gpus, double years,
                          double utilisation, const std::string& rent, const std::string& overrides_text,
                          const std::string& overrides_origin);

// The built-in data/costs.yaml text.
const char* default_costs();

}  // namespace danlu
