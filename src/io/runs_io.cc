// Published-run files (shared/validation/SCHEMA.md), training kind.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "danlu/framework.h"
#include "danlu/inputs.h"
#include "io/run_list.h"
#include "io/yaml_util.h"

namespace danlu {

Recompute parse_recompute(const std::string& s, const std::string& w) {
  if (s == "none") return Recompute::none;
  if (s == "selective") return Recompute::selective;
  if (s == "selective-op") return Recompute::selective_op;
  if (s == "selective-dots") return Recompute::selective_dots;
  if (s == "full") return Recompute::full;
  throw InputError(fmt::format("{}: recompute '{}' is not one of none, selective, selective-op, selective-dots, full{}", w,
                               s.substr(0, 40),
                               did_you_mean(s, {"none", "selective", "selective-op", "selective-dots", "full"})));
}

std::uint8_t parse_recompute_modules(const std::string& list, const std::string& w) {
  std::vector<std::string> names;
  for (int i = 0; i < kRecomputeModuleCount; ++i) names.emplace_back(recompute_module_name(i));
  std::uint8_t bits = 0;
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = list.find(',', start);
    std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    const auto it = std::find(names.begin(), names.end(), item);
    if (it == names.end()) {
      throw InputError(fmt::format("{}: recompute module '{}' is not one of {}{}", w, item.substr(0, 40),
                                   fmt::join(names, ", "), did_you_mean(item, names)));
    }
    bits = static_cast<std::uint8_t>(bits | (1u << (it - names.begin())));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return bits;
}

AttentionKernel parse_attention_kernel(const std::string& s, const std::string& w) {
  if (s == "flash") return AttentionKernel::flash;
  if (s == "flash2") return AttentionKernel::flash2;
  if (s == "unfused") return AttentionKernel::unfused;
  throw InputError(fmt::format("{}: attention kernel '{}' is not one of flash, flash2, unfused{}", w, s.substr(0, 40),
                               did_you_mean(s, {"flash", "flash2", "unfused"})));
}

std::vector<TrainingRun> parse_training_runs(const std::string& text, const std::string& origin,
                                             const Catalog& cat) {
  std::vector<TrainingRun> runs;
  io::for_each_run(text, origin, cat, "training", [&](const YAML::Node& n, const std::string& w, const std::string& id, Model model) {
    TrainingRun r;
    r.where = w;
    r.id = id;
    r.source = io::text(n, "source", origin, false);
    r.source_year = first_year(r.source);
    if (const std::string fw = io::text(n, "framework", origin, false); !fw.empty()) {
      try {
        r.framework = cat.framework(fw).id;
      } catch (const InputError& e) {
        throw InputError(fmt::format("{}: {}", io::where(origin, n["framework"]), e.what()));
      }
    } else {
      const Framework* f = detect_framework(cat.frameworks, r.source);
      if (!f) f = detect_framework(cat.frameworks, io::text(n, "notes", origin, false));
      if (f) {
        r.framework = f->id;
        r.framework_inferred = true;
      }
    }
    r.model = std::move(model);
    r.seq_len = static_cast<int>(io::integer(n, "seq_len", origin, true, 0, 1, 100'000'000));
    r.accelerator = io::text(n, "accelerator", origin, true);
    try {
      (void)cat.accelerator(r.accelerator);
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: {}", io::where(origin, n["accelerator"]), e.what()));
    }
    r.gpus = static_cast<int>(io::integer(n, "gpus", origin, true, 0, 1, 10'000'000));
    r.gpus_per_node = static_cast<int>(io::integer(n, "gpus_per_node", origin, false, 0, 1, 1'000'000));
    r.nics_per_node = static_cast<int>(io::integer(n, "nics_per_node", origin, false, 0, 1, 1'000));
    r.network = io::text(n, "network", origin, false);
    if (!r.network.empty()) {
      try {
        (void)cat.network(r.network);
      } catch (const InputError& e) {
        throw InputError(fmt::format("{}: {}", io::where(origin, n["network"]), e.what()));
      }
    }
    const std::string kernel = io::text(n, "attention_kernel", origin, false);
    if (!kernel.empty()) r.layout.attention = parse_attention_kernel(kernel, io::where(origin, n["attention_kernel"]));
    if (n["fused_elementwise"] && !n["fused_elementwise"].IsNull()) {
      r.layout.fused_elementwise = io::boolean(n, "fused_elementwise", origin, true);
    }
    if (n["fused_loss"] && !n["fused_loss"].IsNull()) {
      r.layout.fused_loss = io::boolean(n, "fused_loss", origin, true);
    }
    const std::string sel = io::text(n, "selective_recompute", origin, false);
    r.selective_stated = !sel.empty();
    if (!sel.empty() && sel != "op" && sel != "core_attention" && sel != "dots") {
      throw InputError(fmt::format("{}: selective_recompute '{}' is not one of core_attention, op, dots",
                                   io::where(origin, n["selective_recompute"]), sel.substr(0, 40)));
    }
    if (const YAML::Node v = n["accelerator_variant"]; v && !v.IsNull()) {
      if (!v.IsMap()) throw InputError(fmt::format("{}: accelerator_variant must be a mapping", io::where(origin, v)));
      r.power_cap_w = io::number(v, "power_cap_w", origin, false, 0, 1, 1e5);
      r.hbm_gib = io::number(v, "hbm_gib", origin, false, 0, 0.1, 1e5);
      r.hbm_gbs = io::number(v, "hbm_bandwidth_gbs", origin, false, 0, 1, 1e6);
    }
    const std::string prec = io::text(n, "precision", origin, false);
    if (!prec.empty()) r.precision = parse_precision(prec, io::where(origin, n["precision"]));

    if (const YAML::Node p = n["parallel"]; p && !p.IsNull()) {
      if (!p.IsMap()) throw InputError(fmt::format("{}: parallel must be a mapping", io::where(origin, p)));
      PartialLayout& l = r.layout;
      auto opt_int = [&](const char* key, std::optional<int>& dst, long lo, long hi) {
        if (p[key] && !p[key].IsNull()) dst = static_cast<int>(io::integer(p, key, origin, true, 0, lo, hi));
      };
      opt_int("tp", l.tp, 1, 1'000'000);
      opt_int("pp", l.pp, 1, 1'000'000);
      opt_int("dp", l.dp, 1, 10'000'000);
      opt_int("cp", l.cp, 1, 1'000'000);
      opt_int("ep", l.ep, 1, 1'000'000);
      opt_int("etp", l.etp, 1, 1'000'000);
      opt_int("dp_shard", l.dp_shard, 1, 10'000'000);
      opt_int("vpp", l.vpp, 1, 1'000);
      opt_int("micro_batch", l.micro_batch, 1, 1'000'000);
      opt_int("zero", l.zero, 0, 3);
      opt_int("first_stage_layers", l.first_stage_layers, 1, 100'000);
      opt_int("recompute_num_layers", l.recompute_num_layers, 1, 100'000);
      opt_int("last_stage_layers", l.last_stage_layers, 1, 100'000);
      if (p["global_batch"] && !p["global_batch"].IsNull()) {
        r.global_batch = io::integer(p, "global_batch", origin, true, 0, 1, 1'000'000'000);
      }
      if (p["sequence_parallel"] && !p["sequence_parallel"].IsNull()) {
        l.sequence_parallel = io::boolean(p, "sequence_parallel", origin, false);
      }
      if (p["tp_comm_overlap"] && !p["tp_comm_overlap"].IsNull()) {
        l.tp_comm_overlap = io::boolean(p, "tp_comm_overlap", origin, false);
      }
      if (p["grad_reduce_bf16"] && !p["grad_reduce_bf16"].IsNull()) {
        l.grad_reduce_bf16 = io::boolean(p, "grad_reduce_bf16", origin, false);
      }
      if (p["grad_reduce_overlap"] && !p["grad_reduce_overlap"].IsNull()) {
        l.grad_reduce_overlap = io::boolean(p, "grad_reduce_overlap", origin, true);
      }
      if (p["moe_imbalance"] && !p["moe_imbalance"].IsNull()) {
        l.moe_imbalance = io::number(p, "moe_imbalance", origin, true, 1.15, 1.0, 64.0);
      }
      const std::string rc = io::text(p, "recompute", origin, false);
      if (!rc.empty()) l.recompute = parse_recompute(rc, io::where(origin, p["recompute"]));
      if (const YAML::Node rm = p["recompute_modules"]; rm && !rm.IsNull()) {
        // A list (YAML sequence) or one comma-separated string, as Megatron's flag takes it.
        std::string joined;
        if (rm.IsSequence()) {
          for (const YAML::Node& item : rm) {
            if (!item.IsScalar()) throw InputError(fmt::format("{}: recompute_modules items must be names", io::where(origin, item)));
            joined += (joined.empty() ? "" : ",") + item.Scalar();
          }
        } else if (rm.IsScalar()) {
          joined = rm.Scalar();
        } else {
          throw InputError(fmt::format("{}: recompute_modules must be a list of module names", io::where(origin, rm)));
        }
        l.recompute_modules = parse_recompute_modules(joined, io::where(origin, rm));
        if (l.recompute && *l.recompute != Recompute::selective) {
          throw InputError(fmt::format("{}: recompute_modules needs recompute selective, not {}", io::where(origin, rm),
                                       recompute_name(*l.recompute)));
        }
      }
      if (sel == "op" && l.recompute == Recompute::selective) l.recompute = Recompute::selective_op;
      if (sel == "dots" && l.recompute == Recompute::selective) l.recompute = Recompute::selective_dots;
    }

    const YAML::Node meas = n["measured"];
    if (!meas || !meas.IsMap()) throw InputError(fmt::format("{}: run '{}' has no measured: mapping", w, r.id));
    const double step = io::number(meas, "step_time_s", origin, false, 0, 0, 1e9);
    const double tps = io::number(meas, "tokens_per_s_per_gpu", origin, false, 0, 0, 1e12);
    r.measured_peak_memory_gib = io::number(meas, "peak_memory_gib", origin, false, 0, 0, 1e6);
    if (step > 0) {
      r.metric = "step_time_s";
      r.measured_value = step;
      r.measured_step_s = step;
    } else if (tps > 0) {
      r.metric = "tokens_per_s_per_gpu";
      r.measured_value = tps;
      if (!r.global_batch) {
        throw InputError(fmt::format("{}: run '{}' gives tokens_per_s_per_gpu but no parallel.global_batch", w, r.id));
      }
      r.measured_step_s = static_cast<double>(*r.global_batch) * r.seq_len / (tps * r.gpus);
    } else {
      throw InputError(fmt::format("{}: run '{}' needs measured.step_time_s or measured.tokens_per_s_per_gpu > 0", w, r.id));
    }
    runs.push_back(std::move(r));
  });
  return runs;
}

}  // namespace danlu
