// The training-step estimator (danlu/estimate.h). Pure arithmetic on value types.
#include <algorithm>
#include <cmath>

#include "danlu/estimate.h"
#include "estimate/collective.h"
#include "estimate/kernels.h"

namespace danlu {
namespace {

using detail::all_gather_s;
using detail::all_reduce_s;
using detail::gemm_s;
using detail::Group;
using detail::Link;
using detail::mem_s;
using detail::place_group;
using detail::Rates;
using detail::reduce_scatter_s;

constexpr double kGiB = 1073741824.0;
constexpr double kActBytes = 2.0;      // activations are 16-bit in every supported recipe
constexpr double kGradBytes = 4.0;     // gradients reduced and accumulated in fp32 (Megatron main_grad, FSDP reduce_dtype)
// ... or in bf16 when the run says so (Megatron-Core DDP grad_reduce_in_fp32 off; NeMo
// optim.grad_sync_dtype bf16): half the gradient buffer and half the reduction traffic.
inline double grad_bytes(const Layout& l) { return l.grad_reduce_bf16 ? 2.0 : kGradBytes; }
constexpr double kMasterBytes = 4.0;   // fp32 master weights
constexpr double kAdamBytes = 8.0;     // fp32 first and second moments
constexpr double kWeightBytes = 2.0;   // 16-bit working weights
// Adam step per parameter: read grad, master, m, v (16 B), write master, m, v (12 B) and the
// 16-bit weight (2 B), plus grad-norm read (4 B) and zeroing the grad buffer (4 B).
constexpr double kAdamStepBytes = 38.0;

// Per-layer, per-micro-batch costs on one accelerator.
struct LayerCost {
  double gemm_f = 0, gemm_b = 0;     // forward / backward GEMM time
  double attn_f = 0, attn_b = 0;     // flash attention
  double mem_f = 0, mem_b = 0;       // memory-bound kernels
  double tp_f = 0, tp_b = 0;         // exposed TP/SP communication
  double cp_f = 0, cp_b = 0;         // exposed context-parallel ring exchange
  double flops_f = 0;                // forward GEMM FLOPs (for HFU)
  double op_sac_gemm_f = 0;          // forward GEMMs per-op selective checkpointing recomputes
  double op_sac_flops_f = 0;
  double op_sac_tp_f = 0;            // forward TP collectives per-op SAC runs again (not saved)
  // Forward parts a Megatron selective recompute module reruns (time, and GEMM FLOPs for HFU).
  double mlp_gemm_f = 0, mlp_flops_f = 0;        // the MLP or MoE block's GEMMs (incl. router, shared)
  double shared_gemm_f = 0, shared_flops_f = 0;  // shared experts
  double mla_up_gemm_f = 0, mla_up_flops_f = 0;  // MLA q/k/v up-projections
  double norm_mem_f = 0, act_mem_f = 0;          // the two norms; the MLP / expert activation
  double moe_mem_f = 0;                          // permute / unpermute and the router softmax
  double ep_comm_f = 0;                          // the forward dispatch + combine all-to-all
  double etp_comm_f = 0;                         // the forward expert-TP all-gather + reduce-scatter
  double mlp_tp_f = 0;                           // a dense MLP's share of the forward TP traffic
  double routed_flops_f = 0;                     // routed-expert GEMM FLOPs (busiest rank: x imbalance)
  double attn_flops_f = 0;           // forward attention FLOPs executed
  double attn_conv_f = 0;            // forward attention FLOPs by the model-FLOP convention (no causal halving)
};

struct Setup {
  Rates r;
  Link up, out;
  Group tp_grp, cp_grp, dp_grp;
  Group shard_grp, rep_grp;  // hybrid sharding: the dp_shard*cp ranks a shard spans, and its replicas
  bool tp_on_scale_out = false;
  bool dp_on_scale_out = false;
  bool pp_on_scale_out = false;
  double tokens = 0;                 // tokens per micro-batch per rank (b*s/cp)
  double tp_overlap = 0;
  double gemm_eff_16 = 1;            // large-GEMM efficiency at 16 bit
  int domain = 8;                    // accelerators per scale-up domain
  detail::Torus torus;               // the scale-up domain's torus shape (dims 0: switched)
  double sm_share = 0;               // compute lost per second of communication hidden under it
};

Setup make_setup(const Cluster& c, const Layout& l, const Workload& w) {
  const Efficiency& e = c.acc.eff;
  Setup s;
  const int p = static_cast<int>(w.precision);
  s.r.flops = c.acc.peak_tflops[p] * 1e12;
  s.r.gemm_eff = e.gemm[p] > 0 ? e.gemm[p] : e.gemm[static_cast<int>(Precision::bf16)];
  s.gemm_eff_16 = e.gemm[static_cast<int>(Precision::bf16)];
  s.r.attn_flops = c.acc.peak_tflops[static_cast<int>(Precision::bf16)] * 1e12;
  s.r.attn_fwd = e.attn_fwd;
  s.r.attn_bwd = e.attn_bwd;
  s.r.attn_fa2_fwd = e.attn_fa2_fwd;
  s.r.attn_fa2_bwd = e.attn_fa2_bwd;
  s.r.hbm = c.acc.hbm_gbs * 1e9 * e.hbm;
  s.r.in_bytes = (w.precision == Precision::fp8 || w.precision == Precision::mxfp8) ? 1.0
                 : w.precision == Precision::nvfp4                                ? 0.5625
                 : w.precision == Precision::fp32                                 ? 4.0
                                                                                  : 2.0;
  s.r.kernel_s = e.kernel_us * 1e-6;
  s.r.units = c.acc.compute_units > 0 ? c.acc.compute_units : 1;
  s.r.tile_m = e.tile_m;
  s.r.tile_n = e.tile_n;
  s.r.k0 = e.gemm_k0;
  s.up.bytes_per_s = c.acc.scale_up_gbs * 1e9 * e.scale_up;
  s.up.latency_s = e.scale_up_latency_us * 1e-6;
  s.out.bytes_per_s = c.nic_gbps_per_gpu / 8.0 * 1e9 * e.scale_out;
  s.out.latency_s = c.net.latency_us * 1e-6;
  const int d = c.gpus_per_node;
  s.torus = detail::torus_shape(d, c.acc.torus_dims);
  s.tp_grp = place_group(l.tp, 1, d, &s.torus);
  s.cp_grp = place_group(l.cp, l.tp, d, &s.torus);
  s.dp_grp = place_group(l.dp * l.cp, l.tp, d, &s.torus);
  // Hybrid sharding: shards over consecutive data-parallel ranks (torchtitan's mesh puts
  // dp_shard inside dp_replicate), replicas dp_shard*cp*tp ranks apart.
  const int shard = dp_shard_of(l);
  s.shard_grp = place_group(shard * l.cp, l.tp, d, &s.torus);
  s.rep_grp = place_group(l.dp / shard, static_cast<long>(l.tp) * l.cp * shard, d, &s.torus);
  s.tp_on_scale_out = l.tp > d;
  s.dp_on_scale_out = s.dp_grp.n > s.dp_grp.g;
  // Some stage boundary crosses a domain once the whole pipeline group spans more than one;
  // the slowest rank's sends then go over the NIC.
  s.pp_on_scale_out = static_cast<double>(l.tp) * l.cp * l.dp * l.pp > d;
  s.tokens = static_cast<double>(l.micro_batch) * w.seq_len / l.cp;
  // Decomposed collective matmuls on DMA-driven fabrics hide every shard's transfer but the
  // last under the partial products (Wang et al. 2023): 1 - 1/tp of the traffic.
  s.tp_overlap = !l.tp_comm_overlap ? 0.0 : e.tp_overlap_all_but_one_chunk ? 1.0 - 1.0 / l.tp : e.tp_overlap;
  s.sm_share = e.comm_sm_fraction;
  s.domain = c.gpus_per_node;
  return s;
}

// One transformer layer's costs; `moe` selects the mixture-of-experts MLP (routed experts over
// ep ranks, shared experts tensor-parallel, token all-to-all dispatch and combine).
LayerCost layer_cost(const Model& m, const Layout& l, const Workload& w, const Setup& s, bool moe) {
  LayerCost c;
  const Rates& r = s.r;
  const double T = s.tokens;
  const double h = m.hidden;
  const double tp = l.tp;
  const AttnShape a = attention_shape(m);
  const double hd = m.dim_head();
  const double q_heads = m.heads / tp;
  const double kv_heads = std::ceil(static_cast<double>(m.kv_heads) / tp);  // replicated when kv < tp
  const double q_out = q_heads * a.qk_dim;
  const double kv_out = 2.0 * kv_heads * hd;
  const double o_in = q_heads * a.v_dim;
  const double f = m.ffn / tp;
  const double up_cols = (m.gated_mlp ? 2.0 : 1.0) * f;

  // GEMMs. Each forward GEMM C[M,N] = A[M,K] B[K,N] has a backward data gradient [M,K] and
  // weight gradient [K,N] of the same FLOPs.
  auto add = [&](double M, double N, double K, double count = 1.0) {
    c.gemm_f += gemm_s(r, M, N, K, count);
    c.gemm_b += gemm_s(r, M, K, N, count) + gemm_s(r, K, N, M, count);
    c.flops_f += 2.0 * M * N * K * count;
  };
  // Snapshots of the forward GEMM time and FLOPs, to price what a selective recompute module reruns.
  auto mark = [&] { return std::pair<double, double>{c.gemm_f, c.flops_f}; };
  auto since = [&](std::pair<double, double> m0, double* t, double* fl) {
    *t += c.gemm_f - m0.first;
    *fl += c.flops_f - m0.second;
  };
  if (m.attention == Attention::mla) {
    // MLA (DeepSeek-V2/V3; Megatron-Core MLA): the low-rank down-projections are replicated
    // across tensor-parallel ranks, the up-projections and output projection are split by head.
    const double rope = m.mla.qk_rope_head_dim;
    if (m.mla.q_lora_rank > 0) {
      add(T, m.mla.q_lora_rank, h);
      const auto m0 = mark();
      add(T, q_out, m.mla.q_lora_rank);
      since(m0, &c.mla_up_gemm_f, &c.mla_up_flops_f);
    } else {
      add(T, q_out, h);
    }
    add(T, m.mla.kv_lora_rank + rope, h);
    const auto m0 = mark();
    add(T, q_heads * (m.mla.qk_nope_head_dim + m.mla.v_head_dim), m.mla.kv_lora_rank);
    since(m0, &c.mla_up_gemm_f, &c.mla_up_flops_f);
  } else {
    add(T, q_out + kv_out, h);
  }
  add(T, h, o_in);
  const double attn_gemm_f = c.gemm_f;
  const double attn_gemm_flops = c.flops_f;
  // MLP: dense (tensor-parallel up/gate and down), or mixture-of-experts.
  const double mats_up = m.gated_mlp ? 2.0 : 1.0;
  const double Tm = l.sequence_parallel ? T / tp : T;  // tokens a rank routes (MoE needs SP with TP)
  double assigned = 0;                                  // token-expert pairs computed on this rank
  const auto mlp0 = mark();
  if (!moe) {
    add(T, up_cols, h);
    add(T, h, f);
  } else {
    const double E = m.moe.experts, ep = l.ep, etp = l.etp;
    assigned = Tm * m.moe.top_k * l.moe_imbalance;      // balanced load x the busiest rank's excess
    const double local = E / ep;                        // experts on this rank
    // Expert tensor parallel: the etp ranks of a group gather each other's routed tokens and
    // each computes 1/etp of every local expert's FFN (same FLOPs, taller and narrower GEMMs).
    const double per_expert = assigned * etp / local;
    const double fe = m.moe.expert_ffn / etp;
    const auto r0 = mark();
    add(per_expert, mats_up * fe, h, local);            // grouped GEMM: one small GEMM per expert
    add(per_expert, h, fe, local);
    c.routed_flops_f = c.flops_f - r0.second;
    add(Tm, E, h);                                      // router
    if (m.moe.shared_experts > 0) {
      const double fs = m.moe.shared_experts * static_cast<double>(m.moe.expert_ffn) / tp;
      const auto s0 = mark();
      add(T, mats_up * fs, h);
      add(T, h, fs);
      since(s0, &c.shared_gemm_f, &c.shared_flops_f);
    }
  }
  since(mlp0, &c.mlp_gemm_f, &c.mlp_flops_f);
  // torchtitan per-op SAC saves every matmul output except every second one in forward order
  // (q, k, v, o, w1, w3, w2 for SwiGLU; q, k, v, o, up, down otherwise): k, o and w3 (or down)
  // are recomputed (torchtitan activation_checkpoint.py, selective_ac_option = "op").
  if (!moe) {
    const double second_mlp = m.gated_mlp ? gemm_s(r, T, f, h) : gemm_s(r, T, h, f);
    c.op_sac_gemm_f = gemm_s(r, T, kv_out / 2.0, h) + gemm_s(r, T, h, o_in) + second_mlp;
    c.op_sac_flops_f = 2.0 * T * (h * kv_out / 2.0 + o_in * h + f * h);
  } else {
    c.op_sac_gemm_f = 0.5 * attn_gemm_f;  // about every second attention matmul
    c.op_sac_flops_f = 0.5 * attn_gemm_flops;
  }

  // Flash attention over the full sequence (context-parallel ranks hold T = b*s/cp queries,
  // all keys). Causal: half of the score/context FLOPs are computed.
  const double seq = w.seq_len;
  const double attn_full = 2.0 * T * seq * q_heads * (a.qk_dim + a.v_dim);
  c.attn_conv_f = attn_full;
  if (l.attention != AttentionKernel::unfused) {
    const bool fa2 = l.attention == AttentionKernel::flash2;
    const double attn_exec = 0.5 * attn_full;
    c.attn_flops_f = attn_exec;
    c.attn_f = attn_exec / (r.attn_flops * (fa2 ? r.attn_fa2_fwd : r.attn_fwd)) + r.kernel_s;
    c.attn_b = 2.5 * attn_exec / (r.attn_flops * (fa2 ? r.attn_fa2_bwd : r.attn_bwd)) + r.kernel_s;
  } else {
    // Unfused core (Megatron-LM before flash attention; Korthikanti et al. 2022 Table 2):
    // strided-batched score and context GEMMs (one launch over every micro-batch x head) over
    // the full s x s matrix (their own operand and result bytes are in the GEMM roofline), then
    // a fused scale-mask-softmax and a separate dropout streaming the scores through HBM.
    // Forward: softmax read + write (2 + 2 B), dropout read + write + 1-byte mask (2 + 2 + 1 B):
    // 9 bytes per score; backward: dropout gradient (read 2, mask 1, write 2) and softmax
    // gradient (read 2 + 2, write 2): 11 bytes per score. The backward does four GEMMs of the
    // forward's two shapes.
    Rates r16 = r;
    r16.flops = r.attn_flops;
    r16.in_bytes = kActBytes;
    const double batch = static_cast<double>(l.micro_batch) * q_heads;
    const double sq = seq / l.cp;
    const double scores = batch * sq * seq;
    c.attn_flops_f = attn_full;
    c.attn_f = batched_gemm_s(r16, sq, seq, a.qk_dim, batch) + batched_gemm_s(r16, sq, a.v_dim, seq, batch) +
               mem_s(r16, 9.0 * scores, 2);
    c.attn_b = 2.0 * (batched_gemm_s(r16, sq, seq, a.qk_dim, batch) + batched_gemm_s(r16, sq, a.v_dim, seq, batch)) +
               mem_s(r16, 11.0 * scores, 2);
  }

  // Memory-bound kernels, forward bytes (Korthikanti et al. 2022 Table 2 op list):
  // two norms (read+write), two residual adds (read 2, write 1), dropout masks where the
  // model has GPT-style dropout, the MLP activation, rotary embedding on q and k, FP8 casts.
  // Unfused (eager PyTorch) elementwise code runs each op as its own kernel through fp32
  // temporaries: the reference RMSNorm (x.float(), pow, mean, rsqrt-mul, type_as, weight-mul)
  // moves 36 B per element instead of 4; complex-multiply rotary 20 B instead of 4; SwiGLU
  // (silu, then mul) 10 B instead of 6 per MLP element.
  const bool fused = l.fused_elementwise;
  const double norm_bpe = fused ? 2.0 * kActBytes : 36.0;
  const double rope_bpe = fused ? 2.0 * kActBytes : 20.0;
  const double act_bpe = m.gated_mlp ? (fused ? 3.0 * kActBytes : 10.0) : 2.0 * kActBytes;
  const double rep = l.sequence_parallel ? T / tp : T;  // tokens in the non-tensor-parallel region
  double bytes = 0;
  double kernels = 0;
  bytes += 2 * rep * h * norm_bpe;                    // norms
  bytes += 2 * 3.0 * rep * h * kActBytes;             // residual adds
  kernels += fused ? 4 : 14;
  if (m.linear_bias) {                                // bias-dropout-add: bias read + 1-byte mask
    bytes += 2 * rep * h * 1.0;
  }
  c.norm_mem_f = mem_s(r, 2 * rep * h * norm_bpe, fused ? 2 : 12);
  if (!moe) {
    bytes += act_bpe * T * f;                         // activation (SwiGLU reads two inputs)
    c.act_mem_f = mem_s(r, act_bpe * T * f, fused ? 1 : 2);
  } else {
    bytes += act_bpe * assigned * m.moe.expert_ffn;   // expert activations
    bytes += act_bpe * T * m.moe.shared_experts * m.moe.expert_ffn / tp;
    bytes += 2.0 * 2.0 * assigned * h * kActBytes;    // permute before, unpermute after the experts
    bytes += 3.0 * Tm * m.moe.experts * 4.0;          // router softmax / top-k in fp32
    kernels += 6;
    c.act_mem_f = mem_s(r, act_bpe * assigned * m.moe.expert_ffn, fused ? 1 : 2);
    c.moe_mem_f = mem_s(r, 2.0 * 2.0 * assigned * h * kActBytes + 3.0 * Tm * m.moe.experts * 4.0, 6);
  }
  kernels += fused ? 1 : 2;
  if (m.learned_positions == 0) {                     // rotary on q and k
    bytes += T * (q_out + kv_out / 2.0) * rope_bpe;
    kernels += fused ? 1 : 8;
  }
  if (r.in_bytes < 2.0) {                             // cast each GEMM's activation input to fp8
    bytes += (kActBytes + r.in_bytes) * T * (h + o_in + h + f);
    kernels += 4;
  }
  c.mem_f = mem_s(r, bytes, kernels);
  c.mem_b = mem_s(r, 2.0 * bytes, 2.0 * kernels);     // gradients read saved input + grad, write grad

  // Tensor (and sequence) parallel: per layer, two all-reduces forward and two backward
  // (with SP: all-gather + reduce-scatter pairs of the same volume), of T*h activations.
  // With overlap (Megatron --tp-comm-overlap, torchtitan async TP) the collectives are cut
  // into chunks pipelined with the neighbouring GEMMs: a fraction tp_overlap can hide, and
  // never more than the GEMM time it hides under.
  if (l.tp > 1) {
    const double msg = T * h * kActBytes;
    const double comm = 2.0 * all_reduce_s(msg, s.tp_grp, s.up, s.out);
    auto exposed = [&](double gemm) {
      const double hidden = std::min(comm * s.tp_overlap, gemm);
      return comm - hidden + hidden * s.sm_share;  // hidden traffic still takes SMs from the GEMM
    };
    c.tp_f = exposed(c.gemm_f);
    c.tp_b = exposed(c.gemm_b);
    // torchtitan's per-op SAC saves reduce-scatter outputs but not all-gathers (its _save_list
    // in parallelize_llama.py), so with SP the two forward all-gathers run again in the
    // backward; without SP nothing saves the all-reduces' outputs, and both run again.
    c.op_sac_tp_f = l.sequence_parallel ? 0.5 * c.tp_f : c.tp_f;
    // Of a dense layer's two forward collective pairs, one belongs to the MLP.
    c.mlp_tp_f = moe ? 0.0 : 0.5 * c.tp_f;
  }
  // Expert parallel: token all-to-all (GShard, Lepikhin et al. 2021; Megatron-Core's alltoall
  // dispatcher). Each routed copy of a token's hidden vector travels to the rank holding its
  // expert and back: dispatch and combine forward, the same two backward. Expert-parallel
  // groups are consecutive ranks (expert tensor parallel 1), so they stay inside a scale-up
  // domain up to its size; the share of peers beyond it goes over the NICs.
  if (moe && l.ep > 1) {
    const double n = l.ep;
    const Group ep_grp = place_group(l.ep, l.etp, s.domain, &s.torus);  // members etp ranks apart
    const double g = ep_grp.g;
    const double a2a = Tm * m.moe.top_k * l.moe_imbalance * h * kActBytes * (n - 1.0) / n;
    const double ep_share = ep_grp.up_share;
    const double t_up = a2a * (g - 1.0) / (n - 1.0) / (s.up.bytes_per_s * ep_share);
    const double t_out = a2a * (n - g) / (n - 1.0) / s.out.bytes_per_s;
    const double one = std::max(t_up, t_out) + (n > g ? s.out.latency_s : s.up.latency_s);
    c.tp_f += 2.0 * one;
    c.tp_b += 2.0 * one;
    c.ep_comm_f = 2.0 * one;
  }
  // Expert tensor parallel (Megatron-Core alltoall dispatcher with etp > 1): after the
  // all-to-all the etp group all-gathers its routed tokens and reduce-scatters the experts'
  // partial outputs; the backward does the reverse pair.
  if (moe && l.etp > 1) {
    const double gathered = Tm * m.moe.top_k * l.moe_imbalance * l.etp * h * kActBytes;
    const Group etp_grp = place_group(l.etp, 1, s.domain, &s.torus);
    const double pair = all_gather_s(gathered, etp_grp, s.up, s.out) + reduce_scatter_s(gathered, etp_grp, s.up, s.out);
    c.tp_f += pair;
    c.tp_b += pair;
    c.etp_comm_f = pair;
  }
  // Context parallel (ring attention, Liu et al. 2023; Megatron-CP): each rank passes its
  // K,V block around the ring (cp-1 steps) forward, and K,V plus their gradients backward,
  // overlapped with the attention kernels; only the excess is exposed.
  if (l.cp > 1) {
    const double kv_block = T * kv_out * kActBytes;
    const double steps = l.cp - 1.0;
    const bool up = s.cp_grp.g >= s.cp_grp.n;
    const Link& lk = up ? s.up : s.out;
    const double t_f = steps * (kv_block / (lk.bytes_per_s * (up ? s.cp_grp.up_share : 1.0)) + lk.latency_s);
    const double t_b = 2.0 * t_f;
    c.cp_f = std::max(0.0, t_f - c.attn_f) + std::min(t_f, c.attn_f) * s.sm_share;
    c.cp_b = std::max(0.0, t_b - c.attn_b) + std::min(t_b, c.attn_b) * s.sm_share;
  }
  return c;
}

// Cross-entropy over the rank's T x vocab/tp logits, per logit: HBM bytes moved (forward +
// backward), kernels launched, and the bytes live at the loss's peak.
//  - fused (Megatron-Core vocab-parallel cross-entropy, XLA): write the fp32 logits, read
//    them for max and sum, write the gradient: 4 passes of 4 B over 3 kernels; live: the
//    16-bit logits, the fp32 softmax kept for backward, its fp32 gradient (2+4+4 B).
//  - eager, tp 1 (ATen F.cross_entropy on pred.float()): forward upcast (2 read + 4 write),
//    log_softmax (two reads, one write: 12), backward zeros_like (4), log_softmax backward
//    (two reads, one write: 12), downcast (4 + 2): 40 B over 6 kernels. Peak in backward:
//    the saved log-probabilities, nll_loss's gradient and log_softmax's gradient (4+4+4 B);
//    the forward's 16-bit logits + upcast + log-probabilities (2+4+4) stay below it.
//  - eager, tp > 1 (DTensor loss_parallel, torch/distributed/tensor/parallel/loss.py):
//    forward upcast 6, amax 4, x - max 8, exp 8, sum 4, shifted - logsumexp 8 (38 B);
//    backward zeros_like 4, exp(x) 8, grad + exp 12, * grad_output 8, downcast 6 (38 B):
//    76 B over 12 kernels. Peak in backward: the log-probabilities, the zeros_like gradient
//    and two of exp / sum / product at a time (4+4+4+4 B).
struct LossKernel {
  double traffic_bytes, kernels, live_bytes;
};
LossKernel loss_kernel(const Layout& l) {
  if (l.fused_loss) return {16.0, 3.0, kActBytes + 4.0 + 4.0};
  if (l.tp > 1) return {76.0, 12.0, 16.0};
  return {40.0, 6.0, 12.0};
}

// Output head (+ loss) and embedding on the last / first rank, per micro-batch.
struct EdgeCost {
  double head_f = 0, head_b = 0, head_mem = 0, head_tp = 0;
  double emb_mem = 0, emb_tp = 0;
  double mtp_proj_f = 0, mtp_proj_b = 0;  // one MTP module's 2h -> h projection
};

EdgeCost edge_cost(const Model& m, const Layout& l, const Setup& s) {
  EdgeCost e;
  const double T = s.tokens;
  const double h = m.hidden;
  const double v = m.vocab / static_cast<double>(l.tp);
  // The output layer stays in 16 bit under FP8/FP4 recipes (Megatron's output layer is not a
  // Transformer Engine module; torchtitan's float8 conversion skips `output`).
  Rates r16 = s.r;
  r16.flops = s.r.attn_flops;
  r16.gemm_eff = s.gemm_eff_16;
  r16.in_bytes = kActBytes;
  e.head_f = gemm_s(r16, T, v, h);
  // MTP projection (DeepSeek-V3 eq. 21; a column-parallel linear in Megatron-Core), at the
  // layers' GEMM precision; backward is two GEMMs of the same size.
  e.mtp_proj_f = gemm_s(s.r, T, h / l.tp, 2.0 * h);
  e.mtp_proj_b = 2.0 * e.mtp_proj_f;
  e.head_b = gemm_s(r16, T, h, v) + gemm_s(r16, h, v, T);
  const LossKernel lk = loss_kernel(l);
  e.head_mem = mem_s(s.r, lk.traffic_bytes * T * v, lk.kernels);
  // Vocab-parallel head: with SP its input is all-gathered forward and reduce-scattered
  // backward; without SP the backward all-reduces the input gradient. The vocab-parallel
  // embedding all-reduces (SP: reduce-scatters) its output forward.
  if (l.tp > 1) {
    const double msg = T * h * kActBytes;
    e.head_tp = (l.sequence_parallel ? 2.0 * all_gather_s(msg, s.tp_grp, s.up, s.out)
                                     : all_reduce_s(msg, s.tp_grp, s.up, s.out)) *
                (1.0 - s.tp_overlap);
    e.emb_tp = l.sequence_parallel ? reduce_scatter_s(msg, s.tp_grp, s.up, s.out)
                                   : all_reduce_s(msg, s.tp_grp, s.up, s.out);
  }
  // Embedding lookup forward and its scatter-add gradient.
  e.emb_mem = mem_s(s.r, 3.0 * T * h * kActBytes, 2);
  return e;
}

// Parameters a pipeline rank holds, before ZeRO sharding: dense (sharded over dp*cp) and
// routed-expert parameters (each rank holds experts/ep of them; sharded over the expert
// data-parallel group tp*cp*dp/ep).
struct RankParams {
  double dense = 0, expert = 0;
  double total() const { return dense + expert; }
};

RankParams rank_params(int dense_layers, int moe_layers, bool has_emb, bool has_head, const Layout& l,
                       const ParamCount& pc, const Model& m) {
  RankParams p;
  p.dense = dense_layers * (pc.per_layer_attn + pc.per_layer_mlp) / l.tp + moe_layers * pc.per_layer_attn / l.tp;
  if (moe_layers > 0) {
    const double h = m.hidden;
    const double expert = (m.gated_mlp ? 3.0 : 2.0) * h * m.moe.expert_ffn;
    p.dense += moe_layers * (h * m.moe.experts + m.moe.shared_experts * expert / l.tp);
    p.expert = moe_layers * (static_cast<double>(m.moe.experts) / l.ep) * expert / l.etp;
  }
  if (has_emb) p.dense += pc.embedding / l.tp;
  if (has_head) {
    // A tied head is the embedding table itself on a single rank; the last pipeline rank
    // keeps its own copy of the word embeddings (not the position table).
    const double head = m.tied_embeddings ? (has_emb ? 0.0 : static_cast<double>(m.vocab) * m.hidden) : pc.output;
    p.dense += head / l.tp;
  }
  return p;
}

// Weights, gradients and optimizer states of a rank, by ZeRO stage (Rajbhandari et al. 2020,
// sec. 3), in bytes.
struct StateBytes {
  double weights, grads, opt;
};
StateBytes state_bytes(const RankParams& rp, int layers, const Layout& l) {
  const double p = rp.total();
  const double replicas = static_cast<double>(l.dp) / dp_shard_of(l);
  const double dense_shard = static_cast<double>(dp_shard_of(l)) * l.cp;
  const double expert_shard =
      std::max(1.0, static_cast<double>(l.tp) * l.cp * l.dp / (static_cast<double>(l.ep) * l.etp) / replicas);
  // Parameters weighted by their sharding group, for the sharded states.
  const double sharded = rp.dense / dense_shard + rp.expert / expert_shard;
  StateBytes b{p * kWeightBytes, p * grad_bytes(l), p * (kMasterBytes + kAdamBytes)};
  const double per_layer_params = p / (layers > 0 ? layers : 1);
  if (l.zero >= 1) b.opt = sharded * (kMasterBytes + kAdamBytes);
  if (l.zero >= 2) b.grads = sharded * grad_bytes(l);
  if (l.zero >= 3 && l.pp > 1) {
    // FSDP under a pipeline schedule keeps the stage's weights gathered for the whole step
    // (no reshard between micro-batches) and accumulates unsharded fp32 gradients until the
    // last micro-batch's reduce-scatter (torchtitan: reshard_after_forward off with PP;
    // FSDP2 accumulates unsharded grads in reduce_dtype).
    b.weights = p * kWeightBytes;
    b.grads += p * grad_bytes(l);
  } else if (l.zero >= 3) {
    // Sharded 16-bit weights are not kept: the fp32 master shard serves; two layers are
    // gathered at a time (current + prefetch) with one layer's unsharded fp32 gradient.
    b.weights = 2.0 * per_layer_params * kWeightBytes;
    b.grads += per_layer_params * grad_bytes(l);
  }
  return b;
}

// Block recompute over a rank holding `dense` dense and `moe` MoE layers, `recomputed` of them
// recomputed: Megatron's block method recomputes the first N layers of each chunk, and a model's
// dense layers open its first chunk, so they are recomputed first. Shares of each kind.
struct RecomputeShare {
  double dense = 0, moe = 0;
};
RecomputeShare recompute_share(int dense, int moe, int recomputed, const Layout& l) {
  RecomputeShare s;
  if (l.recompute != Recompute::full || recomputed <= 0) return s;
  const int per_chunk = l.recompute_num_layers > 0 ? l.recompute_num_layers : dense + moe;
  const int rec_dense = std::min({dense, per_chunk, recomputed});
  const int rec_moe = std::clamp(recomputed - rec_dense, 0, moe);
  s.dense = dense > 0 ? static_cast<double>(rec_dense) / dense : 0.0;
  s.moe = moe > 0 ? static_cast<double>(rec_moe) / moe : 0.0;
  return s;
}

struct RankCost {
  double gemm = 0, attn = 0, mem = 0, tp = 0;  // per micro-batch, incl. recompute
  double fwd = 0, bwd = 0;                     // per micro-batch totals (bwd incl. recompute)
  int dense_layers = 0, moe_layers = 0;
  RecomputeShare recomputed;                   // block recompute: share of each kind rerun
  RankParams params;                           // parameters held (before ZeRO sharding)
};

// Dense layers sit first in the model (DeepSeek's first_k_dense_replace): a rank holding
// `layers` layers starting at `first_layer` has this many of them.
int dense_layers_in(const Model& m, int first_layer, int layers) {
  if (!m.is_moe()) return layers;
  const int dense_end = m.moe.dense_layers;
  return std::clamp(dense_end - first_layer, 0, layers);
}

RankCost rank_cost(int first_layer, int layers, int recomputed, bool has_emb, bool has_head, const Layout& l,
                   const LayerCost& dense, const LayerCost& moe, const EdgeCost& ec, const ParamCount& pc, const Model& m) {
  RankCost rc;
  rc.dense_layers = dense_layers_in(m, first_layer, layers);
  rc.moe_layers = layers - rc.dense_layers;
  // Multi-token prediction modules run on the last stage: one more layer of the model's last
  // kind each, with its own projection and another pass through the output head and loss.
  const int mtp = has_head ? m.mtp_layers : 0;
  if (mtp > 0) {
    if (m.is_moe() && m.moe.dense_layers < m.layers) {
      rc.moe_layers += mtp;
    } else {
      rc.dense_layers += mtp;
    }
  }
  // Block recompute: only a share of the rank's layers re-runs its forward.
  rc.recomputed = recompute_share(rc.dense_layers, rc.moe_layers, recomputed, l);
  const RecomputeShare& share = rc.recomputed;
  double gemm = 0, attn = 0, mem = 0, tp = 0, fwd = 0;
  auto accumulate = [&](const LayerCost& lc, double n, bool is_moe) {
    gemm += n * (lc.gemm_f + lc.gemm_b);
    attn += n * (lc.attn_f + lc.attn_b);
    mem += n * (lc.mem_f + lc.mem_b);
    tp += n * (lc.tp_f + lc.tp_b + lc.cp_f + lc.cp_b);
    if (l.recompute == Recompute::full) {
      const double r = n * (is_moe ? share.moe : share.dense);
      gemm += r * lc.gemm_f;
      attn += r * lc.attn_f;
      mem += r * lc.mem_f;
      tp += r * (lc.tp_f + lc.cp_f);
    } else if (l.recompute == Recompute::selective) {
      // Megatron selective modules: each reruns its forward before its backward.
      const unsigned mods = l.recompute_modules;
      if (mods & kRmCoreAttn) attn += n * lc.attn_f;
      if (mods & kRmLayernorm) mem += n * lc.norm_mem_f;
      if (!is_moe && (mods & kRmMlp)) {
        gemm += n * lc.mlp_gemm_f;
        mem += n * lc.act_mem_f;
        tp += n * lc.mlp_tp_f;  // its input all-gather and output reduce-scatter run again
      }
      if (is_moe && (mods & kRmMoe)) {
        gemm += n * lc.mlp_gemm_f;
        mem += n * (lc.act_mem_f + lc.moe_mem_f);
        tp += n * (lc.ep_comm_f + lc.etp_comm_f);  // dispatch, combine and expert-TP collectives run again
      } else if (is_moe) {
        if (mods & kRmMoeAct) mem += n * lc.act_mem_f;
        if (mods & kRmSharedExperts) gemm += n * lc.shared_gemm_f;
      }
      if (mods & kRmMlaUpProj) gemm += n * lc.mla_up_gemm_f;
    } else if (l.recompute == Recompute::selective_op) {
      gemm += n * lc.op_sac_gemm_f;
      mem += n * lc.mem_f;
      tp += n * lc.op_sac_tp_f;
    } else if (l.recompute == Recompute::selective_dots) {
      attn += n * lc.attn_f;  // the attention core and every non-dot op run again
      mem += n * lc.mem_f;
    }
    fwd += n * (lc.gemm_f + lc.attn_f + lc.mem_f + lc.tp_f + lc.cp_f);
  };
  accumulate(dense, rc.dense_layers, false);
  if (rc.moe_layers > 0) accumulate(moe, rc.moe_layers, true);
  if (has_head) {
    const double heads = 1.0 + mtp;
    gemm += heads * (ec.head_f + ec.head_b) + mtp * (ec.mtp_proj_f + ec.mtp_proj_b);
    mem += heads * ec.head_mem + mtp * ec.emb_mem;  // MTP also looks up the next tokens' embeddings
    tp += heads * ec.head_tp;
    fwd += heads * (ec.head_f + ec.head_mem * 0.5 + ec.head_tp * 0.5) + mtp * (ec.mtp_proj_f + ec.emb_mem * 0.5);
  }
  if (has_emb) {
    mem += ec.emb_mem;
    tp += ec.emb_tp;
    fwd += ec.emb_mem * 0.5 + ec.emb_tp;
  }
  rc.gemm = gemm;
  rc.attn = attn;
  rc.mem = mem;
  rc.tp = tp;
  rc.fwd = fwd;
  rc.bwd = gemm + attn + mem + tp - fwd;
  rc.params = rank_params(rc.dense_layers, rc.moe_layers, has_emb, has_head, l, pc, m);
  rc.params.dense += mtp * (2.0 * m.hidden * static_cast<double>(m.hidden)) / l.tp;  // the MTP projections
  return rc;
}

// Activation bytes one micro-batch leaves on a rank per transformer layer (Korthikanti et al.
// 2022 eq. 2 generalised; flash attention stores no s^2 scores).
double layer_activation_bytes(const Model& m, const Layout& l, const Setup& s, bool moe) {
  const double T = s.tokens;
  const double h = m.hidden;
  const double tp = l.tp;
  const AttnShape a = attention_shape(m);
  const double q_out = a.q_out / tp;
  const double kv_out = m.attention == Attention::mla
                            ? (m.heads / tp) * (a.qk_dim + a.v_dim)  // MLA: per-head k and v after up-projection
                            : 2.0 * std::ceil(static_cast<double>(m.kv_heads) / tp) * m.dim_head();
  const double o_in = a.o_in / tp;
  const double f = m.ffn / tp;
  const double rep = l.sequence_parallel ? T / tp : T;
  const double mask = m.linear_bias ? 1.0 : 0.0;
  if (l.recompute == Recompute::full) return rep * h * kActBytes;  // the layer input only
  // GEMM inputs kept for the weight-gradient GEMM are stored at the GEMM precision: with FP8
  // (Transformer Engine, torchao) the cast copy is what is saved.
  const double gin = s.r.in_bytes < kActBytes ? s.r.in_bytes : kActBytes;
  const double mats_up = m.gated_mlp ? 2.0 : 1.0;
  // The MLP part: a dense MLP's up(+gate) and activation outputs; for MoE, the routed copies
  // of the tokens (expert input), expert up(+gate) and activation outputs, shared experts like
  // a dense MLP, router probabilities. With expert tensor parallel the gathered expert input is
  // etp times the routed tokens; the FFN outputs are etp times as many tokens at 1/etp of the width.
  const double assigned = rep * m.moe.top_k * l.moe_imbalance;
  const double fe = m.moe.expert_ffn;
  const double fs = m.moe.shared_experts * fe / tp;
  const double mlp_up = T * mats_up * f * kActBytes;
  const double routed_up = assigned * mats_up * fe * kActBytes;
  const double shared_up = T * mats_up * fs * kActBytes;
  const double router = rep * m.moe.experts * 4.0 * 2.0;
  if (l.recompute == Recompute::selective_dots) {
    // XLA keeps, of the values its policy may save, those the backward reads: the layer input,
    // q, k and v (for the attention backward, which reruns the attention forward) and the MLP
    // up(+gate) outputs (the activation's derivative and, recomputed from them, the
    // down-projection's input). Norm outputs, the attention output and the activation output
    // are rematerialised (jax.checkpoint_policies.checkpoint_dots_with_no_batch_dims).
    return rep * h * kActBytes + T * (q_out + kv_out) * kActBytes +
           (moe ? routed_up + shared_up + router : mlp_up);
  }
  double b = 0;
  b += 2.0 * rep * h * kActBytes;                        // two norm inputs
  b += 2.0 * rep * h * gin;                              // QKV and MLP-up inputs (norm outputs)
  b += T * (q_out + kv_out) * kActBytes;                 // q, k, v for the attention backward
  // MLA: the compressed q and kv latents (replicated over TP) before and after their norms;
  // the normed ones are the up-projections' inputs.
  const double latents = m.attention == Attention::mla
                             ? static_cast<double>(m.mla.q_lora_rank) + m.mla.kv_lora_rank + m.mla.qk_rope_head_dim
                             : 0.0;
  b += T * latents * (kActBytes + gin);
  // attention output: kept in 16 bit for the attention backward, plus its FP8 cast for the
  // out-projection's weight gradient when the GEMMs run in FP8
  b += T * o_in * (kActBytes + (gin < kActBytes ? gin : 0.0));
  const double mlp_dense = mlp_up + T * f * gin;         // + activation output (down-projection input)
  const double routed_act = assigned * fe * gin;
  const double routed = assigned * l.etp * h * gin + routed_up + routed_act;
  const double shared = shared_up + T * fs * gin;
  b += moe ? routed + shared + router : mlp_dense;
  if (l.recompute == Recompute::selective_op) {
    // Per-op SAC recomputes the elementwise ops and every second matmul: the norm outputs,
    // the activation output and one of the two MLP up/gate outputs are not kept.
    b -= 2.0 * rep * h * gin;
    if (!moe) b -= T * f * gin + (m.gated_mlp ? T * f * kActBytes : 0.0);
  }
  const unsigned mods = l.recompute == Recompute::selective ? l.recompute_modules : 0u;
  // Megatron selective modules keep only their inputs (core_attn changes nothing stored with
  // flash attention; its unfused scores are handled below).
  if (mods & kRmLayernorm) b -= 2.0 * rep * h * gin;    // norm outputs
  if (!moe && (mods & kRmMlp)) b -= mlp_dense;
  if (moe && (mods & kRmMoe)) {
    b -= routed + shared + router;
  } else if (moe) {
    if (mods & kRmMoeAct) b -= routed_act;
    if (mods & kRmSharedExperts) b -= shared;
  }
  if (mods & kRmMlaUpProj) b -= T * (q_out + kv_out) * kActBytes;  // q, k, v rebuilt from the latents
  b += 2.0 * rep * h * mask;                             // dropout masks
  if (l.attention != AttentionKernel::unfused) {
    b += T * (m.heads / tp) * 4.0;                       // flash softmax statistics
  } else if (l.recompute == Recompute::none || (l.recompute == Recompute::selective && !(mods & kRmCoreAttn))) {
    // Unfused core keeps softmax output (2 B), dropout mask (1 B) and dropout output (2 B)
    // per score: Korthikanti et al. 2022 eq. 1's 5*a*s/h term. Selective recompute drops it.
    const double seq = T * l.cp / l.micro_batch;
    b += 5.0 * (m.heads / tp) * T * seq;
  }
  return b;
}

StageMemory stage_memory(int rank, int layers, const RankCost& rc, const Model& m, const Layout& l,
                         const Setup& s, const Efficiency& e, long mb) {
  StageMemory sm;
  sm.layers = layers;
  const StateBytes st = state_bytes(rc.params, layers, l);
  const double weights = st.weights, grads = st.grads, opt = st.opt;
  // Micro-batches in flight (Megatron schedules): 1F1B rank r holds pp-r; interleaved rank r
  // holds (2(pp-r-1) + (vpp-1)pp + 1) chunks of layers/vpp.
  double in_flight;
  if (l.vpp > 1) {
    in_flight = (2.0 * (l.pp - rank - 1) + (l.vpp - 1.0) * l.pp + 1.0) / l.vpp;
  } else {
    in_flight = l.pp - rank;
  }
  in_flight = std::min(in_flight, static_cast<double>(mb));
  sm.microbatches_in_flight = static_cast<int>(std::ceil(in_flight));
  Layout none = l;
  none.recompute = Recompute::none;
  // Block recompute keeps only the inputs of the recomputed layers, all activations of the rest.
  auto per_layer = [&](bool moe) {
    if (l.recompute != Recompute::full) return layer_activation_bytes(m, l, s, moe);
    const double f = moe ? rc.recomputed.moe : rc.recomputed.dense;
    return f * layer_activation_bytes(m, l, s, moe) + (1.0 - f) * layer_activation_bytes(m, none, s, moe);
  };
  double act = in_flight * (rc.dense_layers * per_layer(false) + rc.moe_layers * per_layer(true));
  if (l.recompute == Recompute::full && layers > 0) {
    // Working set while one layer is recomputed and back-propagated.
    act += layer_activation_bytes(m, none, s, rc.moe_layers > 0);
  }
  if (rank == l.pp - 1) {
    // Loss on the last micro-batch: what the cross-entropy keeps live at its peak (loss_kernel).
    act += s.tokens * (m.vocab / static_cast<double>(l.tp)) * loss_kernel(l).live_bytes;
  }
  // The embedding output is layer 1's (already counted) input; GPT-style models add its
  // 1-byte dropout mask (Korthikanti et al. 2022 sec. 4.3).
  if (rank == 0 && m.linear_bias) act += in_flight * s.tokens * m.hidden / (l.sequence_parallel ? l.tp : 1);
  sm.weights_gib = weights / kGiB;
  sm.gradients_gib = grads / kGiB;
  sm.optimizer_gib = opt / kGiB;
  sm.activations_gib = act / kGiB;
  const double allocated = sm.weights_gib + sm.gradients_gib + sm.optimizer_gib + sm.activations_gib;
  sm.workspace_gib = e.workspace_gib + e.fragmentation * allocated;
  sm.total_gib = allocated + sm.workspace_gib;
  return sm;
}

}  // namespace

Result estimate_step(const Model& m, const Cluster& c, const Layout& l, const Workload& w) noexcept {
  Result res;
  const Efficiency& e = c.acc.eff;
  const Setup s = make_setup(c, l, w);
  const ParamCount pc = count_params(m);
  StageSplit split;
  split_stages(m.layers, l, &split);
  const long mb = micro_batches(l, w);
  res.micro_batches = mb;

  const LayerCost lc = layer_cost(m, l, w, s, false);
  const LayerCost lc_moe = m.is_moe() ? layer_cost(m, l, w, s, true) : lc;
  const EdgeCost ec = edge_cost(m, l, s);
  const bool single = l.pp == 1;
  const RankCost first = rank_cost(0, split.first, split.rec_first, true, single, l, lc, lc_moe, ec, pc, m);
  const RankCost last = single ? first
                               : rank_cost(m.layers - split.last, split.last, split.rec_last, false, true, l, lc,
                                           lc_moe, ec, pc, m);
  const RankCost middle =
      l.pp > 2 ? rank_cost(split.first, split.middle, split.rec_middle, false, false, l, lc, lc_moe, ec, pc, m) : first;

  auto mb_time = [](const RankCost& r) { return r.gemm + r.attn + r.mem + r.tp; };
  const RankCost* slow = &first;
  if (mb_time(last) > mb_time(*slow)) slow = &last;
  if (mb_time(middle) > mb_time(*slow)) slow = &middle;
  const double t_mb = mb_time(*slow);
  res.mb_forward_s = slow->fwd;
  res.mb_backward_s = slow->bwd;
  res.mb_tp_comm_s = slow->tp;

  // Data-parallel traffic of the rank holding the most parameters: dense parameters over the
  // dp*cp group, routed-expert parameters over the expert data-parallel group (tp*cp*dp/ep
  // ranks, ep apart).
  const RankParams* heavy = &first.params;
  if (last.params.total() > heavy->total()) heavy = &last.params;
  if (middle.params.total() > heavy->total()) heavy = &middle.params;
  const double p_rank = heavy->total();
  const int ex_n = std::max(1, l.tp * l.cp * l.dp / (l.ep * l.etp));
  const Group ex_grp = place_group(ex_n, static_cast<long>(l.ep) * l.etp, s.domain, &s.torus);
  // Hybrid sharding: gathers and reduce-scatters stay inside a shard group; the replicas then
  // all-reduce their gradient shards (dense over the dp replicas, experts likewise).
  const int reps = l.dp / dp_shard_of(l);
  const Group ex_shard = reps > 1 ? place_group(ex_n / reps, static_cast<long>(l.ep) * l.etp, s.domain, &s.torus) : ex_grp;
  const Group ex_rep = place_group(reps, static_cast<long>(l.ep) * l.etp * (ex_n / reps), s.domain, &s.torus);
  auto ag_s = [&](double bytes_per_param) {
    return all_gather_s(heavy->dense * bytes_per_param, s.shard_grp, s.up, s.out) +
           all_gather_s(heavy->expert * bytes_per_param, ex_shard, s.up, s.out);
  };
  auto rs_s = [&](double bytes_per_param) {
    return reduce_scatter_s(heavy->dense * bytes_per_param, s.shard_grp, s.up, s.out) +
           reduce_scatter_s(heavy->expert * bytes_per_param, ex_shard, s.up, s.out);
  };
  auto rep_ar_s = [&](double bytes_per_param) {
    if (reps <= 1) return 0.0;
    return all_reduce_s(heavy->dense / s.shard_grp.n * bytes_per_param, s.rep_grp, s.up, s.out) +
           all_reduce_s(heavy->expert / ex_shard.n * bytes_per_param, ex_rep, s.up, s.out);
  };
  auto ar_s = [&](double bytes_per_param) {
    return all_reduce_s(heavy->dense * bytes_per_param, s.dp_grp, s.up, s.out) +
           all_reduce_s(heavy->expert * bytes_per_param, ex_grp, s.up, s.out);
  };
  const int lay_slow = std::max(1, std::max(split.first, std::max(split.middle, split.last)));
  double dp_exposed = 0;
  double fsdp_exposed_per_mb = 0;
  if (s.dp_grp.n > 1 || ex_grp.n > 1) {
    const double weight_bpp = s.r.in_bytes < 2.0 ? 1.0 : kWeightBytes;
    if (l.zero >= 3 && l.pp > 1) {
      // Under a pipeline: gather once per step (overlapped with the first micro-batch's
      // forward) and reduce-scatter once (with the last micro-batch's backward).
      const double ag = ag_s(weight_bpp);
      const double rs = rs_s(grad_bytes(l)) + rep_ar_s(grad_bytes(l));
      dp_exposed = std::max(ag / lay_slow, ag - slow->fwd) + std::max(rs / lay_slow, rs - slow->bwd);
      dp_exposed += (ag + rs - dp_exposed) * s.sm_share;
    } else if (l.zero >= 3) {
      // Per micro-batch: gather weights for forward and again for backward, reduce-scatter
      // gradients; prefetched one layer ahead, so only traffic beyond compute is exposed.
      const double comm = 2.0 * ag_s(weight_bpp) + rs_s(grad_bytes(l));
      fsdp_exposed_per_mb = std::max(comm / lay_slow, comm - t_mb);
      fsdp_exposed_per_mb += (comm - fsdp_exposed_per_mb) * s.sm_share;
      // HSDP: the replicas all-reduce the reduced gradient shards once per step, layer by layer
      // behind the last micro-batch's backward.
      const double rep = rep_ar_s(grad_bytes(l));
      if (rep > 0) dp_exposed = std::max(rep / lay_slow, rep - slow->bwd) + std::min(rep, slow->bwd) * s.sm_share;
    } else {
      double grad_comm;
      double param_comm = 0;
      if (l.zero == 0) {
        grad_comm = ar_s(grad_bytes(l));
      } else {
        grad_comm = rs_s(grad_bytes(l)) + rep_ar_s(grad_bytes(l));
        param_comm = ag_s(kWeightBytes);
      }
      if (l.grad_reduce_overlap) {
        // Bucketed: overlapped with the last micro-batch's backward; the last bucket (about one
        // layer's worth) always waits. The parameter all-gather likewise hides under the first
        // micro-batch's forward.
        dp_exposed = std::max(grad_comm / lay_slow, grad_comm - slow->bwd);
        if (param_comm > 0) dp_exposed += std::max(param_comm / lay_slow, param_comm - slow->fwd);
        dp_exposed += (grad_comm + param_comm - dp_exposed) * s.sm_share;  // SMs the hidden part takes
      } else {
        // One reduction of the whole gradient buffer once the backward has ended, and the
        // parameter all-gather after the optimizer step: both on the critical path.
        dp_exposed = grad_comm + param_comm;
      }
    }
  }

  // FSDP2's copies around its collectives (Layout::fsdp_copies), HBM traffic on this rank: the
  // copy-out of each all-gather (read and write the gathered parameters) and the copy-in of its
  // own shard (read the fp32 master shard, write it at the gather width) run on the compute
  // stream; the reduce-scatter's copy-in (read the 16-bit gradients, write them at the reduce
  // width) runs on the reduce-scatter stream, hidden like traffic but taking SMs. Parameters are
  // gathered twice per micro-batch (forward, and again for backward after resharding), or once
  // per step under a pipeline, as the collectives above.
  double fsdp_copy_s = 0;
  if (l.zero >= 3 && l.fsdp_copies && (s.dp_grp.n > 1 || ex_grp.n > 1)) {
    const double weight_bpp = s.r.in_bytes < 2.0 ? 1.0 : kWeightBytes;
    const double shard = 1.0 / std::max(1, dp_shard_of(l) * l.cp);
    const double gather_bytes = p_rank * (2.0 * weight_bpp + (4.0 + weight_bpp) * shard);
    const double rs_bytes = p_rank * (kWeightBytes + grad_bytes(l));
    const double gathers = l.pp > 1 ? 1.0 : 2.0 * static_cast<double>(mb);
    const double reduces = l.pp > 1 ? 1.0 : static_cast<double>(mb);
    fsdp_copy_s = mem_s(s.r, gathers * gather_bytes, gathers * lay_slow) +
                  mem_s(s.r, reduces * rs_bytes, reduces * lay_slow) * s.sm_share;
  }

  // Pipeline.
  const double mbd = static_cast<double>(mb);
  double bubble = 0, p2p = 0;
  if (l.pp > 1) {
    bubble = (l.pp - 1.0) / l.vpp * (t_mb + fsdp_exposed_per_mb);
    const double msg = s.tokens * m.hidden * kActBytes / (l.sequence_parallel ? l.tp : 1);
    const Link& lk = s.pp_on_scale_out ? s.out : s.up;
    // On a torus a send to the next stage uses one of the chip's 2*dims links.
    const double link_share = !s.pp_on_scale_out && s.torus.dims > 0 ? 0.5 / s.torus.dims : 1.0;
    const double one = msg / (lk.bytes_per_s * link_share) + lk.latency_s;
    // 1F1B: every send/receive pair is on the critical path. Interleaved: Megatron overlaps
    // them with the next chunk's compute (overlap_p2p_comm, on by default); the warm-up and
    // cool-down transfers remain.
    p2p = l.vpp > 1 ? 2.0 * (l.pp - 1.0) * one : 2.0 * mbd * one;
    // The overlapped transfers (2 per micro-batch per chunk) still occupy SMs.
    if (l.vpp > 1) p2p += std::max(0.0, 2.0 * mbd * l.vpp * one - p2p) * s.sm_share;
  }

  // Optimizer: Adam over the parameters this rank updates.
  const double opt_params =
      l.zero >= 1 ? heavy->dense / (static_cast<double>(dp_shard_of(l)) * l.cp) + heavy->expert / std::max(1, ex_shard.n) : p_rank;
  const double t_opt = mem_s(s.r, opt_params * kAdamStepBytes, 4);

  Breakdown& b = res.time;
  b.gemm_s = mbd * slow->gemm;
  b.attention_s = mbd * slow->attn;
  b.memory_bound_s = mbd * slow->mem + fsdp_copy_s;
  b.tp_comm_s = mbd * slow->tp;
  b.dp_comm_s = dp_exposed + mbd * fsdp_exposed_per_mb;
  b.pp_bubble_s = bubble;
  b.pp_p2p_s = p2p;
  b.optimizer_s = t_opt;
  b.overhead_s = e.step_overhead_s;
  res.step_s = res.breakdown_sum_s();

  const double tokens = static_cast<double>(w.global_batch) * w.seq_len;
  res.tokens_per_s_per_gpu = tokens / (res.step_s * c.gpus);
  res.model_flops_per_step = static_cast<double>(w.global_batch) * model_flops_per_sequence(m, w.seq_len);
  // HFU adds the recomputed forward, counted like the model FLOPs (attention without causal
  // halving): one layer's forward for one micro-batch, whole model width, times layers,
  // micro-batches and data-parallel replicas.
  // The busiest expert rank's routed load is imbalance x the mean; FLOPs count the mean.
  const double routed_excess = l.moe_imbalance > 0 ? 1.0 - 1.0 / l.moe_imbalance : 0.0;
  auto recompute_flops = [&](const LayerCost& x, bool is_moe) {
    switch (l.recompute) {
      case Recompute::full: return x.flops_f - routed_excess * x.routed_flops_f + x.attn_conv_f;
      case Recompute::selective_dots: return x.attn_conv_f;
      case Recompute::selective_op: return x.op_sac_flops_f;
      case Recompute::none: return 0.0;
      case Recompute::selective: break;
    }
    const unsigned mods = l.recompute_modules;
    double f = 0;
    if (mods & kRmCoreAttn) f += x.attn_conv_f;
    if ((!is_moe && (mods & kRmMlp)) || (is_moe && (mods & kRmMoe))) {
      f += x.mlp_flops_f - routed_excess * x.routed_flops_f;
    } else if (is_moe && (mods & kRmSharedExperts)) {
      f += x.shared_flops_f;
    }
    if (mods & kRmMlaUpProj) f += x.mla_up_flops_f;
    return f;
  };
  // Layers rerun, dense and MoE: all of them, or under block recompute the recomputed layers of
  // all chunks, dense ones first (recompute_share over the whole model).
  const int dense_total = m.is_moe() ? std::min(m.moe.dense_layers, m.layers) : m.layers;
  const int moe_total = m.layers - dense_total;
  RecomputeShare whole{1.0, 1.0};
  if (l.recompute == Recompute::full) {
    whole = recompute_share(dense_total, moe_total, static_cast<int>(std::min<long>(split.rec_total, m.layers)), l);
  }
  const double recompute_per_mb = (whole.dense * dense_total * recompute_flops(lc, false) +
                                   whole.moe * moe_total * recompute_flops(lc_moe, true)) * l.tp * l.cp;
  res.hardware_flops_per_step = res.model_flops_per_step + recompute_per_mb * mbd * l.dp;
  const double peak = c.acc.peak_tflops[static_cast<int>(w.precision)] * 1e12 * c.gpus;
  res.mfu = res.model_flops_per_step / (res.step_s * peak);
  res.hfu = res.hardware_flops_per_step / (res.step_s * peak);

  // Memory.
  res.first = stage_memory(0, split.first, first, m, l, s, e, mb);
  res.last = single ? res.first : stage_memory(l.pp - 1, split.last, last, m, l, s, e, mb);
  res.middle = l.pp > 2 ? stage_memory(1, split.middle, middle, m, l, s, e, mb) : res.first;
  res.usable_memory_gib = c.acc.hbm_gib - e.runtime_reserved_gib - c.memory_margin_gib;
  res.peak_memory_gib = std::max(res.first.total_gib, std::max(res.middle.total_gib, res.last.total_gib));
  res.oom = res.peak_memory_gib > res.usable_memory_gib;

  // What binds: the largest share of the step, by resource.
  double by[7] = {};
  by[static_cast<int>(Binding::compute)] = b.gemm_s + b.attention_s;
  by[static_cast<int>(Binding::hbm_bandwidth)] = b.memory_bound_s + b.optimizer_s;
  by[static_cast<int>(s.tp_on_scale_out ? Binding::scale_out : Binding::scale_up)] += b.tp_comm_s;
  by[static_cast<int>(s.dp_on_scale_out ? Binding::scale_out : Binding::scale_up)] += b.dp_comm_s;
  by[static_cast<int>(s.pp_on_scale_out ? Binding::scale_out : Binding::scale_up)] += b.pp_p2p_s;
  by[static_cast<int>(Binding::pipeline_bubble)] = b.pp_bubble_s;
  by[static_cast<int>(Binding::overhead)] = b.overhead_s;
  int best = 0;
  for (int i = 1; i < 6; ++i) {
    if (by[i] > by[best]) best = i;
  }
  res.binding = res.oom ? Binding::memory_capacity : static_cast<Binding>(best);
  return res;
}

double state_memory_lower_bound_gib(const Model& m, const Cluster& c, const Layout& l) noexcept {
  StageSplit split;
  if (!split_stages(m.layers, l, &split)) return 0;
  const ParamCount pc = count_params(m);
  const Efficiency& e = c.acc.eff;
  auto one = [&](int first_layer, int layers, bool emb, bool head) {
    const int dense = dense_layers_in(m, first_layer, layers);
    const StateBytes b = state_bytes(rank_params(dense, layers - dense, emb, head, l, pc, m), layers, l);
    const double allocated = (b.weights + b.grads + b.opt) / kGiB;
    return allocated * (1.0 + e.fragmentation) + e.workspace_gib;
  };
  if (l.pp == 1) return one(0, split.first, true, true);
  double worst = std::max(one(0, split.first, true, false), one(m.layers - split.last, split.last, false, true));
  if (l.pp > 2) worst = std::max(worst, one(split.first, split.middle, false, false));
  return worst;
}

double step_time_lower_bound_s(const Model& m, const Cluster& c, const Layout& l, const Workload& w) noexcept {
  StageSplit split;
  if (!split_stages(m.layers, l, &split)) return 0;
  const Efficiency& e = c.acc.eff;
  const int p = static_cast<int>(w.precision);
  const double rate = c.acc.peak_tflops[p] * 1e12 * (e.gemm[p] > 0 ? e.gemm[p] : e.gemm[static_cast<int>(Precision::bf16)]);
  const AttnShape a = attention_shape(m);
  const double tp = l.tp;
  const double q_out = (m.heads / tp) * a.qk_dim;
  const double kv_out = 2.0 * std::ceil(static_cast<double>(m.kv_heads) / tp) * m.dim_head();
  const double o_in = (m.heads / tp) * a.v_dim;
  const double f = m.ffn / tp;
  const double up = (m.gated_mlp ? 2.0 : 1.0) * f;
  const double h = m.hidden;
  // Tokens rank 0 processes per step, whatever the micro-batch: global_batch/dp sequences of
  // seq_len/cp tokens. Forward + backward GEMMs are 3x the forward FLOPs.
  const double tokens = static_cast<double>(w.global_batch) / l.dp * w.seq_len / l.cp;
  // Attention projections: for MLA the smallest of its GEMMs is counted only (a lower bound).
  const double attn = m.attention == Attention::mla ? o_in * h : h * (q_out + kv_out) + o_in * h;
  const int dense = dense_layers_in(m, 0, split.first);
  double per_token = (split.first) * attn + dense * (h * up + f * h);
  if (m.is_moe()) {
    // The bound serves both SP settings of a job: the smaller routed share (SP: 1/tp).
    const double routed = (1.0 / tp) * m.moe.top_k * l.moe_imbalance;
    const double mats_up = m.gated_mlp ? 2.0 : 1.0;
    per_token += (split.first - dense) * routed * (mats_up + 1.0) * h * m.moe.expert_ffn;
  }
  const double flops = 3.0 * 2.0 * tokens * per_token;
  return flops / rate;
}

const char* binding_name(Binding b) {
  switch (b) {
    case Binding::compute: return "compute";
    case Binding::hbm_bandwidth: return "hbm-bandwidth";
    case Binding::scale_up: return "scale-up-bandwidth";
    case Binding::scale_out: return "scale-out-bandwidth";
    case Binding::pipeline_bubble: return "pipeline-bubble";
    case Binding::overhead: return "overhead";
    case Binding::memory_capacity: return "memory-capacity";
  }
  return "?";
}

}  // namespace danlu
