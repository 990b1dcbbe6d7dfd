// Train now or wait (danlu/forecast.h).
#include "danlu/forecast.h"

#include <algorithm>
#include <cmath>

namespace danlu {

ForecastRow forecast_option(const ForecastOption& o, double now_year, double half_life_years) noexcept {
  ForecastRow r;
  r.option = o;
  r.done_year = std::max(now_year, o.start_year) + o.days / 365.25;
  r.cost_usd = o.gpu_hours * o.usd_per_gpu_hour;
  r.value = half_life_years > 0 ? std::pow(0.5, (r.done_year - now_year) / half_life_years) : 1.0;
  r.value_adjusted_usd = r.value > 0 ? r.cost_usd / r.value : 0;
  return r;
}

ForecastOption project_next_generation(const ForecastOption& base, double base_launch_year, double generation_years,
                                       double compute_per_generation, double price_per_generation,
                                       double now_year) noexcept {
  ForecastOption n;
  n.id = "next-gen (projected from " + base.id + ")";
  n.projected = true;
  n.start_year = std::max(now_year, base_launch_year + generation_years);
  n.days = base.days / compute_per_generation;
  n.gpu_hours = base.gpu_hours / compute_per_generation;
  n.usd_per_gpu_hour = base.usd_per_gpu_hour * price_per_generation;
  return n;
}

}  // namespace danlu
