// Reports for `danlu infer`.
#include <fmt/format.h>

#include "danlu/catalog.h"
#include "danlu/report.h"

namespace danlu {

std::string infer_text(const InferContext& ctx, const ServeResult& r) {
  const ServeSetup& s = ctx.setup;
  std::string out = fmt::format(
      "danlu infer: {} on {} x {} with {} (tp={} pp={} ep={}, weights {}, kv cache {})\n"
      "workload: {} input + {} output tokens, {}\n",
      ctx.model_name, ctx.cluster.gpus, ctx.accelerator_name, ctx.engine_name, s.tp, s.pp, s.ep, ctx.weights_name,
      precision_name(s.kv_cache), s.input_tokens, s.output_tokens,
      s.mode == ServeMode::offline      ? std::string("offline (largest batch that fits)")
      : s.mode == ServeMode::concurrency ? fmt::format("{} concurrent requests", s.concurrency)
                                         : fmt::format("{} requests/s", s.rate_rps));
  if (!ctx.defaulted.empty()) out += "defaulted: " + ctx.defaulted + "\n";
  out += "\n";
  std::vector<std::vector<std::string>> rows = {
      {"ttft_ms", fmt::format("{:.1f}", r.ttft_s * 1e3)},
      {"tpot_ms", fmt::format("{:.2f}", r.tpot_s * 1e3)},
      {"e2e_latency_s", fmt::format("{:.3f}", r.e2e_s)},
      {"output_tokens_per_s_per_gpu", fmt::format("{:.1f}", r.output_tokens_per_s_per_gpu)},
      {"output_tokens_per_s_per_user", fmt::format("{:.1f}", r.output_tokens_per_s_per_user)},
      {"requests_per_s", fmt::format("{:.3f}", r.requests_per_s)},
      {"batch_sequences", fmt::format("{:.0f}", r.batch)},
      {"binding (decode)", r.binding},
  };
  if (s.prefill_replicas > 0) {
    rows.push_back({"disaggregated", fmt::format("{}:{} replicas, {} binds", s.prefill_replicas, s.decode_replicas, r.pool_binding)});
    rows.push_back({"kv_transfer_ms", fmt::format("{:.2f}", r.kv_transfer_s * 1e3)});
  }
  if (ctx.price_per_gpu_hour > 0 && r.output_tokens_per_s_per_gpu > 0) {
    const double usd_per_m = ctx.price_per_gpu_hour / 3600.0 / r.output_tokens_per_s_per_gpu * 1e6;
    rows.push_back({"usd_per_million_output_tokens", fmt::format("{:.3f}", usd_per_m)});
  }
  out += render_table({"metric", "value"}, rows) + "\n";
  rows = {{"weights_gib", fmt::format("{:.2f}", r.weights_gib)},
          {"kv_cache_gib_per_sequence", fmt::format("{:.4f}", r.kv_gib_per_seq)},
          {"activations_and_workspace_gib", fmt::format("{:.2f}", r.activation_gib)},
          {"usable_gib", fmt::format("{:.2f}", r.usable_gib)},
          {"kv_capacity_sequences", fmt::format("{:.0f}", r.kv_capacity_seqs)}};
  out += render_table({"memory per GPU", "value"}, rows) + "\n";
  rows = {{"GEMMs (weights streamed or compute)", fmt::format("{:.3f}", r.decode_compute_s * 1e3)},
          {"attention (KV cache reads)", fmt::format("{:.3f}", r.decode_memory_s * 1e3)},
          {"tensor/expert-parallel comm", fmt::format("{:.3f}", r.decode_comm_s * 1e3)},
          {"engine step overhead", fmt::format("{:.3f}", r.decode_overhead_s * 1e3)}};
  out += render_table({"one decode step (per pipeline stage)", "time_ms"}, rows);
  out += fmt::format("prefill of one prompt: {:.1f} ms\n", r.prefill_s * 1e3);
  return out;
}

nlohmann::json infer_json(const InferContext& ctx, const ServeResult& r) {
  const ServeSetup& s = ctx.setup;
  nlohmann::json j = {
      {"model", ctx.model_name},
      {"accelerator", ctx.accelerator_name},
      {"gpus", ctx.cluster.gpus},
      {"engine", ctx.engine_name},
      {"layout", {{"tp", s.tp}, {"pp", s.pp}, {"ep", s.ep}}},
      {"precision", {{"weights", ctx.weights_name}, {"kv_cache", precision_name(s.kv_cache)}}},
      {"workload", {{"input_tokens", s.input_tokens}, {"output_tokens", s.output_tokens}}},
      {"ttft_ms", r.ttft_s * 1e3},
      {"tpot_ms", r.tpot_s * 1e3},
      {"e2e_latency_s", r.e2e_s},
      {"output_tokens_per_s_per_gpu", r.output_tokens_per_s_per_gpu},
      {"output_tokens_per_s_per_user", r.output_tokens_per_s_per_user},
      {"requests_per_s", r.requests_per_s},
      {"batch_sequences", r.batch},
      {"binding", r.binding},
      {"memory",
       {{"weights_gib", r.weights_gib},
        {"kv_cache_gib_per_sequence", r.kv_gib_per_seq},
        {"activations_and_workspace_gib", r.activation_gib},
        {"usable_gib", r.usable_gib},
        {"kv_capacity_sequences", r.kv_capacity_seqs}}},
      {"decode_step_ms",
       {{"gemm", r.decode_compute_s * 1e3},
        {"attention", r.decode_memory_s * 1e3},
        {"comm", r.decode_comm_s * 1e3},
        {"overhead", r.decode_overhead_s * 1e3}}},
      {"prefill_ms", r.prefill_s * 1e3},
  };
  if (ctx.price_per_gpu_hour > 0 && r.output_tokens_per_s_per_gpu > 0) {
    j["usd_per_million_output_tokens"] = ctx.price_per_gpu_hour / 3600.0 / r.output_tokens_per_s_per_gpu * 1e6;
  }
  return j;
}

}  // namespace danlu
