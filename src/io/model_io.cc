// Models from presets, Hugging Face config.json files and SCHEMA-style YAML.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "danlu/inputs.h"
#include "io/model_node.h"
#include "io/yaml_util.h"

namespace danlu {

using io::where;

namespace {

constexpr long kMaxDim = 10'000'000;    // any width/vocab beyond this is not a real model
constexpr long kMaxLayers = 100'000;

bool ends_with(const std::string& s, const char* suffix) {
  const std::string suf(suffix);
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

// 1-based line of a byte offset.
long line_of_offset(const std::string& text, std::size_t off) {
  off = std::min(off, text.size());
  return 1 + static_cast<long>(std::count(text.begin(), text.begin() + static_cast<long>(off), '\n'));
}

// Line of the first occurrence of "key" in a JSON text (for field errors).
std::string json_where(const std::string& text, const std::string& origin, const std::string& key) {
  const std::size_t pos = text.find("\"" + key + "\"");
  if (pos == std::string::npos) return origin;
  return fmt::format("{}:{}", origin, line_of_offset(text, pos));
}

}  // namespace

std::string read_text_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw InputError(fmt::format("{}: is a directory; expected a file", path));
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) throw InputError(fmt::format("{}: cannot open file (does it exist and is it readable?)", path));
  f.seekg(0, std::ios::end);
  const std::streamoff size = f.tellg();
  if (size < 0) throw InputError(fmt::format("{}: cannot read file (is it a directory?)", path));
  if (size > (64 << 20)) throw InputError(fmt::format("{}: file too large ({} bytes; at most 64 MiB)", path, size));
  f.seekg(0, std::ios::beg);
  std::string s(static_cast<std::size_t>(size), '\0');
  f.read(s.data(), size);
  if (!f) throw InputError(fmt::format("{}: cannot read file", path));
  return s;
}

void write_text_file_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".danlu-tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw InputError(fmt::format("{}: cannot write (does the folder exist and is it writable?)", path));
    f.write(text.data(), static_cast<std::streamsize>(text.size()));
    f.flush();
    if (!f) {
      f.close();
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      throw InputError(fmt::format("{}: write failed (disk full?)", path));
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw InputError(fmt::format("{}: cannot write: {}", path, ec.message()));
  }
}

void check_model(const Model& m, const std::string& w) {
  auto need = [&](bool ok, const std::string& what) {
    if (!ok) throw InputError(fmt::format("{}: invalid model: {}", w, what));
  };
  need(m.layers >= 1 && m.layers <= kMaxLayers, fmt::format("layers = {} (allowed 1..{})", m.layers, kMaxLayers));
  need(m.hidden >= 1 && m.hidden <= kMaxDim, fmt::format("hidden = {} (allowed 1..{})", m.hidden, kMaxDim));
  need(m.heads >= 1 && m.heads <= m.hidden * 16L, fmt::format("heads = {} (allowed 1..16*hidden)", m.heads));
  need(m.kv_heads >= 1 && m.kv_heads <= m.heads, fmt::format("kv_heads = {} (allowed 1..heads={})", m.kv_heads, m.heads));
  need(m.heads % m.kv_heads == 0, fmt::format("heads ({}) must be a multiple of kv_heads ({})", m.heads, m.kv_heads));
  need(m.head_dim > 0 || m.hidden % m.heads == 0,
       fmt::format("hidden ({}) is not divisible by heads ({}); give head_dim", m.hidden, m.heads));
  need(m.head_dim >= 0 && m.head_dim <= kMaxDim, "head_dim out of range");
  need(m.ffn >= 1 && m.ffn <= kMaxDim, fmt::format("ffn = {} (allowed 1..{})", m.ffn, kMaxDim));
  need(m.vocab >= 1 && m.vocab <= kMaxDim * 10, fmt::format("vocab = {} (allowed 1..{})", m.vocab, kMaxDim * 10));
  if (m.is_moe()) {
    need(m.moe.top_k >= 1 && m.moe.top_k <= m.moe.experts, "moe.top_k must be in 1..experts");
    need(m.moe.expert_ffn >= 1 && m.moe.expert_ffn <= kMaxDim, "moe.expert_ffn out of range");
    need(m.moe.dense_layers >= 0 && m.moe.dense_layers <= m.layers, "moe.dense_layers must be in 0..layers");
    need(m.moe.shared_experts >= 0 && m.moe.shared_experts <= 1024, "moe.shared_experts out of range");
  }
  need(m.mtp_layers >= 0 && m.mtp_layers <= 16, fmt::format("mtp_layers = {} (allowed 0..16)", m.mtp_layers));
  if (m.attention == Attention::mla) {
    need(m.mla.kv_lora_rank >= 1 && m.mla.v_head_dim >= 1 && m.mla.qk_nope_head_dim >= 0 &&
             m.mla.qk_rope_head_dim >= 0 && m.mla.qk_nope_head_dim + m.mla.qk_rope_head_dim >= 1,
         "mla needs kv_lora_rank, v_head_dim and qk head dims >= 1");
  }
}

// ---------------------------------------------------------------- Hugging Face config.json

Model model_from_hf_json(const std::string& text, const std::string& origin, int* max_seq_len) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(fmt::format("{}:{}: malformed JSON: {}", origin, line_of_offset(text, e.byte),
                                 std::string(e.what()).substr(0, 160)));
  } catch (const nlohmann::json::exception& e) {  // e.g. number overflow ('1e999')
    throw InputError(fmt::format("{}: malformed JSON: {}; numbers must be finite", origin,
                                 std::string(e.what()).substr(0, 160)));
  }
  if (!j.is_object()) throw InputError(fmt::format("{}: a config.json must be a JSON object", origin));

  auto get_int = [&](std::initializer_list<const char*> keys, bool required, long fallback) -> long {
    for (const char* k : keys) {
      auto it = j.find(k);
      if (it == j.end() || it->is_null()) continue;
      if (!it->is_number()) {
        throw InputError(fmt::format("{}: field '{}' must be a number", json_where(text, origin, k), k));
      }
      const double v = it->get<double>();
      if (!std::isfinite(v) || v != std::floor(v) || v < 0 || v > 1e9) {
        throw InputError(fmt::format("{}: field '{}' = {} must be a non-negative whole number",
                                     json_where(text, origin, k), k, it->dump()));
      }
      return static_cast<long>(v);
    }
    if (required) {
      throw InputError(fmt::format("{}: missing field '{}' in config.json", origin, *keys.begin()));
    }
    return fallback;
  };
  auto get_bool = [&](const char* k, bool fallback) {
    auto it = j.find(k);
    if (it == j.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) throw InputError(fmt::format("{}: field '{}' must be true or false", json_where(text, origin, k), k));
    return it->get<bool>();
  };

  std::string type;
  if (auto it = j.find("model_type"); it != j.end() && it->is_string()) type = it->get<std::string>();
  if (type.empty()) {
    if (auto it = j.find("architectures"); it != j.end() && it->is_array() && !it->empty() && (*it)[0].is_string()) {
      const std::string a = (*it)[0].get<std::string>();
      if (a.rfind("Llama", 0) == 0) type = "llama";
      else if (a.rfind("Mistral", 0) == 0) type = "mistral";
      else if (a.rfind("Mixtral", 0) == 0) type = "mixtral";
      else if (a.rfind("Qwen2", 0) == 0) type = "qwen2";
      else if (a.rfind("DeepseekV3", 0) == 0) type = "deepseek_v3";
      else if (a.rfind("GPT2", 0) == 0) type = "gpt2";
      else if (a.rfind("GPTNeoX", 0) == 0) type = "gpt_neox";
    }
  }
  static const std::vector<std::string> kTypes = {"llama", "mistral", "mixtral", "qwen2", "deepseek_v3", "gpt2", "gpt_neox"};
  if (std::find(kTypes.begin(), kTypes.end(), type) == kTypes.end()) {
    throw InputError(fmt::format("{}: unsupported model_type '{}'; supported: llama, mistral, mixtral, qwen2, "
                                 "deepseek_v3, gpt2, gpt_neox{}",
                                 json_where(text, origin, "model_type"), type.substr(0, 60), did_you_mean(type, kTypes)));
  }

  Model m;
  int max_seq = 0;
  if (type == "gpt2") {
    m.hidden = static_cast<int>(get_int({"n_embd"}, true, 0));
    m.layers = static_cast<int>(get_int({"n_layer"}, true, 0));
    m.heads = static_cast<int>(get_int({"n_head"}, true, 0));
    m.kv_heads = m.heads;
    m.ffn = static_cast<int>(get_int({"n_inner"}, false, 4L * m.hidden));
    m.vocab = static_cast<int>(get_int({"vocab_size"}, true, 0));
    m.learned_positions = static_cast<int>(get_int({"n_positions"}, false, 1024));
    max_seq = m.learned_positions;
    m.norm = Norm::layernorm;
    m.linear_bias = true;
    m.tied_embeddings = get_bool("tie_word_embeddings", true);
    m.gated_mlp = false;
  } else {
    m.hidden = static_cast<int>(get_int({"hidden_size"}, true, 0));
    m.layers = static_cast<int>(get_int({"num_hidden_layers"}, true, 0));
    m.heads = static_cast<int>(get_int({"num_attention_heads"}, true, 0));
    m.kv_heads = static_cast<int>(get_int({"num_key_value_heads"}, false, m.heads));
    m.ffn = static_cast<int>(get_int({"intermediate_size"}, true, 0));
    m.vocab = static_cast<int>(get_int({"vocab_size"}, true, 0));
    m.head_dim = static_cast<int>(get_int({"head_dim"}, false, 0));
    max_seq = static_cast<int>(get_int({"max_position_embeddings"}, false, 0));
    m.tied_embeddings = get_bool("tie_word_embeddings", false);
    if (type == "gpt_neox") {
      m.norm = Norm::layernorm;
      m.linear_bias = true;
      m.gated_mlp = false;
    } else {
      m.norm = Norm::rmsnorm;
      m.gated_mlp = true;
    }
    if (type == "qwen2") m.qkv_bias = true;  // Qwen2 q/k/v projections carry biases (no config flag)
    if (type == "llama" || type == "mistral" || type == "qwen2") {
      m.qkv_bias = m.qkv_bias || get_bool("attention_bias", false);
    }
    m.attention = m.kv_heads < m.heads ? Attention::gqa : Attention::mha;
    if (type == "mixtral") {
      m.moe.experts = static_cast<int>(get_int({"num_local_experts"}, true, 0));
      m.moe.top_k = static_cast<int>(get_int({"num_experts_per_tok"}, true, 0));
      m.moe.expert_ffn = m.ffn;
      m.moe.dense_layers = 0;
    }
    if (type == "deepseek_v3") {
      m.attention = Attention::mla;
      m.kv_heads = m.heads;  // MLA: num_key_value_heads is not a GQA grouping
      m.moe.experts = static_cast<int>(get_int({"n_routed_experts"}, true, 0));
      m.moe.top_k = static_cast<int>(get_int({"num_experts_per_tok"}, true, 0));
      m.moe.shared_experts = static_cast<int>(get_int({"n_shared_experts"}, false, 0));
      m.moe.expert_ffn = static_cast<int>(get_int({"moe_intermediate_size"}, true, 0));
      m.moe.dense_layers = static_cast<int>(get_int({"first_k_dense_replace"}, false, 0));
      m.mla.q_lora_rank = static_cast<int>(get_int({"q_lora_rank"}, false, 0));
      m.mla.kv_lora_rank = static_cast<int>(get_int({"kv_lora_rank"}, true, 0));
      m.mla.qk_rope_head_dim = static_cast<int>(get_int({"qk_rope_head_dim"}, true, 0));
      m.mla.qk_nope_head_dim = static_cast<int>(get_int({"qk_nope_head_dim"}, true, 0));
      m.mla.v_head_dim = static_cast<int>(get_int({"v_head_dim"}, true, 0));
    }
    m.mtp_layers = static_cast<int>(get_int({"num_nextn_predict_layers"}, false, 0));
  }
  check_model(m, origin);
  if (max_seq_len) *max_seq_len = max_seq;
  return m;
}

// ---------------------------------------------------------------- SCHEMA-style YAML


Model model_from_yaml_text(const std::string& text, const std::string& origin, const Catalog& cat,
                           int* max_seq_len) {
  const YAML::Node root = io::parse_yaml(text, origin);
  if (!root.IsMap()) throw InputError(fmt::format("{}: a model file must be a YAML mapping of model fields", origin));
  // Accept either the fields at top level or under `model:`.
  const YAML::Node n = root["model"] && root["model"].IsMap() ? root["model"] : root;
  return model_from_node(n, origin, cat, max_seq_len);
}

Model model_from_node(const YAML::Node& n, const std::string& origin, const Catalog& cat, int* max_seq_len,
                      bool in_run) {
  if (!n.IsMap()) throw InputError(fmt::format("{}: model must be a mapping (fields or preset: NAME)", where(origin, n)));
  if (n["preset"]) {
    const std::string id = io::text(n, "preset", origin, true);
    const ModelEntry* e = cat.find_model(id);
    if (!e) {
      throw InputError(fmt::format("{}: unknown model preset '{}'{}; see `danlu catalog models`",
                                   where(origin, n["preset"]), id, did_you_mean(id, cat.model_ids())));
    }
    if (max_seq_len) *max_seq_len = e->max_seq_len;
    return e->model;
  }
  Model m;
  m.layers = static_cast<int>(io::integer(n, "layers", origin, true, 0, 1, kMaxLayers));
  m.hidden = static_cast<int>(io::integer(n, "hidden", origin, true, 0, 1, kMaxDim));
  m.ffn = static_cast<int>(io::integer(n, "ffn", origin, true, 0, 1, kMaxDim));
  m.heads = static_cast<int>(io::integer(n, "heads", origin, true, 0, 1, kMaxDim));
  m.kv_heads = static_cast<int>(io::integer(n, "kv_heads", origin, false, m.heads, 1, kMaxDim));
  m.head_dim = static_cast<int>(io::integer(n, "head_dim", origin, false, 0, 1, kMaxDim));
  m.vocab = static_cast<int>(io::integer(n, "vocab", origin, !in_run, 0, 1, kMaxDim * 10));
  m.gated_mlp = io::boolean(n, "gated_mlp", origin, false);
  m.tied_embeddings = io::boolean(n, "tied_embeddings", origin, false);
  m.qkv_bias = io::boolean(n, "qkv_bias", origin, false);
  m.linear_bias = io::boolean(n, "linear_bias", origin, false);
  const std::string att = io::text(n, "attention", origin, false);
  if (att.empty()) {
    m.attention = m.kv_heads < m.heads ? Attention::gqa : Attention::mha;
  } else if (att == "mha") {
    m.attention = Attention::mha;
  } else if (att == "gqa") {
    m.attention = Attention::gqa;
  } else if (att == "mla") {
    m.attention = Attention::mla;
  } else {
    throw InputError(fmt::format("{}: attention '{}' is not one of mha, gqa, mla{}", where(origin, n["attention"]),
                                 att.substr(0, 40), did_you_mean(att, {"mha", "gqa", "mla"})));
  }
  const std::string norm = io::text(n, "norm", origin, false);
  if (norm == "layernorm") m.norm = Norm::layernorm;
  else if (norm == "rmsnorm" || norm.empty()) m.norm = norm.empty() && !m.gated_mlp ? Norm::layernorm : Norm::rmsnorm;
  else throw InputError(fmt::format("{}: norm '{}' is not one of layernorm, rmsnorm", where(origin, n["norm"]), norm.substr(0, 40)));
  const std::string pos = io::text(n, "position", origin, false);
  if (pos == "learned") m.learned_positions = static_cast<int>(io::integer(n, "max_seq_len", origin, false, 2048, 1, kMaxDim));
  else if (!pos.empty() && pos != "rope" && pos != "alibi" && pos != "none") {
    throw InputError(fmt::format("{}: position '{}' is not one of rope, learned, alibi, none", where(origin, n["position"]), pos.substr(0, 40)));
  }
  if (const YAML::Node moe = n["moe"]; moe && !moe.IsNull()) {
    if (!moe.IsMap()) throw InputError(fmt::format("{}: moe must be a mapping", where(origin, moe)));
    m.moe.experts = static_cast<int>(io::integer(moe, "experts", origin, true, 0, 1, 1'000'000));
    m.moe.top_k = static_cast<int>(io::integer(moe, "top_k", origin, true, 0, 1, 1'000'000));
    m.moe.shared_experts = static_cast<int>(io::integer(moe, "shared_experts", origin, false, 0, 0, 1024));
    m.moe.expert_ffn = static_cast<int>(io::integer(moe, "expert_ffn", origin, false, m.ffn, 1, kMaxDim));
    m.moe.dense_layers = static_cast<int>(io::integer(moe, "dense_layers", origin, false, 0, 0, kMaxLayers));
  }
  m.mtp_layers = static_cast<int>(io::integer(n, "mtp_layers", origin, false, 0, 0, 16));
  if (const YAML::Node mla = n["mla"]; mla && !mla.IsNull()) {
    if (!mla.IsMap()) throw InputError(fmt::format("{}: mla must be a mapping", where(origin, mla)));
    m.mla.q_lora_rank = static_cast<int>(io::integer(mla, "q_lora_rank", origin, false, 0, 0, kMaxDim));
    m.mla.kv_lora_rank = static_cast<int>(io::integer(mla, "kv_lora_rank", origin, true, 0, 1, kMaxDim));
    m.mla.qk_rope_head_dim = static_cast<int>(io::integer(mla, "qk_rope_head_dim", origin, true, 0, 0, kMaxDim));
    m.mla.qk_nope_head_dim = static_cast<int>(io::integer(mla, "qk_nope_head_dim", origin, true, 0, 0, kMaxDim));
    m.mla.v_head_dim = static_cast<int>(io::integer(mla, "v_head_dim", origin, true, 0, 1, kMaxDim));
    m.attention = Attention::mla;
  }
  if (m.attention == Attention::mla && m.mla.kv_lora_rank == 0) {
    throw InputError(fmt::format("{}: attention: mla needs an `mla:` block", where(origin, n)));
  }
  if (m.attention == Attention::mla) m.kv_heads = m.heads;
  if (m.vocab == 0) {
    Model probe = m;  // every other field is still checked
    probe.vocab = 1;
    check_model(probe, where(origin, n));
  } else {
    check_model(m, where(origin, n));
  }
  if (max_seq_len) *max_seq_len = static_cast<int>(io::integer(n, "max_seq_len", origin, false, 0, 0, kMaxDim * 100));
  return m;
}

Model load_model(const std::string& spec, const Catalog& cat, int* max_seq_len) {
  if (const ModelEntry* e = cat.find_model(spec)) {
    if (max_seq_len) *max_seq_len = e->max_seq_len;
    return e->model;
  }
  if (spec == "-") {
    // Standard input: a Hugging Face config.json (how `danlu ui` passes a pasted config).
    const std::string text(std::istreambuf_iterator<char>(std::cin), {});
    return model_from_hf_json(text, "<stdin>", max_seq_len);
  }
  if (ends_with(spec, ".json")) return model_from_hf_json(read_text_file(spec), spec, max_seq_len);
  if (ends_with(spec, ".yaml") || ends_with(spec, ".yml")) {
    return model_from_yaml_text(read_text_file(spec), spec, cat, max_seq_len);
  }
  throw InputError(fmt::format("unknown model '{}'{}: give a preset id (see `danlu catalog models`), a "
                               "Hugging Face config.json path (- for standard input), or a model .yaml",
                               spec.substr(0, 80), did_you_mean(spec, cat.model_ids())));
}

}  // namespace danlu
