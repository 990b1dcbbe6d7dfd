// Parameter and model-FLOP counts: sums over the weight matrices of model.h's Model.
#include "danlu/model.h"

namespace danlu {

AttnShape attention_shape(const Model& m) {
  const double h = m.hidden;
  const double nq = m.heads;
  AttnShape a{};
  if (m.attention == Attention::mla) {
    const double qk = m.mla.qk_nope_head_dim + m.mla.qk_rope_head_dim;
    a.qk_dim = qk;
    a.v_dim = m.mla.v_head_dim;
    a.q_out = nq * qk;
    a.kv_out = nq * (m.mla.qk_nope_head_dim + m.mla.v_head_dim);
    a.o_in = nq * m.mla.v_head_dim;
    const double q = m.mla.q_lora_rank > 0
                         ? h * m.mla.q_lora_rank + m.mla.q_lora_rank + m.mla.q_lora_rank * a.q_out
                         : h * a.q_out;
    const double kv = h * (m.mla.kv_lora_rank + m.mla.qk_rope_head_dim) + m.mla.kv_lora_rank +
                      m.mla.kv_lora_rank * a.kv_out;
    a.proj_params = q + kv + a.o_in * h;
    return a;
  }
  const double hd = m.dim_head();
  a.qk_dim = hd;
  a.v_dim = hd;
  a.q_out = nq * hd;
  a.kv_out = 2.0 * m.kv_heads * hd;
  a.o_in = nq * hd;
  a.proj_params = h * (a.q_out + a.kv_out) + a.o_in * h;
  return a;
}

ParamCount count_params(const Model& m) {
  ParamCount p;
  const double h = m.hidden;
  const double norm = m.norm == Norm::layernorm ? 2.0 * h : h;
  const AttnShape a = attention_shape(m);

  double attn = a.proj_params + norm;
  if (m.qkv_bias || m.linear_bias) attn += a.q_out + a.kv_out;
  if (m.linear_bias) attn += h;
  p.per_layer_attn = attn;

  const double mats = m.gated_mlp ? 3.0 : 2.0;
  double mlp = mats * h * m.ffn + norm;
  if (m.linear_bias) mlp += (m.gated_mlp ? 2.0 : 1.0) * m.ffn + h;
  p.per_layer_mlp = mlp;

  int dense_layers = m.layers;
  if (m.is_moe()) {
    const double expert = mats * h * m.moe.expert_ffn;
    const double router = h * m.moe.experts;
    p.per_moe_layer_mlp = router + (m.moe.experts + m.moe.shared_experts) * expert + norm;
    p.per_moe_layer_mlp_active = router + (m.moe.top_k + m.moe.shared_experts) * expert + norm;
    dense_layers = m.moe.dense_layers;
  }
  const int moe_layers = m.layers - dense_layers;

  p.embedding = static_cast<double>(m.vocab) * h + static_cast<double>(m.learned_positions) * h;
  p.output = m.tied_embeddings ? 0.0 : static_cast<double>(m.vocab) * h;
  p.final_norm = norm;
  const double common = p.embedding + p.output + p.final_norm + m.layers * p.per_layer_attn +
                        dense_layers * p.per_layer_mlp;
  p.total = common + moe_layers * p.per_moe_layer_mlp;
  if (m.mtp_layers > 0) {
    // Two input norms, the 2h -> h projection, one layer of the model's last kind, its norm.
    const double layer = p.per_layer_attn + (moe_layers > 0 ? p.per_moe_layer_mlp : p.per_layer_mlp);
    p.mtp = m.mtp_layers * (2.0 * norm + 2.0 * h * h + layer + norm);
  }
  p.active = common + moe_layers * p.per_moe_layer_mlp_active;
  return p;
}

double model_flops_per_sequence(const Model& m, double seq) {
  const AttnShape a = attention_shape(m);
  const double h = m.hidden;
  const double mats = m.gated_mlp ? 3.0 : 2.0;
  int dense_layers = m.layers;
  double moe_mlp = 0;
  if (m.is_moe()) {
    dense_layers = m.moe.dense_layers;
    moe_mlp = h * m.moe.experts + (m.moe.top_k + m.moe.shared_experts) * mats * h * m.moe.expert_ffn;
  }
  const double matmul_params = m.layers * a.proj_params + dense_layers * mats * h * m.ffn +
                               (m.layers - dense_layers) * moe_mlp +
                               static_cast<double>(m.vocab) * h;  // output head, tied or not
  // Score and context GEMMs: forward 2*seq*heads*(qk_dim + v_dim) per token per layer, x3 for
  // forward + backward, without causal halving (Megatron/PaLM convention).
  const double attn = 3.0 * 2.0 * seq * m.heads * (a.qk_dim + a.v_dim) * m.layers;
  // Each multi-token prediction module: its projection, one layer of the last kind and the
  // output head again (Megatron-LM counts them the same way when --mtp-num-layers is set).
  const bool last_moe = m.is_moe() && dense_layers < m.layers;
  const double mtp_params = 2.0 * h * h + a.proj_params + (last_moe ? moe_mlp : mats * h * m.ffn) +
                            static_cast<double>(m.vocab) * h;
  const double mtp = m.mtp_layers * (6.0 * mtp_params + 3.0 * 2.0 * seq * m.heads * (a.qk_dim + a.v_dim));
  return seq * (6.0 * matmul_params + attn + mtp);
}

}  // namespace danlu
