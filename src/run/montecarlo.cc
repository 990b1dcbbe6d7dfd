// Monte Carlo of a run under failures (danlu/montecarlo.h).
#include "danlu/montecarlo.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace danlu {

namespace {
double segment_expectation(double len, const FailureRun& r) {
  if (r.mtbf_s <= 0) return len;
  return (r.mtbf_s + r.restart_s + r.extra_loss_s) * std::expm1(len / r.mtbf_s);
}
}  // namespace

double expected_wall_s(const FailureRun& r) noexcept {
  if (r.work_s <= 0) return 0;
  const double interval = r.interval_s > 0 ? std::min(r.interval_s, r.work_s) : r.work_s;
  const double full = std::floor(r.work_s / interval);
  const double rest = r.work_s - full * interval;
  double t = full * segment_expectation(interval + r.checkpoint_s, r);
  if (rest > 0) t += segment_expectation(rest + r.checkpoint_s, r);
  return t;
}

MonteCarloResult simulate_failures(const FailureRun& r, int trials, std::uint64_t seed, const std::atomic<bool>* stop,
                                   void (*progress)(int, int)) {
  MonteCarloResult out;
  if (trials < 1 || r.work_s <= 0) return out;
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> gap(r.mtbf_s > 0 ? 1.0 / r.mtbf_s : 1.0);
  const double interval = r.interval_s > 0 ? std::min(r.interval_s, r.work_s) : r.work_s;
  const double full = std::floor(r.work_s / interval);
  const double rest = r.work_s - full * interval;
  const long segments = static_cast<long>(full);
  std::vector<double> walls;
  walls.reserve(static_cast<size_t>(trials));
  double failures = 0;
  auto run_segment = [&](double len, double* wall) {
    if (r.mtbf_s <= 0) {
      *wall += len;
      return;
    }
    for (;;) {
      const double t = gap(rng);
      if (t >= len) {
        *wall += len;
        return;
      }
      *wall += t + r.restart_s + r.extra_loss_s;
      failures += 1;
    }
  };
  for (int i = 0; i < trials; ++i) {
    if (stop != nullptr && stop->load()) break;
    double wall = 0;
    for (long s = 0; s < segments; ++s) run_segment(interval + r.checkpoint_s, &wall);
    if (rest > 0) run_segment(rest + r.checkpoint_s, &wall);
    walls.push_back(wall);
    if (progress != nullptr && (i + 1) % 16 == 0) progress(i + 1, trials);
  }
  if (walls.empty()) return out;
  out.trials = static_cast<int>(walls.size());
  double sum = 0, sq = 0;
  for (double w : walls) sum += w;
  out.mean_wall_s = sum / out.trials;
  for (double w : walls) sq += (w - out.mean_wall_s) * (w - out.mean_wall_s);
  out.stddev_wall_s = out.trials > 1 ? std::sqrt(sq / (out.trials - 1)) : 0;
  std::sort(walls.begin(), walls.end());
  auto pct = [&](double q) {
    const double pos = q * (out.trials - 1);
    const size_t lo = static_cast<size_t>(std::floor(pos));
    const size_t hi = std::min(lo + 1, walls.size() - 1);
    return walls[lo] + (pos - static_cast<double>(lo)) * (walls[hi] - walls[lo]);
  };
  out.p50_wall_s = pct(0.5);
  out.p90_wall_s = pct(0.9);
  out.min_wall_s = walls.front();
  out.max_wall_s = walls.back();
  const double width = (out.max_wall_s - out.min_wall_s) / MonteCarloResult::kBins;
  for (double w : walls) {
    const int bin = width > 0 ? static_cast<int>((w - out.min_wall_s) / width) : 0;
    ++out.histogram[std::min(bin, MonteCarloResult::kBins - 1)];
  }
  out.mean_failures = failures / out.trials;
  out.effective_ratio = r.work_s / out.mean_wall_s;
  return out;
}

}  // namespace danlu
