// danlu/estimate.h — the training-step estimator: (Model, Cluster, Layout, Workload) -> Result.
//
// A pure function: no I/O, no allocation, no exceptions; safe to call from many threads.
// What it models, and where each formula comes from (details in docs/estimator.md):
//  * GEMMs: roofline (FLOPs at the family's large-GEMM fraction of dense peak, bytes at the
//    sustained HBM rate) with wave quantization over the accelerator's compute units, the
//    effect that makes tensor-parallel-split GEMMs of small models slow.
//  * attention: flash attention (Dao 2022/2023): causal forward = half the score FLOPs, the
//    backward does 2.5x the forward's matmul work; at the family's attention efficiency.
//  * memory-bound ops (norms, activations, residual/dropout, rotary, FP8 casts, loss) as bytes
//    moved over sustained HBM bandwidth; per-layer byte counts after Korthikanti et al. 2022.
//  * communication: alpha-beta ring collectives (Thakur et al. 2005; NCCL's bus-bandwidth
//    convention), two-level hierarchical when a group spans scale-up domains; group placement
//    by Megatron rank order (tp, cp, dp, pp).
//  * pipeline: 1F1B / interleaved bubble (pp-1)/vpp of the slowest rank's micro-batch time
//    (Narayanan et al. 2021 sec. 2.2); uneven first/last stages.
//  * data parallel: gradient all-reduce (ZeRO-0) or reduce-scatter + all-gather (ZeRO-1/2)
//    overlapped with the last micro-batch's backward/first forward; ZeRO-3 per-layer
//    gathers overlapped with compute (Rajbhandari et al. 2020; Zhao et al. 2023, FSDP).
//  * memory: weights/grads/Adam states by ZeRO stage (Rajbhandari et al. 2020, sec. 3),
//    activations by recompute mode and micro-batches in flight (Korthikanti et al. 2022,
//    sec. 4 and eq. 2-5, generalised to GQA, SwiGLU and flash attention).
#pragma once

#include "danlu/hardware.h"
#include "danlu/layout.h"
#include "danlu/model.h"
#include "danlu/result.h"

namespace danlu {

// Why a layout cannot run. kOk when it can.
enum class LayoutIssue {
  kOk,
  kProductMismatch,      // tp*pp*dp*cp != gpus
  kHeadsNotDivisible,    // attention heads % tp != 0
  kTooManyStages,        // pp > layers, or a virtual chunk with no layer
  kBadStageSplit,        // explicit first/last stage layers that do not fit
  kBatchNotDivisible,    // global batch % (micro_batch * dp) != 0
  kSeqNotDivisible,      // seq_len % (2*cp) != 0 (load-balanced context parallel)
  kVppWithoutPp,         // vpp > 1 with pp == 1
  kInterleaveTooFewMb,   // interleaved schedule with fewer micro-batches than pipeline stages
  kPrecisionUnsupported, // the accelerator has no tensor-core rate for this precision
  kExpertsNotDivisible,  // experts % ep != 0
  kEpTooLarge,           // ep*etp does not divide dp*tp*cp (the ranks expert layers fold onto)
  kEtpInvalid,           // etp > 1 on a dense model, or not dividing the expert FFN width
  kZeroRange,            // zero outside 0..3
  kNonPositive,          // a degree, batch or length < 1
  kRecomputeLayers,      // recompute_num_layers without recompute full, or more than a chunk holds
  kRecomputeModules,     // no selective module, or one the model does not have (moe on a dense model)
  kDpShard,              // dp_shard without zero >= 1, not dividing dp, or splitting the expert data-parallel group unevenly
};
LayoutIssue check_layout(const Model& m, const Cluster& c, const Layout& l, const Workload& w);
const char* layout_issue_text(LayoutIssue i);

// Fields that resolve_layout filled in (bit flags), so reports can say what was defaulted.
enum Defaulted : unsigned {
  kDefTp = 1u << 0, kDefPp = 1u << 1, kDefDp = 1u << 2, kDefCp = 1u << 3, kDefEp = 1u << 4,
  kDefVpp = 1u << 5, kDefMicroBatch = 1u << 6, kDefZero = 1u << 7, kDefSp = 1u << 8,
  kDefRecompute = 1u << 9, kDefGlobalBatch = 1u << 10, kDefPrecision = 1u << 11, kDefSeqLen = 1u << 12,
};

// Complete a partial layout with danlu's documented defaults (docs/defaults.md):
//   cp = ep = vpp = 1; micro_batch = 1, except ZeRO-3 without a pipeline, where it is the
//   whole local batch (global_batch / dp: FSDP frameworks do not accumulate); zero = 1 (distributed optimizer, as Megatron/NeMo
//   recipes run); sequence_parallel = (tp > 1); tp = the largest divisor of the heads that is
//   <= min(8, gpus_per_node) and divides gpus/cp; pp = the smallest stage count that fits in
//   memory (by this estimator), dp fills the rest; global batch = about 4M tokens
//   (2^22 / seq_len sequences, rounded to a multiple of dp*micro_batch) when `global_batch_set`
//   is false; recompute = none, else selective, else full, whichever first fits.
// Returns the completed layout and sets *flags; *w.global_batch is updated when defaulted.
// Throws nothing; the result must still pass check_layout.
// The kernels a ZeRO stage implies when unstated (docs/defaults.md), shared by resolve_layout
// and the search: ZeRO-3 is the PyTorch-native stack (FlashAttention-2 through SDPA; an eager
// loss on a GPU fabric; FSDP2's flat-buffer copies).
AttentionKernel default_attention(int zero);
bool default_fused_loss(const Cluster& c, int zero, bool fused_elementwise);
bool default_fsdp_copies(const Cluster& c, int zero);

Layout resolve_layout(const Model& m, const Cluster& c, const PartialLayout& p, Workload* w,
                      bool global_batch_set, unsigned* flags);

// Bounds used by the layout search; both are provably not above what estimate_step reports.
// Memory: weights + gradients + optimizer states (+ fragmentation and workspace) of the most
// loaded pipeline rank, independent of micro-batch, recompute and sequence parallelism.
double state_memory_lower_bound_gib(const Model& m, const Cluster& c, const Layout& l) noexcept;
// Time: the GEMM FLOPs pipeline rank 0 runs per step at the large-GEMM rate, independent of
// micro-batch, recompute and sequence parallelism.
double step_time_lower_bound_s(const Model& m, const Cluster& c, const Layout& l, const Workload& w) noexcept;

// Estimate one optimizer step. The layout must pass check_layout.
Result estimate_step(const Model& m, const Cluster& c, const Layout& l, const Workload& w) noexcept;

}  // namespace danlu
