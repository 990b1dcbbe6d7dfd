// Catalog parsing (data/*.yaml) and lookups.
#include "danlu/catalog.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstring>

#include "danlu/inputs.h"
#include "io/embedded.h"
#include "io/model_node.h"
#include "io/yaml_util.h"

namespace danlu {

namespace {

struct PrecisionName {
  const char* name;
  Precision p;
};
constexpr PrecisionName kPrecisionNames[] = {
    {"fp32", Precision::fp32}, {"tf32", Precision::tf32},   {"bf16", Precision::bf16},   {"fp16", Precision::fp16},
    {"fp8", Precision::fp8},   {"mxfp8", Precision::mxfp8}, {"nvfp4", Precision::nvfp4},
};

void copy_id(char (&dst)[24], const std::string& id, const std::string& w) {
  if (id.empty() || id.size() >= sizeof(dst)) {
    throw InputError(fmt::format("{}: id '{}' must be 1..23 characters", w, id.substr(0, 40)));
  }
  std::memcpy(dst, id.c_str(), id.size() + 1);
}

Figure figure(const YAML::Node& parent, const char* key, const std::string& field, double value) {
  return Figure{field, value, io::source_of(parent, key), io::uncertain_of(parent, key)};
}

struct FamilyEntry {
  std::string name;
  Efficiency eff;
};

std::vector<FamilyEntry> parse_families(const std::string& text) {
  const std::string origin = "data/families.yaml";
  const YAML::Node root = io::parse_yaml(text, origin);
  if (!root.IsSequence()) throw InputError(origin + ": expected a list of families");
  std::vector<FamilyEntry> out;
  for (const YAML::Node& n : root) {
    FamilyEntry f;
    f.name = io::text(n, "family", origin, true);
    Efficiency& e = f.eff;
    const YAML::Node g = n["gemm_efficiency"];
    if (!g || !g.IsMap()) throw InputError(io::where(origin, n) + ": missing gemm_efficiency");
    for (const auto& pn : kPrecisionNames) {
      e.gemm[static_cast<int>(pn.p)] = io::number(g, pn.name, origin, false, 0.0, 0.0, 1.0);
    }
    const YAML::Node tile = n["gemm_tile"];
    e.tile_m = static_cast<int>(io::integer(tile, "m", origin, true, 128, 8, 1024));
    e.tile_n = static_cast<int>(io::integer(tile, "n", origin, true, 128, 8, 1024));
    e.gemm_k0 = io::number(n, "gemm_k0", origin, true, 0, 0, 65536);
    e.tp_overlap_default = io::boolean(n, "tp_overlap_default", origin, false);
    e.tp_overlap_all_but_one_chunk = io::boolean(n, "tp_overlap_all_but_one_chunk", origin, false);
    e.comm_sm_fraction = io::number(n, "comm_sm_fraction", origin, true, 0, 0, 0.9);
    e.server_w_per_gpu = io::number(n, "server_w_per_gpu", origin, true, 0, 0, 1e5);
    e.idle_power_fraction = io::number(n, "idle_power_fraction", origin, false, 0, 0, 0.9);
    e.attn_fwd = io::number(n, "attention_fwd", origin, true, 0, 0.01, 1);
    e.attn_bwd = io::number(n, "attention_bwd", origin, true, 0, 0.01, 1);
    e.attn_fa2_fwd = io::number(n, "attention_fa2_fwd", origin, true, 0, 0.01, 1);
    e.attn_fa2_bwd = io::number(n, "attention_fa2_bwd", origin, true, 0, 0.01, 1);
    e.hbm = io::number(n, "hbm_efficiency", origin, true, 0, 0.01, 1);
    e.scale_up = io::number(n, "scale_up_efficiency", origin, true, 0, 0.01, 1);
    e.scale_out = io::number(n, "scale_out_efficiency", origin, true, 0, 0.01, 1);
    e.scale_up_latency_us = io::number(n, "scale_up_latency_us", origin, true, 0, 0, 1000);
    e.kernel_us = io::number(n, "kernel_us", origin, true, 0, 0, 1000);
    e.step_overhead_s = io::number(n, "step_overhead_s", origin, true, 0, 0, 100);
    e.runtime_reserved_gib = io::number(n, "runtime_reserved_gib", origin, true, 0, 0, 100);
    e.workspace_gib = io::number(n, "workspace_gib", origin, true, 0, 0, 100);
    e.fragmentation = io::number(n, "fragmentation", origin, true, 0, 0, 1);
    e.tp_overlap = io::number(n, "tp_overlap", origin, true, 0, 0, 1);
    out.push_back(f);
  }
  return out;
}

}  // namespace

Precision parse_precision(const std::string& s, const std::string& w) {
  for (const auto& pn : kPrecisionNames) {
    if (s == pn.name) return pn.p;
  }
  std::vector<std::string> names;
  for (const auto& pn : kPrecisionNames) names.emplace_back(pn.name);
  throw InputError(fmt::format("{}: unknown precision '{}'; allowed: bf16, fp16, fp8, mxfp8, nvfp4, fp32, tf32{}", w,
                               s.substr(0, 40), did_you_mean(s, names)));
}

const char* precision_name(Precision p) {
  for (const auto& pn : kPrecisionNames) {
    if (pn.p == p) return pn.name;
  }
  return "?";
}

// data/frameworks.yaml: every default is {value, source}; the source is required.
std::vector<Framework> parse_frameworks(const std::string& text) {
  const std::string origin = "data/frameworks.yaml";
  const YAML::Node root = io::parse_yaml(text, origin);
  if (!root.IsSequence()) throw InputError(origin + ": expected a list of frameworks");
  std::vector<Framework> out;
  for (const YAML::Node& n : root) {
    Framework f;
    f.id = io::text(n, "id", origin, true);
    const YAML::Node names = n["names"];
    if (!names || !names.IsSequence() || names.size() == 0) {
      throw InputError(fmt::format("{}: framework '{}' needs names: a list of how sources name it", io::where(origin, n), f.id));
    }
    for (const YAML::Node& nm : names) {
      const std::string lower = ascii_lower(nm.IsScalar() ? nm.Scalar() : "");
      if (lower.empty()) throw InputError(fmt::format("{}: a framework name must be a non-empty string", io::where(origin, nm)));
      f.names.push_back(lower);
    }
    // Whether a default is given; one that is not {value, source} with its source is refused.
    auto given = [&](const char* key) {
      const YAML::Node v = n[key];
      if (!v || v.IsNull()) return false;
      if (!v.IsMap() || !v["value"] || !v["value"].IsScalar() || io::source_of(n, key).empty()) {
        throw InputError(fmt::format("{}: field '{}' must be {{value: ..., source: \"...\"}}", io::where(origin, v), key));
      }
      f.stated.push_back({key, v["value"].Scalar(), io::source_of(n, key)});
      return true;
    };
    auto word = [&](const char* key) { return n[key]["value"].Scalar(); };
    if (given("zero")) f.zero = static_cast<int>(io::integer(n, "zero", origin, true, 0, 0, 3));
    if (const YAML::Node zs = n["zero_stages"]; zs && !zs.IsNull()) {
      if (!zs.IsMap() || !zs["value"] || !zs["value"].IsSequence() || zs["value"].size() == 0 ||
          io::source_of(n, "zero_stages").empty()) {
        throw InputError(fmt::format("{}: field 'zero_stages' must be {{value: [stages 0-3], source: \"...\"}}", io::where(origin, zs)));
      }
      for (const YAML::Node& z : zs["value"]) {
        double v = -1;
        if (!z.IsScalar() || !io::parse_number(z.Scalar(), &v) || v != static_cast<int>(v) || v < 0 || v > 3) {
          throw InputError(fmt::format("{}: zero_stages entries must be ZeRO stages 0, 1, 2 or 3", io::where(origin, z)));
        }
        f.zero_stages.push_back(static_cast<int>(v));
      }
      f.stated.push_back({"zero_stages", fmt::format("{}", fmt::join(f.zero_stages, ", ")), io::source_of(n, "zero_stages")});
      std::sort(f.zero_stages.begin(), f.zero_stages.end());
      f.zero_stages.erase(std::unique(f.zero_stages.begin(), f.zero_stages.end()), f.zero_stages.end());
      if (f.zero && !supports_zero(f, *f.zero)) {
        throw InputError(fmt::format("{}: framework '{}' defaults to zero {}, which is not in its zero_stages", io::where(origin, zs), f.id, *f.zero));
      }
    }
    if (given("attention_gpu")) f.attention_gpu = parse_attention_kernel(word("attention_gpu"), io::where(origin, n["attention_gpu"]));
    if (given("unfused_attention_before")) {
      f.unfused_attention_before = static_cast<int>(io::integer(n, "unfused_attention_before", origin, true, 0, 1990, 2099));
    }
    if (given("sequence_parallel_since")) {
      f.sequence_parallel_since = static_cast<int>(io::integer(n, "sequence_parallel_since", origin, true, 0, 1990, 2099));
    }
    if (given("grad_reduce_overlap_since")) {
      f.grad_reduce_overlap_since = static_cast<int>(io::integer(n, "grad_reduce_overlap_since", origin, true, 0, 1990, 2099));
    }
    if (given("fp16_grads_16bit")) f.fp16_grads_16bit = io::boolean(n, "fp16_grads_16bit", origin, false);
    if (given("fused_loss")) f.fused_loss = io::boolean(n, "fused_loss", origin, true);
    if (given("fused_elementwise")) f.fused_elementwise = io::boolean(n, "fused_elementwise", origin, true);
    if (given("tp_comm_overlap")) f.tp_comm_overlap = io::boolean(n, "tp_comm_overlap", origin, false);
    if (given("fsdp_copies")) f.fsdp_copies = io::boolean(n, "fsdp_copies", origin, false);
    if (given("selective")) f.selective = parse_recompute(word("selective"), io::where(origin, n["selective"]));
    if (given("microbatches_per_stage")) f.microbatches_per_stage = io::boolean(n, "microbatches_per_stage", origin, false);
    out.push_back(std::move(f));
  }
  return out;
}

Catalog parse_catalog(const std::string& families_yaml, const std::string& accelerators_yaml,
                      const std::string& networks_yaml, const std::string& models_yaml,
                      const std::string& engines_yaml, const std::string& frameworks_yaml) {
  Catalog cat;
  const std::vector<FamilyEntry> families = parse_families(families_yaml);
  std::vector<std::string> family_names;
  for (const auto& f : families) family_names.push_back(f.name);

  {
    const std::string origin = "data/accelerators.yaml";
    const YAML::Node root = io::parse_yaml(accelerators_yaml, origin);
    if (!root.IsSequence()) throw InputError(origin + ": expected a list of accelerators");
    for (const YAML::Node& n : root) {
      AcceleratorEntry e;
      const std::string w = io::where(origin, n);
      const std::string id = io::text(n, "id", origin, true);
      copy_id(e.acc.id, id, w);
      e.name = io::text(n, "name", origin, true);
      e.vendor = io::text(n, "vendor", origin, false);
      e.family = io::text(n, "family", origin, true);
      int fam = -1;
      for (std::size_t i = 0; i < families.size(); ++i) {
        if (families[i].name == e.family) fam = static_cast<int>(i);
      }
      if (fam < 0) {
        throw InputError(fmt::format("{}: unknown family '{}'{}", w, e.family, did_you_mean(e.family, family_names)));
      }
      e.acc.family = fam;
      e.acc.eff = families[static_cast<std::size_t>(fam)].eff;
      e.launch_year = static_cast<int>(io::integer(n, "launch_year", origin, true, 0, 1990, 2100));
      e.acc.compute_units = static_cast<int>(io::integer(n, "compute_units", origin, true, 1, 1, 100000));
      const YAML::Node pk = n["peak_tflops"];
      if (!pk || !pk.IsMap()) throw InputError(w + ": missing peak_tflops");
      for (const auto& pn : kPrecisionNames) {
        const double v = io::number(pk, pn.name, origin, false, 0.0, 0.0, 1e6);
        e.acc.peak_tflops[static_cast<int>(pn.p)] = v;
        if (v > 0) e.figures.push_back(figure(pk, pn.name, std::string("peak_tflops.") + pn.name, v));
      }
      // Block-scaled FP8 runs at the FP8 rate where the part lists no separate figure.
      auto& pt = e.acc.peak_tflops;
      if (pt[static_cast<int>(Precision::mxfp8)] == 0 && e.acc.eff.gemm[static_cast<int>(Precision::mxfp8)] > 0) {
        pt[static_cast<int>(Precision::mxfp8)] = pt[static_cast<int>(Precision::fp8)];
      }
      if (pt[static_cast<int>(Precision::nvfp4)] == 0) {
        const double fp4 = io::number(pk, "fp4", origin, false, 0.0, 0.0, 1e6);
        if (fp4 > 0) {
          pt[static_cast<int>(Precision::nvfp4)] = fp4;
          e.figures.push_back(figure(pk, "fp4", "peak_tflops.fp4", fp4));
        }
      }
      if (pt[static_cast<int>(Precision::bf16)] <= 0) throw InputError(w + ": peak_tflops.bf16 is required");
      e.acc.hbm_gib = io::number(n, "hbm_gib", origin, true, 0, 0.1, 1e5);
      e.figures.push_back(figure(n, "hbm_gib", "hbm_gib", e.acc.hbm_gib));
      e.acc.hbm_gbs = io::number(n, "hbm_bandwidth_gbs", origin, true, 0, 1, 1e6);
      e.figures.push_back(figure(n, "hbm_bandwidth_gbs", "hbm_bandwidth_gbs", e.acc.hbm_gbs));
      const YAML::Node su = n["scale_up"];
      if (!su || !su.IsMap()) throw InputError(w + ": missing scale_up");
      e.acc.scale_up_domain = static_cast<int>(io::integer(su, "domain_size", origin, true, 1, 1, 1000000));
      e.figures.push_back(figure(su, "domain_size", "scale_up.domain_size", e.acc.scale_up_domain));
      e.acc.scale_up_gbs = io::number(su, "bandwidth_gbs_per_direction", origin, true, 0, 0.1, 1e6);
      e.figures.push_back(figure(su, "bandwidth_gbs_per_direction", "scale_up.bandwidth_gbs_per_direction", e.acc.scale_up_gbs));
      e.acc.torus_dims = static_cast<int>(io::integer(su, "torus_dims", origin, false, 0, 0, 3));
      if (e.acc.torus_dims == 1) throw InputError(w + ": scale_up.torus_dims is 2 or 3 (0 or absent: a switched fabric)");
      if (e.acc.torus_dims > 0) e.figures.push_back(figure(su, "torus_dims", "scale_up.torus_dims", e.acc.torus_dims));
      const YAML::Node so = n["scale_out"];
      e.acc.nic_gbps = so && so.IsMap() ? io::number(so, "nic_gbps_per_gpu", origin, false, 0, 0, 1e5) : 0;
      if (e.acc.nic_gbps > 0) e.figures.push_back(figure(so, "nic_gbps_per_gpu", "scale_out.nic_gbps_per_gpu", e.acc.nic_gbps));
      if (e.acc.nic_gbps <= 0) e.acc.nic_gbps = 100;  // no public figure: a conservative 100 Gb/s Ethernet port
      e.acc.tdp_w = io::number(n, "tdp_w", origin, true, 0, 1, 1e5);
      e.figures.push_back(figure(n, "tdp_w", "tdp_w", e.acc.tdp_w));
      e.price_usd = io::number(n, "price_usd", origin, false, 0, 0, 1e8);
      if (e.price_usd > 0) e.figures.push_back(figure(n, "price_usd", "price_usd", e.price_usd));
      e.figures.insert(e.figures.begin(), figure(n, "launch_year", "launch_year", e.launch_year));
      cat.accelerators.push_back(std::move(e));
    }
  }
  {
    const std::string origin = "data/networks.yaml";
    const YAML::Node root = io::parse_yaml(networks_yaml, origin);
    if (!root.IsSequence()) throw InputError(origin + ": expected a list of networks");
    for (const YAML::Node& n : root) {
      NetworkEntry e;
      const std::string id = io::text(n, "id", origin, true);
      copy_id(e.net.id, id, io::where(origin, n));
      e.name = io::text(n, "name", origin, true);
      e.net.port_gbps = io::number(n, "port_gbps", origin, true, 0, 1, 1e5);
      e.net.latency_us = io::number(n, "latency_us", origin, true, 0, 0, 1e4);
      e.figures.push_back(figure(n, "port_gbps", "port_gbps", e.net.port_gbps));
      e.figures.push_back(figure(n, "latency_us", "latency_us", e.net.latency_us));
      cat.networks.push_back(std::move(e));
    }
  }
  {
    const std::string origin = "data/models.yaml";
    const YAML::Node root = io::parse_yaml(models_yaml, origin);
    if (!root.IsSequence()) throw InputError(origin + ": expected a list of models");
    for (const YAML::Node& n : root) {
      ModelEntry e;
      e.id = io::text(n, "id", origin, true);
      e.name = io::text(n, "name", origin, true);
      e.source = io::text(n, "source", origin, true);
      e.model = model_from_node(n, origin, cat, &e.max_seq_len);
      cat.models.push_back(std::move(e));
    }
  }
  {
    const std::string origin = "data/engines.yaml";
    const YAML::Node root = io::parse_yaml(engines_yaml, origin);
    if (!root.IsSequence()) throw InputError(origin + ": expected a list of engines");
    for (const YAML::Node& n : root) {
      Engine e;
      copy_id(e.id, io::text(n, "id", origin, true), io::where(origin, n));
      e.step_overhead_s = io::number(n, "step_overhead_us", origin, true, 0, 0, 1e6) * 1e-6;
      e.memory_fraction = io::number(n, "memory_fraction", origin, true, 0, 0.05, 1.0);
      e.kv_block_tokens = static_cast<int>(io::integer(n, "kv_block_tokens", origin, true, 1, 1, 65536));
      e.max_batch = static_cast<int>(io::integer(n, "max_batch", origin, true, 1, 1, 1'000'000));
      e.max_num_tokens = static_cast<int>(io::integer(n, "max_num_tokens", origin, true, 1, 1, 10'000'000));
      cat.engines.push_back(e);
    }
  }
  cat.frameworks = parse_frameworks(frameworks_yaml);
  return cat;
}

const Framework& Catalog::framework(const std::string& id) const {
  for (const auto& f : frameworks) {
    if (id == f.id) return f;
  }
  throw InputError(fmt::format("unknown framework '{}'{}; allowed: {}", id.substr(0, 60), did_you_mean(id, framework_ids()),
                               fmt::join(framework_ids(), ", ")));
}

std::vector<std::string> Catalog::framework_ids() const {
  std::vector<std::string> v;
  for (const auto& f : frameworks) v.push_back(f.id);
  return v;
}

const Engine* Catalog::find_engine(const std::string& id) const {
  for (const auto& e : engines) {
    if (id == e.id) return &e;
  }
  return nullptr;
}

const Engine& Catalog::engine(const std::string& id) const {
  std::vector<std::string> ids;
  for (const auto& e : engines) {
    if (id == e.id) return e;
    ids.emplace_back(e.id);
  }
  throw InputError(fmt::format("unknown engine '{}'{}; allowed: tensorrt-llm, vllm, sglang", id.substr(0, 60),
                               did_you_mean(id, ids)));
}

const AcceleratorEntry& Catalog::accelerator(const std::string& id) const {
  for (const auto& e : accelerators) {
    if (id == e.acc.id) return e;
  }
  throw InputError(fmt::format("unknown accelerator '{}'{}; known: see `danlu catalog accelerators`",
                               id.substr(0, 60), did_you_mean(id, accelerator_ids())));
}

const NetworkEntry& Catalog::network(const std::string& id) const {
  for (const auto& e : networks) {
    if (id == e.net.id) return e;
  }
  throw InputError(fmt::format("unknown network '{}'{}; known: see `danlu catalog networks`", id.substr(0, 60),
                               did_you_mean(id, network_ids())));
}

const ModelEntry* Catalog::find_model(const std::string& id) const {
  for (const auto& e : models) {
    if (e.id == id) return &e;
  }
  return nullptr;
}

std::vector<std::string> Catalog::accelerator_ids() const {
  std::vector<std::string> v;
  for (const auto& e : accelerators) v.emplace_back(e.acc.id);
  return v;
}
std::vector<std::string> Catalog::network_ids() const {
  std::vector<std::string> v;
  for (const auto& e : networks) v.emplace_back(e.net.id);
  return v;
}
std::vector<std::string> Catalog::model_ids() const {
  std::vector<std::string> v;
  for (const auto& e : models) v.push_back(e.id);
  return v;
}

const Catalog& builtin_catalog() {
  static const Catalog cat = parse_catalog(embedded::kFamilies, embedded::kAccelerators, embedded::kNetworks,
                                           embedded::kModels, embedded::kEngines, embedded::kFrameworks);
  return cat;
}

}  // namespace danlu
