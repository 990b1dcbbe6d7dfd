// Whole training runs (danlu/plan.h).
#include "danlu/plan.h"

#include <algorithm>
#include <cmath>

namespace danlu {

PlanResult plan_run(const Model& m, const Cluster& c, const Layout& l, const Workload& w, const Result& step,
                    const PlanInputs& in) noexcept {
  (void)l;
  PlanResult p;
  const double tokens_per_step = static_cast<double>(w.global_batch) * w.seq_len;
  p.steps = std::ceil(in.tokens / tokens_per_step);
  p.step_s = step.step_s;
  if (in.recipe == Recipe::dpo || in.recipe == Recipe::rl) {
    const Breakdown& tb = step.time;
    const double fwd_share = step.hardware_flops_per_step > 0 ? step.model_flops_per_step / (3.0 * step.hardware_flops_per_step) : 1.0 / 3.0;
    p.reference_forward_s = (tb.gemm_s + tb.attention_s) * fwd_share + tb.memory_bound_s / 3.0;
    p.step_s += p.reference_forward_s;
  }
  double rollout_s = 0;
  if (in.recipe == Recipe::rl && in.rollout_tokens_per_s > 0) {
    rollout_s = in.tokens * in.response_fraction / in.rollout_tokens_per_s;
  }
  p.rollout_days = rollout_s / 86400.0;
  p.ramp_extra_days = in.ramp_extra_s / 86400.0;
  const double train_s = p.steps * p.step_s + rollout_s + in.ramp_extra_s;
  p.ideal_days = train_s / 86400.0;
  p.ideal_gpu_hours = train_s / 3600.0 * c.gpus;

  // Checkpoint: fp32 master weights + Adam moments (16 B/param of state written; the 16-bit
  // copy is derived), over the aggregate storage bandwidth. Asynchronous checkpointing blocks
  // training only while each GPU copies its shard of the state to host memory; the write to
  // storage then overlaps training, but a failure before it completes loses that checkpoint.
  const double state_bytes = count_params(m).total * 16.0;
  const double write_s = state_bytes / (in.storage_gbs * 1e9);
  p.checkpoint_write_s = write_s;
  p.checkpoint_s = in.async_checkpoint ? state_bytes / c.gpus / (in.snapshot_gbs * 1e9) : write_s;
  const double rate_per_s = in.failures_per_gpu_hour * c.gpus / 3600.0;
  if (rate_per_s > 0) {
    const double mtbf_s = 1.0 / rate_per_s;
    p.job_mtbf_h = mtbf_s / 3600.0;
    // Young/Daly with the blocking time; an asynchronous write must finish before the next.
    p.checkpoint_interval_s = in.checkpoint_interval_s > 0 ? in.checkpoint_interval_s : std::sqrt(2.0 * p.checkpoint_s * mtbf_s);
    if (in.async_checkpoint) p.checkpoint_interval_s = std::max(p.checkpoint_interval_s, write_s);
    const double pending = in.async_checkpoint ? write_s : 0.0;  // work exposed while the write is in flight
    if (in.repair_s > 0) {
      // P(N >= K) for N ~ Poisson(mu): spares all out for repair when a node fails.
      const double mu = rate_per_s * in.hardware_fraction * in.repair_s;
      double term = std::exp(-mu), below = 0;
      for (int k = 0; k < in.spare_nodes; ++k) {
        below += term;
        term *= mu / (k + 1);
      }
      p.repair_wait_s = in.hardware_fraction * std::max(0.0, 1.0 - below) * in.repair_s;
    }
    const double loss = p.checkpoint_s / std::max(p.checkpoint_interval_s, 1e-9) +
                        (p.checkpoint_interval_s / 2.0 + pending) / mtbf_s + (in.restart_s + p.repair_wait_s) / mtbf_s;
    p.goodput = std::clamp(1.0 - loss, 0.01, 1.0);
  }
  p.days = p.ideal_days / p.goodput;
  p.spare_gpu_hours = static_cast<double>(in.spare_nodes) * c.gpus_per_node * p.days * 24.0;
  p.gpu_hours = p.ideal_gpu_hours / p.goodput + p.spare_gpu_hours;

  // Power: activity-weighted GPU draw plus the server's other parts, times PUE.
  const Breakdown& b = step.time;
  const double compute = b.gemm_s + b.attention_s;
  const double memory = b.memory_bound_s + b.optimizer_s;
  const double other = std::max(0.0, step.step_s - compute - memory);
  const double activity = step.step_s > 0
                              ? (compute + in.memory_activity * memory + in.comm_activity * other) / step.step_s
                              : 0.0;
  const double tdp = c.acc.tdp_w;
  p.gpu_power_w = tdp * (in.idle_power_fraction + (1.0 - in.idle_power_fraction) * activity);
  const double server = in.server_w_per_gpu > 0 ? in.server_w_per_gpu : c.acc.eff.server_w_per_gpu;
  p.it_power_per_gpu_w = p.gpu_power_w + server;
  p.facility_mw = p.it_power_per_gpu_w * c.gpus * in.pue / 1e6;
  p.energy_mwh = p.facility_mw * p.days * 24.0;
  return p;
}

}  // namespace danlu
