// danlu/forecast.h — "train now, or wait for the next GPU?". Each option is an accelerator
// with the year it can start, the run's predicted days and GPU-hours (danlu plan) and a price
// per GPU-hour. A trained model loses value with a half-life (the talk: half its value a
// year later, talk-claims.md C7), so an option finishing later is worth
//   value = 0.5 ^ ((done_year - now_year) / half_life_years)
// of one finished now; the value-adjusted cost is cost / value. A projected next generation
// follows the talk's price claim (C5): `compute_per_generation` x the compute of the newest
// listed part at `price_per_generation` x its price, `generation_years` after its launch.
#pragma once

#include <string>

namespace danlu {

struct ForecastOption {
  std::string id;
  double start_year = 0;       // when the run can start (>= now)
  double days = 0;             // wall days of the run, failures included
  double gpu_hours = 0;
  double usd_per_gpu_hour = 0; // 0 = no price
  bool projected = false;      // a trend projection, not a catalog part
};

struct ForecastRow {
  ForecastOption option;
  double done_year = 0;
  double cost_usd = 0;
  double value = 1;            // of a model finished at `now`
  double value_adjusted_usd = 0;
};

ForecastRow forecast_option(const ForecastOption& o, double now_year, double half_life_years) noexcept;

// The next generation projected from `base`: run time / compute_per_generation (the run is
// assumed to scale with peak compute), price x price_per_generation.
ForecastOption project_next_generation(const ForecastOption& base, double base_launch_year, double generation_years,
                                       double compute_per_generation, double price_per_generation,
                                       double now_year) noexcept;

}  // namespace danlu
