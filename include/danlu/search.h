// danlu/search.h — find the best parallel layouts for a model on a cluster.
//
// Enumerates every legal layout (tp, cp, pp, vpp, dp, micro-batch, sequence parallel,
// recompute, ZeRO stage), rejects the illegal ones by reason, prunes with two bounds that
// never discard a layout that could rank in the top K:
//   * memory: weights + gradients + optimizer states on the most loaded rank, a part of the
//     estimator's own memory total, already exceed usable memory -> every micro-batch,
//     recompute and sequence-parallel variant of that (tp, cp, pp, vpp, dp, zero) is OOM;
//   * time: the GEMM time of pipeline rank 0's work at the large-GEMM efficiency is a lower
//     bound of the step time; a layout whose time bound is above the current K-th best and
//     whose (time, memory) bounds are dominated by a found layout can enter neither the top
//     K nor the Pareto front.
// Survivors get the full estimate. Work is split over threads; each keeps its own top K, and
// the lists are merged (the result does not depend on the thread count).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "danlu/estimate.h"

namespace danlu {

enum class Reject : std::uint8_t {
  kHeadsNotDivisible,
  kSeqNotDivisible,
  kTooManyStages,
  kBatchNotDivisible,
  kOomWeights,          // weights+grads+optimizer alone exceed memory (pruned before estimating)
  kOomFirstStage,       // estimated peak on pipeline rank 0 exceeds usable memory
  kOomMiddleStage,
  kOomLastStage,
  kSlowerThanTopK,      // pruned by the time and memory bounds
  kInterleaveTooFewMb,  // interleaved schedule with fewer micro-batches than stages
  kOther,               // any other check_layout refusal (should not happen)
  kCount
};
const char* reject_name(Reject r);

struct SearchOptions {
  int top_k = 10;
  int threads = 0;                  // 0 = hardware concurrency
  bool prune = true;                // false: estimate every legal layout (for testing)
  int max_micro_batch = 64;         // largest micro-batch tried
  int min_gpus = 0;                 // > 0: also try gpus/2, gpus/4, ... down to this many GPUs
  bool vary_zero = true;            // try ZeRO 0..3 (else only zero = 1)
  // Non-empty: try only these ZeRO stages (a framework's, danlu/framework.h); overrides vary_zero.
  std::vector<int> zero_stages;
  // What the "selective" recompute candidate means on the stack (Megatron's core attention,
  // torchtitan's per-op SAC, XLA's dot-saving policies).
  Recompute selective = Recompute::selective;
  // Execution settings that are not searched (TP-comm overlap, attention kernel, fused
  // elementwise ops) are taken from this layout when given (its degrees are ignored);
  // otherwise flash attention, fused elementwise ops, and the family's TP-overlap default.
  std::optional<Layout> base;
  // > 0: also count every feasible layout strictly faster than this many seconds.
  double count_faster_than_s = 0;
  const std::atomic<bool>* cancel = nullptr;           // set to stop early
  std::function<void(double fraction)> progress;       // called from one thread, ~10 Hz at most
};

struct Candidate {
  Layout layout;
  Result result;
};

struct SearchResult {
  std::vector<Candidate> top;       // best first (step time, then peak memory)
  std::vector<Candidate> pareto;    // step time vs peak memory vs GPUs used, non-dominated, fastest first
  long long considered = 0;         // layouts enumerated
  long long evaluated = 0;          // full estimator evaluations, one per layout
  long long refined = 0;            // further evaluations bisecting block recompute (full:N) of a layout
  long long rejected[static_cast<int>(Reject::kCount)] = {};
  long long faster = 0;             // feasible layouts faster than count_faster_than_s
  bool cancelled = false;
};

// Search layouts for model m on cluster c; w.global_batch and w.seq_len fixed.
SearchResult search_layouts(const Model& m, const Cluster& c, const Workload& w, const SearchOptions& opt);

}  // namespace danlu
