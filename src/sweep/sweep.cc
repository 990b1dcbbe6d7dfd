// Design-space sweeps (danlu/sweep.h).
#include "danlu/sweep.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "danlu/inputs.h"
#include "danlu/search.h"
#include "danlu/validate.h"
#include "io/yaml_util.h"

namespace danlu {
namespace {

std::vector<std::string> string_list(const YAML::Node& root, const char* key, const std::string& origin) {
  const YAML::Node n = root[key];
  if (!n || !n.IsSequence() || n.size() == 0) {
    throw InputError(fmt::format("{}: '{}' must be a non-empty list", io::where(origin, n ? n : root), key));
  }
  std::vector<std::string> out;
  for (const YAML::Node& v : n) {
    if (!v.IsScalar()) throw InputError(fmt::format("{}: '{}' entries must be strings", io::where(origin, v), key));
    out.push_back(v.Scalar());
  }
  return out;
}

std::vector<int> int_list(const YAML::Node& root, const char* key, const std::string& origin, long lo, long hi) {
  const YAML::Node n = root[key];
  if (!n || !n.IsSequence() || n.size() == 0) {
    throw InputError(fmt::format("{}: '{}' must be a non-empty list of whole numbers", io::where(origin, n ? n : root), key));
  }
  std::vector<int> out;
  for (const YAML::Node& v : n) {
    double x = 0;
    if (!v.IsScalar() || !io::parse_number(v.Scalar(), &x) || x != static_cast<double>(static_cast<long>(x)) || x < static_cast<double>(lo) ||
        x > static_cast<double>(hi)) {
      throw InputError(fmt::format("{}: '{}' entries must be whole numbers in [{}, {}]", io::where(origin, v), key, lo, hi));
    }
    out.push_back(static_cast<int>(x));
  }
  return out;
}

}  // namespace

SweepSpec parse_sweep(const std::string& text, const std::string& origin, const Catalog& cat) {
  const YAML::Node root = io::parse_yaml(text, origin);
  if (!root.IsMap()) {
    throw InputError(fmt::format("{}: a sweep file is a mapping with models, accelerators, gpus, seq_lens", origin));
  }
  static const std::vector<std::string> kKeys = {"models", "accelerators", "gpus", "seq_lens", "global_batch_tokens",
                                                 "precision", "max_micro_batch"};
  for (const auto& kv : root) {
    const std::string k = kv.first.IsScalar() ? kv.first.Scalar() : "";
    if (std::find(kKeys.begin(), kKeys.end(), k) == kKeys.end()) {
      throw InputError(fmt::format("{}: unknown key '{}'; allowed: models, accelerators, gpus, seq_lens, "
                                   "global_batch_tokens, precision, max_micro_batch{}",
                                   io::where(origin, kv.first), k.substr(0, 40), did_you_mean(k, kKeys)));
    }
  }
  SweepSpec s;
  s.models = string_list(root, "models", origin);
  s.accelerators = string_list(root, "accelerators", origin);
  s.gpus = int_list(root, "gpus", origin, 1, 10'000'000);
  s.seq_lens = int_list(root, "seq_lens", origin, 1, 100'000'000);
  s.global_batch_tokens = io::integer(root, "global_batch_tokens", origin, false, s.global_batch_tokens, 1, 1L << 40);
  s.max_micro_batch = static_cast<int>(io::integer(root, "max_micro_batch", origin, false, 16, 1, 1'000'000));
  const std::string prec = io::text(root, "precision", origin, false);
  if (!prec.empty()) s.precision = parse_precision(prec, io::where(origin, root["precision"]));
  // Resolve every name now, so a typo fails before hours of work.
  for (const std::string& m : s.models) {
    try {
      (void)load_model(m, cat, nullptr);
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: {}", io::where(origin, root["models"]), e.what()));
    }
  }
  for (const std::string& a : s.accelerators) {
    try {
      (void)cat.accelerator(a);
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: {}", io::where(origin, root["accelerators"]), e.what()));
    }
  }
  if (s.points() > 100'000) throw InputError(fmt::format("{}: {} grid points; allowed at most 100000", origin, s.points()));
  return s;
}

std::string run_sweep_point(const SweepSpec& spec, std::size_t i, const Catalog& cat) {
  const std::size_t ns = spec.seq_lens.size(), ng = spec.gpus.size(), na = spec.accelerators.size();
  const int seq = spec.seq_lens[i % ns];
  const int gpus = spec.gpus[(i / ns) % ng];
  const std::string& acc = spec.accelerators[(i / ns / ng) % na];
  const std::string& model_name = spec.models[i / ns / ng / na];
  const Model m = load_model(model_name, cat, nullptr);
  const Cluster c = make_cluster(cat, acc, gpus, 0, "", 0);
  Workload w;
  w.seq_len = seq;
  w.precision = spec.precision;
  w.global_batch = std::max(1L, spec.global_batch_tokens / seq);
  nlohmann::json j = {{"point", i}, {"model", model_name}, {"accelerator", acc}, {"gpus", gpus},
                      {"seq_len", seq}, {"global_batch", w.global_batch}, {"precision", precision_name(w.precision)}};
  if (c.acc.peak_tflops[static_cast<int>(w.precision)] <= 0) {
    j["found"] = false;
    j["reason"] = "the accelerator has no tensor-core rate for this precision";
    return j.dump();
  }
  SearchOptions opt;
  opt.top_k = 1;
  opt.threads = 1;  // one search per process core; parallelism comes from the grid
  opt.max_micro_batch = spec.max_micro_batch;
  const SearchResult s = search_layouts(m, c, w, opt);
  j["considered"] = s.considered;
  j["found"] = !s.top.empty();
  if (s.top.empty()) {
    j["reason"] = "no layout fits";
    return j.dump();
  }
  const Result& r = s.top.front().result;
  const Layout& l = s.top.front().layout;
  j["step_time_s"] = r.step_s;
  j["tokens_per_s_per_gpu"] = r.tokens_per_s_per_gpu;
  j["mfu"] = r.mfu;
  j["peak_memory_gib"] = r.peak_memory_gib;
  j["binding"] = binding_name(r.binding);
  j["layout"] = {{"tp", l.tp}, {"cp", l.cp}, {"pp", l.pp}, {"vpp", l.vpp}, {"dp", l.dp}, {"micro_batch", l.micro_batch},
                 {"sequence_parallel", l.sequence_parallel}, {"recompute", recompute_name(l.recompute)},
                 {"recompute_num_layers", l.recompute_num_layers}, {"zero", l.zero}};
  return j.dump();
}

}  // namespace danlu
