// danlu — the command line (cli/cli.h): every command's flags parsed into value types, the
// estimator called, a report emitted. Bad input: one line on stderr, exit 2.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cmath>
#include <cstdio>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>

#include "danlu/catalog.h"
#include "danlu/framework.h"
#include "danlu/estimate.h"
#include "danlu/inputs.h"
#include "danlu/rank.h"
#include "danlu/report.h"
#include "danlu/plan.h"
#include "danlu/montecarlo.h"
#include "danlu/cost_inputs.h"
#include "danlu/search.h"
#include "danlu/speech.h"
#include "danlu/timeline.h"
#include "cli/cli.h"
#include "cli/output.h"
#include "cli/cost_cmd.h"
#include "cli/flags.h"
#include "ui/server.h"
#include "cli/forecast_cmd.h"
#include "cli/scenario_cmd.h"
#include "cli/sweep_run.h"
#include "danlu/validate.h"
#include "io/yaml_util.h"

namespace danlu {

std::string validate_runs_text(const std::string& text, const std::string& origin, bool json, bool rank) {
  const Catalog& cat = builtin_catalog();
  const std::vector<TrainingRun> runs = parse_training_runs(text, origin, cat);
  std::vector<RunOutcome> outcomes = validate_runs(runs, cat);
  for (RunOutcome& o : validate_inference_runs(parse_inference_runs(text, origin, cat), cat)) {
    outcomes.push_back(std::move(o));
  }
  for (RunOutcome& o : validate_wholeruns(parse_wholeruns(text, origin, cat), cat)) {
    outcomes.push_back(std::move(o));
  }
  if (rank) {
    const std::vector<RankOutcome> ranks = rank_runs(runs, outcomes, cat);
    return json ? rank_json(ranks).dump(2) + "\n" : rank_text(ranks);
  }
  const ValidationSummary s = summarize(outcomes);
  return json ? validate_json(outcomes, s).dump(2) + "\n" : validate_text(outcomes, s);
}

namespace {

struct TrainFlags {
  std::string model = "llama3-70b", accelerator = "h100-sxm", network;
  std::string gpus = "1024", gpus_per_node, nics_per_node, seq_len, global_batch, micro_batch;
  std::string tp, pp, dp, cp, ep, etp, vpp, zero, dp_shard, first_stage_layers, last_stage_layers, recompute_num_layers,
      recompute_modules;
  std::string recompute, precision, sequence_parallel, tp_comm_overlap, attention_kernel, power_cap_w, fused_elementwise,
      fused_loss, grad_reduce_bf16, memory_margin_gib, framework, fsdp_copies,
      grad_reduce_overlap;
  std::string trace, svg, moe_imbalance;
  bool json = false, timeline = false;
};

// The precisions an accelerator has a tensor-core rate for, comma-separated.
std::string allowed_precisions(const Accelerator& a) {
  std::string allowed;
  for (int p = 0; p < kPrecisions; ++p) {
    if (a.peak_tflops[p] > 0) allowed += std::string(allowed.empty() ? "" : ", ") + precision_name(static_cast<Precision>(p));
  }
  return allowed;
}

// --recompute-modules a,b: Megatron's selective modules; implies --recompute selective.
void set_recompute_modules(const std::string& list, PartialLayout* p) {
  if (list.empty()) return;
  p->recompute_modules = parse_recompute_modules(list, "--recompute-modules");
  if (p->recompute && *p->recompute != Recompute::selective) {
    throw InputError(fmt::format("--recompute-modules needs --recompute selective (or no --recompute), not {}",
                                 recompute_name(*p->recompute)));
  }
}

std::string layout_problem(const Model& m, const Cluster& c, const Layout& l, const Workload& w, LayoutIssue issue) {
  std::string lay = fmt::format("tp={} pp={} dp={} cp={} vpp={} micro_batch={}", l.tp, l.pp, l.dp, l.cp, l.vpp,
                                l.micro_batch);
  if (m.is_moe()) lay += fmt::format(" ep={} etp={}", l.ep, l.etp);
  switch (issue) {
    case LayoutIssue::kExpertsNotDivisible:
      return fmt::format("layout {}: the model's {} routed experts are not divisible by ep={}; allowed ep divides {}", lay,
                         m.moe.experts, l.ep, m.moe.experts);
    case LayoutIssue::kEpTooLarge:
      return fmt::format("layout {}: ep*etp = {} does not divide tp*cp*dp = {}; expert layers fold etp x ep onto those ranks",
                         lay, static_cast<long>(l.ep) * l.etp, static_cast<long>(l.tp) * l.cp * l.dp);
    case LayoutIssue::kEtpInvalid:
      if (!m.is_moe()) return fmt::format("--etp {}: the model has no routed experts; allowed: 1 (etp splits experts)", l.etp);
      return fmt::format("layout {}: etp={} does not divide the expert FFN width {}; allowed etp divides {}", lay, l.etp,
                         m.moe.expert_ffn, m.moe.expert_ffn);
    case LayoutIssue::kDpShard:
      if (l.zero < 1) return fmt::format("--dp-shard {}: hybrid sharding needs --zero 1, 2 or 3 (zero is 0)", l.dp_shard);
      return fmt::format("layout {} zero={}: dp_shard={} must divide dp={}, and the replicas dp/dp_shard must divide the "
                         "expert data-parallel group tp*cp*dp/(ep*etp)", lay, l.zero, l.dp_shard, l.dp);
    case LayoutIssue::kProductMismatch:
      return fmt::format("layout {}: tp*pp*dp*cp = {:.0f} but --gpus is {}; the product must equal the GPU count", lay,
                         static_cast<double>(l.tp) * l.pp * l.dp * l.cp, c.gpus);
    case LayoutIssue::kHeadsNotDivisible:
      return fmt::format("layout {}: the model's {} attention heads are not divisible by tp={}; allowed tp divides {}",
                         lay, m.heads, l.tp, m.heads);
    case LayoutIssue::kTooManyStages:
      return fmt::format("layout {}: {} layers cannot fill pp*vpp = {} pipeline chunks; allowed pp*vpp <= layers", lay,
                         m.layers, l.pp * l.vpp);
    case LayoutIssue::kBatchNotDivisible:
      return fmt::format("layout {}: global batch {} is not divisible by micro_batch*dp = {}", lay, w.global_batch,
                         static_cast<long>(l.micro_batch) * l.dp);
    case LayoutIssue::kPrecisionUnsupported:
      return fmt::format("--precision {}: {} has no tensor-core rate for it; allowed on this accelerator: {}",
                         precision_name(w.precision), c.acc.id, allowed_precisions(c.acc));
    default:
      return fmt::format("layout {}: {}", lay, layout_issue_text(issue));
  }
}

// What train and search share: the model, the cluster and the workload.
struct JobSetup {
  Model model;
  std::string model_name, accelerator_name;
  Cluster c;
  Workload w;
  unsigned defaulted = 0;
  bool global_batch_set = false;
};

JobSetup setup_job(const TrainFlags& f) {
  const Catalog& cat = builtin_catalog();
  JobSetup j;
  int max_seq = 0;
  j.model = load_model(f.model, cat, &max_seq);
  const ModelEntry* preset = cat.find_model(f.model);
  j.model_name = preset ? preset->id : f.model == "-" ? std::string("config.json (stdin)") : f.model;
  j.accelerator_name = cat.accelerator(f.accelerator).acc.id;
  if (f.gpus.empty()) throw InputError("--gpus: empty value; allowed: a whole number in [1, 10000000]");
  const int gpus = static_cast<int>(*int_flag("gpus", f.gpus, 1, 10'000'000));
  const int gpn = int_opt("gpus-per-node", f.gpus_per_node, 1, 1'000'000).value_or(0);
  const int nics = int_opt("nics-per-node", f.nics_per_node, 1, 1'000).value_or(0);
  j.c = make_cluster(cat, f.accelerator, gpus, gpn, f.network, nics);
  if (auto cap = int_flag("power-cap-w", f.power_cap_w, 1, 100'000)) {
    const double idle_w = j.c.acc.eff.idle_power_fraction * j.c.acc.tdp_w;
    if (static_cast<double>(*cap) <= idle_w) {
      throw InputError(fmt::format("--power-cap-w {}: at or below {}'s idle draw ({:.0f} W); allowed: above {:.0f} W",
                                   *cap, j.accelerator_name, idle_w, idle_w));
    }
    apply_variant(&j.c, static_cast<double>(*cap), 0, 0);
  }
  j.c.memory_margin_gib = real_flag("memory-margin-gib", f.memory_margin_gib, 0, j.c.acc.hbm_gib, 0);
  Workload& w = j.w;
  if (auto s = int_opt("seq-len", f.seq_len, 1, 100'000'000)) {
    w.seq_len = *s;
  } else {
    w.seq_len = max_seq > 0 ? std::min(max_seq, 8192) : 4096;
    j.defaulted |= kDefSeqLen;
  }
  if (!f.precision.empty()) {
    w.precision = parse_precision(f.precision, "--precision");
  } else {
    w.precision = Precision::bf16;
    j.defaulted |= kDefPrecision;
  }
  if (j.c.acc.peak_tflops[static_cast<int>(w.precision)] <= 0) {
    throw InputError(fmt::format("--precision {}: {} has no tensor-core rate for it; allowed on this accelerator: {}",
                                 precision_name(w.precision), j.accelerator_name, allowed_precisions(j.c.acc)));
  }
  const auto gb = int_flag("global-batch", f.global_batch, 1, 1'000'000'000);
  j.global_batch_set = gb.has_value();
  if (gb) w.global_batch = *gb;
  else j.defaulted |= kDefGlobalBatch;
  return j;
}

// The --framework named (nullptr when the flag is absent); an unknown name is an input error.
const Framework* find_framework_flag(const std::string& name) {
  if (name.empty()) return nullptr;
  try {
    return &builtin_catalog().framework(name);
  } catch (const InputError& e) {
    throw InputError(fmt::format("--framework: {}", e.what()));
  }
}

int run_train(const TrainFlags& f) {
  const JobSetup job = setup_job(f);
  const Model& model = job.model;
  const Cluster& c = job.c;
  Workload w = job.w;
  const unsigned extra = job.defaulted;
  const std::optional<long> gb = job.global_batch_set ? std::optional<long>(w.global_batch) : std::nullopt;

  PartialLayout p;
  p.tp = int_opt("tp", f.tp, 1, 1'000'000);
  p.pp = int_opt("pp", f.pp, 1, 1'000'000);
  p.dp = int_opt("dp", f.dp, 1, 10'000'000);
  p.cp = int_opt("cp", f.cp, 1, 1'000'000);
  p.ep = int_opt("ep", f.ep, 1, 1'000'000);
  p.etp = int_opt("etp", f.etp, 1, 1'000'000);
  p.dp_shard = int_opt("dp-shard", f.dp_shard, 1, 10'000'000);
  p.vpp = int_opt("vpp", f.vpp, 1, 1'000);
  p.micro_batch = int_opt("micro-batch", f.micro_batch, 1, 1'000'000);
  p.zero = int_opt("zero", f.zero, 0, 3);
  p.first_stage_layers = int_opt("first-stage-layers", f.first_stage_layers, 1, 100'000);
  p.last_stage_layers = int_opt("last-stage-layers", f.last_stage_layers, 1, 100'000);
  p.recompute_num_layers = int_opt("recompute-num-layers", f.recompute_num_layers, 1, 100'000);
  if (!f.recompute.empty()) p.recompute = parse_recompute(f.recompute, "--recompute");
  set_recompute_modules(f.recompute_modules, &p);
  p.sequence_parallel = bool_opt("sequence-parallel", f.sequence_parallel);
  p.tp_comm_overlap = bool_opt("tp-comm-overlap", f.tp_comm_overlap);
  if (!f.attention_kernel.empty()) p.attention = parse_attention_kernel(f.attention_kernel, "--attention-kernel");
  p.fused_elementwise = bool_opt("fused-elementwise", f.fused_elementwise);
  p.fused_loss = bool_opt("fused-loss", f.fused_loss);
  p.grad_reduce_bf16 = bool_opt("grad-reduce-bf16", f.grad_reduce_bf16);
  p.grad_reduce_overlap = bool_opt("grad-reduce-overlap", f.grad_reduce_overlap);
  p.fsdp_copies = bool_opt("fsdp-copies", f.fsdp_copies);
  if (!f.moe_imbalance.empty()) {
    double v = 0;
    if (!io::parse_number(f.moe_imbalance, &v) || v < 1.0 || v > 64.0) {
      throw InputError(fmt::format("--moe-imbalance: '{}' is not allowed; allowed: a number in [1, 64] (busiest rank over the mean)",
                                   f.moe_imbalance.substr(0, 40)));
    }
    p.moe_imbalance = v;
  }

  if (const Framework* fw = find_framework_flag(f.framework)) {
    if (p.zero && !supports_zero(*fw, *p.zero)) {
      throw InputError(fmt::format("--zero {}: {} does not run that sharding; allowed with {}: {}", *p.zero, fw->id,
                                   fw->id, fmt::join(fw->zero_stages, ", ")));
    }
    apply_framework(*fw, c, w.precision, 0, job.global_batch_set ? w.global_batch : 0L, &p);
  }

  unsigned flags = 0;
  const Layout l = resolve_layout(model, c, p, &w, gb.has_value(), &flags);
  flags |= extra;
  if (gb.has_value()) flags &= ~static_cast<unsigned>(kDefGlobalBatch);
  const LayoutIssue issue = check_layout(model, c, l, w);
  if (issue != LayoutIssue::kOk) throw InputError(layout_problem(model, c, l, w, issue));

  const Result r = estimate_step(model, c, l, w);
  TrainContext ctx;
  ctx.model_name = job.model_name;
  ctx.accelerator_name = job.accelerator_name;
  ctx.network_name = f.network;
  ctx.model = model;
  ctx.cluster = c;
  ctx.layout = l;
  ctx.workload = w;
  ctx.defaulted = flags;
  ctx.framework = f.framework;
  if (!f.trace.empty() || !f.svg.empty()) {
    Timeline t;
    if (!build_timeline(l, r, &t)) {
      throw InputError(fmt::format("--trace/--svg: the step has too many events to draw ({} micro-batches x {} "
                                   "chunks x {} stages); allowed: at most 2,000,000 drawn events",
                                   r.micro_batches, l.vpp, l.pp));
    }
    if (!f.trace.empty()) write_text_file_atomically(f.trace, timeline_trace_json(t));
    if (!f.svg.empty()) {
      write_text_file_atomically(f.svg, timeline_svg(t, fmt::format("danlu: {} on {} x {}, step {:.4g} s", ctx.model_name,
                                                                    c.gpus, ctx.accelerator_name, r.step_s)));
    }
  }
  std::string out;
  if (f.json) {
    nlohmann::json j = train_json(ctx, r);
    if (f.timeline) {
      // The drawn step for the web page: lanes and [lane, name, start_s, dur_s] events; a step
      // too large to send is said so rather than cut.
      constexpr std::size_t kMaxJsonEvents = 20'000;
      Timeline t;
      if (build_timeline(l, r, &t, 16, kMaxJsonEvents)) {
        nlohmann::json ev = nlohmann::json::array();
        for (const TimelineEvent& e : t.events) ev.push_back({e.lane, e.name, e.start_s, e.dur_s});
        j["timeline"] = {{"lanes", t.lanes}, {"span_s", t.span_s}, {"events", ev}};
      } else {
        j["timeline"] = {{"omitted", fmt::format("more than {} events; use --trace for the full step", kMaxJsonEvents)}};
      }
    }
    out = j.dump(2) + "\n";
  } else {
    out = train_text(ctx, r);
  }
  emit(out);
  return 0;
}

std::atomic<bool> g_cancel{false};
extern "C" void on_sigint(int) { g_cancel = true; }

// Ctrl-C stops long work cleanly while it runs; the caller's own handler (a shell's default,
// or Python's KeyboardInterrupt when danlu runs in-process) comes back afterwards.
class SigintScope {
 public:
  SigintScope() : previous_(std::signal(SIGINT, on_sigint)) {}
  ~SigintScope() { std::signal(SIGINT, previous_ == SIG_ERR ? SIG_DFL : previous_); }
  SigintScope(const SigintScope&) = delete;
  SigintScope& operator=(const SigintScope&) = delete;

 private:
  void (*previous_)(int);
};

struct SearchFlags {
  std::string top = "10", threads, max_micro_batch = "64", objective = "time", min_gpus;
  bool json = false, exhaustive = false;
};

int run_search(const TrainFlags& f, const SearchFlags& sf) {
  const JobSetup job = setup_job(f);
  if (sf.objective != "time") {
    throw InputError(fmt::format("--objective {}: only 'time' is available; cost and energy come with the "
                                 "whole-run economics (allowed: time)",
                                 sf.objective.substr(0, 40)));
  }
  Workload w = job.w;
  if (!job.global_batch_set) {
    // About 4M tokens per step, a multiple of every power-of-two dp up to the GPU count.
    long gb = std::max(1L, 4194304L / w.seq_len);
    w.global_batch = gb;
  }
  SearchOptions opt;
  opt.top_k = static_cast<int>(*int_flag("top", sf.top, 1, 1000));
  opt.threads = int_opt("threads", sf.threads, 1, 1024).value_or(0);
  opt.max_micro_batch = static_cast<int>(*int_flag("max-micro-batch", sf.max_micro_batch, 1, 1'000'000));
  opt.prune = !sf.exhaustive;
  opt.min_gpus = int_opt("min-gpus", sf.min_gpus, 1, 10'000'000).value_or(0);
  opt.cancel = &g_cancel;
  if (const Framework* fw = find_framework_flag(f.framework)) {
    // Every candidate runs as that stack runs: its shardings, its meaning of "selective", and
    // its kernels, fusion and TP overlap (the family's usual setting where it states none).
    opt.zero_stages = fw->zero_stages;
    if (fw->selective) opt.selective = *fw->selective;
    Layout base;
    const bool gpu = job.c.acc.torus_dims == 0;
    base.attention = gpu && fw->attention_gpu ? *fw->attention_gpu : AttentionKernel::flash;
    base.fused_elementwise = fw->fused_elementwise.value_or(true);
    base.fused_loss = fw->fused_loss.value_or(base.fused_elementwise);
    base.tp_comm_overlap = fw->tp_comm_overlap.value_or(job.c.acc.eff.tp_overlap_default);
    base.fsdp_copies = fw->fsdp_copies.value_or(default_fsdp_copies(job.c, 3));
    opt.base = base;
  }
  const bool tty = isatty(fileno(stderr)) != 0;
  if (tty) {
    opt.progress = [](double frac) {
      std::fprintf(stderr, "\rsearching... %5.1f%%", 100.0 * frac);
      if (frac >= 1.0) std::fprintf(stderr, "\r%*s\r", 24, "");
      std::fflush(stderr);
    };
  }
  const auto t0 = std::chrono::steady_clock::now();
  const SearchResult s = [&] {
    const SigintScope sigint;
    return search_layouts(job.model, job.c, w, opt);
  }();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  TrainContext ctx;
  ctx.model_name = job.model_name;
  ctx.accelerator_name = job.accelerator_name;
  ctx.network_name = f.network;
  ctx.model = job.model;
  ctx.cluster = job.c;
  ctx.workload = w;
  ctx.framework = f.framework;
  const std::string out = sf.json ? search_json(ctx, s, wall).dump(2) + "\n" : search_text(ctx, s, wall);
  emit(out);
  return s.cancelled ? 130 : 0;
}

struct PlanFlags {
  std::string tokens = "15e12", failures, pue, storage_gbs, restart_s, trials = "1000", seed = "1";
  std::string recipe = "pretrain", prompt_tokens = "1024", response_tokens = "1024", rollout_engine = "vllm";
  std::string checkpoint_interval_s, batch_ramp, spare_nodes, repair_h;
  bool async_checkpoint = false;
  bool json = false;
};

int run_plan(const TrainFlags& f, const PlanFlags& pf) {
  const JobSetup job = setup_job(f);
  Workload w = job.w;
  PartialLayout p;
  p.tp = int_opt("tp", f.tp, 1, 1'000'000);
  p.pp = int_opt("pp", f.pp, 1, 1'000'000);
  p.dp = int_opt("dp", f.dp, 1, 10'000'000);
  p.cp = int_opt("cp", f.cp, 1, 1'000'000);
  p.vpp = int_opt("vpp", f.vpp, 1, 1'000);
  p.micro_batch = int_opt("micro-batch", f.micro_batch, 1, 1'000'000);
  p.zero = int_opt("zero", f.zero, 0, 3);
  if (!f.recompute.empty()) p.recompute = parse_recompute(f.recompute, "--recompute");
  p.recompute_num_layers = int_opt("recompute-num-layers", f.recompute_num_layers, 1, 100'000);
  set_recompute_modules(f.recompute_modules, &p);
  p.grad_reduce_bf16 = bool_opt("grad-reduce-bf16", f.grad_reduce_bf16);
  unsigned flags = 0;
  const Layout l = resolve_layout(job.model, job.c, p, &w, job.global_batch_set, &flags);
  const LayoutIssue issue = check_layout(job.model, job.c, l, w);
  if (issue != LayoutIssue::kOk) throw InputError(layout_problem(job.model, job.c, l, w, issue));
  const Result step = estimate_step(job.model, job.c, l, w);
  PlanInputs in;
  in.tokens = real_flag("tokens", pf.tokens, 1, 1e18, in.tokens);
  in.failures_per_gpu_hour = real_flag("failures-per-gpu-hour", pf.failures, 0, 1, in.failures_per_gpu_hour);
  in.pue = real_flag("pue", pf.pue, 1, 3, in.pue);
  in.storage_gbs = real_flag("storage-gbs", pf.storage_gbs, 0.001, 1e7, in.storage_gbs);
  in.restart_s = real_flag("restart-s", pf.restart_s, 0, 1e6, in.restart_s);
  in.async_checkpoint = pf.async_checkpoint;
  in.spare_nodes = static_cast<int>(int_opt("spare-nodes", pf.spare_nodes, 0, 100'000).value_or(0));
  in.repair_s = 3600.0 * real_flag("repair-h", pf.repair_h, 0, 1e4, 0);
  if (in.spare_nodes > 0 && in.repair_s <= 0) {
    throw InputError("--spare-nodes needs --repair-h (hours a failed node is out): without a repair time spares change nothing");
  }
  in.checkpoint_interval_s = real_flag("checkpoint-interval-s", pf.checkpoint_interval_s, 1, 1e9, 0);
  if (in.checkpoint_interval_s > 0 && in.failures_per_gpu_hour <= 0) {
    throw InputError("--checkpoint-interval-s with --failures-per-gpu-hour 0: without failures a checkpoint "
                     "never saves work and only costs time; give a failure rate > 0 or drop the interval");
  }
  const std::vector<std::string> recipes = {"pretrain", "sft", "dpo", "rl"};
  if (pf.recipe == "pretrain") in.recipe = Recipe::pretrain;
  else if (pf.recipe == "sft") in.recipe = Recipe::sft;
  else if (pf.recipe == "dpo") in.recipe = Recipe::dpo;
  else if (pf.recipe == "rl") in.recipe = Recipe::rl;
  else throw InputError(fmt::format("--recipe '{}': allowed: pretrain, sft, dpo, rl{}", pf.recipe.substr(0, 40), did_you_mean(pf.recipe, recipes)));
  double rollout_per_gpu = 0;
  int rollout_tp = 0;
  if (in.recipe == Recipe::rl) {
    // Rollouts: the policy generates each response on the training GPUs (offline batching,
    // BF16, one replica per scale-up domain), priced by the serving estimator.
    const int prompt = static_cast<int>(*int_flag("prompt-tokens", pf.prompt_tokens, 1, 10'000'000));
    const int response = static_cast<int>(*int_flag("response-tokens", pf.response_tokens, 1, 10'000'000));
    const Engine& engine = builtin_catalog().engine(pf.rollout_engine);
    ServeSetup ss;
    ss.tp = std::max(1, std::min(job.c.gpus_per_node, job.c.gpus));
    while (ss.tp > 1 && (job.model.heads % ss.tp != 0 || job.c.gpus % ss.tp != 0)) --ss.tp;
    ss.input_tokens = prompt;
    ss.output_tokens = response;
    ss.mode = ServeMode::offline;
    Cluster replica = job.c;  // the serving estimator prices one replica of tp GPUs
    replica.gpus = ss.tp;
    const ServeResult sr = estimate_serving(job.model, replica, engine, ss);
    if (!sr.fits) {
      throw InputError(fmt::format("--recipe rl: the policy does not fit for generation on {} x {} (tp {})", ss.tp, job.accelerator_name, ss.tp));
    }
    rollout_tp = ss.tp;
    rollout_per_gpu = sr.output_tokens_per_s_per_gpu;
    in.rollout_tokens_per_s = rollout_per_gpu * job.c.gpus;
    in.response_fraction = static_cast<double>(response) / (prompt + response);
  }
  if (!pf.batch_ramp.empty()) {
    // "BATCH_TOKENS:TOKENS,..." e.g. Llama 3: 4.19e6:252e6,8.39e6:2.87e12 (then the full batch).
    const double full_tokens_per_step = static_cast<double>(w.global_batch) * w.seq_len;
    double ramp_tokens = 0;
    for (size_t pos = 0; pos < pf.batch_ramp.size();) {
      size_t end = pf.batch_ramp.find(',', pos);
      if (end == std::string::npos) end = pf.batch_ramp.size();
      const std::string item = pf.batch_ramp.substr(pos, end - pos);
      const size_t colon = item.find(':');
      double bt = 0, tk = 0;
      if (colon == std::string::npos || !io::parse_number(item.substr(0, colon), &bt) || !io::parse_number(item.substr(colon + 1), &tk) ||
          bt <= 0 || tk <= 0) {
        throw InputError(fmt::format("--batch-ramp: '{}' is not BATCH_TOKENS:TOKENS (e.g. 4.19e6:252e6,8.39e6:2.87e12)", item.substr(0, 60)));
      }
      Workload ws = w;
      ws.global_batch = std::max(1L, std::lround(bt / w.seq_len));
      const LayoutIssue li = check_layout(job.model, job.c, l, ws);
      if (li != LayoutIssue::kOk) {
        throw InputError(fmt::format("--batch-ramp: a batch of {} sequences does not run on this layout: {}", ws.global_batch,
                                     layout_problem(job.model, job.c, l, ws, li)));
      }
      if (ws.global_batch >= w.global_batch) {
        throw InputError(fmt::format("--batch-ramp: stage batch {} sequences is not below the full batch {}", ws.global_batch, w.global_batch));
      }
      const Result rs = estimate_step(job.model, job.c, l, ws);
      const double stage_tokens_per_step = static_cast<double>(ws.global_batch) * w.seq_len;
      in.ramp_extra_s += tk / stage_tokens_per_step * rs.step_s - tk / full_tokens_per_step * step.step_s;
      ramp_tokens += tk;
      pos = end + 1;
    }
    if (ramp_tokens >= in.tokens) throw InputError("--batch-ramp: the ramp covers all of --tokens; the last stage must be the full batch");
  }
  const PlanResult r = plan_run(job.model, job.c, l, w, step, in);
  // The same run, simulated: seeded Monte Carlo of interruptions, checkpoints and restarts.
  const int trials = static_cast<int>(*int_flag("trials", pf.trials, 1, 1'000'000));
  const auto seed = static_cast<std::uint64_t>(*int_flag("seed", pf.seed, 0, 1'000'000'000'000L));
  FailureRun fr;
  fr.work_s = r.ideal_days * 86400.0;
  fr.interval_s = r.checkpoint_interval_s;
  fr.checkpoint_s = r.checkpoint_s;
  fr.restart_s = in.restart_s + r.repair_wait_s;
  fr.mtbf_s = r.job_mtbf_h * 3600.0;
  fr.extra_loss_s = in.async_checkpoint ? r.checkpoint_write_s : 0.0;
  const bool tty = isatty(fileno(stderr)) != 0;
  void (*show)(int, int) = [](int done, int total) {
    std::fprintf(stderr, "\rsimulating failures: %d / %d runs", done, total);
    std::fflush(stderr);
  };
  const MonteCarloResult mc = [&] {
    const SigintScope sigint;
    return simulate_failures(fr, trials, seed, &g_cancel, tty ? show : nullptr);
  }();
  if (tty) std::fprintf(stderr, "\r%50s\r", "");
  if (g_cancel) throw InputError(fmt::format("plan: interrupted after {} of {} simulated runs; nothing written", mc.trials, trials));
  // Money: the run's GPU-hours rented at the market price, and on an owned cluster at the
  // build cost per used GPU-hour (danlu cost's defaults, data/costs.yaml).
  double rent_usd_h = 0, build_usd_h = 0, electricity_usd = 0;
  std::string money_note;
  try {
    const CostSetup cs = load_cost_setup(builtin_catalog(), job.accelerator_name, job.c.gpus, 0, 0, "", "", "");
    const CostResult cr = estimate_cost(cs.in);
    rent_usd_h = cs.in.rent_usd_per_gpu_hour;
    build_usd_h = cr.build_usd_per_used_gpu_hour;
    electricity_usd = r.energy_mwh * 1000.0 * cs.in.electricity_usd_per_kwh;
  } catch (const InputError& e) {
    money_note = e.what();
  }
  if (pf.json) {
    const nlohmann::json j = {{"model", job.model_name}, {"accelerator", job.accelerator_name}, {"gpus", job.c.gpus},
                              {"tokens", in.tokens}, {"step_time_s", r.step_s}, {"steps", r.steps},
                              {"model_flops_total", step.model_flops_per_step * r.steps}, {"mfu", step.mfu},
                              {"recipe", pf.recipe}, {"reference_forward_s", r.reference_forward_s},
                              {"rollout_days", r.rollout_days}, {"ramp_extra_days", r.ramp_extra_days}, {"repair_wait_s", r.repair_wait_s}, {"spare_gpu_hours", r.spare_gpu_hours}, {"rollout_tokens_per_s_per_gpu", rollout_per_gpu},
                              {"ideal_days", r.ideal_days}, {"days", r.days}, {"gpu_hours", r.gpu_hours},
                              {"goodput", r.goodput}, {"job_mtbf_h", r.job_mtbf_h}, {"checkpoint_s", r.checkpoint_s}, {"checkpoint_write_s", r.checkpoint_write_s}, {"async_checkpoint", in.async_checkpoint},
                              {"checkpoint_interval_s", r.checkpoint_interval_s}, {"gpu_power_w", r.gpu_power_w},
                              {"it_power_per_gpu_w", r.it_power_per_gpu_w}, {"facility_mw", r.facility_mw},
                              {"energy_mwh", r.energy_mwh}, {"pue", in.pue},
                              {"monte_carlo", {{"trials", mc.trials}, {"seed", seed}, {"days_mean", mc.mean_wall_s / 86400.0},
                                               {"days_p50", mc.p50_wall_s / 86400.0}, {"days_p90", mc.p90_wall_s / 86400.0},
                                               {"interruptions_mean", mc.mean_failures},
                                               {"effective_training_time_ratio", mc.effective_ratio},
                                               {"expected_days_exact", expected_wall_s(fr) / 86400.0},
                                               {"histogram", {{"min_days", mc.min_wall_s / 86400.0}, {"max_days", mc.max_wall_s / 86400.0},
                                                              {"counts", std::vector<int>(mc.histogram, mc.histogram + MonteCarloResult::kBins)}}}}},
                              {"cost", money_note.empty()
                                           ? nlohmann::json{{"rent_market_usd", r.gpu_hours * rent_usd_h},
                                                            {"rent_usd_per_gpu_hour", rent_usd_h},
                                                            {"build_usd", r.gpu_hours * build_usd_h},
                                                            {"build_usd_per_gpu_hour", build_usd_h},
                                                            {"electricity_usd", electricity_usd}}
                                           : nlohmann::json{{"unavailable", money_note}}}};
    const std::string out = j.dump(2) + "\n";
    emit(out);
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {
      {"recipe", pf.recipe},
      {"step_time_s", fmt::format("{:.3f}", r.step_s)},
      {"steps", fmt::format("{:.0f}", r.steps)},
      {"days_without_failures", fmt::format("{:.1f}", r.ideal_days)},
      {"job_mtbf_h", fmt::format("{:.2f}", r.job_mtbf_h)},
      {"checkpoint_blocking_s", fmt::format("{:.2f}", r.checkpoint_s)},
      {"checkpoint_write_s", fmt::format("{:.1f}", r.checkpoint_write_s)},
      {"checkpoint_interval_s (Young-Daly)", fmt::format("{:.0f}", r.checkpoint_interval_s)},
      {"goodput_pct", fmt::format("{:.1f}", 100.0 * r.goodput)},
      {"days", fmt::format("{:.1f}", r.days)},
      {"gpu_hours", fmt::format("{:.4g}", r.gpu_hours)},
      {"gpu_power_w (activity-weighted)", fmt::format("{:.0f}", r.gpu_power_w)},
      {"it_power_per_gpu_w (with server)", fmt::format("{:.0f}", r.it_power_per_gpu_w)},
      {"facility_mw (x PUE)", fmt::format("{:.2f}", r.facility_mw)},
      {"energy_mwh", fmt::format("{:.4g}", r.energy_mwh)},
      {"batch_ramp_extra_days", fmt::format("{:.2f}", r.ramp_extra_days)},
      {fmt::format("repair_wait_s per interruption ({} spare nodes)", in.spare_nodes), fmt::format("{:.0f}", r.repair_wait_s)},
      {"spare_gpu_hours (inside gpu_hours)", fmt::format("{:.4g}", r.spare_gpu_hours)},
      {"reference_forward_s (per step; dpo, rl)", fmt::format("{:.3f}", r.reference_forward_s)},
      {fmt::format("rollout_days (rl; {} tok/s/GPU, tp {})", rollout_per_gpu > 0 ? fmt::format("{:.0f}", rollout_per_gpu) : "-", rollout_tp),
       fmt::format("{:.2f}", r.rollout_days)},
      {fmt::format("monte_carlo_days p50 / p90 ({} runs, seed {})", mc.trials, seed),
       fmt::format("{:.1f} / {:.1f}", mc.p50_wall_s / 86400.0, mc.p90_wall_s / 86400.0)},
      {"monte_carlo_interruptions (mean)", fmt::format("{:.0f}", mc.mean_failures)},
      {"monte_carlo_effective_training_pct", fmt::format("{:.1f}", 100.0 * mc.effective_ratio)}};
  if (money_note.empty()) {
    rows.push_back({fmt::format("cost_rented_usd (market {:.2f} USD/GPU-h)", rent_usd_h), fmt::format("{:.4g}", r.gpu_hours * rent_usd_h)});
    rows.push_back({fmt::format("cost_owned_usd ({:.2f} USD/GPU-h, danlu cost)", build_usd_h), fmt::format("{:.4g}", r.gpu_hours * build_usd_h)});
    rows.push_back({"electricity_usd (inside owned)", fmt::format("{:.4g}", electricity_usd)});
  } else {
    rows.push_back({"cost", "unavailable: " + money_note});
  }
  std::string out = fmt::format("danlu plan: {} for {:.3g} tokens on {} x {} (layout tp={} pp={} dp={} cp={} vpp={} mb={}, PUE {})\n\n",
                                job.model_name, in.tokens, job.c.gpus, job.accelerator_name, l.tp, l.pp, l.dp, l.cp,
                                l.vpp, l.micro_batch, in.pue);
  out += render_table({"whole run", "value"}, rows);
  emit(out);
  return 0;
}

struct InferFlags {
  std::string model = "llama3-70b", accelerator = "h100-sxm", gpus = "8", gpus_per_node, engine, tp, pp, ep;
  std::string weights, activations, kv_cache, input_tokens = "1024", output_tokens = "256", concurrency, rate, requests;
  std::string price, tpot_ms, sweep_svg, slo, disaggregate;
  bool offline = false, json = false, sweep = false, max_model = false;
};

// A model of the Llama 3 shape with hidden size h (head 128, GQA 8 KV heads, SwiGLU 3.5h,
// layers ~ h/128 as Llama 3 70B/405B and GPT-3 175B), or, with `moe`, of the DeepSeek-V3
// shape (256 routed experts, top 8, one shared, expert width 2/7 h, 3 dense layers).
Model scaled_model(int h, bool moe) {
  Model m;
  m.hidden = h;
  m.heads = h / 128;
  m.kv_heads = 8;
  m.head_dim = 128;
  m.layers = std::max(2, h / 128);
  m.ffn = static_cast<int>(3.5 * h);
  m.vocab = 128256;
  m.gated_mlp = true;
  m.norm = Norm::rmsnorm;
  m.attention = Attention::gqa;
  if (moe) {
    m.layers = std::max(4, h / 117);
    m.ffn = static_cast<int>(18432.0 / 7168.0 * h);
    m.moe.experts = 256;
    m.moe.top_k = 8;
    m.moe.shared_experts = 1;
    m.moe.expert_ffn = std::max(128, (2 * h / 7) / 128 * 128);
    m.moe.dense_layers = 3;
  }
  return m;
}

int run_infer(const InferFlags& f) {
  const Catalog& cat = builtin_catalog();
  int max_seq = 0;
  const Model model = load_model(f.model, cat, &max_seq);
  const int gpus = static_cast<int>(*int_flag("gpus", f.gpus, 1, 1'000'000));
  const int gpn = int_opt("gpus-per-node", f.gpus_per_node, 1, 1'000'000).value_or(0);
  Cluster c = make_cluster(cat, f.accelerator, gpus, gpn, "", 0);
  std::string defaulted;
  auto note = [&](const char* name) { defaulted += std::string(defaulted.empty() ? "" : ", ") + name; };
  ServeSetup s;
  s.tp = int_opt("tp", f.tp, 1, 1'000'000).value_or(0);
  s.pp = int_opt("pp", f.pp, 1, 1'000'000).value_or(1);
  s.ep = int_opt("ep", f.ep, 1, 1'000'000).value_or(1);
  if (s.tp == 0) {
    s.tp = gpus / s.pp;
    note("tp");
  }
  if (static_cast<long>(s.tp) * s.pp != gpus) {
    throw InputError(fmt::format("layout tp={} pp={}: tp*pp must equal --gpus ({}) for one replica", s.tp, s.pp, gpus));
  }
  // --max-model sizes its own models (each checked against tp there), so --model's shape
  // must not refuse a layout such as tp=72 on a GB200 NVL72 rack.
  if (!f.max_model && model.heads % s.tp != 0) {
    throw InputError(fmt::format("--tp {}: the model's {} attention heads are not divisible by it", s.tp, model.heads));
  }
  if (!f.max_model && s.pp > model.layers) throw InputError(fmt::format("--pp {}: more stages than the model's {} layers", s.pp, model.layers));
  if (!f.max_model && model.is_moe() && model.moe.experts % s.ep != 0) {
    throw InputError(fmt::format("--ep {}: the model's {} experts are not divisible by it", s.ep, model.moe.experts));
  }
  std::string wname = f.weights.empty() ? "bf16" : f.weights;
  if (f.weights.empty()) note("weights");
  parse_weight_precision(wname, "--weights", &s.weights, &s.weight_bytes);
  const bool weight_only = wname == "int4" || wname == "int8";
  double unused = 0;
  if (!f.activations.empty()) {
    parse_weight_precision(f.activations, "--activations", &s.activations, &unused);
  } else {
    // Weight+activation quantisation for fp8/nvfp4 (their tensor cores), weight-only for int4/int8.
    s.activations = weight_only ? Precision::bf16 : s.weights;
    note("activations");
  }
  if (!f.kv_cache.empty()) {
    parse_weight_precision(f.kv_cache, "--kv-cache", &s.kv_cache, &unused);
  } else {
    s.kv_cache = Precision::bf16;
    note("kv_cache");
  }
  if (c.acc.peak_tflops[static_cast<int>(s.activations)] <= 0) {
    throw InputError(fmt::format("--activations {}: {} has no tensor-core rate for it; allowed on this accelerator: {}",
                                 precision_name(s.activations), c.acc.id, allowed_precisions(c.acc)));
  }
  s.input_tokens = static_cast<int>(*int_flag("input-tokens", f.input_tokens, 1, 100'000'000));
  s.output_tokens = static_cast<int>(*int_flag("output-tokens", f.output_tokens, 1, 100'000'000));
  if (max_seq > 0 && s.input_tokens + s.output_tokens > max_seq) {
    throw InputError(fmt::format("context {} + {} = {} tokens exceeds the model's maximum of {}", s.input_tokens,
                                 s.output_tokens, s.input_tokens + s.output_tokens, max_seq));
  }
  const int modes = (f.offline ? 1 : 0) + (f.concurrency.empty() ? 0 : 1) + (f.rate.empty() ? 0 : 1);
  if (modes > 1) throw InputError("give one of --offline, --concurrency C, --rate R");
  if (!f.concurrency.empty()) {
    s.mode = ServeMode::concurrency;
    s.concurrency = static_cast<double>(*int_flag("concurrency", f.concurrency, 1, 10'000'000));
  } else if (!f.rate.empty()) {
    double v = 0;
    if (!io::parse_number(f.rate, &v) || v <= 0 || v > 1e9) {
      throw InputError(fmt::format("--rate: '{}' is not allowed; allowed: requests per second > 0", f.rate.substr(0, 40)));
    }
    s.mode = ServeMode::rate;
    s.rate_rps = v;
  } else {
    s.mode = ServeMode::offline;
    if (!f.offline) note("mode (offline)");
  }
  s.requests = int_flag("requests", f.requests, 1, 1'000'000'000).value_or(0);
  if (!f.disaggregate.empty()) {
    const std::size_t colon = f.disaggregate.find(':');
    const auto pr = colon == std::string::npos ? std::nullopt : int_flag("disaggregate", f.disaggregate.substr(0, colon), 1, 100000);
    const auto dr = colon == std::string::npos ? std::nullopt : int_flag("disaggregate", f.disaggregate.substr(colon + 1), 1, 100000);
    if (!pr || !dr) {
      throw InputError(fmt::format("--disaggregate: '{}' is not P:D (prefill and decode replica counts, e.g. 1:3)",
                                   f.disaggregate.substr(0, 40)));
    }
    s.prefill_replicas = static_cast<int>(*pr);
    s.decode_replicas = static_cast<int>(*dr);
  }
  const std::string engine_id = f.engine.empty() ? "vllm" : f.engine;
  if (f.engine.empty()) note("engine (vllm)");
  const Engine& engine = cat.engine(engine_id);
  InferContext ctx;
  ctx.price_per_gpu_hour = 0;
  if (!f.price.empty()) {
    double v = 0;
    if (!io::parse_number(f.price, &v) || v <= 0 || v > 1e4) {
      throw InputError(fmt::format("--price-per-gpu-hour: '{}' is not allowed; allowed: US dollars per GPU-hour in (0, 10000]",
                                   f.price.substr(0, 40)));
    }
    ctx.price_per_gpu_hour = v;
  }
  if (!f.slo.empty()) {
    // --slo ttft_ms=A,tpot_ms=B: the deployment (GPUs up to --gpus, tp, weight precision,
    // concurrency) meeting both at the most output tokens/s per GPU, i.e. the lowest cost per
    // token at any GPU-hour price.
    double slo_ttft = 0, slo_tpot = 0;
    std::size_t pos = 0;
    while (pos < f.slo.size()) {
      const std::size_t comma = std::min(f.slo.find(',', pos), f.slo.size());
      const std::string item = f.slo.substr(pos, comma - pos);
      const std::size_t eq = item.find('=');
      double v = 0;
      if (eq == std::string::npos || !io::parse_number(item.substr(eq + 1), &v) || v <= 0) {
        throw InputError(fmt::format("--slo: '{}' is not KEY=VALUE with a positive number; allowed keys: ttft_ms, tpot_ms",
                                     item.substr(0, 40)));
      }
      const std::string key = item.substr(0, eq);
      if (key == "ttft_ms") slo_ttft = v;
      else if (key == "tpot_ms") slo_tpot = v;
      else throw InputError(fmt::format("--slo: unknown key '{}'; allowed: ttft_ms, tpot_ms{}", key.substr(0, 40),
                                        did_you_mean(key, {"ttft_ms", "tpot_ms"})));
      pos = comma + 1;
    }
    struct Option {
      int gpus;
      std::string weights;
      double conc;
      ServeResult r;
    };
    std::vector<Option> ok;
    long no_fit = 0, ttft_fail = 0, tpot_fail = 0, considered = 0;
    for (int g = 1; g <= gpus; g *= 2) {
      if (model.heads % g != 0) continue;
      for (const char* w : {"bf16", "fp8", "nvfp4", "int4"}) {
        ServeSetup sc = s;
        sc.tp = g;
        sc.pp = 1;
        parse_weight_precision(w, "--slo", &sc.weights, &sc.weight_bytes);
        sc.activations = std::string(w) == "int4" ? Precision::bf16 : sc.weights;
        if (c.acc.peak_tflops[static_cast<int>(sc.activations)] <= 0) continue;
        Cluster cg = c;
        cg.gpus = g;
        const ServeResult probe = estimate_serving(model, cg, engine, sc);
        if (!probe.fits) {
          ++no_fit;
          ++considered;
          continue;
        }
        for (double conc = 1; conc <= std::min<double>(probe.kv_capacity_seqs, engine.max_batch); conc *= 2) {
          ++considered;
          sc.mode = ServeMode::concurrency;
          sc.concurrency = conc;
          const ServeResult rr = estimate_serving(model, cg, engine, sc);
          const bool t1 = slo_ttft <= 0 || rr.ttft_s * 1e3 <= slo_ttft;
          const bool t2 = slo_tpot <= 0 || rr.tpot_s * 1e3 <= slo_tpot;
          if (!t1) ++ttft_fail;
          if (!t2) ++tpot_fail;
          if (t1 && t2) ok.push_back({g, w, conc, rr});
        }
      }
    }
    std::sort(ok.begin(), ok.end(), [](const Option& a, const Option& b) {
      return a.r.output_tokens_per_s_per_gpu > b.r.output_tokens_per_s_per_gpu;
    });
    std::vector<std::vector<std::string>> rows;
    for (std::size_t i = 0; i < ok.size() && i < 5; ++i) {
      const Option& o = ok[i];
      rows.push_back({std::to_string(o.gpus), o.weights, fmt::format("{:.0f}", o.conc),
                      fmt::format("{:.1f}", o.r.output_tokens_per_s_per_gpu), fmt::format("{:.1f}", o.r.ttft_s * 1e3),
                      fmt::format("{:.2f}", o.r.tpot_s * 1e3),
                      ctx.price_per_gpu_hour > 0
                          ? fmt::format("{:.3f}", ctx.price_per_gpu_hour / 3600.0 / o.r.output_tokens_per_s_per_gpu * 1e6)
                          : std::string("-")});
    }
    std::string out = fmt::format("deployments of {} on up to {} x {} ({}) meeting ttft <= {} ms, tpot <= {} ms, best first\n",
                                  f.model, gpus, c.acc.id, engine.id, slo_ttft, slo_tpot);
    out += ok.empty() ? std::string("none meets the SLO\n")
                      : render_table({"gpus", "weights", "concurrency", "output_tokens_per_s_per_gpu", "ttft_ms", "tpot_ms",
                                      "usd_per_million_output_tokens"},
                                     rows);
    out += fmt::format("{} options considered: {} do not fit, {} miss the TTFT limit, {} miss the TPOT limit, {} meet both\n",
                       considered, no_fit, ttft_fail, tpot_fail, ok.size());
    emit(out);
    return 0;
  }
  if (f.max_model) {
    // The largest model of each shape this replica can serve within the TPOT limit.
    double limit_ms = 0;
    if (f.tpot_ms.empty() || !io::parse_number(f.tpot_ms, &limit_ms) || limit_ms <= 0 || limit_ms > 1e6) {
      throw InputError("--max-model needs --tpot-ms T: the inter-token latency limit in milliseconds (> 0)");
    }
    std::vector<std::vector<std::string>> rows;
    nlohmann::json j = nlohmann::json::array();
    for (bool moe : {false, true}) {
      Model best;
      ServeResult best_r;
      bool found = false;
      for (int h = 1024; h <= 65536; h += 256) {
        const Model cand = scaled_model(h, moe);
        ServeSetup sc = s;
        if (cand.heads % sc.tp != 0) continue;
        if (moe && sc.ep > 1 && cand.moe.experts % sc.ep != 0) continue;
        const ServeResult rr = estimate_serving(cand, c, engine, sc);
        if (!rr.fits || rr.tpot_s * 1e3 > limit_ms) continue;
        best = cand;
        best_r = rr;
        found = true;
      }
      const ParamCount pc = found ? count_params(best) : ParamCount{};
      rows.push_back({moe ? "MoE (DeepSeek-V3 shape)" : "dense (Llama 3 shape)", found ? fmt::format("{:.0f}", pc.total / 1e9) : "-",
                      found ? fmt::format("{:.1f}", pc.active / 1e9) : "-", found ? std::to_string(best.hidden) : "-",
                      found ? std::to_string(best.layers) : "-", found ? fmt::format("{:.1f}", best_r.tpot_s * 1e3) : "-",
                      found ? fmt::format("{:.0f}", best_r.kv_capacity_seqs) : "-"});
      j.push_back({{"shape", moe ? "moe" : "dense"}, {"found", found}, {"total_params", pc.total},
                   {"active_params", pc.active}, {"hidden", best.hidden}, {"layers", best.layers},
                   {"tpot_ms", best_r.tpot_s * 1e3}, {"kv_capacity_sequences", best_r.kv_capacity_seqs}});
    }
    std::string out;
    if (f.json) {
      out = j.dump(2) + "\n";
    } else {
      out = fmt::format("largest servable model on {} x {} ({}, tp={}, weights {}, {} + {} tokens, {}) with TPOT <= {} ms\n",
                        gpus, c.acc.id, engine.id, s.tp, wname, s.input_tokens, s.output_tokens,
                        s.mode == ServeMode::concurrency ? fmt::format("concurrency {}", s.concurrency) : std::string("offline"),
                        limit_ms);
      out += render_table({"shape", "total_params_b", "active_params_b", "hidden", "layers", "tpot_ms", "kv_capacity_seqs"}, rows);
    }
    emit(out);
    return 0;
  }
  if (f.sweep) {
    // Throughput-latency frontier over concurrency (powers of two up to the KV capacity).
    const ServeResult probe = estimate_serving(model, c, engine, s);
    if (!probe.fits) throw InputError(fmt::format("{} does not fit on {} x {}", f.model, gpus, c.acc.id));
    std::vector<std::vector<std::string>> rows;
    nlohmann::json j = nlohmann::json::array();
    std::vector<std::pair<double, double>> pts;
    for (double conc = 1; conc <= std::min<double>(probe.kv_capacity_seqs, engine.max_batch); conc *= 2) {
      ServeSetup sc = s;
      sc.mode = ServeMode::concurrency;
      sc.concurrency = conc;
      const ServeResult rr = estimate_serving(model, c, engine, sc);
      rows.push_back({fmt::format("{:.0f}", conc), fmt::format("{:.1f}", rr.output_tokens_per_s_per_gpu),
                      fmt::format("{:.1f}", rr.output_tokens_per_s_per_user), fmt::format("{:.1f}", rr.ttft_s * 1e3),
                      fmt::format("{:.2f}", rr.tpot_s * 1e3)});
      j.push_back({{"concurrency", conc}, {"output_tokens_per_s_per_gpu", rr.output_tokens_per_s_per_gpu},
                   {"output_tokens_per_s_per_user", rr.output_tokens_per_s_per_user}, {"ttft_ms", rr.ttft_s * 1e3},
                   {"tpot_ms", rr.tpot_s * 1e3}});
      pts.emplace_back(rr.output_tokens_per_s_per_user, rr.output_tokens_per_s_per_gpu);
    }
    if (!f.sweep_svg.empty()) {
      double xmax = 0, ymax = 0;
      for (auto& [x, y] : pts) {
        xmax = std::max(xmax, x);
        ymax = std::max(ymax, y);
      }
      std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"700\" height=\"450\" font-family=\"sans-serif\" font-size=\"12\">\n"
                        "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
                        "<line x1=\"70\" y1=\"390\" x2=\"680\" y2=\"390\" stroke=\"black\"/><line x1=\"70\" y1=\"30\" x2=\"70\" y2=\"390\" stroke=\"black\"/>\n";
      std::string path;
      for (auto& [x, y] : pts) {
        const double px = 70 + x / (xmax * 1.05) * 600, py = 390 - y / (ymax * 1.1) * 350;
        path += fmt::format("{}{:.1f},{:.1f} ", path.empty() ? "M" : "L", px, py);
        svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"#4c78a8\"/>\n", px, py);
      }
      svg += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"#4c78a8\" stroke-width=\"2\"/>\n", path);
      svg += fmt::format("<text x=\"375\" y=\"425\" text-anchor=\"middle\">output tokens/s per user (max {:.0f})</text>\n", xmax);
      svg += fmt::format("<text x=\"20\" y=\"210\" transform=\"rotate(-90 20 210)\" text-anchor=\"middle\">output tokens/s per GPU (max {:.0f})</text>\n</svg>\n", ymax);
      write_text_file_atomically(f.sweep_svg, svg);
    }
    const std::string out = f.json ? j.dump(2) + "\n"
                                   : render_table({"concurrency", "output_tokens_per_s_per_gpu", "output_tokens_per_s_per_user",
                                                   "ttft_ms", "tpot_ms"},
                                                  rows);
    emit(out);
    return 0;
  }
  const ServeResult r = estimate_serving(model, c, engine, s);
  if (!r.fits) {
    throw InputError(fmt::format("{} does not fit on {} x {} with tp={} pp={}: weights {:.1f} GiB + activations {:.1f} GiB "
                                 "+ one sequence's KV cache {:.2f} GiB exceed the {:.1f} GiB the engine may use per GPU; "
                                 "allowed: more GPUs, lower-precision weights, or shorter sequences",
                                 f.model, gpus, c.acc.id, s.tp, s.pp, r.weights_gib, r.activation_gib, r.kv_gib_per_seq,
                                 r.usable_gib));
  }
  const ModelEntry* preset = cat.find_model(f.model);
  ctx.model_name = preset ? preset->id : f.model;
  ctx.accelerator_name = c.acc.id;
  ctx.engine_name = engine.id;
  ctx.weights_name = wname;
  ctx.defaulted = defaulted;
  ctx.cluster = c;
  ctx.setup = s;
  const std::string out = f.json ? infer_json(ctx, r).dump(2) + "\n" : infer_text(ctx, r);
  emit(out);
  return 0;
}

struct ScaleFlags {
  std::string gpus_list = "64,128,256,512,1024,2048,4096,8192,16384", svg;
  bool weak = false, strong = false, json = false;
};

int run_scale(TrainFlags f, const ScaleFlags& sc) {
  if (sc.weak && sc.strong) throw InputError("scale: give --weak or --strong, not both");
  std::vector<int> sizes;
  std::size_t pos = 0;
  const std::string& list = sc.gpus_list;
  while (pos <= list.size()) {
    const std::size_t comma = std::min(list.find(',', pos), list.size());
    sizes.push_back(static_cast<int>(*int_flag("gpus", list.substr(pos, comma - pos), 1, 10'000'000)));
    pos = comma + 1;
  }
  if (sizes.empty() || sizes.size() > 64) throw InputError("--gpus: give 1 to 64 comma-separated GPU counts, e.g. 64,128,256");
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  std::vector<ScalePoint> pts;
  std::string model_name, acc_name;
  long base_gb = 0;
  {
  const SigintScope sigint;
  for (int g : sizes) {
    f.gpus = std::to_string(g);
    const JobSetup job = setup_job(f);
    model_name = job.model_name;
    acc_name = job.accelerator_name;
    Workload w = job.w;
    if (base_gb == 0) base_gb = job.global_batch_set ? w.global_batch : std::max(1L, 4194304L / w.seq_len);
    // Strong scaling keeps the global batch; weak scaling grows it with the GPU count.
    w.global_batch = sc.weak ? std::max(1L, base_gb * g / sizes.front()) : base_gb;
    SearchOptions opt;
    opt.top_k = 1;
    opt.cancel = &g_cancel;
    const SearchResult s = search_layouts(job.model, job.c, w, opt);
    ScalePoint p;
    p.gpus = g;
    p.global_batch = w.global_batch;
    p.considered = s.considered;
    p.evaluated = s.evaluated;
    p.found = !s.top.empty();
    if (p.found) p.best = s.top.front();
    pts.push_back(p);
    if (isatty(fileno(stderr)) != 0) std::fprintf(stderr, "\rscaling: %d GPUs done   ", g);
    if (s.cancelled) break;
  }
  }
  if (isatty(fileno(stderr)) != 0) std::fprintf(stderr, "\r%30s\r", "");
  const std::string title = fmt::format("danlu scale ({}): {} on {}", sc.weak ? "weak" : "strong", model_name, acc_name);
  if (!sc.svg.empty()) write_text_file_atomically(sc.svg, scale_svg(title, pts));
  const std::string out = sc.json ? scale_json(pts).dump(2) + "\n" : scale_text(title, pts);
  emit(out);
  return g_cancel ? 130 : 0;
}

int run_validate(const std::string& path, bool json, bool rank) {
  // "-": the runs come on standard input (how `danlu ui` passes a request's inline runs).
  const std::string text = path == "-" ? std::string(std::istreambuf_iterator<char>(std::cin), {}) : read_text_file(path);
  emit(validate_runs_text(text, path == "-" ? "<stdin>" : path, json, rank));
  return 0;
}

std::string fmt_value(double v) { return fmt::format("{:.6g}", v); }

int run_catalog(const std::string& what, bool json) {
  const Catalog& cat = builtin_catalog();
  nlohmann::json j = nlohmann::json::array();
  std::string out;
  if (what == "accelerators") {
    for (const auto& e : cat.accelerators) {
      nlohmann::json figs = nlohmann::json::array();
      std::vector<std::vector<std::string>> rows;
      for (const auto& fg : e.figures) {
        figs.push_back({{"field", fg.field}, {"value", fg.value}, {"source", fg.source}, {"uncertain", fg.uncertain}});
        rows.push_back({fg.field, fmt_value(fg.value), fg.uncertain ? "yes" : "", fg.source});
      }
      j.push_back({{"id", e.acc.id}, {"name", e.name}, {"vendor", e.vendor}, {"family", e.family}, {"figures", figs}});
      out += fmt::format("{} — {} ({}, family {})\n", e.acc.id, e.name, e.vendor, e.family);
      out += render_table({"field", "value", "uncertain", "source"}, rows) + "\n";
    }
  } else if (what == "networks") {
    for (const auto& e : cat.networks) {
      nlohmann::json figs = nlohmann::json::array();
      std::vector<std::vector<std::string>> rows;
      for (const auto& fg : e.figures) {
        figs.push_back({{"field", fg.field}, {"value", fg.value}, {"source", fg.source}, {"uncertain", fg.uncertain}});
        rows.push_back({fg.field, fmt_value(fg.value), fg.uncertain ? "yes" : "", fg.source});
      }
      j.push_back({{"id", e.net.id}, {"name", e.name}, {"figures", figs}});
      out += fmt::format("{} — {}\n", e.net.id, e.name);
      out += render_table({"field", "value", "uncertain", "source"}, rows) + "\n";
    }
  } else if (what == "models") {
    std::vector<std::vector<std::string>> rows;
    for (const auto& e : cat.models) {
      const ParamCount pc = count_params(e.model);
      j.push_back({{"id", e.id}, {"name", e.name}, {"params", pc.total}, {"active_params", pc.active},
                   {"layers", e.model.layers}, {"hidden", e.model.hidden}, {"source", e.source}});
      rows.push_back({e.id, fmt::format("{:.2f}", pc.total / 1e9), fmt::format("{:.2f}", pc.active / 1e9),
                      std::to_string(e.model.layers), std::to_string(e.model.hidden), std::to_string(e.model.heads),
                      std::to_string(e.model.kv_heads), e.source});
    }
    out = render_table({"id", "params_b", "active_b", "layers", "hidden", "heads", "kv_heads", "source"}, rows);
  } else if (what == "frameworks") {
    for (const auto& f : cat.frameworks) {
      nlohmann::json defs = nlohmann::json::array();
      std::vector<std::vector<std::string>> rows;
      for (const auto& d : f.stated) {
        defs.push_back({{"field", d.field}, {"value", d.value}, {"source", d.source}});
        rows.push_back({d.field, d.value, d.source});
      }
      j.push_back({{"id", f.id}, {"names", f.names}, {"defaults", defs}});
      out += fmt::format("{} — named in sources as: {}\n", f.id, fmt::join(f.names, ", "));
      out += render_table({"default", "value", "source"}, rows) + "\n";
    }
  } else {
    throw InputError(fmt::format("catalog: unknown list '{}'; allowed: accelerators, networks, models, frameworks{}",
                                 what.substr(0, 40), did_you_mean(what, {"accelerators", "networks", "models", "frameworks"})));
  }
  if (json) out = j.dump(2) + "\n";
  emit(out);
  return 0;
}

}  // namespace
}  // namespace danlu

namespace {

// One line, printable: control characters from user text are shown escaped.
void print_error(const std::string& msg) {
  danlu::emit_error("danlu: error: " + danlu::one_line(msg) + "\n");
}

}  // namespace

namespace danlu {

int run_cli(int argc, char** argv) {
  g_cancel = false;  // an earlier interrupted call in the same process does not cancel this one
  if (argc > 1 && argv[1][0] != '-') {
    const std::string sub = argv[1];
    const std::vector<std::string> subs = {"train", "plan", "cost", "forecast", "scenario", "ui", "infer", "search", "scale", "sweep", "pipeline", "validate", "catalog"};
    if (std::find(subs.begin(), subs.end(), sub) == subs.end()) {
      print_error(fmt::format("unknown command '{}'; allowed: train, plan, cost, forecast, scenario, ui, infer, search, scale, sweep, pipeline, validate, catalog{}", sub.substr(0, 40),
                              did_you_mean(sub, subs)));
      return 2;
    }
  }
  CLI::App app{"danlu (丹炉): plan and predict LLM training before lighting the furnace"};
  app.require_subcommand(1);
  TrainFlags tf;
  // Model, cluster and workload flags, shared by train, search and scale (scale takes a list
  // of GPU counts instead of --gpus).
  auto add_job_flags = [](CLI::App* sub, TrainFlags& f, bool gpus) {
    sub->add_option("--model", f.model, "preset id, Hugging Face config.json, or model .yaml")->capture_default_str();
    sub->add_option("--accelerator", f.accelerator, "accelerator id (danlu catalog accelerators)")->capture_default_str();
    if (gpus) sub->add_option("--gpus", f.gpus, "number of accelerators")->capture_default_str();
    sub->add_option("--gpus-per-node", f.gpus_per_node, "accelerators per scale-up domain (default: the accelerator's)");
    sub->add_option("--network", f.network, "scale-out network id (danlu catalog networks)");
    sub->add_option("--nics-per-node", f.nics_per_node, "scale-out NICs per node (default: one per GPU)");
    sub->add_option("--seq-len", f.seq_len, "sequence length in tokens");
    sub->add_option("--global-batch", f.global_batch, "sequences per optimizer step");
    sub->add_option("--precision", f.precision, "bf16|fp16|fp8|mxfp8|nvfp4");
    sub->add_option("--power-cap-w", f.power_cap_w, "GPU power limit below TDP, watts");
    sub->add_option("--memory-margin-gib", f.memory_margin_gib,
                    "GiB per GPU to keep free: layouts fit only within HBM - runtime reservation - this (default 0)");
  };
  CLI::App* train = app.add_subcommand("train", "estimate one training step: time, MFU, breakdown, memory");
  add_job_flags(train, tf, true);
  train->add_option("--micro-batch", tf.micro_batch, "sequences per micro-batch");
  train->add_option("--tp", tf.tp, "tensor parallel");
  train->add_option("--pp", tf.pp, "pipeline parallel stages");
  train->add_option("--dp", tf.dp, "data parallel replicas");
  train->add_option("--cp", tf.cp, "context parallel");
  train->add_option("--ep", tf.ep, "expert parallel");
  train->add_option("--etp", tf.etp, "expert tensor parallel: each routed expert split over etp ranks (MoE; default 1)");
  train->add_option("--dp-shard", tf.dp_shard,
                    "hybrid sharding (HSDP): with --zero 1..3, shard states over groups of this many data-parallel "
                    "ranks and all-reduce gradients across the dp/dp-shard replicas (default: shard over all of dp)");
  train->add_option("--vpp", tf.vpp, "virtual pipeline chunks per rank (interleaved 1F1B)");
  train->add_option("--first-stage-layers", tf.first_stage_layers, "layers on the first pipeline chunk");
  train->add_option("--recompute-modules", tf.recompute_modules,
                    "Megatron selective recompute modules, comma-separated: core_attn (default), layernorm, mlp, moe, "
                    "moe_act, mla_up_proj, shared_experts (implies --recompute selective)");
  train->add_option("--recompute-num-layers", tf.recompute_num_layers,
                    "with --recompute full: layers per pipeline chunk recomputed (Megatron block method; default all)");
  train->add_option("--last-stage-layers", tf.last_stage_layers, "layers on the last pipeline chunk");
  train->add_option("--sequence-parallel", tf.sequence_parallel, "true|false (default: on when tp > 1)")->expected(0, 1)->default_str("true");
  train->add_option("--recompute", tf.recompute, "none|selective|selective-op|selective-dots|full");
  train->add_option("--tp-comm-overlap", tf.tp_comm_overlap, "true|false (default: the accelerator family's usual framework setting)");
  train->add_option("--attention-kernel", tf.attention_kernel, "flash|flash2|unfused (default flash: the family's best fused kernel)");
  train->add_option("--fused-elementwise", tf.fused_elementwise, "true|false: false models eager PyTorch elementwise kernels (default true)");
  train->add_option("--fused-loss", tf.fused_loss,
                    "true|false: false models an eager PyTorch cross-entropy (default: false with --zero 3 on GPUs, "
                    "as torchtitan; else --fused-elementwise)");
  train->add_option("--grad-reduce-bf16", tf.grad_reduce_bf16,
                    "true|false: gradients accumulated and reduced in bf16 instead of fp32 (default false)");
  train->add_option("--grad-reduce-overlap", tf.grad_reduce_overlap,
                    "true|false: ZeRO 0-2 gradient reduction (and ZeRO-1/2 parameter gather) overlapped with "
                    "backward/forward, as Megatron --overlap-grad-reduce or PyTorch DDP (default true)");
  train->add_option("--zero", tf.zero, "0..3 (1 = distributed optimizer, 3 = FSDP)");
  train->add_option("--fsdp-copies", tf.fsdp_copies,
                    "true|false: with --zero 3, FSDP2's flat-buffer copies around each all-gather and reduce-scatter "
                    "(default: true on GPUs, as PyTorch FSDP2; false for bucketed Megatron-FSDP or XLA)");
  train->add_option("--framework", tf.framework,
                    "torchtitan|maxtext|megatron: fill unstated settings with that stack's defaults "
                    "(data/frameworks.yaml; stated flags win)");
  train->add_flag("--json", tf.json, "print JSON instead of tables");
  train->add_flag("--timeline", tf.timeline, "with --json: add the step's timeline (lanes and events, as drawn by --svg)");
  train->add_option("--moe-imbalance", tf.moe_imbalance, "MoE: tokens on the busiest expert-parallel rank over the mean (default 1.15)");
  train->add_option("--trace", tf.trace, "write a Chrome/Perfetto trace of one step (JSON) to this file");
  train->add_option("--svg", tf.svg, "write the step's timeline as an SVG picture to this file");

  SearchFlags sf;
  CLI::App* search = app.add_subcommand("search", "find the fastest parallel layouts (tp, cp, pp, vpp, dp, micro-batch, SP, recompute, ZeRO)");
  add_job_flags(search, tf, true);
  search->add_option("--top", sf.top, "how many layouts to list")->capture_default_str();
  search->add_option("--objective", sf.objective, "time (cost and energy arrive with the economics issue)")->capture_default_str();
  search->add_option("--threads", sf.threads, "worker threads (default: all cores)");
  search->add_option("--max-micro-batch", sf.max_micro_batch, "largest micro-batch tried")->capture_default_str();
  search->add_flag("--exhaustive", sf.exhaustive, "estimate every legal layout (no pruning)");
  search->add_option("--framework", tf.framework,
                     "torchtitan|maxtext|megatron: search only what that stack runs (its ZeRO stages, its "
                     "'selective' recompute) with its kernels and fusion (data/frameworks.yaml)");
  search->add_option("--min-gpus", sf.min_gpus, "also try half, a quarter, ... of the GPUs down to this many (Pareto on GPUs used)");
  search->add_flag("--json", sf.json, "print JSON");

  ScaleFlags scf;
  TrainFlags sct;
  CLI::App* scale = app.add_subcommand("scale", "best layout at each cluster size: where scaling efficiency breaks, and why");
  add_job_flags(scale, sct, false);
  scale->add_option("--gpus", scf.gpus_list, "comma-separated GPU counts")->capture_default_str();
  scale->add_flag("--weak", scf.weak, "grow the global batch with the GPU count");
  scale->add_flag("--strong", scf.strong, "keep the global batch fixed (default)");
  scale->add_option("--svg", scf.svg, "write a plot of tokens/s per GPU against GPUs to this file");
  scale->add_flag("--json", scf.json, "print JSON");

  TrainFlags plf;
  PlanFlags pf;
  CLI::App* plan = app.add_subcommand("plan", "a whole training run: days, GPU-hours, goodput under failures, energy and MW");
  add_job_flags(plan, plf, true);
  plan->add_option("--tokens", pf.tokens, "training tokens")->capture_default_str();
  plan->add_option("--tp", plf.tp, "tensor parallel");
  plan->add_option("--pp", plf.pp, "pipeline parallel");
  plan->add_option("--dp", plf.dp, "data parallel");
  plan->add_option("--cp", plf.cp, "context parallel");
  plan->add_option("--vpp", plf.vpp, "virtual pipeline chunks");
  plan->add_option("--micro-batch", plf.micro_batch, "sequences per micro-batch");
  plan->add_option("--recompute", plf.recompute, "none|selective|selective-op|selective-dots|full");
  plan->add_option("--recompute-modules", plf.recompute_modules,
                   "Megatron selective recompute modules, comma-separated (implies --recompute selective)");
  plan->add_option("--recompute-num-layers", plf.recompute_num_layers,
                   "with --recompute full: layers per pipeline chunk recomputed (Megatron block method; default all)");
  plan->add_option("--grad-reduce-bf16", plf.grad_reduce_bf16,
                   "true|false: gradients accumulated and reduced in bf16 instead of fp32 (default false)");
  plan->add_option("--zero", plf.zero, "0..3");
  plan->add_option("--failures-per-gpu-hour", pf.failures, "interruptions per GPU-hour (default: Llama 3 405B's 419 in 54 days on 16,384 GPUs)");
  plan->add_option("--restart-s", pf.restart_s, "seconds to detect, replace and restart after a failure (default 600)");
  plan->add_option("--storage-gbs", pf.storage_gbs, "aggregate checkpoint write bandwidth, GB/s (default 2000)");
  plan->add_option("--pue", pf.pue, "facility power usage effectiveness (default 1.3)");
  plan->add_option("--spare-nodes", pf.spare_nodes, "idle spare nodes that replace a failed node at once");
  plan->add_option("--repair-h", pf.repair_h, "hours a failed node is out (0 = replaced at once from a large pool)");
  plan->add_option("--batch-ramp", pf.batch_ramp, "smaller batches first: BATCH_TOKENS:TOKENS,... before the full --global-batch");
  plan->add_flag("--async-checkpoint", pf.async_checkpoint, "snapshot to host memory and write in the background");
  plan->add_option("--checkpoint-interval-s", pf.checkpoint_interval_s, "fixed checkpoint interval (default: the Young-Daly optimum)");
  plan->add_option("--recipe", pf.recipe, "pretrain|sft|dpo|rl: dpo and rl add a reference-model forward, rl generates its responses")->capture_default_str();
  plan->add_option("--prompt-tokens", pf.prompt_tokens, "rl: prompt length of each rollout")->capture_default_str();
  plan->add_option("--response-tokens", pf.response_tokens, "rl: generated length of each rollout")->capture_default_str();
  plan->add_option("--rollout-engine", pf.rollout_engine, "rl: serving engine for generation (vllm, sglang, tensorrt-llm)")->capture_default_str();
  plan->add_option("--trials", pf.trials, "Monte Carlo runs of the failure simulation")->capture_default_str();
  plan->add_option("--seed", pf.seed, "Monte Carlo seed (same seed, same answer)")->capture_default_str();
  plan->add_flag("--json", pf.json, "print JSON");

  InferFlags inf;
  CLI::App* infer = app.add_subcommand("infer", "serving: TTFT, TPOT, throughput, KV cache capacity, cost per token");
  infer->add_option("--model", inf.model, "preset id, Hugging Face config.json, or model .yaml")->capture_default_str();
  infer->add_option("--accelerator", inf.accelerator, "accelerator id")->capture_default_str();
  infer->add_option("--gpus", inf.gpus, "GPUs serving one replica")->capture_default_str();
  infer->add_option("--gpus-per-node", inf.gpus_per_node, "accelerators per scale-up domain");
  infer->add_option("--engine", inf.engine, "tensorrt-llm|vllm|sglang (default vllm)");
  infer->add_option("--tp", inf.tp, "tensor parallel (default: all GPUs)");
  infer->add_option("--pp", inf.pp, "pipeline parallel");
  infer->add_option("--ep", inf.ep, "expert parallel (MoE)");
  infer->add_option("--weights", inf.weights, "bf16|fp16|fp8|int8|int4|nvfp4 (default bf16)");
  infer->add_option("--activations", inf.activations, "math precision (default: the weights' for fp8/nvfp4, bf16 for int4/int8)");
  infer->add_option("--kv-cache", inf.kv_cache, "bf16|fp8 (default bf16)");
  infer->add_option("--input-tokens", inf.input_tokens, "prompt length")->capture_default_str();
  infer->add_option("--output-tokens", inf.output_tokens, "generated tokens")->capture_default_str();
  infer->add_option("--concurrency", inf.concurrency, "requests in flight");
  infer->add_option("--rate", inf.rate, "requests per second");
  infer->add_flag("--offline", inf.offline, "maximum throughput (the default)");
  infer->add_option("--requests", inf.requests, "a finite run of this many requests, all arriving at once");
  infer->add_option("--price-per-gpu-hour", inf.price, "US dollars per GPU-hour, for cost per million tokens");
  infer->add_flag("--json", inf.json, "print JSON");
  infer->add_flag("--sweep", inf.sweep, "throughput-latency frontier over concurrency 1, 2, 4, ...");
  infer->add_option("--svg", inf.sweep_svg, "with --sweep: write the frontier as an SVG plot");
  infer->add_flag("--max-model", inf.max_model, "largest dense and MoE model servable within --tpot-ms");
  infer->add_option("--disaggregate", inf.disaggregate, "P:D prefill and decode replicas in separate pools (KV over the network)");
  infer->add_option("--slo", inf.slo, "ttft_ms=A,tpot_ms=B: cheapest deployment on up to --gpus meeting both");
  infer->add_option("--tpot-ms", inf.tpot_ms, "inter-token latency limit for --max-model, milliseconds");

  CostFlags cof;
  CLI::App* cost = app.add_subcommand("cost", "rent or build: a cluster's cost over N years by line item, GPU share, break-even utilisation");
  cost->add_option("--accelerator", cof.accelerator, "accelerator id")->capture_default_str();
  cost->add_option("--gpus", cof.gpus, "GPUs in the cluster")->capture_default_str();
  cost->add_option("--years", cof.years, "horizon in years (default 3)");
  cost->add_option("--utilisation", cof.utilisation, "fraction of hours doing paid-for work, (0, 1] (default data/costs.yaml)");
  cost->add_option("--rent", cof.rent, "market|reserved|on_demand, or a price in USD per GPU-hour (default: market)");
  cost->add_option("--file", cof.file, "YAML overriding data/costs.yaml figures (sections build, rent, gpu_hour_usd)");
  cost->add_flag("--json", cof.json, "print JSON");

  ForecastFlags fof;
  CLI::App* forecast = app.add_subcommand("forecast", "train now or wait for the next GPU: days, dollars and the model's value at completion");
  forecast->add_option("--model", fof.model, "model preset, config.json or model YAML")->capture_default_str();
  forecast->add_option("--tokens", fof.tokens, "training tokens")->capture_default_str();
  forecast->add_option("--gpus", fof.gpus, "GPUs in each option")->capture_default_str();
  forecast->add_option("--accelerators", fof.accelerators, "comma-separated accelerator ids")->capture_default_str();
  forecast->add_option("--seq-len", fof.seq_len, "sequence length")->capture_default_str();
  forecast->add_option("--global-batch", fof.global_batch, "sequences per step (default ~4M tokens)");
  forecast->add_option("--now", fof.now, "the decision date as a decimal year (default: today, from the clock)");
  forecast->add_option("--half-life-years", fof.half_life, "a trained model's value half-life (the talk: 1 year)")->capture_default_str();
  forecast->add_option("--generation-years", fof.generation_years, "years between GPU generations")->capture_default_str();
  forecast->add_option("--compute-per-generation", fof.compute_per_generation, "compute multiple per generation")->capture_default_str();
  forecast->add_option("--price-per-generation", fof.price_per_generation, "price multiple per generation (the talk: 1.4)")->capture_default_str();
  forecast->add_flag("--hardware", fof.hardware, "the catalog's hardware trend by launch year instead of a run");
  forecast->add_flag("--json", fof.json, "print JSON");

  std::string ui_host = "127.0.0.1", ui_port = "8080", ui_limit = "60";
  CLI::App* ui = app.add_subcommand("ui", "a local web page and JSON API (POST /api/train, search, infer, plan, cost; GET /api/catalog)");
  ui->add_option("--host", ui_host, "address to listen on (loopback by default; anything else is exposed)")->capture_default_str();
  ui->add_option("--port", ui_port, "TCP port (0 = any free port, printed on stderr)")->capture_default_str();
  ui->add_option("--limit-s", ui_limit, "seconds a request may run before it is stopped")->capture_default_str();

  std::string scenario_path;
  bool scjson = false;
  CLI::App* scenario = app.add_subcommand("scenario", "run a claim as a check: danlu's figure, the claimed one, and a verdict");
  scenario->add_option("path", scenario_path, "scenario YAML, or a directory of them (e.g. scenarios/talk)")->required();
  scenario->add_flag("--json", scjson, "print JSON");

  std::string pipeline_kind, speech_file;
  bool pjson = false;
  CLI::App* pipeline = app.add_subcommand("pipeline", "voice assistant: cascaded ASR -> LLM -> TTS against an end-to-end speech LLM");
  pipeline->add_option("kind", pipeline_kind, "speech")->required();
  pipeline->add_option("--scenario", speech_file, "scenario YAML (default: the built-in data/speech.yaml)");
  pipeline->add_flag("--json", pjson, "print JSON");

  std::string sweep_file, sweep_out;
  CLI::App* sweep = app.add_subcommand("sweep", "run a design-space sweep file (models x accelerators x GPUs x seq_lens); under mpirun the grid is split over ranks");
  sweep->add_option("file", sweep_file, "sweep YAML: models, accelerators, gpus, seq_lens [, global_batch_tokens, precision, max_micro_batch]")->required();
  sweep->add_option("--out", sweep_out, "results file, one JSON line per grid point (default: stdout)");

  std::string runs_path;
  bool vjson = false;
  bool vrank = false;
  CLI::App* validate = app.add_subcommand("validate", "compare predictions with published, measured runs");
  validate->add_option("--runs", runs_path, "runs file in the SCHEMA.md format (- reads standard input)")->required();
  validate->add_flag("--json", vjson, "print the JSON contract");
  validate->add_flag("--rank", vrank, "rank each published layout among danlu's search results");

  std::string what;
  bool cjson = false;
  CLI::App* catalog = app.add_subcommand("catalog", "list the built-in catalogs with each figure's source");
  catalog->add_option("list", what, "accelerators|networks|models|frameworks");
  catalog->add_flag("--json", cjson, "print JSON");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string msg = e.what();
    for (char& ch : msg) {
      if (ch == '\n') ch = ' ';
    }
    print_error(msg + " (see danlu --help)");
    return 2;
  }
  try {
    if (tf.sequence_parallel.empty() && train->count("--sequence-parallel") > 0) tf.sequence_parallel = "true";
    if (*train) return run_train(tf);
    if (*search) return run_search(tf, sf);
    if (*scale) return run_scale(sct, scf);
    if (*infer) return run_infer(inf);
    if (*plan) return run_plan(plf, pf);
    if (*cost) return run_cost(cof);
    if (*ui) {
      const int port = static_cast<int>(*int_flag("port", ui_port, 0, 65535));
      return run_ui(ui_host, port, "/proc/self/exe", real_flag("limit-s", ui_limit, 1, 3600, 0));
    }
    if (*forecast) {
      const SigintScope sigint;
      return fof.hardware ? run_hardware_trend(fof) : run_forecast(fof, &g_cancel);
    }
    if (*scenario) return run_scenario(scenario_path, scjson, "/proc/self/exe");
    if (*pipeline) {
      if (pipeline_kind != "speech") {
        throw InputError(fmt::format("pipeline: unknown kind '{}'; allowed: speech", pipeline_kind.substr(0, 40)));
      }
      const Catalog& cat = builtin_catalog();
      const SpeechResult r = speech_file.empty()
                                 ? speech_pipelines(default_speech_scenario(), "data/speech.yaml", cat)
                                 : speech_pipelines(read_text_file(speech_file), speech_file, cat);
      std::string out;
      if (pjson) {
        auto stages = [](const std::vector<SpeechStage>& v) {
          nlohmann::json a = nlohmann::json::array();
          for (const auto& st : v) a.push_back({{"stage", st.name}, {"ms", st.ms}, {"source", st.source}});
          return a;
        };
        out = nlohmann::json{{"llm", r.llm}, {"cascaded", {{"stages", stages(r.cascaded)}, {"time_to_first_audio_ms", r.cascaded_ms}}},
                             {"end_to_end", {{"stages", stages(r.end_to_end)}, {"time_to_first_audio_ms", r.end_to_end_ms}}}}
                  .dump(2) + "\n";
      } else {
        auto table = [](const std::vector<SpeechStage>& v, double total) {
          std::vector<std::vector<std::string>> rows;
          for (const auto& st : v) rows.push_back({st.name, fmt::format("{:.0f}", st.ms), st.source});
          rows.push_back({"time to first audio", fmt::format("{:.0f}", total), ""});
          return render_table({"stage", "ms", "source"}, rows);
        };
        out = "language model: " + r.llm + "\n\ncascaded (ASR -> LLM -> TTS)\n" + table(r.cascaded, r.cascaded_ms) +
              "\nend-to-end speech LLM\n" + table(r.end_to_end, r.end_to_end_ms);
      }
      emit(out);
      return 0;
    }
    if (*sweep) {
      const SigintScope sigint;
      return run_sweep(sweep_file, sweep_out, g_cancel);
    }
    if (*validate) return run_validate(runs_path, vjson, vrank);
    if (*catalog) {
      if (what.empty()) throw InputError("catalog: which list? allowed: accelerators, networks, models, frameworks");
      return run_catalog(what, cjson);
    }
  } catch (const InputError& e) {
    print_error(e.what());
    return 2;
  } catch (const std::exception& e) {
    print_error(e.what());
    return 2;
  }
  return 0;
}

}  // namespace danlu
