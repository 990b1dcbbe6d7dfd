// Published serving runs (SCHEMA.md, kind: inference).
#include <fmt/format.h>

#include <algorithm>

#include "danlu/inputs.h"
#include "io/run_list.h"
#include "io/yaml_util.h"

namespace danlu {

void parse_weight_precision(const std::string& name, const std::string& where, Precision* storage, double* bytes) {
  if (name == "bf16" || name == "fp16") {
    *storage = name == "bf16" ? Precision::bf16 : Precision::fp16;
    *bytes = 2.0;
  } else if (name == "fp8" || name == "mxfp8" || name == "int8") {
    // int8 weights run on the 8-bit tensor-core path, the same rate as FP8 on these parts.
    *storage = name == "mxfp8" ? Precision::mxfp8 : Precision::fp8;
    *bytes = name == "mxfp8" ? 1.03125 : 1.0;  // MXFP8: one 8-bit scale per 32 values
  } else if (name == "int4" || name == "nvfp4" || name == "fp4") {
    *storage = Precision::nvfp4;
    *bytes = 0.5625;  // 4-bit values plus an 8-bit scale per 16 (NVFP4) or per group (AWQ/GPTQ int4)
  } else {
    throw InputError(fmt::format("{}: precision '{}' is not one of bf16, fp16, fp8, mxfp8, int8, int4, nvfp4{}", where,
                                 name.substr(0, 40),
                                 did_you_mean(name, {"bf16", "fp16", "fp8", "mxfp8", "int8", "int4", "nvfp4"})));
  }
}

std::vector<InferenceRun> parse_inference_runs(const std::string& text, const std::string& origin,
                                               const Catalog& cat) {
  std::vector<InferenceRun> runs;
  io::for_each_run(text, origin, cat, "inference", [&](const YAML::Node& n, const std::string& w, const std::string& id, Model model) {
    InferenceRun r;
    r.where = w;
    r.id = id;
    r.model = std::move(model);
    r.accelerator = io::text(n, "accelerator", origin, true);
    r.engine = io::text(n, "engine", origin, false);
    r.gpus = static_cast<int>(io::integer(n, "gpus", origin, true, 1, 1, 1'000'000));
    r.gpus_per_node = static_cast<int>(io::integer(n, "gpus_per_node", origin, false, 0, 1, 1'000'000));
    ServeSetup& s = r.setup;
    if (const YAML::Node p = n["parallel"]; p && p.IsMap()) {
      s.tp = static_cast<int>(io::integer(p, "tp", origin, false, 1, 1, 1'000'000));
      s.pp = static_cast<int>(io::integer(p, "pp", origin, false, 1, 1, 1'000'000));
      s.ep = static_cast<int>(io::integer(p, "ep", origin, false, 1, 1, 1'000'000));
    } else {
      s.tp = r.gpus;
    }
    if (const YAML::Node p = n["precision"]; p && p.IsMap()) {
      const std::string wname = io::text(p, "weights", origin, false);
      if (!wname.empty()) {
        parse_weight_precision(wname, io::where(origin, p["weights"]), &s.weights, &s.weight_bytes);
      } else {
        r.precision_known = false;
      }
      const std::string aname = io::text(p, "activations", origin, false);
      if (!aname.empty()) {
        double unused = 0;
        parse_weight_precision(aname, io::where(origin, p["activations"]), &s.activations, &unused);
      } else {
        s.activations = Precision::bf16;
      }
      const std::string kname = io::text(p, "kv_cache", origin, false);
      double unused = 0;
      if (!kname.empty()) parse_weight_precision(kname, io::where(origin, p["kv_cache"]), &s.kv_cache, &unused);
      else s.kv_cache = s.activations == Precision::bf16 ? Precision::bf16 : Precision::fp8;
    } else {
      r.precision_known = false;
    }
    const YAML::Node wl = n["workload"];
    if (!wl || !wl.IsMap()) throw InputError(fmt::format("{}: run '{}' has no workload mapping", r.where, r.id));
    if (wl["input_tokens"] && wl["output_tokens"]) {
      s.input_tokens = static_cast<int>(io::integer(wl, "input_tokens", origin, true, 1, 1, 100'000'000));
      s.output_tokens = static_cast<int>(io::integer(wl, "output_tokens", origin, true, 1, 1, 100'000'000));
    } else {
      r.lengths_known = false;
    }
    const std::string mode = io::text(wl, "mode", origin, false);
    s.requests = io::integer(wl, "requests", origin, false, 0, 1, 1'000'000'000);
    if (wl["batch_size"] && io::text(wl, "batching", origin, false) == "static") {
      s.static_batch = static_cast<int>(io::integer(wl, "batch_size", origin, true, 1, 1, 10'000'000));
    }
    if (mode == "online" || wl["rate_rps"] || wl["concurrency"]) {
      if (wl["rate_rps"]) {
        s.mode = ServeMode::rate;
        s.rate_rps = io::number(wl, "rate_rps", origin, true, 0, 1e-6, 1e9);
      } else if (wl["concurrency"]) {
        s.mode = ServeMode::concurrency;
        s.concurrency = io::number(wl, "concurrency", origin, true, 0, 1, 1e9);
      } else {
        s.mode = ServeMode::offline;
      }
    } else if (mode.empty() || mode == "offline") {
      s.mode = ServeMode::offline;
    } else {
      throw InputError(fmt::format("{}: workload.mode '{}' is not one of offline, online", io::where(origin, wl["mode"]),
                                   mode.substr(0, 40)));
    }
    const YAML::Node meas = n["measured"];
    if (!meas || !meas.IsMap()) throw InputError(fmt::format("{}: run '{}' has no measured: mapping", r.where, r.id));
    for (const char* key : {"output_tokens_per_s_per_gpu", "ttft_ms", "tpot_ms"}) {
      const double v = io::number(meas, key, origin, false, 0, 0, 1e12);
      if (v > 0) r.measured.emplace_back(key, v);
    }
    if (r.measured.empty()) {
      throw InputError(fmt::format("{}: run '{}' measures none of output_tokens_per_s_per_gpu, ttft_ms, tpot_ms", r.where, r.id));
    }
    runs.push_back(std::move(r));
  });
  return runs;
}

std::vector<WholeRun> parse_wholeruns(const std::string& text, const std::string& origin, const Catalog& cat) {
  std::vector<WholeRun> runs;
  io::for_each_run(text, origin, cat, "wholerun", [&](const YAML::Node& n, const std::string& w, const std::string& id, Model model) {
    WholeRun r;
    r.where = w;
    r.id = id;
    r.model = std::move(model);
    r.accelerator = io::text(n, "accelerator", origin, true);
    r.seq_len = static_cast<int>(io::integer(n, "seq_len", origin, true, 0, 1, 100'000'000));
    r.gpus = static_cast<int>(io::integer(n, "gpus", origin, false, 0, 1, 10'000'000));
    r.tokens = io::number(n, "tokens", origin, true, 0, 1, 1e18);
    r.global_batch_tokens = io::number(n, "global_batch_tokens", origin, false, 0, 1, 1e12);
    if (const YAML::Node par = n["parallel"]; par) {
      if (!par.IsMap()) throw InputError(fmt::format("{}: run '{}': parallel must be a mapping", io::where(origin, par), r.id));
      const std::vector<std::string> allowed = {"tp", "pp", "cp", "vpp", "micro_batch"};
      for (const auto& kv : par) {
        const std::string k = kv.first.Scalar();
        if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
          throw InputError(fmt::format("{}: whole-run parallel key '{}' is not used; allowed: tp, pp, cp, vpp, micro_batch{}",
                                       io::where(origin, kv.first), k.substr(0, 40), did_you_mean(k, allowed)));
        }
      }
      auto opt = [&](const char* key, std::optional<int>* out) {
        if (par[key]) *out = static_cast<int>(io::integer(par, key, origin, true, 1, 1, 1'000'000));
      };
      opt("tp", &r.layout.tp);
      opt("pp", &r.layout.pp);
      opt("cp", &r.layout.cp);
      opt("vpp", &r.layout.vpp);
      opt("micro_batch", &r.layout.micro_batch);
    }
    const YAML::Node meas = n["measured"];
    if (!meas || !meas.IsMap()) throw InputError(fmt::format("{}: run '{}' has no measured: mapping", r.where, r.id));
    for (const char* key : {"gpu_hours", "days", "energy_mwh"}) {
      const double v = io::number(meas, key, origin, false, 0, 0, 1e15);
      if (v > 0) r.measured.emplace_back(key, v);
    }
    if (r.measured.empty()) {
      throw InputError(fmt::format("{}: run '{}' measures none of gpu_hours, days, energy_mwh", r.where, r.id));
    }
    runs.push_back(std::move(r));
  });
  return runs;
}

}  // namespace danlu
