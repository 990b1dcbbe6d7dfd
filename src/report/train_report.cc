// Human and JSON reports for `danlu train` and `danlu validate`.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "danlu/catalog.h"
#include "danlu/report.h"

namespace danlu {
namespace {

// The Megatron selective modules in effect (empty unless recompute is selective).
nlohmann::json modules_json(const Layout& l) {
  nlohmann::json a = nlohmann::json::array();
  if (l.recompute != Recompute::selective) return a;
  for (int i = 0; i < kRecomputeModuleCount; ++i) {
    if (l.recompute_modules & (1u << i)) a.push_back(recompute_module_name(i));
  }
  return a;
}


std::string pct(double share) { return fmt::format("{:.1f}", 100.0 * share); }

nlohmann::json stage_json(const StageMemory& s) {
  return {{"layers", s.layers},
          {"weights_gib", s.weights_gib},
          {"gradients_gib", s.gradients_gib},
          {"optimizer_gib", s.optimizer_gib},
          {"activations_gib", s.activations_gib},
          {"workspace_gib", s.workspace_gib},
          {"total_gib", s.total_gib},
          {"microbatches_in_flight", s.microbatches_in_flight}};
}

}  // namespace

std::string defaulted_names(unsigned f) {
  static const std::pair<unsigned, const char*> kNames[] = {
      {kDefTp, "tp"}, {kDefPp, "pp"}, {kDefDp, "dp"}, {kDefCp, "cp"}, {kDefEp, "ep"}, {kDefVpp, "vpp"},
      {kDefMicroBatch, "micro_batch"}, {kDefZero, "zero"}, {kDefSp, "sequence_parallel"},
      {kDefRecompute, "recompute"}, {kDefGlobalBatch, "global_batch"}, {kDefPrecision, "precision"},
      {kDefSeqLen, "seq_len"}};
  std::string s;
  for (const auto& [bit, name] : kNames) {
    if (f & bit) {
      if (!s.empty()) s += ", ";
      s += name;
    }
  }
  return s;
}

std::string train_text(const TrainContext& ctx, const Result& r) {
  const Layout& l = ctx.layout;
  const Workload& w = ctx.workload;
  std::string out;
  out += fmt::format("danlu train: {} on {} x {} ({} per node, scale-out {:.0f} Gb/s per GPU{})\n", ctx.model_name,
                     ctx.cluster.gpus, ctx.accelerator_name, ctx.cluster.gpus_per_node,
                     ctx.cluster.nic_gbps_per_gpu, ctx.network_name.empty() ? "" : ", " + ctx.network_name);
  const ParamCount pc = count_params(ctx.model);
  const std::string mtp = ctx.model.mtp_layers > 0 ? fmt::format(" + {} MTP module{} ({:.2f} B)", ctx.model.mtp_layers,
                                                                  ctx.model.mtp_layers > 1 ? "s" : "", pc.mtp / 1e9)
                                                    : std::string();
  out += fmt::format("model: {:.2f} B parameters ({:.2f} B active), {} layers{}, hidden {}, seq_len {}, precision {}\n",
                     pc.total / 1e9, pc.active / 1e9, ctx.model.layers, mtp, ctx.model.hidden, w.seq_len,
                     precision_name(w.precision));
  out += fmt::format(
      "layout: tp={} pp={} dp={} cp={} ep={}{} vpp={} micro_batch={} global_batch={} micro_batches={} "
      "sequence_parallel={} recompute={} zero={} tp_comm_overlap={} attention={}\n",
      l.tp, l.pp, l.dp, l.cp, l.ep,
      (l.etp > 1 ? fmt::format(" etp={}", l.etp) : std::string()) +
          (dp_shard_of(l) < l.dp ? fmt::format(" dp_shard={}", dp_shard_of(l)) : std::string()),
      l.vpp, l.micro_batch, w.global_batch, r.micro_batches,
      l.sequence_parallel ? "on" : "off",
      recompute_label(l),
      l.zero, l.tp_comm_overlap ? "on" : "off", attention_kernel_name(l.attention));
  if (ctx.defaulted) out += fmt::format("defaulted: {}  (see docs/defaults.md)\n", defaulted_names(ctx.defaulted));
  if (!ctx.framework.empty()) out += fmt::format("framework: {} (its defaults fill what is not stated; data/frameworks.yaml)\n", ctx.framework);
  out += "\n";

  std::vector<std::vector<std::string>> rows;
  rows.push_back({"step_time_s", fmt::format("{:.4g}", r.step_s)});
  rows.push_back({"tokens_per_s_per_gpu", fmt::format("{:.1f}", r.tokens_per_s_per_gpu)});
  rows.push_back({"mfu_pct", pct(r.mfu)});
  rows.push_back({"hfu_pct", pct(r.hfu)});
  rows.push_back({"model_tflops_per_gpu", fmt::format("{:.1f}", r.model_flops_per_step / r.step_s / ctx.cluster.gpus / 1e12)});
  rows.push_back({"binding", binding_name(r.binding)});
  out += render_table({"metric", "value"}, rows);
  out += "MFU = model FLOPs (6*N*tokens + attention, Megatron/PaLM, no causal halving) / (step time * GPUs * dense peak at the training precision); HFU adds recomputation.\n\n";

  const Breakdown& b = r.time;
  const std::pair<const char*, double> parts[] = {
      {"compute: GEMM", b.gemm_s},          {"compute: attention", b.attention_s},
      {"compute: memory-bound ops", b.memory_bound_s},
      {"tensor/context-parallel comm (exposed)", b.tp_comm_s},
      {"data-parallel comm (exposed)", b.dp_comm_s}, {"pipeline bubble", b.pp_bubble_s},
      {"pipeline send/recv", b.pp_p2p_s},   {"optimizer step", b.optimizer_s},
      {"fixed overhead", b.overhead_s}};
  rows.clear();
  for (const auto& [name, t] : parts) {
    rows.push_back({name, fmt::format("{:.4f}", t), pct(t / r.step_s)});
  }
  rows.push_back({"total", fmt::format("{:.4f}", r.breakdown_sum_s()), "100.0"});
  out += render_table({"step breakdown", "time_s", "share_pct"}, rows);
  out += "\n";

  rows.clear();
  auto stage_row = [&](const char* name, const StageMemory& s) {
    rows.push_back({name, std::to_string(s.layers), fmt::format("{:.2f}", s.weights_gib),
                    fmt::format("{:.2f}", s.gradients_gib), fmt::format("{:.2f}", s.optimizer_gib),
                    fmt::format("{:.2f}", s.activations_gib), std::to_string(s.microbatches_in_flight),
                    fmt::format("{:.2f}", s.workspace_gib), fmt::format("{:.2f}", s.total_gib)});
  };
  if (l.pp == 1) {
    stage_row("all", r.first);
  } else {
    stage_row("first", r.first);
    if (l.pp > 2) stage_row("middle", r.middle);
    stage_row("last", r.last);
  }
  out += render_table({"memory per GPU", "layers", "weights_gib", "grads_gib", "optimizer_gib", "activations_gib",
                       "in_flight_mb", "workspace_gib", "total_gib"},
                      rows);
  out += fmt::format("usable memory {:.2f} GiB per GPU{} -> {}\n", r.usable_memory_gib,
                     ctx.cluster.memory_margin_gib > 0 ? fmt::format(" (after a {:.2f} GiB margin)", ctx.cluster.memory_margin_gib)
                                                       : std::string(),
                     r.oom ? fmt::format("OOM (peak {:.2f} GiB exceeds usable by {:.2f} GiB)", r.peak_memory_gib,
                                         r.peak_memory_gib - r.usable_memory_gib)
                           : fmt::format("fits (peak {:.2f} GiB, {:.2f} GiB headroom)", r.peak_memory_gib,
                                         r.usable_memory_gib - r.peak_memory_gib));
  return out;
}

nlohmann::json train_json(const TrainContext& ctx, const Result& r) {
  const Layout& l = ctx.layout;
  const Breakdown& b = r.time;
  const ParamCount pc = count_params(ctx.model);
  nlohmann::json defaulted = nlohmann::json::array();
  for (unsigned bit = 1; bit <= kDefSeqLen; bit <<= 1) {
    if (ctx.defaulted & bit) defaulted.push_back(defaulted_names(bit));
  }
  nlohmann::json j = {
      {"model", {{"name", ctx.model_name}, {"params", pc.total}, {"active_params", pc.active}, {"mtp_layers", ctx.model.mtp_layers}, {"mtp_params", pc.mtp}}},
      {"cluster",
       {{"accelerator", ctx.accelerator_name},
        {"gpus", ctx.cluster.gpus},
        {"gpus_per_node", ctx.cluster.gpus_per_node},
        {"nic_gbps_per_gpu", ctx.cluster.nic_gbps_per_gpu},
        {"network", ctx.network_name}}},
      {"layout",
       {{"tp", l.tp}, {"pp", l.pp}, {"dp", l.dp}, {"cp", l.cp}, {"ep", l.ep}, {"etp", l.etp}, {"dp_shard", dp_shard_of(l)}, {"vpp", l.vpp},
        {"micro_batch", l.micro_batch}, {"global_batch", ctx.workload.global_batch},
        {"sequence_parallel", l.sequence_parallel}, {"recompute", recompute_name(l.recompute)}, {"recompute_modules", modules_json(l)},
        {"recompute_num_layers", l.recompute_num_layers}, {"grad_reduce_bf16", l.grad_reduce_bf16}, {"grad_reduce_overlap", l.grad_reduce_overlap}, {"zero", l.zero}, {"fsdp_copies", l.fsdp_copies},
        {"tp_comm_overlap", l.tp_comm_overlap}, {"attention_kernel", attention_kernel_name(l.attention)},
        {"fused_elementwise", l.fused_elementwise}, {"fused_loss", l.fused_loss},
        {"seq_len", ctx.workload.seq_len}, {"precision", precision_name(ctx.workload.precision)},
        {"micro_batches", r.micro_batches}}},
      {"defaulted", defaulted},
      {"framework", ctx.framework.empty() ? nlohmann::json(nullptr) : nlohmann::json(ctx.framework)},
      {"step_time_s", r.step_s},
      {"tokens_per_s_per_gpu", r.tokens_per_s_per_gpu},
      {"mfu", r.mfu},
      {"hfu", r.hfu},
      {"model_flops_per_step", r.model_flops_per_step},
      {"hardware_flops_per_step", r.hardware_flops_per_step},
      {"binding", binding_name(r.binding)},
      {"breakdown_s",
       {{"gemm", b.gemm_s}, {"attention", b.attention_s}, {"memory_bound", b.memory_bound_s},
        {"tp_comm", b.tp_comm_s}, {"dp_comm", b.dp_comm_s}, {"pp_bubble", b.pp_bubble_s},
        {"pp_p2p", b.pp_p2p_s}, {"optimizer", b.optimizer_s}, {"overhead", b.overhead_s}}},
      {"memory",
       {{"usable_gib", r.usable_memory_gib},
        {"peak_gib", r.peak_memory_gib},
        {"oom", r.oom},
        {"first_stage", stage_json(r.first)},
        {"middle_stage", stage_json(r.middle)},
        {"last_stage", stage_json(r.last)}}},
  };
  return j;
}

namespace {
// The framework whose defaults completed a run: its id, "(named)" when the run's source or
// notes named it rather than a `framework:` field, "-" for none.
std::string framework_cell(const RunOutcome& o) {
  if (o.framework.empty()) return "-";
  return o.framework_inferred ? o.framework + " (named)" : o.framework;
}
}  // namespace

std::string validate_text(const std::vector<RunOutcome>& outcomes, const ValidationSummary& s) {
  std::vector<const RunOutcome*> order;
  for (const auto& o : outcomes) order.push_back(&o);
  std::stable_sort(order.begin(), order.end(), [](const RunOutcome* a, const RunOutcome* b) {
    const double ea = a->error_pct ? std::fabs(*a->error_pct) : -1;
    const double eb = b->error_pct ? std::fabs(*b->error_pct) : -1;
    return ea > eb;
  });
  std::vector<std::vector<std::string>> rows;
  for (const RunOutcome* o : order) {
    if (o->error_pct) {
      rows.push_back({o->id, o->metric, fmt::format("{:.4g}", o->measured), fmt::format("{:.4g}", o->predicted),
                      fmt::format("{:+.1f}", *o->error_pct), framework_cell(*o), binding_name(o->result.binding)});
    } else {
      rows.push_back({o->id, o->metric, fmt::format("{:.4g}", o->measured), "-", "unscored", framework_cell(*o), o->reason});
    }
  }
  std::string out = render_table({"run", "metric", "measured", "predicted", "error_pct", "framework", "binding / reason"}, rows);
  // Peak memory, where the source states it (same definitions: GiB per GPU, worst rank).
  std::vector<std::vector<std::string>> mem;
  std::vector<double> mem_err;
  for (const auto& o : outcomes) {
    if (o.measured_peak_memory_gib <= 0 || !o.error_pct) continue;
    const double e = 100.0 * (o.result.peak_memory_gib - o.measured_peak_memory_gib) / o.measured_peak_memory_gib;
    mem_err.push_back(std::fabs(e));
    mem.push_back({o.id, fmt::format("{:.1f}", o.measured_peak_memory_gib), fmt::format("{:.1f}", o.result.peak_memory_gib),
                   fmt::format("{:+.1f}", e)});
  }
  if (!mem.empty()) {
    out += "\npeak memory per GPU, where the source states it\n";
    out += render_table({"run", "measured_gib", "predicted_gib", "error_pct"}, mem);
    const double median = percentile(mem_err, 50);  // sorts mem_err
    out += fmt::format("{} runs: median |error| {:.1f}%, max {:.1f}%\n", mem.size(), median, mem_err.back());
  }
  out += fmt::format("\n{} runs, {} unscored; on the {} scored: median |error| {:.1f}%, p90 {:.1f}%, max {:.1f}%\n",
                     s.count, s.unscored, s.count - s.unscored, s.median_abs_error_pct, s.p90_abs_error_pct, s.max_abs_error_pct);
  return out;
}

nlohmann::json validate_json(const std::vector<RunOutcome>& outcomes, const ValidationSummary& s) {
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& o : outcomes) {
    nlohmann::json j = {{"id", o.id}, {"metric", o.metric}, {"measured", o.measured}};
    if (!o.framework.empty()) {
      j["framework"] = o.framework;
      j["framework_inferred"] = o.framework_inferred;
    }
    if (o.error_pct) {
      j["predicted"] = o.predicted;
      j["error_pct"] = *o.error_pct;
      if (o.metric == "step_time_s" || o.metric == "tokens_per_s_per_gpu") {
        // Why a training run comes out where it does: the completed layout and the step's parts.
        const Layout& l = o.layout;
        const Breakdown& b = o.result.time;
        j["binding"] = binding_name(o.result.binding);
        j["layout"] = {{"tp", l.tp}, {"pp", l.pp}, {"dp", l.dp}, {"cp", l.cp}, {"ep", l.ep}, {"etp", l.etp}, {"dp_shard", dp_shard_of(l)}, {"vpp", l.vpp},
                       {"micro_batch", l.micro_batch}, {"recompute", recompute_name(l.recompute)}, {"recompute_modules", modules_json(l)},
                       {"recompute_num_layers", l.recompute_num_layers}, {"grad_reduce_bf16", l.grad_reduce_bf16}, {"grad_reduce_overlap", l.grad_reduce_overlap}, {"zero", l.zero}, {"fsdp_copies", l.fsdp_copies},
                       {"sequence_parallel", l.sequence_parallel}, {"tp_comm_overlap", l.tp_comm_overlap},
                       {"attention_kernel", attention_kernel_name(l.attention)}, {"fused_elementwise", l.fused_elementwise},
                       {"fused_loss", l.fused_loss}};
        j["breakdown_s"] = {{"gemm", b.gemm_s}, {"attention", b.attention_s}, {"memory_bound", b.memory_bound_s},
                            {"tp_comm", b.tp_comm_s}, {"dp_comm", b.dp_comm_s}, {"pp_bubble", b.pp_bubble_s},
                            {"pp_p2p", b.pp_p2p_s}, {"optimizer", b.optimizer_s}, {"overhead", b.overhead_s}};
        j["mfu"] = o.result.mfu;
        j["predicted_peak_memory_gib"] = o.result.peak_memory_gib;
        if (o.measured_peak_memory_gib > 0) j["measured_peak_memory_gib"] = o.measured_peak_memory_gib;
      }
    } else {
      j["predicted"] = nullptr;
      j["error_pct"] = nullptr;
      j["reason"] = o.reason;
    }
    runs.push_back(j);
  }
  return {{"runs", runs},
          {"summary",
           {{"count", s.count},
            {"unscored", s.unscored},
            {"median_abs_error_pct", s.median_abs_error_pct},
            {"p90_abs_error_pct", s.p90_abs_error_pct},
            {"max_abs_error_pct", s.max_abs_error_pct}}}};
}

}  // namespace danlu
