// danlu/serve.h — the serving estimator: one model replica on `gpus` accelerators under an
// engine with continuous batching (vLLM, SGLang, TensorRT-LLM in-flight batching).
//
// Physics (each a documented, per-engine/per-family parameter, none fitted per run):
//  * prefill: compute-bound GEMMs over the prompt (roofline of kernels.h, weights at their
//    stored precision) + causal flash attention + two TP all-reduces per layer of I*h;
//  * decode step for a batch of B sequences: GEMMs with M = B (weights streamed from HBM once
//    per step, so small batches are bandwidth-bound and large ones compute-bound) + reading
//    every sequence's KV cache + TP all-reduces of B*h (latency-bound) + the engine's fixed
//    per-step overhead (scheduling, launch; CUDA graphs keep it small);
//  * MoE: at batch B a layer touches min(experts, B*top_k) experts (their weights are read),
//    expert GEMMs get B*top_k/experts tokens each, the all-to-all of B*top_k*h per layer;
//  * memory: weights at their precision, a paged KV cache (blocks of `kv_block_tokens`) in
//    what the engine leaves of HBM (`memory_fraction`), capacity = concurrent sequences;
//  * offline throughput: batches as large as the KV cache and the engine allow; prompts are
//    prefilled in chunks between decode steps (time adds: Agrawal et al. 2024, Sarathi-Serve);
//  * online: at a fixed concurrency the batch is that concurrency; at a request rate, the
//    batch follows Little's law and prefill queues as an M/D/1 server.
// Sources per formula: docs/serving.md.
#pragma once

#include <cstdint>

#include "danlu/hardware.h"
#include "danlu/model.h"

namespace danlu {

enum class ServeMode : std::uint8_t { offline, concurrency, rate };

struct Engine {
  char id[24] = {};
  double step_overhead_s = 0.001;  // per decode/mixed iteration: scheduler + launch
  double memory_fraction = 0.9;    // share of HBM the engine may use (weights + KV + activations)
  int kv_block_tokens = 16;        // paged-KV block size
  int max_batch = 2048;            // most sequences decoded together
  int max_num_tokens = 8192;       // prefill tokens per iteration (chunked prefill budget)
};

struct ServeSetup {
  int tp = 1, pp = 1, ep = 1;
  Precision weights = Precision::bf16;      // stored weight precision
  Precision activations = Precision::bf16;  // GEMM math precision (fp8 only with fp8 weights)
  Precision kv_cache = Precision::bf16;
  double weight_bytes = 2.0;                // bytes per weight incl. scales (int4: 0.5625)
  int input_tokens = 128;
  int output_tokens = 128;
  ServeMode mode = ServeMode::offline;
  double concurrency = 0;                   // mode == concurrency
  double rate_rps = 0;                      // mode == rate
  int static_batch = 0;                     // > 0: static batching with this batch
  long requests = 0;                        // > 0: a finite offline run of this many requests
  // Disaggregated serving (DistServe, Zhong et al. 2024; Splitwise, Patel et al. 2024): > 0
  // prefill and decode replicas of this shape in separate pools; the prompt's KV cache moves
  // from a prefill to a decode replica over the scale-out network.
  int prefill_replicas = 0, decode_replicas = 0;
};

struct ServeResult {
  bool fits = false;
  double weights_gib = 0, kv_gib_per_seq = 0, kv_capacity_seqs = 0, activation_gib = 0, usable_gib = 0;
  double batch = 0;                 // sequences decoded together
  double prefill_s = 0;             // one prompt's prefill
  double decode_step_s = 0;         // one decode iteration at that batch
  double ttft_s = 0, tpot_s = 0, e2e_s = 0;
  double output_tokens_per_s_per_gpu = 0, output_tokens_per_s_per_user = 0, requests_per_s = 0;
  double decode_compute_s = 0, decode_memory_s = 0, decode_comm_s = 0, decode_overhead_s = 0;
  double kv_transfer_s = 0;         // disaggregated: moving one prompt's KV cache
  const char* pool_binding = "";    // disaggregated: "prefill pool" or "decode pool"
  const char* binding = "";
};

// Bytes of KV cache per token per GPU (K and V of every layer this GPU holds).
double kv_bytes_per_token(const Model& m, const ServeSetup& s);

ServeResult estimate_serving(const Model& m, const Cluster& c, const Engine& e, const ServeSetup& s) noexcept;

}  // namespace danlu
