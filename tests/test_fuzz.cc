// Deterministic mutation fuzzing of the input parsers, in process.
//
// Seeds: the Hugging Face config.json fixtures (tests/data/hf/*.json), a few valid model YAML
// texts, and the first three runs of the dev runs file. Each seed is mutated (bytes flipped,
// inserted, deleted; lines duplicated, deleted, swapped; numbers replaced by huge, negative,
// NaN, inf or text; truncation; NUL bytes; deep bracket nesting) with a fixed-seed
// std::mt19937, and fed to the parser. The only exception allowed out of a parser is
// danlu::InputError, and its message must be one non-empty line that names the input. Inputs
// that parse are checked further (check_model, count_params; validate_runs with finite
// predictions or a reason for being unscored).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <vector>

#include "danlu/catalog.h"
#include "danlu/error.h"
#include "danlu/inputs.h"
#include "danlu/model.h"
#include "danlu/validate.h"

namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < s.size()) {
    const std::size_t nl = s.find('\n', start);
    if (nl == std::string::npos) {
      lines.push_back(s.substr(start));
      break;
    }
    lines.push_back(s.substr(start, nl - start + 1));  // keeps its '\n'
    start = nl + 1;
  }
  return lines;
}

std::string join(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l;
  return s;
}

// Printable rendering of a (possibly binary) input for failure messages.
std::string escaped(const std::string& s, std::size_t max = 600) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\n') out += "\\n\n";
    else if (c == '\\') out += "\\\\";
    else if (c < 0x20 || c >= 0x7F) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > max) out += "...(" + std::to_string(s.size()) + " bytes)";
  return out;
}

// ------------------------------------------------------------------ mutations

const std::vector<std::string> kSpecialNumbers = {
    "1e999", "-1e999", "NaN", "nan", ".nan", ".NaN", ".inf", "-.inf", "inf", "Infinity", "-Infinity",
    "-0", "-0.0", "0", "-1", "-8", "2147483647", "2147483648", "-2147483649", "4294967296",
    "9223372036854775807", "9223372036854775808", "18446744073709551616", "99999999999999999999999",
    "1e308", "1e-320", "0.5", "3.7", "1e9", "1000000001", "10000000", "100000000", "abc", "\"12\"",
    "'7'", "0x10", "0o17", "1_000", "", "null", "~", "true", "[]", "{}", "[1, 2]", "{a: 1}", "1e", "--1",
    "+5", ".5", "5."};

const std::vector<std::string> kInterestingChars = {"{", "}", "[", "]", ":", ",", "\"", "'", "-", "\n", " ", "#",
                                                    "&", "*", "!", "|", ">", "%", "@", "`", "?", "\t", "\\", "\r"};

class Mutator {
 public:
  explicit Mutator(std::uint32_t seed) : rng_(seed) {}

  std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(rng_()) % n; }

  std::string mutate(const std::string& seed_text) {
    std::string s = seed_text;
    const std::size_t ops = 1 + below(3);
    for (std::size_t i = 0; i < ops; ++i) s = one(s);
    return s;
  }

 private:
  std::string one(std::string s) {
    switch (below(14)) {
      case 0: {  // flip bits of one byte
        if (s.empty()) return s;
        const std::size_t i = below(s.size());
        s[i] = static_cast<char>(static_cast<unsigned char>(s[i]) ^ static_cast<unsigned char>(1u << below(8)));
        return s;
      }
      case 1: {  // insert random bytes
        const std::size_t n = 1 + below(4);
        std::string ins;
        for (std::size_t k = 0; k < n; ++k) ins.push_back(static_cast<char>(below(256)));
        return s.insert(below(s.size() + 1), ins);
      }
      case 2:  // insert a syntax character
        return s.insert(below(s.size() + 1), kInterestingChars[below(kInterestingChars.size())]);
      case 3: {  // delete a byte range
        if (s.empty()) return s;
        const std::size_t i = below(s.size());
        return s.erase(i, 1 + below(16));
      }
      case 4: {  // duplicate a line
        auto lines = split_lines(s);
        if (lines.empty()) return s;
        const std::size_t i = below(lines.size());
        lines.insert(lines.begin() + static_cast<long>(below(lines.size() + 1)), lines[i]);
        return join(lines);
      }
      case 5: {  // delete a line
        auto lines = split_lines(s);
        if (lines.empty()) return s;
        lines.erase(lines.begin() + static_cast<long>(below(lines.size())));
        return join(lines);
      }
      case 6: {  // swap two lines
        auto lines = split_lines(s);
        if (lines.size() < 2) return s;
        std::swap(lines[below(lines.size())], lines[below(lines.size())]);
        return join(lines);
      }
      case 7:
      case 8:  // replace a number (twice as likely: numbers are where the checks are)
        return replace_number(std::move(s));
      case 9:  // truncate
        return s.substr(0, below(s.size() + 1));
      case 10: {  // insert NUL bytes
        const std::size_t n = 1 + below(3);
        return s.insert(below(s.size() + 1), std::string(n, '\0'));
      }
      case 11:  // nest brackets deeply
        return s.insert(below(s.size() + 1), nesting());
      case 12:  // replace one identifier-like word by another word of the same text
        return replace_word(std::move(s));
      default: {  // change a line's indentation
        auto lines = split_lines(s);
        if (lines.empty()) return s;
        std::string& l = lines[below(lines.size())];
        if (below(2) == 0) l.insert(0, std::string(1 + below(4), ' '));
        else l.erase(0, std::min<std::size_t>(l.find_first_not_of(' '), 1 + below(4)));
        return join(lines);
      }
    }
  }

  std::string nesting() {
    const std::size_t depth = 50 + below(151);  // 50..200 levels
    switch (below(4)) {
      case 0:
        return std::string(depth, '[') + std::string(depth, ']');
      case 1:
        return std::string(depth, '[');  // never closed
      case 2: {
        std::string t;
        for (std::size_t i = 0; i < depth; ++i) t += "{\"a\": ";
        t += "1";
        t += std::string(depth, '}');
        return t;
      }
      default: {
        std::string t;
        for (std::size_t i = 0; i < depth; ++i) t += "{a: [";
        return t;  // unbalanced YAML flow
      }
    }
  }

  std::string replace_number(std::string s) {
    // Number tokens: a digit not preceded by a letter, digit or '_' (so "llama3" is left alone).
    std::vector<std::pair<std::size_t, std::size_t>> spans;
    for (std::size_t i = 0; i < s.size();) {
      const auto c = static_cast<unsigned char>(s[i]);
      const bool starts = std::isdigit(c) &&
                          (i == 0 || !(std::isalnum(static_cast<unsigned char>(s[i - 1])) || s[i - 1] == '_' ||
                                       s[i - 1] == '.'));
      if (!starts) {
        ++i;
        continue;
      }
      std::size_t b = i;
      if (b > 0 && s[b - 1] == '-') --b;
      std::size_t e = i;
      while (e < s.size() && (std::isdigit(static_cast<unsigned char>(s[e])) || s[e] == '.' || s[e] == 'e' ||
                              s[e] == 'E' || ((s[e] == '+' || s[e] == '-') && (s[e - 1] == 'e' || s[e - 1] == 'E')))) {
        ++e;
      }
      spans.emplace_back(b, e - b);
      i = e;
    }
    if (spans.empty()) return s;
    const auto [pos, len] = spans[below(spans.size())];
    return s.replace(pos, len, kSpecialNumbers[below(kSpecialNumbers.size())]);
  }

  std::string replace_word(std::string s) {
    std::vector<std::pair<std::size_t, std::size_t>> words;
    for (std::size_t i = 0; i < s.size();) {
      if (std::isalpha(static_cast<unsigned char>(s[i]))) {
        std::size_t e = i;
        while (e < s.size() && (std::isalnum(static_cast<unsigned char>(s[e])) || s[e] == '_' || s[e] == '-' ||
                                s[e] == '.')) {
          ++e;
        }
        words.emplace_back(i, e - i);
        i = e;
      } else {
        ++i;
      }
    }
    if (words.size() < 2) return s;
    const auto [pos, len] = words[below(words.size())];
    const auto [opos, olen] = words[below(words.size())];
    const std::string other = s.substr(opos, olen);
    return s.replace(pos, len, other);
  }

  std::mt19937 rng_;
};

// ------------------------------------------------------------------ harness

struct Stats {
  int total = 0;
  int accepted = 0;
  int rejected = 0;
  int failures = 0;
  std::set<std::string> kinds;  // distinct failure kinds already reported
};

// Runs `body` on one mutated input: only InputError may escape, with a one-line message that
// names `origin`. Each distinct kind of failure is reported once, with its input.
void check_one(const std::string& label, int index, const std::string& input, const std::string& origin,
               const std::function<void()>& body, Stats* st) {
  ++st->total;
  std::string problem;
  try {
    body();
    ++st->accepted;
    return;
  } catch (const danlu::InputError& e) {
    ++st->rejected;
    const std::string msg = e.what();
    if (msg.empty()) problem = "InputError with an empty message";
    else if (msg.find('\n') != std::string::npos) problem = "InputError message spans lines: " + escaped(msg, 400);
    else if (msg.find(origin) == std::string::npos) problem = "InputError message does not name the input: " + msg;
    if (problem.empty()) return;
  } catch (const std::exception& e) {
    problem = std::string("escaped exception (not InputError): ") + typeid(e).name() + ": " + e.what();
  } catch (...) {
    problem = "escaped a non-std exception";
  }
  ++st->failures;
  // Report the first input of each kind of failure (so one frequent bug does not hide others).
  std::string kind;
  for (char c : problem.substr(0, 60)) {
    if (!std::isdigit(static_cast<unsigned char>(c))) kind += c;
  }
  if (st->kinds.size() < 12 && st->kinds.insert(kind).second) {
    ADD_FAILURE() << label << " mutation #" << index << ": " << problem << "\n--- input ---\n" << escaped(input);
  }
}

void finish(const std::string& label, const Stats& st, std::chrono::steady_clock::time_point t0) {
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[ fuzz     ] %s: %d inputs, %d parsed, %d rejected with InputError, %d failures, %.0f ms\n",
              label.c_str(), st.total, st.accepted, st.rejected, st.failures, ms);
  EXPECT_EQ(st.failures, 0) << label;
  EXPECT_EQ(st.total, st.accepted + st.rejected + st.failures);
  // The mutations must exercise both outcomes, or the fuzz test is not testing much.
  EXPECT_GT(st.accepted, 0) << label;
  EXPECT_GT(st.rejected, st.total / 4) << label;
}

void check_parsed_model(const danlu::Model& m, const std::string& origin) {
  danlu::check_model(m, origin);  // must agree with the parser: no throw
  const danlu::ParamCount pc = danlu::count_params(m);
  if (!(std::isfinite(pc.total) && pc.total > 0 && std::isfinite(pc.active) && pc.active > 0 &&
        pc.active <= pc.total * (1 + 1e-12))) {
    throw std::logic_error("accepted model has nonsense parameter counts");
  }
  if (!std::isfinite(danlu::model_flops_per_sequence(m, 2048)))
    throw std::logic_error("accepted model has non-finite FLOPs");
}

// ------------------------------------------------------------------ seeds

std::vector<fs::path> hf_fixtures() {
  std::vector<fs::path> v;
  const fs::path dir = fs::path(DANLU_SOURCE_DIR) / "tests" / "data" / "hf";
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".json") v.push_back(e.path());
  }
  std::sort(v.begin(), v.end());  // directory order is not deterministic
  return v;
}

const std::vector<std::string> kModelYamlSeeds = {
    // dense GQA, SwiGLU, one field in {value, source} form
    "layers: 32\n"
    "hidden: 4096\n"
    "ffn: 14336\n"
    "heads: 32\n"
    "kv_heads: 8\n"
    "vocab:\n"
    "  value: 128256\n"
    "  source: config.json\n"
    "gated_mlp: true\n"
    "tied_embeddings: false\n"
    "attention: gqa\n"
    "norm: rmsnorm\n"
    "position: rope\n"
    "max_seq_len: 8192\n",
    // GPT-style under `model:`, learned positions, biases, explicit head_dim
    "model:\n"
    "  layers: 24\n"
    "  hidden: 2304\n"
    "  ffn: 9216\n"
    "  heads: 24\n"
    "  kv_heads: 24\n"
    "  head_dim: 96\n"
    "  vocab: 51200\n"
    "  gated_mlp: false\n"
    "  linear_bias: true\n"
    "  qkv_bias: true\n"
    "  attention: mha\n"
    "  norm: layernorm\n"
    "  position: learned\n"
    "  max_seq_len: 2048\n",
    // MoE + MLA (DeepSeek-V3 shape)
    "layers: 61\n"
    "hidden: 7168\n"
    "ffn: 18432\n"
    "heads: 128\n"
    "vocab: 129280\n"
    "gated_mlp: true\n"
    "attention: mla\n"
    "moe:\n"
    "  experts: 256\n"
    "  top_k: 8\n"
    "  shared_experts: 1\n"
    "  expert_ffn: 2048\n"
    "  dense_layers: 3\n"
    "mla:\n"
    "  q_lora_rank: 1536\n"
    "  kv_lora_rank: 512\n"
    "  qk_rope_head_dim: 64\n"
    "  qk_nope_head_dim: 128\n"
    "  v_head_dim: 128\n",
    // a preset
    "preset: llama3-8b\n",
};

const char* const kFallbackRuns =
    "- id: a\n"
    "  kind: training\n"
    "  source: fallback seed\n"
    "  model:\n"
    "    layers: 24\n"
    "    hidden: 2304\n"
    "    ffn: 9216\n"
    "    heads: 24\n"
    "    kv_heads: 24\n"
    "    vocab: 51200\n"
    "    attention: mha\n"
    "  seq_len: 2048\n"
    "  accelerator: a100-sxm-80gb\n"
    "  gpus: 32\n"
    "  gpus_per_node: 8\n"
    "  network: ib-hdr-200\n"
    "  precision: fp16\n"
    "  parallel:\n"
    "    tp: 1\n"
    "    pp: 1\n"
    "    dp: 32\n"
    "    micro_batch: 16\n"
    "    global_batch: 512\n"
    "    recompute: full\n"
    "    zero: 0\n"
    "  measured:\n"
    "    step_time_s: 3.528\n"
    "- id: b\n"
    "  kind: training\n"
    "  source: fallback seed\n"
    "  model:\n"
    "    preset: llama3-8b\n"
    "  seq_len: 8192\n"
    "  accelerator: h100-sxm\n"
    "  gpus: 8\n"
    "  parallel:\n"
    "    global_batch: 128\n"
    "  measured:\n"
    "    tokens_per_s_per_gpu: 9000\n"
    "- id: c\n"
    "  kind: inference\n";

// The first three runs of the dev runs file (header comments included), or a built-in seed.
std::string runs_seed() {
  const fs::path preferred = fs::path(DANLU_SOURCE_DIR) / "data" / "validation" / "training-dev.yaml";
  const fs::path shared = fs::path(DANLU_SOURCE_DIR) / ".." / "shared" / "validation" / "training-dev.yaml";
  const fs::path p = fs::exists(preferred) ? preferred : shared;
  if (!fs::exists(p)) return kFallbackRuns;
  const std::string text = slurp(p);
  std::size_t pos = 0;
  int starts = 0;
  while (true) {
    pos = text.find("\n- ", pos);
    if (pos == std::string::npos) return text;  // fewer than four runs: all of it
    if (++starts == 4) return text.substr(0, pos + 1);
    pos += 1;
  }
}

constexpr std::uint32_t kSeed = 0xDA17u;

// ------------------------------------------------------------------ tests

TEST(FuzzParsers, HfJsonMutations) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto files = hf_fixtures();
  ASSERT_FALSE(files.empty());
  Mutator mut(kSeed + 1);
  Stats st;
  constexpr int kTotal = 1040;
  const int per_file = kTotal / static_cast<int>(files.size());
  for (const auto& f : files) {
    const std::string seed = slurp(f);
    const std::string origin = f.filename().string();
    // the unmutated fixture must parse
    int ms = -1;
    EXPECT_NO_THROW(check_parsed_model(danlu::model_from_hf_json(seed, origin, &ms), origin)) << origin;
    for (int i = 0; i < per_file; ++i) {
      const std::string input = mut.mutate(seed);
      check_one("hf:" + origin, i, input, origin,
                [&] {
                  int max_seq = -7;
                  const danlu::Model m = danlu::model_from_hf_json(input, origin, &max_seq);
                  check_parsed_model(m, origin);
                  if (max_seq < 0) throw std::logic_error("max_seq_len negative or not set");
                },
                &st);
    }
  }
  finish("hf json", st, t0);
}

TEST(FuzzParsers, ModelYamlMutations) {
  const auto t0 = std::chrono::steady_clock::now();
  const danlu::Catalog& cat = danlu::builtin_catalog();
  Mutator mut(kSeed + 2);
  Stats st;
  constexpr int kTotal = 1000;
  const int per_seed = kTotal / static_cast<int>(kModelYamlSeeds.size());
  for (std::size_t s = 0; s < kModelYamlSeeds.size(); ++s) {
    const std::string& seed = kModelYamlSeeds[s];
    const std::string origin = "model-" + std::to_string(s) + ".yaml";
    int ms = -1;
    EXPECT_NO_THROW(check_parsed_model(danlu::model_from_yaml_text(seed, origin, cat, &ms), origin)) << origin;
    for (int i = 0; i < per_seed; ++i) {
      const std::string input = mut.mutate(seed);
      check_one("yaml:" + origin, i, input, origin,
                [&] {
                  int max_seq = -7;
                  const danlu::Model m = danlu::model_from_yaml_text(input, origin, cat, &max_seq);
                  check_parsed_model(m, origin);
                  if (max_seq < 0) throw std::logic_error("max_seq_len negative or not set");
                },
                &st);
    }
  }
  finish("model yaml", st, t0);
}

void check_validation(const std::vector<danlu::TrainingRun>& runs, const danlu::Catalog& cat) {
  const std::vector<danlu::RunOutcome> outs = danlu::validate_runs(runs, cat);
  if (outs.size() != runs.size()) throw std::logic_error("validate_runs dropped or added runs");
  for (const auto& o : outs) {
    if (o.error_pct) {
      if (!std::isfinite(o.predicted) || !(o.predicted > 0) || !std::isfinite(*o.error_pct) ||
          !std::isfinite(o.result.step_s) || !(o.result.step_s > 0)) {
        throw std::logic_error("scored run '" + o.id + "' has a non-finite or non-positive prediction");
      }
    } else if (o.reason.empty()) {
      throw std::logic_error("unscored run '" + o.id + "' has no reason");
    }
  }
  const danlu::ValidationSummary s = danlu::summarize(outs);
  if (s.count != static_cast<int>(outs.size()) || !std::isfinite(s.median_abs_error_pct) ||
      !std::isfinite(s.p90_abs_error_pct) || !std::isfinite(s.max_abs_error_pct)) {
    throw std::logic_error("summary is inconsistent or not finite");
  }
}

TEST(FuzzParsers, RunsMutations) {
  const auto t0 = std::chrono::steady_clock::now();
  const danlu::Catalog& cat = danlu::builtin_catalog();
  const std::string seed = runs_seed();
  const std::string origin = "runs-seed.yaml";
  {
    const auto runs = danlu::parse_training_runs(seed, origin, cat);
    ASSERT_GE(runs.size(), 2u);
    EXPECT_NO_THROW(check_validation(runs, cat));
  }
  Mutator mut(kSeed + 3);
  Stats st;
  constexpr int kTotal = 1000;
  for (int i = 0; i < kTotal; ++i) {
    const std::string input = mut.mutate(seed);
    check_one("runs", i, input, origin,
              [&] {
                const auto runs = danlu::parse_training_runs(input, origin, cat);
                for (const auto& r : runs) {
                  if (r.model.vocab == 0) {
                    danlu::Model probe = r.model;  // vocab 0 = not stated; the rest must be sound
                    probe.vocab = 1;
                    danlu::check_model(probe, r.where);
                  } else {
                    danlu::check_model(r.model, r.where);
                  }
                  if (!(r.measured_step_s > 0) || !std::isfinite(r.measured_step_s)) {
                    throw std::logic_error("run '" + r.id + "' accepted with a measured step time that is not finite > 0");
                  }
                }
                check_validation(runs, cat);
              },
              &st);
  }
  finish("runs", st, t0);
}

// Inputs chosen by hand that mutation rarely reaches.
TEST(FuzzParsers, HandPickedHostileInputs) {
  const danlu::Catalog& cat = danlu::builtin_catalog();
  std::vector<std::string> inputs = {
      "",
      std::string(1, '\0'),
      std::string("\xEF\xBB\xBF", 3),                   // BOM only
      std::string("\xFF\xFE{\0}", 5),                   // UTF-16 BOM with NUL
      std::string(300, '['),                            // 300 open brackets
      std::string(300, '[') + std::string(300, ']'),    // 300 nested lists
      std::string(300, '{'),
      "{\"hidden_size\": 1e999}",
      "{\"model_type\": \"llama\", \"hidden_size\": NaN}",
      "{\"model_type\": \"llama\", \"hidden_size\": -0, \"num_hidden_layers\": 1}",
      "{\"model_type\": [\"llama\"]}",
      "{\"model_type\": \"gpt2\", \"n_embd\": 2147483648, \"n_layer\": 1, \"n_head\": 1, \"vocab_size\": 1}",
      "{\"model_type\": \"gpt2\", \"n_embd\": 999999999, \"n_layer\": 1, \"n_head\": 1, \"vocab_size\": 1}",
      "{\"model_type\": \"mixtral\", \"hidden_size\": 64, \"num_hidden_layers\": 1, \"num_attention_heads\": 1, "
      "\"intermediate_size\": 64, \"vocab_size\": 10, \"num_local_experts\": 999999999, \"num_experts_per_tok\": 1}",
      "{\"model_type\": \"deepseek_v3\", \"hidden_size\": 64, \"num_hidden_layers\": 2, \"num_attention_heads\": 2, "
      "\"intermediate_size\": 64, \"vocab_size\": 10, \"n_routed_experts\": 4, \"num_experts_per_tok\": 2, "
      "\"n_shared_experts\": 999999999, \"moe_intermediate_size\": 8, \"kv_lora_rank\": 4, \"qk_rope_head_dim\": 4, "
      "\"qk_nope_head_dim\": 4, \"v_head_dim\": 4}",
      "a: &a [*a]\n",
      "&a a: *a\n",
      "layers: !!binary AAAA\n",
      "? [layers]\n: 1\n",
      "layers: 1\nlayers: 2\n",
      "- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -\n",
      "layers: 4\nhidden: 64\nffn: 64\nheads: 2\nvocab: 10\nmoe:\n  experts: 4\n  top_k: 9\n",
      "layers: 4\nhidden: 64\nffn: 64\nheads: 2\nvocab: 10\nattention: mla\n",
      "layers: 4\nhidden: 64\nffn: 64\nheads: 2\nvocab: 10\nmla: [1]\n",
      "layers: 4\nhidden: 64\nffn: 64\nheads: 2\nvocab: 10\nhead_dim: 10000001\n",
      "layers: {value: {value: 3}}\n",
      // (tp=1e6 pp=1e6 dp=1e7 cp=1e6 overflows tp*pp*dp*cp in check_layout; that is covered by the CLI
      // test Cli/BadInput.*LayoutProductOverflow, in a child process, because UBSan aborts the process.)
      "- id: x\n  kind: training\n  model: {preset: llama3-8b}\n  seq_len: 4096\n  accelerator: h100-sxm\n"
      "  gpus: 10000000\n  parallel: {tp: 1000, pp: 1000, dp: 10, cp: 1}\n"
      "  measured: {step_time_s: 1}\n",
      "- id: x\n  kind: training\n  model: {preset: llama3-8b}\n  seq_len: 100000000\n  accelerator: h100-sxm\n"
      "  gpus: 10000000\n  measured: {tokens_per_s_per_gpu: 1e-300}\n  parallel: {global_batch: 1000000000}\n",
      "- id: x\n  kind: training\n  model: {preset: llama3-8b}\n  seq_len: 1\n  accelerator: h100-sxm\n"
      "  gpus: 1\n  parallel: {micro_batch: 1000000, global_batch: 1000000}\n  measured: {step_time_s: 1e-300}\n",
      "- id: \"multi\\nline\"\n  kind: \"train\\ning\"\n",
      "- id: x\n  kind: |\n    training\n    more\n",
  };
  Stats st;
  int i = 0;
  for (const auto& in : inputs) {
    check_one("hand-picked hf", i, in, "h.json",
              [&] {
                int ms = 0;
                check_parsed_model(danlu::model_from_hf_json(in, "h.json", &ms), "h.json");
              },
              &st);
    check_one("hand-picked yaml", i, in, "h.yaml",
              [&] {
                int ms = 0;
                check_parsed_model(danlu::model_from_yaml_text(in, "h.yaml", cat, &ms), "h.yaml");
              },
              &st);
    check_one("hand-picked runs", i, in, "r.yaml",
              [&] { check_validation(danlu::parse_training_runs(in, "r.yaml", cat), cat); }, &st);
    ++i;
  }
  EXPECT_EQ(st.failures, 0);
}

}  // namespace
