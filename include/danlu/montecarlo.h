// danlu/montecarlo.h — a seeded Monte Carlo of a whole training run under failures.
//
// The run is `work_s` seconds of useful training cut into segments of `interval_s` of work,
// each followed by a checkpoint write of `checkpoint_s`. Interruptions arrive as a Poisson
// process with mean time between failures `mtbf_s` (exponential gaps); an interruption loses
// the segment in progress (work since the last completed checkpoint) and costs `restart_s`
// before the segment starts again. Interruptions during a restart are not modelled.
//
// For one segment of length L = interval + checkpoint the expected wall time is exactly
//   E[T] = (M + R + X) (e^{L/M} - 1)      (X = extra_loss_s)
// (the classic result for restart-from-checkpoint with exponential failures); the expected run
// is the sum over segments. `expected_wall_s` gives it so tests can check the simulation
// converges to it. Draws come from std::mt19937_64 seeded with `seed`: the same seed gives
// the same answer on the same standard library.
#pragma once

#include <atomic>
#include <cstdint>

namespace danlu {

struct FailureRun {
  double work_s = 0;
  double interval_s = 0;
  double checkpoint_s = 0;
  double restart_s = 0;
  double mtbf_s = 0;       // job MTBF; <= 0 means no failures
  double extra_loss_s = 0; // per interruption, beyond the segment in progress: an asynchronous
                           // checkpoint write still in flight (its work is lost too)
};

struct MonteCarloResult {
  int trials = 0;
  double mean_wall_s = 0, p50_wall_s = 0, p90_wall_s = 0, stddev_wall_s = 0;
  double mean_failures = 0;
  double effective_ratio = 0;   // work_s / mean wall (Meta's "effective training time")
  // Completion-time histogram: kBins equal bins from the fastest to the slowest trial.
  static constexpr int kBins = 20;
  double min_wall_s = 0, max_wall_s = 0;
  int histogram[kBins] = {};
};

// Exact expectation of the wall time of the whole run.
double expected_wall_s(const FailureRun& run) noexcept;

// `trials` >= 1 independent runs. `stop` (may be null) is polled between trials: when it
// becomes true the result covers the trials done so far. `progress` (may be null) is called
// with (done, total) every few trials.
MonteCarloResult simulate_failures(const FailureRun& run, int trials, std::uint64_t seed,
                                   const std::atomic<bool>* stop = nullptr,
                                   void (*progress)(int done, int total) = nullptr);

}  // namespace danlu
