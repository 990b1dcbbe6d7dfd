// danlu/model.h — the transformer being trained: its shape and what that shape costs.
//
// A Model is a plain value: decoder-only transformer, dense or mixture-of-experts, with
// multi-head, grouped-query or multi-head-latent attention. Field names follow the
// published-run schema (shared/validation/SCHEMA.md) and Hugging Face config.json.
//
// Parameter counts are exact sums over the weight matrices (embedding, per-layer attention
// and MLP, norms, output head). Model FLOPs follow the Megatron-LM / PaLM convention:
//   per token, forward+backward = 6 * (matmul parameters touched per token)
//                               + 12 * layers * seq * (heads * head_dim)      [attention scores]
// i.e. Narayanan et al. 2021 (SC21) eq. 3 generalised to GQA/SwiGLU, and Chowdhery et al.
// 2022 (PaLM) Appendix B; attention is counted without causal halving, as both papers do.
#pragma once

#include <cstdint>

namespace danlu {

enum class Attention : std::uint8_t { mha, gqa, mla };
enum class Norm : std::uint8_t { layernorm, rmsnorm };

struct Moe {
  int experts = 0;         // routed experts per MoE layer (0 = dense model)
  int top_k = 0;
  int shared_experts = 0;
  int expert_ffn = 0;      // width of one expert's MLP
  int dense_layers = 0;    // leading layers with a plain dense MLP
};

struct Mla {
  int q_lora_rank = 0;     // 0 = queries projected directly
  int kv_lora_rank = 0;
  int qk_rope_head_dim = 0;
  int qk_nope_head_dim = 0;
  int v_head_dim = 0;
};

struct Model {
  int layers = 0;
  int hidden = 0;
  int ffn = 0;             // dense MLP width (dense layers of an MoE model too)
  int heads = 0;
  int kv_heads = 0;
  int head_dim = 0;        // 0 = hidden / heads
  int vocab = 0;
  bool gated_mlp = false;  // SwiGLU-style: three matrices
  bool tied_embeddings = false;
  bool qkv_bias = false;
  bool linear_bias = false;  // GPT-2/GPT-3/Megatron-GPT style biases on every linear layer
  int learned_positions = 0; // rows of a learned position-embedding table (0 = rotary/none)
  Attention attention = Attention::mha;
  Norm norm = Norm::layernorm;
  Moe moe;
  Mla mla;
  // Multi-token prediction modules (DeepSeek-V3 sec. 2.2, HF num_nextn_predict_layers, Megatron
  // --mtp-num-layers): each normalises the hidden state and the next token's embedding,
  // projects their concatenation (2h -> h), runs one transformer layer of the model's last
  // kind and the shared output head and loss. They sit on the last pipeline stage.
  int mtp_layers = 0;

  int dim_head() const { return head_dim > 0 ? head_dim : hidden / heads; }
  bool is_moe() const { return moe.experts > 0; }
};

// Parameter counts, in parameters (not bytes).
struct ParamCount {
  double embedding = 0;      // input embedding table
  double output = 0;         // output head (0 when tied)
  double per_layer_attn = 0; // one layer's attention block incl. its norm
  double per_layer_mlp = 0;  // one dense layer's MLP incl. its norm (all experts for MoE layers: see below)
  double per_moe_layer_mlp = 0;        // one MoE layer: router + all experts + shared experts + norm
  double per_moe_layer_mlp_active = 0; // the part of it one token touches
  double final_norm = 0;
  double mtp = 0;            // all multi-token prediction modules (their head and embedding are
                             // shared with the model's); not in total, as model cards count them
  double total = 0;
  double active = 0;         // touched by one token (= total for dense models)
};

ParamCount count_params(const Model& m);

// Attention projection widths (per layer, whole model, no parallel split).
struct AttnShape {
  double q_out;      // query projection output width (heads * qk head dim)
  double kv_out;     // key + value projection output width
  double o_in;       // attention output projection input width (heads * v head dim)
  double qk_dim;     // per-head query/key dim used in the score GEMM
  double v_dim;      // per-head value dim
  double proj_params;// weights of all attention projections
};
AttnShape attention_shape(const Model& m);

// Model FLOPs for one sequence of `seq` tokens, forward + backward, Megatron/PaLM convention
// (see header comment). Used for MFU; the estimator's timing counts executed FLOPs itself.
double model_flops_per_sequence(const Model& m, double seq);

}  // namespace danlu
