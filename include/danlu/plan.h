// danlu/plan.h — a whole training run: days and GPU-hours at the predicted step time, goodput
// under failures, energy and facility power.
//
//  * failures: interruptions arrive at `failures_per_gpu_hour` per GPU (default from the
//    Llama 3 405B run: 419 unexpected interruptions in 54 days on 16,384 H100 — Dubey et al.
//    2024, sec. 3.3.4); each costs a restart plus the work since the last checkpoint.
//  * checkpointing: writing weights + optimizer state over the storage bandwidth takes C; the
//    Young (1974) / Daly (2006) interval tau = sqrt(2 C M) (M = job MTBF) minimises the expected
//    loss C/tau + tau/(2M) + R/M; goodput = 1 - that loss (first-order model). Asynchronous
//    checkpointing (e.g. PyTorch DCP async_save, Megatron async checkpointing) blocks for the
//    device-to-host snapshot only; the write W still in flight adds W/M to the loss.
//  * power: a GPU draws idle + (TDP - idle) x activity, activity weighting compute fully, memory-
//    bound and communication time partly; each GPU's share of its server's other parts (CPUs,
//    NICs, fans, switches) from published system power; facility = IT x PUE.
//  * post-training: SFT costs what pre-training costs per token. DPO and RL also run a frozen
//    reference model forward on every trained token (Rafailov et al. 2023; Ouyang et al. 2022):
//    one forward is 1/3 of the forward+backward model FLOPs, so it adds the step's GEMM and
//    attention time x model/(3 x hardware) FLOPs plus 1/3 of its memory-bound time. RL first
//    generates its responses: `rollout_tokens_per_s` (cluster-wide, from the serving
//    estimator) prices the response share of the trained tokens.
#pragma once

#include <cstdint>

#include "danlu/hardware.h"
#include "danlu/layout.h"
#include "danlu/model.h"
#include "danlu/result.h"

namespace danlu {

enum class Recipe : std::uint8_t { pretrain, sft, dpo, rl };

struct PlanInputs {
  double tokens = 15e12;
  Recipe recipe = Recipe::pretrain;
  double response_fraction = 0.5;       // rl: generated share of each trained sequence
  double rollout_tokens_per_s = 0;      // rl: cluster-wide generation rate, output tokens/s
  // Batch ramp-up: extra seconds spent because the first tokens ran at smaller batches (each
  // stage's tokens / its tokens per step x its step time, less the same tokens at full batch).
  double ramp_extra_s = 0;
  double failures_per_gpu_hour = 419.0 / (54.0 * 24.0 * 16384.0);
  double restart_s = 600;               // detect, replace, reload and re-warm (Llama 3 reports minutes)
  double storage_gbs = 2000;            // aggregate checkpoint bandwidth, GB/s (Llama 3: Tectonic 2 TB/s sustained)
  bool async_checkpoint = false;        // snapshot to host memory, write in the background
  double snapshot_gbs = 25;             // per GPU device-to-host copy, GB/s (PCIe Gen4/5 x16 sustained; assumption)
  double checkpoint_interval_s = 0;     // 0 = the Young/Daly optimum
  // Spare nodes: a hardware interruption (78 % of them, Llama 3 Table 5) takes its node out
  // for `repair_s`. A spare replaces it at once; with `spare_nodes` spares the wait happens
  // only when all are out: P(N >= K), N ~ Poisson(hardware rate x repair time) (M/G/inf).
  // repair_s = 0 means replacement is immediate (a large pool, as Meta's).
  double repair_s = 0;
  int spare_nodes = 0;
  double hardware_fraction = 0.78;
  double idle_power_fraction = 0.25;    // GPU idle draw over TDP
  double memory_activity = 0.7;         // power of memory-bound phases relative to compute
  double comm_activity = 0.4;           // ... of exposed communication, bubbles and overheads
  double server_w_per_gpu = 0;          // non-GPU server draw per GPU (0 = family default)
  double pue = 1.3;                     // facility power / IT power (Uptime Institute: 1.3 or better for new large sites)
};

struct PlanResult {
  double steps = 0, step_s = 0;         // step_s includes the reference forward (dpo, rl)
  double reference_forward_s = 0;       // per step (dpo, rl)
  double rollout_days = 0;              // rl: generation wall days (inside days)
  double ramp_extra_days = 0;           // batch ramp-up (inside days)
  double repair_wait_s = 0;             // expected wait for a node per interruption
  double spare_gpu_hours = 0;           // idle spares held for the run (inside gpu_hours)
  double ideal_days = 0, ideal_gpu_hours = 0;
  double checkpoint_s = 0;              // training blocked per checkpoint
  double checkpoint_write_s = 0;        // full write to storage
  double checkpoint_interval_s = 0, job_mtbf_h = 0;
  double goodput = 1;                   // useful training time / wall time
  double days = 0, gpu_hours = 0;       // with failures and checkpoints
  double gpu_power_w = 0, it_power_per_gpu_w = 0;
  double facility_mw = 0, energy_mwh = 0;
};

PlanResult plan_run(const Model& m, const Cluster& c, const Layout& l, const Workload& w, const Result& step,
                    const PlanInputs& in) noexcept;

}  // namespace danlu
