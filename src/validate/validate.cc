// Validation against published runs (danlu/validate.h).
#include "danlu/validate.h"

#include "danlu/framework.h"

#include "danlu/plan.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace danlu {

Cluster make_cluster(const Catalog& cat, const std::string& accelerator, int gpus, int gpus_per_node,
                     const std::string& network, int nics_per_node) {
  const AcceleratorEntry& a = cat.accelerator(accelerator);
  Cluster c;
  c.acc = a.acc;
  c.gpus = gpus;
  c.gpus_per_node = gpus_per_node > 0 ? gpus_per_node : std::min(a.acc.scale_up_domain, std::max(gpus, 1));
  if (!network.empty()) {
    const NetworkEntry& n = cat.network(network);
    c.net = n.net;
    const int nics = nics_per_node > 0 ? nics_per_node : c.gpus_per_node;
    c.nic_gbps_per_gpu = n.net.port_gbps * nics / c.gpus_per_node;
  } else {
    c.nic_gbps_per_gpu = a.acc.nic_gbps;
    // No fabric named: NCCL's modelled per-step network latency (about 3 us).
    c.net.latency_us = 3.0;
  }
  return c;
}

void apply_variant(Cluster* c, double power_cap_w, double hbm_gib, double hbm_gbs) {
  if (power_cap_w > 0 && power_cap_w < c->acc.tdp_w) {
    const double idle = c->acc.eff.idle_power_fraction * c->acc.tdp_w;
    const double f = std::cbrt(std::max(0.0, power_cap_w - idle) / (c->acc.tdp_w - idle));
    for (double& p : c->acc.peak_tflops) p *= f;
  }
  if (hbm_gib > 0) c->acc.hbm_gib = hbm_gib;
  if (hbm_gbs > 0) c->acc.hbm_gbs = hbm_gbs;
}

std::vector<RunOutcome> validate_runs(const std::vector<TrainingRun>& runs, const Catalog& cat) {
  std::vector<RunOutcome> out;
  out.reserve(runs.size());
  for (const TrainingRun& r : runs) {
    RunOutcome o;
    o.id = r.id;
    o.metric = r.metric;
    o.where = r.where;
    o.measured = r.measured_value;
    o.measured_peak_memory_gib = r.measured_peak_memory_gib;
    if (r.model.vocab == 0) {
      o.reason = "model.vocab not stated by the source";
      out.push_back(std::move(o));
      continue;
    }
    Cluster c = make_cluster(cat, r.accelerator, r.gpus, r.gpus_per_node, r.network, r.nics_per_node);
    if (r.power_cap_w > 0 && r.power_cap_w <= c.acc.eff.idle_power_fraction * c.acc.tdp_w) {
      o.reason = fmt::format("power_cap_w {:.0f} is at or below the accelerator's idle draw ({:.0f} W)", r.power_cap_w,
                             c.acc.eff.idle_power_fraction * c.acc.tdp_w);
      out.push_back(std::move(o));
      continue;
    }
    apply_variant(&c, r.power_cap_w, r.hbm_gib, r.hbm_gbs);
    Workload w;
    w.seq_len = r.seq_len;
    w.precision = r.precision.value_or(Precision::bf16);
    w.global_batch = r.global_batch.value_or(1);
    PartialLayout p = r.layout;
    if (!r.framework.empty()) {
      Framework f = cat.framework(r.framework);
      if (r.selective_stated) f.selective.reset();  // the run names its own kind
      apply_framework(f, c, w.precision, r.source_year, r.global_batch.value_or(0), &p);
      o.framework = r.framework;
      o.framework_inferred = r.framework_inferred;
    }
    o.layout = resolve_layout(r.model, c, p, &w, r.global_batch.has_value(), &o.defaulted);
    if (!r.precision) o.defaulted |= kDefPrecision;
    if (!r.global_batch) o.defaulted |= kDefGlobalBatch;
    o.workload = w;
    const LayoutIssue issue = check_layout(r.model, c, o.layout, w);
    if (issue != LayoutIssue::kOk) {
      o.reason = layout_issue_text(issue);
      out.push_back(std::move(o));
      continue;
    }
    o.result = estimate_step(r.model, c, o.layout, w);
    o.predicted = r.metric == "step_time_s" ? o.result.step_s : o.result.tokens_per_s_per_gpu;
    o.error_pct = 100.0 * (o.predicted - o.measured) / o.measured;
    out.push_back(std::move(o));
  }
  return out;
}

std::vector<RunOutcome> validate_inference_runs(const std::vector<InferenceRun>& runs, const Catalog& cat) {
  std::vector<RunOutcome> out;
  const std::vector<std::string> known = cat.accelerator_ids();
  for (const InferenceRun& r : runs) {
    std::string reason;
    if (std::find(known.begin(), known.end(), r.accelerator) == known.end()) {
      reason = "accelerator '" + r.accelerator + "' is not in the catalog";
    } else if (!r.lengths_known) {
      reason = "the workload is a dataset, not fixed input/output lengths";
    } else if (!r.precision_known) {
      reason = "precision not stated by the source";
    } else if (r.model.vocab == 0) {
      reason = "model.vocab not stated by the source";
    }
    const Engine* engine = cat.find_engine(r.engine);
    if (reason.empty() && !engine) reason = "engine '" + r.engine + "' is not in the catalog";
    ServeResult sr;
    if (reason.empty()) {
      Cluster c = make_cluster(cat, r.accelerator, r.gpus, r.gpus_per_node, "", 0);
      if (c.acc.peak_tflops[static_cast<int>(r.setup.activations)] <= 0) {
        reason = "the accelerator has no tensor-core rate for this precision";
      } else {
        sr = estimate_serving(r.model, c, *engine, r.setup);
        if (!sr.fits) reason = "danlu says the model does not fit";
      }
    }
    for (const auto& [metric, value] : r.measured) {
      RunOutcome o;
      o.id = r.id;
      o.metric = metric;
      o.where = r.where;
      o.measured = value;
      if (!reason.empty()) {
        o.reason = reason;
      } else {
        o.predicted = metric == "ttft_ms"   ? sr.ttft_s * 1e3
                      : metric == "tpot_ms" ? sr.tpot_s * 1e3
                                            : sr.output_tokens_per_s_per_gpu;
        o.error_pct = 100.0 * (o.predicted - o.measured) / o.measured;
      }
      out.push_back(std::move(o));
    }
  }
  return out;
}

std::vector<RunOutcome> validate_wholeruns(const std::vector<WholeRun>& runs, const Catalog& cat) {
  std::vector<RunOutcome> out;
  const std::vector<std::string> known = cat.accelerator_ids();
  for (const WholeRun& r : runs) {
    std::string reason;
    PlanResult p;
    if (std::find(known.begin(), known.end(), r.accelerator) == known.end()) {
      reason = "accelerator '" + r.accelerator + "' is not in the catalog";
    } else if (r.model.vocab == 0) {
      reason = "model.vocab not stated by the source";
    } else if (r.gpus == 0 && r.global_batch_tokens <= 0) {
      reason = "neither gpus nor global_batch_tokens stated";
    } else {
      const long gb = r.global_batch_tokens > 0 ? std::max(1L, std::lround(r.global_batch_tokens / r.seq_len)) : 0;
      const int gpus = r.gpus > 0 ? r.gpus : static_cast<int>(std::max(1L, gb));
      Cluster c = make_cluster(cat, r.accelerator, gpus, 0, "", 0);
      Workload w;
      w.seq_len = r.seq_len;
      w.global_batch = gb > 0 ? gb : 1;
      unsigned flags = 0;
      const Layout l = resolve_layout(r.model, c, r.layout, &w, gb > 0, &flags);
      if (check_layout(r.model, c, l, w) != LayoutIssue::kOk) {
        reason = "no runnable layout (stated or default)";
      } else {
        const Result step = estimate_step(r.model, c, l, w);
        PlanInputs in;
        in.tokens = r.tokens;
        p = plan_run(r.model, c, l, w, step, in);
      }
    }
    for (const auto& [metric, value] : r.measured) {
      RunOutcome o;
      o.id = r.id;
      o.metric = metric;
      o.where = r.where;
      o.measured = value;
      if (!reason.empty()) {
        o.reason = reason;
      } else {
        o.predicted = metric == "gpu_hours" ? p.gpu_hours : metric == "days" ? p.days : p.energy_mwh;
        o.error_pct = 100.0 * (o.predicted - o.measured) / o.measured;
      }
      out.push_back(std::move(o));
    }
  }
  return out;
}

double percentile(std::vector<double>& v, double pct) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = pct / 100.0 * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return v[lo] + (v[hi] - v[lo]) * frac;
}

ValidationSummary summarize(const std::vector<RunOutcome>& outcomes) {
  ValidationSummary s;
  std::vector<double> errs;
  for (const auto& o : outcomes) {
    if (o.error_pct) errs.push_back(std::fabs(*o.error_pct));
    else ++s.unscored;
  }
  s.count = static_cast<int>(outcomes.size());
  s.median_abs_error_pct = percentile(errs, 50);
  s.p90_abs_error_pct = percentile(errs, 90);
  s.max_abs_error_pct = errs.empty() ? 0 : errs.back();
  return s;
}

}  // namespace danlu
