// danlu/result.h — what the training estimator answers for one optimizer step.
//
// Plain numbers with units in their names; no allocation, so a Result can be produced a
// million times a second. Time components sum to step_s exactly (breakdown_sum_s()).
#pragma once

#include <cstdint>

namespace danlu {

enum class Binding : std::uint8_t {
  compute,          // tensor-core/MXU throughput (GEMMs, attention)
  hbm_bandwidth,    // memory-bound kernels (norms, activations, optimizer)
  scale_up,         // NVLink/ICI traffic on the critical path
  scale_out,        // NIC traffic on the critical path
  pipeline_bubble,  // pipeline fill/drain
  overhead,         // fixed per-step and per-kernel overheads
  memory_capacity,  // the layout does not fit in device memory (OOM)
};
const char* binding_name(Binding b);

// Memory per GPU on one pipeline rank, GiB (2^30 bytes).
struct StageMemory {
  int layers = 0;               // transformer layers on this rank (all virtual chunks)
  double weights_gib = 0;
  double gradients_gib = 0;
  double optimizer_gib = 0;
  double activations_gib = 0;   // for all micro-batches in flight on this rank
  double workspace_gib = 0;     // runtime workspaces, communication buffers, fragmentation
  double total_gib = 0;
  int microbatches_in_flight = 0;
};

struct Breakdown {
  double gemm_s = 0;            // matrix multiplies (incl. recompute)
  double attention_s = 0;       // attention score/context kernels (flash)
  double memory_bound_s = 0;    // norms, activations, residuals, rotary, casts, loss
  double tp_comm_s = 0;         // exposed tensor/sequence/context-parallel communication
  double dp_comm_s = 0;         // exposed data-parallel (grad reduce / param gather / FSDP)
  double pp_bubble_s = 0;       // pipeline fill and drain
  double pp_p2p_s = 0;          // pipeline send/receive on the critical path
  double optimizer_s = 0;       // Adam step
  double overhead_s = 0;        // kernel launches and fixed per-step overhead
};

struct Result {
  double step_s = 0;
  double tokens_per_s_per_gpu = 0;
  double model_flops_per_step = 0;     // Megatron/PaLM convention (model.h)
  double hardware_flops_per_step = 0;  // adds recompute (HFU numerator)
  double mfu = 0;                      // model FLOP/s / (gpus * dense peak at the precision)
  double hfu = 0;
  Breakdown time;
  StageMemory first, middle, last;     // pipeline ranks 0, the largest interior one, pp-1
  double usable_memory_gib = 0;
  double peak_memory_gib = 0;
  bool oom = false;
  Binding binding = Binding::compute;
  long micro_batches = 0;              // per optimizer step, per pipeline
  double mb_forward_s = 0;             // slowest rank, one micro-batch forward (all its chunks)
  double mb_backward_s = 0;            // ... and backward, incl. recomputation
  double mb_tp_comm_s = 0;             // exposed TP/CP communication inside one micro-batch

  double breakdown_sum_s() const {
    return time.gemm_s + time.attention_s + time.memory_bound_s + time.tp_comm_s +
           time.dp_comm_s + time.pp_bubble_s + time.pp_p2p_s + time.optimizer_s +
           time.overhead_s;
  }
};

}  // namespace danlu
