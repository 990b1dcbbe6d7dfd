// danlu/layout.h — how a training job is split across accelerators, in Megatron-LM's terms,
// and what one optimizer step processes.
//
// Rank order follows Megatron-LM's default (tp innermost, then cp, ep-within-dp, dp, pp
// outermost), so a group's members sit `stride` ranks apart; that decides which groups fit
// in one scale-up domain. Pipeline stage split: Megatron's uneven split
// (decoder_first/last_pipeline_num_layers); by default layers are spread as evenly as
// possible over pp*vpp chunks, with the embedding and the output layer counted as one layer
// each where that makes the split even (Megatron's account_for_embedding/loss_in_pipeline_split).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "danlu/hardware.h"

namespace danlu {

// none; selective = Megatron's core-attention recompute (Korthikanti et al. 2022);
// selective_op = torchtitan's per-op selective checkpointing (saves matmul and attention
// outputs except every second matmul, recomputes elementwise ops); full = whole layers;
// selective_dots = XLA's checkpoint_dots_with_no_batch_dims (MaxText remat_policy 'minimal':
// keeps the projections' outputs, rematerialises attention, norms and elementwise ops).
enum class Recompute : std::uint8_t { none, selective, selective_op, full, selective_dots };
const char* recompute_name(Recompute r);

// Megatron-Core selective recompute by module (--recompute-granularity selective
// --recompute-modules, megatron/core/transformer/transformer_config.py): which parts of a
// layer keep only their input and run their forward again in the backward. Bit flags.
enum RecomputeModule : std::uint8_t {
  kRmCoreAttn = 1u << 0,       // the attention core (Korthikanti et al. 2022); Megatron's default
  kRmLayernorm = 1u << 1,      // the two norms: their outputs (the QKV and MLP inputs) are not kept
  kRmMlp = 1u << 2,            // a dense MLP: only its input is kept
  kRmMoe = 1u << 3,            // a whole MoE block (router, dispatch, experts, combine)
  kRmMoeAct = 1u << 4,         // the routed experts' activation function
  kRmMlaUpProj = 1u << 5,      // MLA's q/k/v up-projections: the compressed latents are kept instead
  kRmSharedExperts = 1u << 6,  // the shared experts
};
inline constexpr int kRecomputeModuleCount = 7;
const char* recompute_module_name(int bit_index);  // "core_attn", "layernorm", ...

// flash = the best fused kernel of the family (FlashAttention-3 / cuDNN on Hopper);
// flash2 = FlashAttention-2 (PyTorch SDPA's flash backend); unfused = batched GEMMs + softmax.
enum class AttentionKernel : std::uint8_t { flash, flash2, unfused };
const char* attention_kernel_name(AttentionKernel k);

struct Layout {
  int tp = 1;
  int pp = 1;
  int dp = 1;
  int cp = 1;
  int ep = 1;
  // Expert tensor parallel (Megatron-Core --expert-tensor-parallel-size; MoE parallel folding,
  // Liu et al. 2025, arXiv 2504.14960): each routed expert's FFN split over etp ranks. Expert
  // layers fold their own grid etp x ep x edp onto the tp x cp x dp ranks of a stage.
  int etp = 1;
  int vpp = 1;                 // virtual (interleaved) pipeline chunks per rank
  int micro_batch = 1;         // sequences per micro-batch per data-parallel rank
  bool sequence_parallel = false;
  Recompute recompute = Recompute::none;
  // With recompute full: layers of each virtual pipeline chunk recomputed (Megatron-LM
  // --recompute-method block --recompute-num-layers N); the chunk's other layers keep all
  // their activations. 0 = every layer.
  int recompute_num_layers = 0;
  // With recompute selective: the modules recomputed (RecomputeModule bits).
  std::uint8_t recompute_modules = kRmCoreAttn;
  int zero = 0;                // 0 none, 1 optimizer, 2 +gradients, 3 +parameters (FSDP)
  // Hybrid sharding (HSDP; torchtitan data_parallel_shard_degree with a replicate degree,
  // Megatron --num-distributed-optimizer-instances): with zero >= 1, states are sharded over
  // groups of dp_shard data-parallel ranks (times cp) and replicated across dp/dp_shard of
  // them, whose sharded gradients are all-reduced. 0 = shard over all dp ranks.
  int dp_shard = 0;
  int first_stage_layers = 0;  // 0 = default split
  int last_stage_layers = 0;
  bool tp_comm_overlap = false;  // Megatron --tp-comm-overlap / torchtitan async TP
  AttentionKernel attention = AttentionKernel::flash;
  // Mixture-of-experts: tokens on the busiest expert-parallel rank over the mean. Default 1.15:
  // with auxiliary-loss or bias-based balancing, per-rank expert load stays within ~10-20 % of
  // the mean at ep 8-64 (DeepSeek-V3 report sec. 2.1.2 and fig. 9; Megatron-Core MoE docs).
  double moe_imbalance = 1.15;
  bool fused_elementwise = true; // false: eager PyTorch elementwise ops (no torch.compile/TE fusion)
  // Cross-entropy over the logits: true = a fused vocab-parallel kernel (Megatron-Core,
  // XLA); false = eager PyTorch F.cross_entropy on an fp32 upcast, through DTensor's
  // loss_parallel when tp > 1 (torchtitan, which compiles its blocks but not its loss).
  bool fused_loss = true;
  // ZeRO-3 through PyTorch FSDP2's per-parameter sharding: each all-gather lands in a flat
  // buffer and is copied out into the parameters, and each reduce-scatter first copies the
  // gradients into a flat buffer in the reduce dtype (pytorch/pytorch PRs 117950 and 117975,
  // the FSDP2 all-gather and reduce-scatter). Bucketed stacks (Megatron-FSDP, XLA) gather in place.
  bool fsdp_copies = false;
  bool grad_reduce_bf16 = false; // gradients accumulated and reduced in bf16, not fp32 (Megatron-Core
                                 // DDP grad_reduce_in_fp32 off; NeMo optim.grad_sync_dtype: bf16)
  // Bucketed data-parallel gradient reduction (ZeRO 0-2) overlapped with the last micro-batch's
  // backward, and ZeRO-1/2's parameter all-gather with the next forward (Megatron
  // --overlap-grad-reduce / --overlap-param-gather, PyTorch DDP buckets). false: both run after
  // the backward ends (Megatron's local DDP before late 2023). ZeRO-3 always prefetches.
  bool grad_reduce_overlap = true;
};

// A layout with unset fields (from flags or a run file), to be completed by resolve_layout.
struct PartialLayout {
  std::optional<int> tp, pp, dp, cp, ep, etp, vpp, micro_batch, zero, first_stage_layers, last_stage_layers, recompute_num_layers,
      dp_shard;
  std::optional<bool> sequence_parallel, tp_comm_overlap, fused_elementwise, fused_loss, grad_reduce_bf16, fsdp_copies,
      grad_reduce_overlap;
  std::optional<AttentionKernel> attention;
  std::optional<double> moe_imbalance;
  std::optional<Recompute> recompute;
  std::optional<std::uint8_t> recompute_modules;
};

struct Workload {
  int seq_len = 2048;
  long global_batch = 1;       // sequences per optimizer step
  Precision precision = Precision::bf16;
};

// The data-parallel ranks one shard of the sharded states spans (all of dp unless hybrid).
inline int dp_shard_of(const Layout& l) { return l.zero >= 1 && l.dp_shard > 0 ? l.dp_shard : l.dp; }

// Micro-batches per optimizer step for one pipeline (gradient-accumulation steps).
inline long micro_batches(const Layout& l, const Workload& w) {
  return w.global_batch / (static_cast<long>(l.dp) * l.micro_batch);
}

// Transformer layers held by each pipeline rank (all its virtual chunks together).
// first = rank 0, last = rank pp-1, middle = the largest of the others (equal to first when
// pp == 1). Returns false if the split is impossible (a chunk with no layer where the
// framework would refuse, or explicit first/last counts that do not fit).
struct StageSplit {
  int first = 0;
  int middle = 0;
  int last = 0;
  int min_chunk = 0;  // smallest chunk (layers) anywhere
  int max_chunk = 0;  // largest chunk (layers) anywhere
  // Layers fully recomputed on those ranks and in the whole model: with recompute full, a
  // chunk of c layers recomputes min(c, recompute_num_layers) of them (all when that is 0).
  int rec_first = 0, rec_middle = 0, rec_last = 0;
  long rec_total = 0;
};
bool split_stages(int layers, const Layout& l, StageSplit* out);

// The recompute setting as one word: none, selective, selective-op, selective-dots, full,
// full:N for block recompute of N layers per chunk, or selective:mod+mod for Megatron modules
// other than the default core_attn.
std::string recompute_label(const Layout& l);

// Of a chunk of `layers` transformer layers, how many are fully recomputed.
inline int recomputed_layers(const Layout& l, int layers) {
  if (l.recompute != Recompute::full) return 0;
  if (l.recompute_num_layers <= 0) return layers;
  return l.recompute_num_layers < layers ? l.recompute_num_layers : layers;
}

}  // namespace danlu
