// The serving estimator (danlu/serve.h).
#include "danlu/serve.h"

#include <algorithm>
#include <cmath>

namespace danlu {
namespace {

constexpr double kGiB = 1073741824.0;

double bytes_of(Precision p) {
  switch (p) {
    case Precision::fp32: return 4.0;
    case Precision::tf32: return 4.0;
    case Precision::bf16:
    case Precision::fp16: return 2.0;
    case Precision::fp8:
    case Precision::mxfp8: return 1.0;
    case Precision::nvfp4: return 0.5625;  // 4-bit values + one 8-bit scale per 16
  }
  return 2.0;
}

struct Hw {
  double flops;      // GEMM peak x large-GEMM efficiency, FLOP/s
  double flops16;    // 16-bit peak x efficiency (attention)
  double attn_eff;
  double hbm;        // sustained bytes/s
  double up_bw, up_lat, out_bw, out_lat;
  double kernel_s;
  int units, tile_m, tile_n;
  double k0;
};

// GEMM C[M,N] = A[M,K] W[K,N] with weights stored at `wb` bytes and activations at `ab`.
double gemm(const Hw& hw, double M, double N, double K, double wb, double ab, double count = 1) {
  if (M <= 0 || N <= 0 || K <= 0 || count <= 0) return 0;
  const double tiles = std::ceil(M / hw.tile_m) * std::ceil(N / hw.tile_n);
  const double waves = std::ceil(tiles / hw.units);
  const double wave_eff = tiles / (waves * hw.units);
  const double t_c = 2.0 * M * N * K / (hw.flops * wave_eff * (K / (K + hw.k0)));
  const double t_m = (M * K * ab + K * N * wb + M * N * 2.0) / hw.hbm;
  return count * (std::max(t_c, t_m) + hw.kernel_s);
}

// A grouped GEMM (one kernel for all experts, as CUTLASS grouped / TRT-LLM MoE kernels run
// them): `groups` problems of M x N x K; rows pad to the tile height, every group's weights
// are read once.
double grouped(const Hw& hw, double groups, double M, double N, double K, double wb, double ab) {
  const double padded = std::ceil(M / hw.tile_m) * hw.tile_m;
  const double t_c = 2.0 * groups * padded * N * K / (hw.flops * (K / (K + hw.k0)));
  const double t_m = groups * (M * K * ab + K * N * wb + M * N * 2.0) / hw.hbm;
  return std::max(t_c, t_m) + hw.kernel_s;
}

// Small-message all-reduce inside the scale-up domain as serving engines run it (one-shot /
// two-shot custom kernels: a fixed latency plus the ring's bus traffic).
double allreduce(const Hw& hw, double bytes, int n) {
  if (n <= 1) return 0;
  return 2.0 * hw.up_lat + 2.0 * (n - 1.0) / n * bytes / hw.up_bw;
}

}  // namespace

double kv_bytes_per_token(const Model& m, const ServeSetup& s) {
  const double layers = static_cast<double>(m.layers) / s.pp;
  const double kvb = bytes_of(s.kv_cache);
  if (m.attention == Attention::mla) {
    // MLA caches the compressed latent and the rope key, replicated on every TP rank.
    return layers * (m.mla.kv_lora_rank + m.mla.qk_rope_head_dim) * kvb;
  }
  const double kv_heads = std::ceil(static_cast<double>(m.kv_heads) / s.tp);
  return layers * 2.0 * kv_heads * m.dim_head() * kvb;
}

ServeResult estimate_serving(const Model& m, const Cluster& c, const Engine& e, const ServeSetup& s) noexcept {
  ServeResult r;
  const Efficiency& ef = c.acc.eff;
  const bool low_math = bytes_of(s.activations) < 2.0;
  const int p_math = static_cast<int>(low_math ? s.activations : Precision::bf16);
  Hw hw{};
  hw.flops = c.acc.peak_tflops[p_math] * 1e12 * (ef.gemm[p_math] > 0 ? ef.gemm[p_math] : ef.gemm[2]);
  hw.flops16 = c.acc.peak_tflops[static_cast<int>(Precision::bf16)] * 1e12;
  hw.attn_eff = ef.attn_fwd;
  hw.hbm = c.acc.hbm_gbs * 1e9 * ef.hbm;
  hw.up_bw = c.acc.scale_up_gbs * 1e9 * ef.scale_up;
  hw.up_lat = ef.scale_up_latency_us * 1e-6;
  hw.out_bw = c.nic_gbps_per_gpu / 8.0 * 1e9 * ef.scale_out;
  hw.out_lat = c.net.latency_us * 1e-6;
  hw.kernel_s = ef.kernel_us * 1e-6;
  hw.units = c.acc.compute_units > 0 ? c.acc.compute_units : 1;
  hw.tile_m = ef.tile_m;
  hw.tile_n = ef.tile_n;
  hw.k0 = ef.gemm_k0;
  const double ab = low_math ? bytes_of(s.activations) : 2.0;
  const double wb = s.weight_bytes;

  const double tp = s.tp, h = m.hidden;
  const ParamCount pc = count_params(m);
  const AttnShape a = attention_shape(m);
  const double q_heads = m.heads / tp;
  const double kv_heads = std::ceil(static_cast<double>(m.kv_heads) / tp);
  const double hd = m.dim_head();
  const double q_out = q_heads * a.qk_dim;
  const double kv_out = m.attention == Attention::mla ? 0.0 : 2.0 * kv_heads * hd;
  const double o_in = q_heads * a.v_dim;
  const double mats_up = m.gated_mlp ? 2.0 : 1.0;
  const double layers = static_cast<double>(m.layers) / s.pp;
  const double dense_layers = m.is_moe() ? std::min<double>(m.moe.dense_layers, m.layers) / s.pp : layers;
  const double moe_layers = layers - dense_layers;

  // ---- memory
  double params_gpu = (pc.embedding + pc.output) / tp / s.pp + layers * pc.per_layer_attn / tp +
                      dense_layers * pc.per_layer_mlp / tp;
  if (m.is_moe()) {
    const double expert = (m.gated_mlp ? 3.0 : 2.0) * h * m.moe.expert_ffn;
    // Experts split over ep ranks, and over tp inside each expert when ep = 1.
    params_gpu += moe_layers * (h * m.moe.experts + m.moe.shared_experts * expert / tp +
                                m.moe.experts * expert / (s.ep > 1 ? s.ep : tp));
  }
  r.weights_gib = params_gpu * wb / kGiB;
  const double kv_tok = kv_bytes_per_token(m, s);
  const double block = std::max(1, e.kv_block_tokens);
  const double seq_tokens = std::ceil((s.input_tokens + s.output_tokens) / block) * block;
  r.kv_gib_per_seq = seq_tokens * kv_tok / kGiB;
  // Activation workspace of one chunked-prefill iteration plus runtime buffers (CUDA graphs,
  // communication): hidden, attention and MLP intermediates and logits of max_num_tokens.
  const double ffn_w = m.is_moe() ? std::max<double>(m.ffn, m.moe.expert_ffn * m.moe.top_k) : m.ffn;
  r.activation_gib = e.max_num_tokens * (4.0 * h + 2.0 * mats_up * ffn_w / tp) * 2.0 / kGiB + ef.workspace_gib;
  r.usable_gib = c.acc.hbm_gib * e.memory_fraction - ef.runtime_reserved_gib;
  const double free_gib = r.usable_gib - r.weights_gib - r.activation_gib;
  r.kv_capacity_seqs = free_gib > 0 ? std::floor(free_gib / r.kv_gib_per_seq) : 0;
  r.fits = r.kv_capacity_seqs >= 1;
  if (!r.fits) return r;

  // ---- per-layer costs
  auto layer_gemms = [&](double M, bool moe) {
    double t = 0;
    if (m.attention == Attention::mla) {
      if (m.mla.q_lora_rank > 0) {
        t += gemm(hw, M, m.mla.q_lora_rank, h, wb, ab) + gemm(hw, M, q_out, m.mla.q_lora_rank, wb, ab);
      } else {
        t += gemm(hw, M, q_out, h, wb, ab);
      }
      t += gemm(hw, M, m.mla.kv_lora_rank + m.mla.qk_rope_head_dim, h, wb, ab);
      t += gemm(hw, M, q_heads * (m.mla.qk_nope_head_dim + m.mla.v_head_dim), m.mla.kv_lora_rank, wb, ab);
    } else {
      t += gemm(hw, M, q_out + kv_out, h, wb, ab);
    }
    t += gemm(hw, M, h, o_in, wb, ab);
    if (!moe) {
      t += gemm(hw, M, mats_up * m.ffn / tp, h, wb, ab) + gemm(hw, M, h, m.ffn / tp, wb, ab);
      return t;
    }
    const double E = m.moe.experts, fe = m.moe.expert_ffn;
    const double split = s.ep > 1 ? 1.0 : tp;            // expert TP when not expert-parallel
    const double local = s.ep > 1 ? E / s.ep : E;        // experts held on this GPU
    const double routed = M * m.moe.top_k;               // token-expert pairs in the batch
    // Experts hit at least once (uniform routing): local * (1 - exp(-routed / E)); only their
    // weights are read, each with routed*local/E / touched tokens.
    const double touched = std::max(1.0, local * (1.0 - std::exp(-routed / E)));
    const double per_touched = std::max(1.0, routed * local / E / touched);
    t += grouped(hw, touched, per_touched, mats_up * fe / split, h, wb, ab);
    t += grouped(hw, touched, per_touched, h, fe / split, wb, ab);
    t += gemm(hw, M, E, h, 2.0, 2.0);                    // router
    if (m.moe.shared_experts > 0) {
      const double fs = m.moe.shared_experts * fe / tp;
      t += gemm(hw, M, mats_up * fs, h, wb, ab) + gemm(hw, M, h, fs, wb, ab);
    }
    return t;
  };
  auto layer_comm = [&](double tokens, bool moe) {
    double t = 2.0 * allreduce(hw, tokens * h * 2.0, s.tp);
    if (moe && s.ep > 1) {
      const double bytes = tokens * m.moe.top_k * h * ab * (s.ep - 1.0) / s.ep;
      const bool inside = s.ep * s.tp <= c.gpus_per_node;
      t += 2.0 * (bytes / (inside ? hw.up_bw : hw.out_bw) + (inside ? hw.up_lat : hw.out_lat));
    }
    return t;
  };
  const double head_cols = m.vocab / tp;
  // Memory-bound kernels per token per layer as engines fuse them (add+norm twice, the MLP
  // activation, rotary): hidden-size passes in 16 bit plus the activation over the MLP width;
  // `elementwise_kernels` launches per layer.
  const double ffn_local = m.is_moe() ? m.moe.top_k * m.moe.expert_ffn / (s.ep > 1 ? 1.0 : tp) +
                                            m.moe.shared_experts * m.moe.expert_ffn / tp
                                      : m.ffn / tp;
  const double elementwise_bytes = (2.0 * 3.0 * h + (mats_up + 1.0) * ffn_local + 2.0 * (q_out + kv_out)) * 2.0;
  constexpr double elementwise_kernels = 5.0;  // add+norm x2, activation, rotary, residual
  auto elementwise = [&](double tokens) {
    return layers * (tokens * elementwise_bytes / hw.hbm + elementwise_kernels * hw.kernel_s);
  };

  // Prefill of one prompt, chunked by the engine's token budget.
  const double I = s.input_tokens;
  const double chunk = std::min<double>(I, std::max(1, e.max_num_tokens));
  const double chunks = std::ceil(I / chunk);
  const double attn_prefill = 2.0 * I * I * q_heads * (a.qk_dim + a.v_dim) * 0.5;  // causal
  // Time to prefill `tokens` prompt tokens packed into one iteration (GEMMs see M = tokens),
  // per pipeline stage, with `prompts` prompts' attention.
  auto prefill_pass = [&](double tokens, double prompts) {
    return dense_layers * (layer_gemms(tokens, false) + layer_comm(tokens, false)) +
           (m.is_moe() ? moe_layers * (layer_gemms(tokens, true) + layer_comm(tokens, true)) : 0.0) +
           layers * prompts * attn_prefill / (hw.flops16 * hw.attn_eff) + gemm(hw, prompts, head_cols, h, 2.0, 2.0) +
           elementwise(tokens) + e.step_overhead_s;
  };
  // One prompt alone (its latency: the stages run it in sequence).
  r.prefill_s = s.pp * chunks * prefill_pass(chunk, 1.0 / chunks);
  // Per prompt when the engine packs prompts into full token budgets (throughput).
  const double per_pass = std::max(1.0, std::floor(std::max(1, e.max_num_tokens) / I));
  const double prefill_amortized_s = I >= e.max_num_tokens ? r.prefill_s / s.pp
                                                           : prefill_pass(per_pass * I, per_pass) / per_pass;

  // Decode step for batch B at mean context `ctx`.
  const double ctx = s.input_tokens + s.output_tokens / 2.0;
  auto decode_step = [&](double B, ServeResult* out) {
    const double gemm_t = dense_layers * layer_gemms(B, false) + (moe_layers > 0 ? moe_layers * layer_gemms(B, true) : 0.0) +
                          gemm(hw, B, head_cols, h, 2.0, 2.0);
    const double kv_read = B * ctx * kv_tok / hw.hbm;  // kv_tok already covers this GPU's layers
    const double attn_flops = 2.0 * B * ctx * q_heads * (a.qk_dim + a.v_dim) * layers;
    const double attn_t = std::max(kv_read, attn_flops / (hw.flops16 * hw.attn_eff)) + layers * hw.kernel_s;
    const double comm_t = dense_layers * layer_comm(B, false) + (moe_layers > 0 ? moe_layers * layer_comm(B, true) : 0.0);
    // Logits of the batch in fp32 and sampling over them.
    const double sample_t = 3.0 * B * head_cols * 4.0 / hw.hbm + 2.0 * hw.kernel_s;
    const double step = gemm_t + attn_t + comm_t + elementwise(B) + sample_t + e.step_overhead_s;
    if (out) {
      out->decode_compute_s = gemm_t + elementwise(B) + sample_t;
      out->decode_memory_s = attn_t;
      out->decode_comm_s = comm_t;
      out->decode_overhead_s = e.step_overhead_s;
    }
    return step;  // per pipeline stage
  };

  const double O = s.output_tokens;
  const double cap = std::min<double>(r.kv_capacity_seqs, e.max_batch);
  const double gpus = c.gpus;
  double B = 1;
  if (s.static_batch > 0) {
    B = std::min<double>(s.static_batch, r.kv_capacity_seqs);
  } else if (s.mode == ServeMode::offline) {
    B = s.requests > 0 ? std::min(cap, static_cast<double>(s.requests)) : cap;
  } else if (s.mode == ServeMode::concurrency) {
    B = std::min(cap, std::max(1.0, s.concurrency));
  }
  if (s.mode == ServeMode::rate && s.static_batch == 0) {
    // Little's law fixed point: B = rate x time a request spends in the system.
    const double rho = std::min(0.95, s.rate_rps * prefill_amortized_s * s.pp);
    B = 1;
    for (int it = 0; it < 50; ++it) {
      const double step = decode_step(B, nullptr) * s.pp;
      const double tpot = step / (1.0 - rho);
      const double ttft = r.prefill_s * (1.0 + rho / (2.0 * (1.0 - rho))) + step / 2.0;
      const double nb = std::clamp(s.rate_rps * (ttft + O * tpot), 1.0, cap);
      if (std::fabs(nb - B) < 1e-3) break;
      B = 0.5 * (B + nb);
    }
    const double step = decode_step(B, &r) * s.pp;
    r.batch = B;
    r.decode_step_s = step;
    r.tpot_s = step / (1.0 - rho);
    r.ttft_s = r.prefill_s * (1.0 + rho / (2.0 * (1.0 - rho))) + step / 2.0;
    r.e2e_s = r.ttft_s + (O - 1.0) * r.tpot_s;
    r.requests_per_s = std::min(s.rate_rps, B / std::max(r.e2e_s, 1e-12));
  } else {
    const double step = decode_step(B, &r);  // one stage; pp batches are in flight at once
    r.batch = B;
    r.decode_step_s = step * s.pp;
    // B sequences take O steps, and each needs its prompt prefilled (packed into full token
    // budgets between decode steps, or all at once for static batching): a cycle of B requests.
    const double cycle = O * step + B * prefill_amortized_s;
    const bool burst = s.static_batch > 0 || (s.requests > 0 && static_cast<double>(s.requests) <= B);
    if (burst) {
      // Every request arrives at once: prompts are prefilled first (the engines schedule the
      // context phase ahead of generation), then the batch decodes.
      r.ttft_s = s.static_batch > 0 ? B * prefill_amortized_s * s.pp : (B + 1.0) / 2.0 * prefill_amortized_s * s.pp;
      r.tpot_s = r.decode_step_s;
    } else {
      r.ttft_s = r.prefill_s + r.decode_step_s / 2.0;
      r.tpot_s = r.decode_step_s + (B / O) * prefill_amortized_s * s.pp;
    }
    r.e2e_s = r.ttft_s + (O - 1.0) * r.tpot_s;
    r.requests_per_s = B / cycle;
  }
  r.output_tokens_per_s_per_gpu = r.requests_per_s * O / gpus;
  if (s.prefill_replicas > 0 && s.decode_replicas > 0) {
    // Separate pools: decode runs without prefill interference; each prompt's KV cache crosses
    // the scale-out network (one NIC per GPU, all of this replica's GPUs sending).
    const double kv_bytes = I * kv_tok * gpus;  // every GPU of the replica holds its share
    r.kv_transfer_s = kv_bytes / (hw.out_bw * gpus) + hw.out_lat;
    const double step = r.decode_step_s;
    r.tpot_s = step;
    r.ttft_s = r.prefill_s + r.kv_transfer_s;
    r.e2e_s = r.ttft_s + (O - 1.0) * r.tpot_s;
    const double prefill_rate = s.prefill_replicas / prefill_amortized_s;       // prompts/s
    const double decode_rate = s.decode_replicas * B / (O * step);             // requests/s
    r.requests_per_s = std::min(prefill_rate, decode_rate);
    if (s.mode == ServeMode::rate) r.requests_per_s = std::min(r.requests_per_s, s.rate_rps);
    r.pool_binding = prefill_rate < decode_rate ? "prefill pool" : "decode pool";
    r.output_tokens_per_s_per_gpu = r.requests_per_s * O / (gpus * (s.prefill_replicas + s.decode_replicas));
    r.output_tokens_per_s_per_user = 1.0 / r.tpot_s;
  }
  r.output_tokens_per_s_per_user = r.tpot_s > 0 ? 1.0 / r.tpot_s : 0;
  const double parts[] = {r.decode_compute_s, r.decode_memory_s, r.decode_comm_s, r.decode_overhead_s};
  const char* names[] = {"weights-and-compute (GEMMs)", "hbm-bandwidth (KV cache)", "scale-up-bandwidth", "overhead"};
  int best = 0;
  for (int i = 1; i < 4; ++i) {
    if (parts[i] > parts[best]) best = i;
  }
  r.binding = names[best];
  return r;
}

}  // namespace danlu
