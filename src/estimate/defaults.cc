// Default layout completion (danlu/estimate.h resolve_layout).
#include <cmath>

#include "danlu/estimate.h"

namespace danlu {
namespace {

long default_global_batch(const Layout& l, int seq_len) {
  const long unit = static_cast<long>(l.dp) * l.micro_batch;
  const double want = 4194304.0 / seq_len;  // 2^22 tokens per step
  long k = static_cast<long>(std::llround(want / static_cast<double>(unit)));
  if (k < 1) k = 1;
  return k * unit;
}

}  // namespace

// Fully sharded (ZeRO-3) training is the PyTorch-native stack (torchtitan, FSDP2), whose SDPA
// dispatches FlashAttention-2 on NVIDIA parts (cuDNN attention is opt-in since PyTorch 2.5,
// pytorch/pytorch#138522); Megatron-style stacks use the family's best fused kernel.
AttentionKernel default_attention(int zero) { return zero == 3 ? AttentionKernel::flash2 : AttentionKernel::flash; }

// The PyTorch-native stack on a switched GPU fabric (FSDP2 / torchtitan) computes its loss in
// eager PyTorch even when it compiles the transformer blocks (torchtitan train.py: compiling
// the loss is left off); XLA (TPU, Trainium) and Megatron-Core fuse it.
bool default_fused_loss(const Cluster& c, int zero, bool fused_elementwise) {
  return fused_elementwise && !(zero == 3 && c.acc.torus_dims == 0);
}

// ZeRO-3 on a switched GPU fabric defaults to the PyTorch-native stack (FSDP2), as the
// attention kernel and the loss do; TPUs shard through XLA.
bool default_fsdp_copies(const Cluster& c, int zero) { return zero == 3 && c.acc.torus_dims == 0; }

Layout resolve_layout(const Model& m, const Cluster& c, const PartialLayout& p, Workload* w,
                      bool global_batch_set, unsigned* flags) {
  unsigned f = 0;
  Layout l;
  auto take = [&](const std::optional<int>& v, int fallback, unsigned bit) {
    if (v) return *v;
    f |= bit;
    return fallback;
  };
  l.cp = take(p.cp, 1, kDefCp);
  l.ep = take(p.ep, 1, kDefEp);
  // Megatron-Bridge recipes run experts without tensor parallel (etp 1); Megatron-LM's own
  // default (etp = tp when unset) must be stated.
  l.etp = p.etp.value_or(1);
  l.vpp = take(p.vpp, 1, kDefVpp);
  l.micro_batch = take(p.micro_batch, 1, kDefMicroBatch);
  l.zero = take(p.zero, 1, kDefZero);
  l.first_stage_layers = p.first_stage_layers.value_or(0);
  l.recompute_num_layers = p.recompute_num_layers.value_or(0);
  l.recompute_modules = p.recompute_modules.value_or(kRmCoreAttn);
  l.tp_comm_overlap = p.tp_comm_overlap.value_or(c.acc.eff.tp_overlap_default);
  l.attention = p.attention.value_or(default_attention(p.zero.value_or(1)));
  l.fused_elementwise = p.fused_elementwise.value_or(true);
  l.fused_loss = p.fused_loss.value_or(default_fused_loss(c, p.zero.value_or(1), l.fused_elementwise));
  l.grad_reduce_bf16 = p.grad_reduce_bf16.value_or(false);
  l.grad_reduce_overlap = p.grad_reduce_overlap.value_or(true);
  l.dp_shard = p.dp_shard.value_or(0);
  l.fsdp_copies = p.fsdp_copies.value_or(default_fsdp_copies(c, p.zero.value_or(1)));
  if (p.moe_imbalance) l.moe_imbalance = *p.moe_imbalance;
  l.last_stage_layers = p.last_stage_layers.value_or(0);
  const int cp = l.cp > 0 ? l.cp : 1;

  if (p.tp) {
    l.tp = *p.tp;
  } else {
    f |= kDefTp;
    const int cap = c.gpus_per_node < 8 ? c.gpus_per_node : 8;
    l.tp = 1;
    for (int t = cap; t >= 1; --t) {
      if (m.heads % t == 0 && c.gpus % (t * cp) == 0) {
        l.tp = t;
        break;
      }
    }
  }
  if (p.sequence_parallel) {
    l.sequence_parallel = *p.sequence_parallel;
  } else {
    f |= kDefSp;
    l.sequence_parallel = l.tp > 1;
  }
  const int tp = l.tp > 0 ? l.tp : 1;
  const long rest = c.gpus / (static_cast<long>(tp) * cp);

  // Fully sharded data parallel without a pipeline (torchtitan, MaxText, FSDP) runs the whole
  // local batch in one pass unless told otherwise: micro_batch = global_batch / dp.
  const bool fsdp_local_batch = !p.micro_batch && l.zero == 3 && global_batch_set;
  // Expert parallel for MoE models, when unset: the largest divisor of the expert count that
  // divides tp*cp*dp/etp and keeps the all-to-all (members etp apart) inside one scale-up domain.
  auto pick_ep = [&](Layout& x) {
    if (p.ep || !m.is_moe()) return;
    const long pool = static_cast<long>(x.tp) * x.cp * x.dp;
    int best = 1;
    for (int e = 1; e <= m.moe.experts && static_cast<long>(e) * x.etp <= c.gpus_per_node; ++e) {
      if (m.moe.experts % e == 0 && pool % (static_cast<long>(e) * x.etp) == 0) best = e;
    }
    x.ep = best;
  };
  auto finish = [&](Layout x) {
    pick_ep(x);
    if (fsdp_local_batch && x.pp == 1 && x.dp > 0 && w->global_batch % x.dp == 0) {
      x.micro_batch = static_cast<int>(w->global_batch / x.dp);
    }
    if (!global_batch_set) w->global_batch = default_global_batch(x, w->seq_len);
    return x;
  };

  // Candidate recompute modes: the given one, or none -> selective -> full. A recompute-layers
  // count implies full. Where full is danlu's own choice, it recomputes as few layers per chunk
  // as fit (Megatron's block method), as a practitioner tuning for speed would.
  Recompute modes[3] = {Recompute::none, Recompute::selective, Recompute::full};
  int n_modes = 3;
  if (p.recompute || p.recompute_num_layers || p.recompute_modules) {
    modes[0] = p.recompute.value_or(p.recompute_modules ? Recompute::selective : Recompute::full);
    n_modes = 1;
  } else {
    f |= kDefRecompute;
  }
  const bool choose_layers = !p.recompute && !p.recompute_num_layers && !p.recompute_modules;
  // Sets x to the recompute mode `rc`; for a chosen full recompute, the fewest layers per chunk
  // that fit (all of them when none does). Says whether x fits, runs out of memory (its peak in
  // *peak_gib) or is no valid layout.
  enum class Fit { kFits, kOom, kInvalid };
  auto try_mode = [&](Layout& x, Recompute rc, const Workload& wx, double* peak_gib) {
    x.recompute = rc;
    if (rc == Recompute::full && choose_layers) {
      StageSplit split;
      const int per_chunk = split_stages(m.layers, x, &split) ? split.max_chunk : 0;
      for (int n = 1; n < per_chunk; ++n) {
        x.recompute_num_layers = n;
        if (check_layout(m, c, x, wx) != LayoutIssue::kOk) break;
        if (!estimate_step(m, c, x, wx).oom) return Fit::kFits;
      }
      x.recompute_num_layers = 0;
    }
    if (check_layout(m, c, x, wx) != LayoutIssue::kOk) return Fit::kInvalid;
    const Result r = estimate_step(m, c, x, wx);
    *peak_gib = r.peak_memory_gib;
    return r.oom ? Fit::kOom : Fit::kFits;
  };

  if (p.pp || p.dp) {
    if (p.pp) l.pp = *p.pp; else f |= kDefPp;
    if (p.dp) l.dp = *p.dp; else f |= kDefDp;
    if (!p.pp) l.pp = static_cast<int>(rest / (l.dp > 0 ? l.dp : 1));
    if (!p.dp) l.dp = static_cast<int>(rest / (l.pp > 0 ? l.pp : 1));
    l.recompute = modes[0];
    Layout x = finish(l);  // (the recompute loop below keeps x's micro_batch)
    double peak_gib = 0;
    for (int i = 0; i < n_modes; ++i) {
      if (try_mode(x, modes[i], *w, &peak_gib) != Fit::kOom) break;
    }
    *flags = f;
    return x;
  }

  f |= kDefPp | kDefDp;
  Layout best = l;
  best.pp = 1;
  best.dp = static_cast<int>(rest);
  best.recompute = modes[0];
  double best_mem = 1e300;
  bool found = false;
  for (int i = 0; i < n_modes && !found; ++i) {
    for (long pp = 1; pp <= rest && pp <= m.layers; ++pp) {
      if (rest % pp != 0) continue;
      Layout x = l;
      x.pp = static_cast<int>(pp);
      x.dp = static_cast<int>(rest / pp);
      x.recompute = modes[i];
      pick_ep(x);
      Workload wx = *w;
      if (!global_batch_set) wx.global_batch = default_global_batch(x, w->seq_len);
      if (fsdp_local_batch && x.pp == 1 && wx.global_batch % x.dp == 0) {
        x.micro_batch = static_cast<int>(wx.global_batch / x.dp);
      }
      double peak_gib = 0;
      const Fit fit = try_mode(x, modes[i], wx, &peak_gib);
      if (fit == Fit::kFits) {
        best = x;
        found = true;
        break;
      }
      if (fit == Fit::kOom && peak_gib < best_mem) {
        best_mem = peak_gib;
        best = x;
      }
    }
  }
  *flags = f;
  return finish(best);
}

}  // namespace danlu
