// Inputs: model loading (presets, HF config.json, SCHEMA YAML), published-run files, the
// pipeline stage split and layout validity checks.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

#include "danlu/catalog.h"
#include "danlu/error.h"
#include "danlu/framework.h"
#include "danlu/estimate.h"
#include "danlu/inputs.h"
#include "danlu/layout.h"
#include "danlu/model.h"
#include "danlu/validate.h"

namespace {

namespace fs = std::filesystem;
using danlu::Attention;
using danlu::Layout;
using danlu::LayoutIssue;
using danlu::Model;
using danlu::StageSplit;
using danlu::Workload;

const danlu::Catalog& cat() { return danlu::builtin_catalog(); }

std::string fixture(const std::string& name) {
  return std::string(DANLU_SOURCE_DIR) + "/tests/data/hf/" + name;
}

double total(const Model& m) { return danlu::count_params(m).total; }

// A scratch directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            (std::string("danlu_test_inputs_") + info->name() + "_" + std::to_string(::getpid()));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    const fs::path p = path_ / name;
    std::ofstream(p) << text;
    return p.string();
  }

 private:
  fs::path path_;
};

// ------------------------------------------------------------------ load_model

TEST(LoadModel, PresetId) {
  int seq = 0;
  const Model m = danlu::load_model("llama3-70b", cat(), &seq);
  EXPECT_EQ(seq, 8192);
  EXPECT_EQ(m.layers, 80);
  EXPECT_EQ(m.hidden, 8192);
  EXPECT_EQ(m.ffn, 28672);
  EXPECT_EQ(m.heads, 64);
  EXPECT_EQ(m.kv_heads, 8);
  EXPECT_EQ(m.vocab, 128256);
  EXPECT_TRUE(m.gated_mlp);
  EXPECT_EQ(m.attention, Attention::gqa);
  EXPECT_EQ(m.norm, danlu::Norm::rmsnorm);
  EXPECT_FALSE(m.tied_embeddings);
  EXPECT_EQ(total(m), 70'553'706'496.0);
}

TEST(LoadModel, FixturePathsMatchDirectImport) {
  for (const char* name : {"llama3-70b.json", "llama3.1-405b.json", "mistral-7b.json", "qwen2-7b.json",
                           "mixtral-8x7b.json", "deepseek-v3.json", "gpt2.json", "gpt-neox-20b.json"}) {
    int seq_a = -1, seq_b = -1;
    const std::string path = fixture(name);
    const Model a = danlu::load_model(path, cat(), &seq_a);
    const Model b = danlu::model_from_hf_json(danlu::read_text_file(path), path, &seq_b);
    EXPECT_EQ(total(a), total(b)) << name;
    EXPECT_EQ(seq_a, seq_b) << name;
    EXPECT_GT(seq_a, 0) << name;
  }
}

TEST(LoadModel, MaxSeqFromConfig) {
  int seq = 0;
  danlu::load_model(fixture("llama3.1-405b.json"), cat(), &seq);
  EXPECT_EQ(seq, 131072);
  danlu::load_model(fixture("deepseek-v3.json"), cat(), &seq);
  EXPECT_EQ(seq, 163840);
  danlu::load_model(fixture("gpt2.json"), cat(), &seq);
  EXPECT_EQ(seq, 1024);
  // A null pointer is allowed.
  EXPECT_NO_THROW(danlu::load_model(fixture("gpt2.json"), cat(), nullptr));
}

TEST(LoadModel, SchemaYamlEqualsHfConfigLlama) {
  TempDir dir;
  const std::string path = dir.write("llama.yaml",
                                     "layers: 80\n"
                                     "hidden: 8192\n"
                                     "ffn: 28672\n"
                                     "heads: 64\n"
                                     "kv_heads: 8\n"
                                     "vocab: 128256\n"
                                     "gated_mlp: true\n"
                                     "attention: gqa\n");
  const Model y = danlu::load_model(path, cat(), nullptr);
  const Model j = danlu::load_model(fixture("llama3-70b.json"), cat(), nullptr);
  EXPECT_EQ(total(y), total(j));
  EXPECT_EQ(danlu::count_params(y).active, danlu::count_params(j).active);
  EXPECT_EQ(danlu::model_flops_per_sequence(y, 8192), danlu::model_flops_per_sequence(j, 8192));
  EXPECT_EQ(y.attention, Attention::gqa);
  EXPECT_EQ(y.norm, danlu::Norm::rmsnorm);  // gated MLP without a norm field: rmsnorm
}

TEST(LoadModel, SchemaYamlUnderModelKeyEqualsHfConfigMixtral) {
  TempDir dir;
  const std::string path = dir.write("mixtral.yml",
                                     "model:\n"
                                     "  layers: 32\n"
                                     "  hidden: 4096\n"
                                     "  ffn: 14336\n"
                                     "  heads: 32\n"
                                     "  kv_heads: 8\n"
                                     "  vocab: 32000\n"
                                     "  gated_mlp: true\n"
                                     "  attention: gqa\n"
                                     "  moe: {experts: 8, top_k: 2}\n");
  const Model y = danlu::load_model(path, cat(), nullptr);
  const Model j = danlu::load_model(fixture("mixtral-8x7b.json"), cat(), nullptr);
  EXPECT_EQ(total(y), total(j));
  EXPECT_EQ(danlu::count_params(y).active, danlu::count_params(j).active);
  EXPECT_EQ(y.moe.expert_ffn, 14336);  // defaults to ffn
}

TEST(LoadModel, SchemaYamlEqualsHfConfigGpt2) {
  TempDir dir;
  const std::string path = dir.write("gpt2.yaml",
                                     "layers: 12\nhidden: 768\nffn: 3072\nheads: 12\nkv_heads: 12\n"
                                     "vocab: 50257\ngated_mlp: false\nattention: mha\n"
                                     "linear_bias: true\ntied_embeddings: true\n"
                                     "position: learned\nmax_seq_len: 1024\n");
  int seq = 0;
  const Model y = danlu::load_model(path, cat(), &seq);
  EXPECT_EQ(seq, 1024);
  EXPECT_EQ(y.norm, danlu::Norm::layernorm);  // non-gated without a norm field: layernorm
  EXPECT_EQ(total(y), 124'439'808.0);
}

TEST(LoadModel, SchemaYamlEqualsHfConfigDeepseek) {
  TempDir dir;
  const std::string path = dir.write("dsv3.yaml",
                                     "layers: 61\nhidden: 7168\nffn: 18432\nheads: 128\nkv_heads: 128\n"
                                     "vocab: 129280\ngated_mlp: true\nattention: mla\n"
                                     "moe: {experts: 256, top_k: 8, shared_experts: 1, expert_ffn: 2048, "
                                     "dense_layers: 3}\n"
                                     "mla: {q_lora_rank: 1536, kv_lora_rank: 512, qk_rope_head_dim: 64, "
                                     "qk_nope_head_dim: 128, v_head_dim: 128}\n");
  const Model y = danlu::load_model(path, cat(), nullptr);
  const Model j = danlu::load_model(fixture("deepseek-v3.json"), cat(), nullptr);
  EXPECT_EQ(total(y), total(j));
  EXPECT_EQ(danlu::count_params(y).active, danlu::count_params(j).active);
  EXPECT_EQ(y.attention, Attention::mla);
}

TEST(LoadModel, MultiTokenPredictionModulesAreCountedApart) {
  // tests/data/hf/EXPECTED.md: DeepSeek-V3's one MTP module is 11,610,068,224 parameters
  // (two norms, the 2h x h projection, one MoE layer, the shared head's norm), outside the
  // 671 B the model card counts.
  const Model j = danlu::load_model(fixture("deepseek-v3.json"), cat(), nullptr);
  EXPECT_EQ(j.mtp_layers, 1);
  EXPECT_NEAR(danlu::count_params(j).mtp, 11'610'068'224.0, 512.0);
  EXPECT_NEAR(total(j), 671'026'419'200.0, 1e6);
  EXPECT_EQ(cat().find_model("deepseek-v3")->model.mtp_layers, 1);
  // A model file states it as mtp_layers; out of range is refused.
  const Model y = danlu::model_from_yaml_text("preset: llama3-8b\n", "x.yaml", cat(), nullptr);
  EXPECT_EQ(y.mtp_layers, 0);
  EXPECT_EQ(danlu::count_params(y).mtp, 0.0);
  EXPECT_THROW(danlu::model_from_yaml_text("layers: 2\nhidden: 64\nffn: 128\nheads: 2\nvocab: 100\nmtp_layers: 99\n",
                                           "x.yaml", cat(), nullptr),
               danlu::InputError);
}

TEST(LoadModel, PresetYaml) {
  TempDir dir;
  const std::string path = dir.write("p.yaml", "preset: llama3-70b\n");
  int seq = 0;
  const Model m = danlu::load_model(path, cat(), &seq);
  EXPECT_EQ(seq, 8192);
  EXPECT_EQ(total(m), 70'553'706'496.0);
  // Also under model:, and straight from text.
  const Model n = danlu::model_from_yaml_text("model: {preset: llama3-70b}\n", "inline", cat(), nullptr);
  EXPECT_EQ(total(n), total(m));
}

TEST(LoadModel, Errors) {
  EXPECT_THROW(danlu::load_model("no-such-model", cat(), nullptr), danlu::InputError);
  EXPECT_THROW(danlu::load_model(fixture("does-not-exist.json"), cat(), nullptr), danlu::InputError);
  EXPECT_THROW(danlu::model_from_yaml_text("preset: llama3-7b\n", "x.yaml", cat(), nullptr), danlu::InputError);
  EXPECT_THROW(danlu::model_from_yaml_text("layers: 2\nhidden: 64\n", "x.yaml", cat(), nullptr),
               danlu::InputError);  // ffn, heads, vocab missing
  EXPECT_THROW(danlu::model_from_yaml_text("layers: 2\nhidden: 64\nffn: 256\nheads: 4\nvocab: 100\n"
                                           "attention: mla\n",
                                           "x.yaml", cat(), nullptr),
               danlu::InputError);  // mla without its block
  EXPECT_THROW(danlu::model_from_hf_json("{", "x.json", nullptr), danlu::InputError);
  EXPECT_THROW(danlu::model_from_hf_json("[1,2]", "x.json", nullptr), danlu::InputError);
  EXPECT_THROW(danlu::model_from_hf_json(R"({"model_type": "bert", "hidden_size": 8})", "x.json", nullptr),
               danlu::InputError);
  EXPECT_THROW(danlu::model_from_hf_json(R"({"model_type": "llama", "hidden_size": 4096})", "x.json", nullptr),
               danlu::InputError);  // required fields missing
  // heads not a multiple of kv_heads
  EXPECT_THROW(danlu::model_from_hf_json(R"({"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 2,
      "num_attention_heads": 32, "num_key_value_heads": 5, "intermediate_size": 100, "vocab_size": 10})",
                                         "x.json", nullptr),
               danlu::InputError);
  // a non-integer width
  EXPECT_THROW(danlu::model_from_hf_json(R"({"model_type": "llama", "hidden_size": 4096.5, "num_hidden_layers": 2,
      "num_attention_heads": 32, "intermediate_size": 100, "vocab_size": 10})",
                                         "x.json", nullptr),
               danlu::InputError);
}

TEST(LoadModel, ErrorNamesTheFile) {
  try {
    danlu::model_from_hf_json(R"({"model_type": "gpt5"})", "cfg/config.json", nullptr);
    FAIL() << "expected InputError";
  } catch (const danlu::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("cfg/config.json"), std::string::npos) << e.what();
  }
}

// ------------------------------------------------------------------ importer specifics

Model import(const char* name) {
  const std::string path = fixture(name);
  return danlu::model_from_hf_json(danlu::read_text_file(path), path, nullptr);
}

TEST(HfImport, Qwen2HasQkvBias) {
  const Model m = import("qwen2-7b.json");
  EXPECT_TRUE(m.qkv_bias);
  EXPECT_FALSE(m.linear_bias);
  EXPECT_EQ(m.kv_heads, 4);
  EXPECT_EQ(m.attention, Attention::gqa);
}

TEST(HfImport, LlamaHasNoBiasUnlessConfigured) {
  EXPECT_FALSE(import("llama3-70b.json").qkv_bias);
  const Model m = danlu::model_from_hf_json(
      R"({"model_type": "llama", "hidden_size": 256, "num_hidden_layers": 2, "num_attention_heads": 4,
          "intermediate_size": 512, "vocab_size": 100, "attention_bias": true})",
      "x.json", nullptr);
  EXPECT_TRUE(m.qkv_bias);
  EXPECT_EQ(m.kv_heads, 4);  // absent num_key_value_heads = heads
  EXPECT_EQ(m.attention, Attention::mha);
}

TEST(HfImport, DeepseekV3IsMlaWithKvHeadsEqualHeads) {
  const Model m = import("deepseek-v3.json");
  EXPECT_EQ(m.attention, Attention::mla);
  EXPECT_EQ(m.kv_heads, m.heads);
  EXPECT_EQ(m.heads, 128);
  EXPECT_EQ(m.mla.q_lora_rank, 1536);
  EXPECT_EQ(m.mla.kv_lora_rank, 512);
  EXPECT_EQ(m.mla.qk_rope_head_dim, 64);
  EXPECT_EQ(m.mla.qk_nope_head_dim, 128);
  EXPECT_EQ(m.mla.v_head_dim, 128);
  EXPECT_EQ(m.moe.experts, 256);
  EXPECT_EQ(m.moe.top_k, 8);
  EXPECT_EQ(m.moe.shared_experts, 1);
  EXPECT_EQ(m.moe.expert_ffn, 2048);
  EXPECT_EQ(m.moe.dense_layers, 3);
  EXPECT_EQ(m.ffn, 18432);
  // num_key_value_heads is not a GQA grouping for MLA: a different value changes nothing.
  std::string text = danlu::read_text_file(fixture("deepseek-v3.json"));
  const std::string key = "\"num_key_value_heads\": 128";
  const auto pos = text.find(key);
  ASSERT_NE(pos, std::string::npos);
  text.replace(pos, key.size(), "\"num_key_value_heads\": 1");
  const Model k1 = danlu::model_from_hf_json(text, "k1.json", nullptr);
  EXPECT_EQ(k1.kv_heads, 128);
  EXPECT_EQ(total(k1), total(m));
}

TEST(HfImport, MixtralExperts) {
  const Model m = import("mixtral-8x7b.json");
  EXPECT_TRUE(m.is_moe());
  EXPECT_EQ(m.moe.experts, 8);
  EXPECT_EQ(m.moe.top_k, 2);
  EXPECT_EQ(m.moe.expert_ffn, 14336);
  EXPECT_EQ(m.moe.dense_layers, 0);
  EXPECT_EQ(m.moe.shared_experts, 0);
  EXPECT_EQ(m.attention, Attention::gqa);
}

TEST(HfImport, Gpt2Defaults) {
  const Model m = import("gpt2.json");
  EXPECT_EQ(m.ffn, 3072);  // n_inner: null -> 4 * n_embd
  EXPECT_TRUE(m.tied_embeddings);
  EXPECT_TRUE(m.linear_bias);
  EXPECT_EQ(m.learned_positions, 1024);
  EXPECT_EQ(m.norm, danlu::Norm::layernorm);
  EXPECT_FALSE(m.gated_mlp);
  // Absent n_inner behaves like null.
  std::string text = danlu::read_text_file(fixture("gpt2.json"));
  const std::string key = "\"n_inner\": null,";
  const auto pos = text.find(key);
  ASSERT_NE(pos, std::string::npos);
  text.erase(pos, key.size());
  EXPECT_EQ(total(danlu::model_from_hf_json(text, "g.json", nullptr)), total(m));
}

TEST(HfImport, NeoxIsUntiedWithBiases) {
  const Model m = import("gpt-neox-20b.json");
  EXPECT_FALSE(m.tied_embeddings);
  EXPECT_TRUE(m.linear_bias);
  EXPECT_FALSE(m.gated_mlp);
  EXPECT_EQ(m.norm, danlu::Norm::layernorm);
  EXPECT_EQ(m.learned_positions, 0);  // rotary
}

TEST(HfImport, ArchitecturesFallbackWhenModelTypeMissing) {
  std::string text = danlu::read_text_file(fixture("mistral-7b.json"));
  const std::string key = "\"model_type\": \"mistral\",";
  const auto pos = text.find(key);
  ASSERT_NE(pos, std::string::npos);
  text.erase(pos, key.size());
  EXPECT_EQ(total(danlu::model_from_hf_json(text, "m.json", nullptr)), 7'241'732'096.0);
}

// ------------------------------------------------------------------ published runs

std::string dev_runs_path() {
  const std::string a = std::string(DANLU_SOURCE_DIR) + "/data/validation/training-dev.yaml";
  if (fs::exists(a)) return a;
  return std::string(DANLU_SOURCE_DIR) + "/../shared/validation/training-dev.yaml";
}

TEST(Runs, DevTrainingRunsParse) {
  const std::string path = dev_runs_path();
  if (!fs::exists(path)) GTEST_SKIP() << "no dev runs file at " << path;
  const std::vector<danlu::TrainingRun> runs =
      danlu::parse_training_runs(danlu::read_text_file(path), path, cat());
  EXPECT_EQ(runs.size(), 74u);
  std::set<std::string> ids;
  for (const danlu::TrainingRun& r : runs) {
    EXPECT_TRUE(ids.insert(r.id).second) << "duplicate id " << r.id;
    EXPECT_FALSE(r.id.empty());
    EXPECT_GT(r.measured_step_s, 0) << r.id;
    EXPECT_TRUE(std::isfinite(r.measured_step_s)) << r.id;
    EXPECT_GT(r.measured_value, 0) << r.id;
    EXPECT_TRUE(r.metric == "step_time_s" || r.metric == "tokens_per_s_per_gpu") << r.id << ": " << r.metric;
    EXPECT_GT(r.gpus, 0) << r.id;
    EXPECT_GT(r.seq_len, 0) << r.id;
    EXPECT_GT(r.model.layers, 0) << r.id;
    EXPECT_NE(r.where.find(':'), std::string::npos) << r.id << ": where = " << r.where;
    EXPECT_NO_THROW(cat().accelerator(r.accelerator)) << r.id;
  }
}

TEST(Runs, TokensPerSecondConvertsToStepTime) {
  const std::string text = R"(
- id: a
  kind: training
  source: test
  model: {preset: llama3-8b}
  seq_len: 8192
  accelerator: h100-sxm
  gpus: 64
  parallel: {tp: 1, pp: 1, dp: 64, global_batch: 128}
  measured: {tokens_per_s_per_gpu: 4096}
- id: b
  kind: inference
  source: test
  model: {preset: llama3-8b}
- id: c
  kind: training
  source: test
  model: {preset: llama3-8b}
  seq_len: 4096
  accelerator: h100-sxm
  gpus: 8
  parallel: {global_batch: 16}
  measured: {step_time_s: 2.5}
)";
  const auto runs = danlu::parse_training_runs(text, "t.yaml", cat());
  ASSERT_EQ(runs.size(), 2u);  // the inference run is skipped
  EXPECT_EQ(runs[0].id, "a");
  EXPECT_EQ(runs[0].metric, "tokens_per_s_per_gpu");
  EXPECT_DOUBLE_EQ(runs[0].measured_step_s, 128.0 * 8192 / (4096.0 * 64));
  EXPECT_EQ(runs[0].layout.tp, 1);
  EXPECT_EQ(runs[0].layout.dp, 64);
  EXPECT_FALSE(runs[0].layout.vpp.has_value());
  EXPECT_EQ(runs[1].id, "c");
  EXPECT_EQ(runs[1].metric, "step_time_s");
  EXPECT_DOUBLE_EQ(runs[1].measured_step_s, 2.5);
  EXPECT_EQ(runs[1].global_batch.value_or(0), 16);
}

TEST(Runs, DuplicateIdsAreRejected) {
  const std::string run = R"(
- id: same
  kind: training
  source: test
  model: {preset: llama3-8b}
  seq_len: 4096
  accelerator: h100-sxm
  gpus: 8
  measured: {step_time_s: 1.0}
)";
  EXPECT_THROW(danlu::parse_training_runs(run + run.substr(1), "t.yaml", cat()), danlu::InputError);
}

// ------------------------------------------------------------------ frameworks

TEST(Frameworks, FirstYearIsAStandaloneYear) {
  EXPECT_EQ(danlu::first_year("Narayanan et al. 2021 (SC21), Table 1; images/cases_april2021.png"), 2021);
  EXPECT_EQ(danlu::first_year("Korthikanti et al. 2022 (MLSys 2023), Table 5"), 2022);
  EXPECT_EQ(danlu::first_year("NeMo 24.07, commit 8e3d65dcfe"), 0);
  EXPECT_EQ(danlu::first_year("llama3_h100_202412_torchtitan.md"), 0);      // six digits
  EXPECT_EQ(danlu::first_year("asyncTP_llama3_h100_2025-06_torchtitan.md"), 2025);
  EXPECT_EQ(danlu::first_year("commit a2021b"), 0);                          // inside a hash
  EXPECT_EQ(danlu::first_year("3000 GPUs"), 0);                              // not a year
  EXPECT_EQ(danlu::first_year(""), 0);
}

TEST(Frameworks, DetectedByNameInOrder) {
  const auto& fw = cat().frameworks;
  ASSERT_GE(fw.size(), 3u);
  auto id = [&](const std::string& text) {
    const danlu::Framework* f = danlu::detect_framework(fw, text);
    return f ? f->id : std::string("-");
  };
  EXPECT_EQ(id("pytorch/torchtitan benchmarks/llama3_h100_202412_torchtitan.md"), "torchtitan");
  EXPECT_EQ(id("AI-Hypercomputer/maxtext MaxText/configs/v5p/README.md"), "maxtext");
  EXPECT_EQ(id("NVIDIA/NeMo docs/source/performance/performance_summary.md"), "megatron");
  EXPECT_EQ(id("NVIDIA-NeMo/Megatron-Bridge docs/performance-summary-archive.md"), "megatron");
  EXPECT_EQ(id("Narayanan et al. 2021 (SC21); NVIDIA/Megatron-LM images"), "megatron");
  EXPECT_EQ(id("A vendor blog post"), "-");
}

danlu::Cluster h100_cluster(int gpus) { return danlu::make_cluster(cat(), "h100-sxm", gpus, 0, "", 0); }

TEST(Frameworks, TorchtitanFillsItsDefaultsAndKeepsWhatIsStated) {
  const danlu::Framework& tt = cat().framework("torchtitan");
  danlu::PartialLayout p;
  p.recompute = danlu::Recompute::selective;
  p.tp = 8;
  p.pp = 8;
  p.dp = 8;
  danlu::apply_framework(tt, h100_cluster(512), danlu::Precision::bf16, 2024, 256, &p);
  EXPECT_EQ(p.zero, 3);
  EXPECT_EQ(p.attention, danlu::AttentionKernel::flash2);
  EXPECT_EQ(p.fused_loss, false);
  EXPECT_EQ(p.fused_elementwise, false);
  EXPECT_EQ(p.tp_comm_overlap, false);
  EXPECT_EQ(p.recompute, danlu::Recompute::selective_op);
  EXPECT_EQ(p.micro_batch, 4);  // local batch 32 over pp x 1 stage = 8 micro-batches

  danlu::PartialLayout q;
  q.zero = 1;
  q.fused_elementwise = true;
  q.tp_comm_overlap = true;
  q.micro_batch = 2;
  q.pp = 8;
  q.dp = 8;
  q.recompute = danlu::Recompute::full;
  danlu::apply_framework(tt, h100_cluster(512), danlu::Precision::bf16, 2024, 256, &q);
  EXPECT_EQ(q.zero, 1);
  EXPECT_EQ(q.fused_elementwise, true);
  EXPECT_EQ(q.tp_comm_overlap, true);
  EXPECT_EQ(q.micro_batch, 2);
  EXPECT_EQ(q.recompute, danlu::Recompute::full);

  // A local batch the schedule cannot split evenly keeps danlu's own micro-batch default.
  danlu::PartialLayout odd;
  odd.pp = 8;
  odd.dp = 8;
  danlu::apply_framework(tt, h100_cluster(512), danlu::Precision::bf16, 2024, 8 * 12, &odd);
  EXPECT_FALSE(odd.micro_batch.has_value());
}

TEST(Frameworks, MegatronBeforeSequenceParallelRunsWithoutIt) {
  const danlu::Cluster c = danlu::make_cluster(cat(), "a100-sxm-80gb", 64, 8, "", 0);
  const danlu::Framework& f = cat().framework("megatron");
  danlu::PartialLayout p2021;
  p2021.tp = 8;
  danlu::apply_framework(f, c, danlu::Precision::bf16, 2021, 0, &p2021);
  EXPECT_EQ(p2021.sequence_parallel, false);
  danlu::PartialLayout p2022;
  p2022.tp = 8;
  danlu::apply_framework(f, c, danlu::Precision::bf16, 2022, 0, &p2022);
  EXPECT_FALSE(p2022.sequence_parallel.has_value());  // left to the usual default
  danlu::PartialLayout stated;
  stated.sequence_parallel = true;
  danlu::apply_framework(f, c, danlu::Precision::bf16, 2021, 0, &stated);
  EXPECT_EQ(stated.sequence_parallel, true);  // what a run states wins
}

TEST(Frameworks, MegatronBeforeOverlappedReductionReducedAfterTheBackward) {
  const danlu::Cluster c = danlu::make_cluster(cat(), "a100-sxm-80gb", 64, 8, "", 0);
  const danlu::Framework& f = cat().framework("megatron");
  auto run = [&](int year, int pp, int zero, danlu::Precision prec) {
    danlu::PartialLayout p;
    p.pp = pp;
    p.zero = zero;
    danlu::apply_framework(f, c, prec, year, 0, &p);
    return p;
  };
  // A 2021 pipeline ran local DDP: one reduction after the backward, in fp16 for fp16 runs.
  const danlu::PartialLayout old_pp = run(2021, 4, 0, danlu::Precision::fp16);
  EXPECT_EQ(old_pp.grad_reduce_overlap, false);
  EXPECT_EQ(old_pp.grad_reduce_bf16, true);
  EXPECT_EQ(run(2021, 1, 1, danlu::Precision::bf16).grad_reduce_overlap, false);  // distributed optimizer
  // Without a pipeline or a sharded optimizer it ran PyTorch DDP's overlapped buckets.
  EXPECT_FALSE(run(2021, 1, 0, danlu::Precision::fp16).grad_reduce_overlap.has_value());
  // From 2024, and for ZeRO-3, the usual overlap; bf16 keeps fp32 reduction.
  EXPECT_FALSE(run(2024, 4, 1, danlu::Precision::bf16).grad_reduce_overlap.has_value());
  EXPECT_FALSE(run(2021, 4, 3, danlu::Precision::bf16).grad_reduce_overlap.has_value());
  EXPECT_FALSE(run(2021, 4, 0, danlu::Precision::bf16).grad_reduce_bf16.has_value());
  EXPECT_FALSE(run(0, 4, 0, danlu::Precision::bf16).grad_reduce_overlap.has_value());  // year unknown
  // What a run states wins.
  danlu::PartialLayout stated;
  stated.pp = 4;
  stated.grad_reduce_overlap = true;
  stated.grad_reduce_bf16 = false;
  danlu::apply_framework(f, c, danlu::Precision::fp16, 2021, 0, &stated);
  EXPECT_EQ(stated.grad_reduce_overlap, true);
  EXPECT_EQ(stated.grad_reduce_bf16, false);
  // torchtitan states neither rule.
  danlu::PartialLayout tt;
  tt.pp = 4;
  danlu::apply_framework(cat().framework("torchtitan"), c, danlu::Precision::fp16, 2021, 0, &tt);
  EXPECT_FALSE(tt.grad_reduce_overlap.has_value());
  EXPECT_FALSE(tt.grad_reduce_bf16.has_value());
}

TEST(Frameworks, MegatronAttentionByEraAndNotOnTpus) {
  const danlu::Framework& mg = cat().framework("megatron");
  danlu::PartialLayout old, now, unknown, tpu;
  danlu::apply_framework(mg, h100_cluster(64), danlu::Precision::bf16, 2021, 0, &old);
  danlu::apply_framework(mg, h100_cluster(64), danlu::Precision::bf16, 2024, 0, &now);
  danlu::apply_framework(mg, h100_cluster(64), danlu::Precision::bf16, 0, 0, &unknown);
  EXPECT_EQ(old.attention, danlu::AttentionKernel::unfused);
  EXPECT_EQ(now.attention, danlu::AttentionKernel::flash);
  EXPECT_EQ(unknown.attention, danlu::AttentionKernel::flash);
  EXPECT_EQ(now.fused_loss, true);
  EXPECT_FALSE(now.zero.has_value());  // danlu's own default (distributed optimizer) stays
  danlu::apply_framework(mg, danlu::make_cluster(cat(), "tpu-v5p", 64, 0, "", 0), danlu::Precision::bf16, 2021, 0, &tpu);
  EXPECT_FALSE(tpu.attention.has_value());
}

TEST(Frameworks, RunFileNamesAnUnknownFrameworkWithItsLine) {
  const std::string run = R"(
- id: r
  kind: training
  source: test
  framework: torchtitn
  model: {preset: llama3-8b}
  seq_len: 4096
  accelerator: h100-sxm
  gpus: 8
  measured: {step_time_s: 1.0}
)";
  try {
    danlu::parse_training_runs(run, "t.yaml", cat());
    FAIL() << "no error";
  } catch (const danlu::InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("t.yaml:5"), std::string::npos) << m;
    EXPECT_NE(m.find("torchtitan"), std::string::npos) << m;
  }
  std::string stated = run;
  stated.replace(stated.find("torchtitn"), 9, "maxtext");
  const auto runs = danlu::parse_training_runs(stated, "t.yaml", cat());
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].framework, "maxtext");
  EXPECT_FALSE(runs[0].framework_inferred);
}

TEST(Frameworks, CatalogRefusesADefaultWithoutItsSource) {
  EXPECT_THROW(danlu::parse_catalog("[]", "[]", "[]", "[]", "[]", "- id: x\n  names: [x]\n  zero: 3\n"),
               danlu::InputError);
  EXPECT_THROW(danlu::parse_catalog("[]", "[]", "[]", "[]", "[]", "- id: x\n  zero: {value: 3, source: s}\n"),
               danlu::InputError);
  const danlu::Catalog c = danlu::parse_catalog("[]", "[]", "[]", "[]", "[]",
                                                "- id: x\n  names: [X-Stack]\n  zero: {value: 2, source: s}\n");
  ASSERT_EQ(c.frameworks.size(), 1u);
  EXPECT_EQ(c.frameworks[0].names[0], "x-stack");
  EXPECT_EQ(c.frameworks[0].zero, 2);
}

TEST(Frameworks, ZeroStagesAreReadCheckedAndShipped) {
  const char* ok = "- id: x\n  names: [x]\n  zero: {value: 3, source: s}\n  zero_stages: {value: [3, 0, 3], source: s}\n";
  const danlu::Catalog c = danlu::parse_catalog("[]", "[]", "[]", "[]", "[]", ok);
  EXPECT_EQ(c.frameworks[0].zero_stages, (std::vector<int>{0, 3}));
  EXPECT_TRUE(danlu::supports_zero(c.frameworks[0], 0));
  EXPECT_FALSE(danlu::supports_zero(c.frameworks[0], 1));
  // A stage out of range, a bare list without a source, and a default outside the list.
  for (const char* bad : {"- id: x\n  names: [x]\n  zero_stages: {value: [0, 4], source: s}\n",
                          "- id: x\n  names: [x]\n  zero_stages: [0, 3]\n",
                          "- id: x\n  names: [x]\n  zero: {value: 1, source: s}\n  zero_stages: {value: [0, 3], source: s}\n"}) {
    EXPECT_THROW(danlu::parse_catalog("[]", "[]", "[]", "[]", "[]", bad), danlu::InputError) << bad;
  }
  // Without the field any stage goes; the shipped stacks state theirs.
  EXPECT_TRUE(danlu::supports_zero(danlu::Framework{}, 2));
  EXPECT_FALSE(danlu::supports_zero(cat().framework("torchtitan"), 1));
  EXPECT_TRUE(danlu::supports_zero(cat().framework("torchtitan"), 3));
  EXPECT_FALSE(danlu::supports_zero(cat().framework("maxtext"), 2));
  EXPECT_TRUE(danlu::supports_zero(cat().framework("megatron"), 1));
  // FSDP2 copies through flat buffers; Megatron-FSDP gathers its buckets in place.
  EXPECT_EQ(cat().framework("torchtitan").fsdp_copies, true);
  EXPECT_EQ(cat().framework("megatron").fsdp_copies, false);
}

// ------------------------------------------------------------------ stage split

Layout pipe(int pp, int vpp, int first = 0, int last = 0) {
  Layout l;
  l.pp = pp;
  l.vpp = vpp;
  l.first_stage_layers = first;
  l.last_stage_layers = last;
  return l;
}

TEST(SplitStages, InterleavedWithEmbeddingAndLossCounted) {
  // 126 layers, pp=8, vpp=8: 64 chunks; (126+2)/64 = 2 per chunk, the first chunk and the
  // last chunk give one slot to the embedding / loss.
  StageSplit s;
  ASSERT_TRUE(danlu::split_stages(126, pipe(8, 8), &s));
  EXPECT_EQ(s.first, 2 * 8 - 1);
  EXPECT_EQ(s.last, 2 * 8 - 1);
  EXPECT_EQ(s.middle, 16);
  EXPECT_EQ(s.min_chunk, 1);
  EXPECT_EQ(s.first + s.last + 6 * s.middle, 126);
}

TEST(SplitStages, EvenInterleaved) {
  StageSplit s;
  ASSERT_TRUE(danlu::split_stages(80, pipe(4, 5), &s));
  EXPECT_EQ(s.first, 20);
  EXPECT_EQ(s.middle, 20);
  EXPECT_EQ(s.last, 20);
  EXPECT_EQ(s.min_chunk, 4);
}

TEST(SplitStages, Llama405bOn16Stages) {
  StageSplit s;
  ASSERT_TRUE(danlu::split_stages(126, pipe(16, 1), &s));
  EXPECT_EQ(s.first, 7);
  EXPECT_EQ(s.last, 7);
  EXPECT_EQ(s.middle, 8);
  EXPECT_EQ(s.first + s.last + 14 * s.middle, 126);
}

TEST(SplitStages, SinglePipelineRankHoldsEverything) {
  StageSplit s;
  ASSERT_TRUE(danlu::split_stages(80, pipe(1, 1), &s));
  EXPECT_EQ(s.first, 80);
  EXPECT_EQ(s.middle, 80);
  EXPECT_EQ(s.last, 80);
}

TEST(SplitStages, ExplicitFirstAndLast) {
  StageSplit s;
  // 80 layers, pp=4: first 17, last 17, the two interior stages share 46.
  ASSERT_TRUE(danlu::split_stages(80, pipe(4, 1, 17, 17), &s));
  EXPECT_EQ(s.first, 17);
  EXPECT_EQ(s.last, 17);
  EXPECT_EQ(s.middle, 23);
  EXPECT_EQ(s.min_chunk, 17);
  // Only the first given: the other three stages share 72.
  ASSERT_TRUE(danlu::split_stages(80, pipe(4, 1, 8, 0), &s));
  EXPECT_EQ(s.first, 8);
  EXPECT_EQ(s.middle, 24);
  EXPECT_EQ(s.last, 24);
  EXPECT_EQ(s.min_chunk, 8);
  // Only the last given.
  ASSERT_TRUE(danlu::split_stages(126, pipe(8, 1, 0, 7), &s));
  EXPECT_EQ(s.first, 17);
  EXPECT_EQ(s.middle, 17);
  EXPECT_EQ(s.last, 7);
  // Interleaved: the first (last) virtual chunk holds the given count; 72 layers over 6 chunks.
  ASSERT_TRUE(danlu::split_stages(80, pipe(4, 2, 4, 4), &s));
  EXPECT_EQ(s.first, 4 + 12);
  EXPECT_EQ(s.last, 4 + 12);
  EXPECT_EQ(s.middle, 24);
  EXPECT_EQ(s.first + s.last + 2 * s.middle, 80);
  EXPECT_EQ(s.min_chunk, 4);
  // Two stages fully specified.
  ASSERT_TRUE(danlu::split_stages(80, pipe(2, 1, 30, 50), &s));
  EXPECT_EQ(s.first, 30);
  EXPECT_EQ(s.last, 50);
}

TEST(SplitStages, ImpossibleSplitsReturnFalse) {
  StageSplit s;
  EXPECT_FALSE(danlu::split_stages(12, pipe(16, 1), &s));     // more stages than layers
  EXPECT_FALSE(danlu::split_stages(12, pipe(4, 4), &s));      // 16 chunks for 12 layers
  EXPECT_FALSE(danlu::split_stages(4, pipe(1, 8), &s));       // vpp > layers
  EXPECT_FALSE(danlu::split_stages(80, pipe(4, 1, 11, 10), &s));  // 59 over 2 stages
  EXPECT_FALSE(danlu::split_stages(80, pipe(4, 1, 50, 40), &s));  // more than all layers
  EXPECT_FALSE(danlu::split_stages(80, pipe(2, 1, 30, 40), &s));  // no stage left for 10 layers
  EXPECT_FALSE(danlu::split_stages(80, pipe(4, 1, 40, 39), &s));  // one layer for two stages
  EXPECT_FALSE(danlu::split_stages(80, pipe(0, 1), &s));
  EXPECT_FALSE(danlu::split_stages(80, pipe(4, 0), &s));
  EXPECT_FALSE(danlu::split_stages(0, pipe(1, 1), &s));
}

TEST(SplitStages, EvenSplitsAreEven) {
  for (int pp : {2, 4, 8}) {
    for (int vpp : {1, 2, 5}) {
      StageSplit s;
      ASSERT_TRUE(danlu::split_stages(80, pipe(pp, vpp), &s)) << pp << "x" << vpp;
      EXPECT_EQ(s.first, 80 / pp);
      EXPECT_EQ(s.last, 80 / pp);
      EXPECT_EQ(s.middle, 80 / pp);
    }
  }
}

// Every layer must land on some rank. With pp = 2 (resp. 3) and vpp = 1 the ranks are
// first + last (resp. first + middle + last), so their sum must be the layer count. (The
// uneven split once gave the `layers % chunks` extras only to interior chunks and dropped
// one layer whenever there were more extras than interior chunks: pp=2 with odd layers,
// pp=3 with 3k+2 layers.)
TEST(SplitStages, EveryLayerIsAssignedTwoAndThreeStages) {
  std::string lost;  // "pp=2 layers=81: 40+40" for each split that drops a layer
  int n_lost = 0;
  for (int layers = 3; layers <= 130; ++layers) {
    StageSplit s;
    ASSERT_TRUE(danlu::split_stages(layers, pipe(2, 1), &s)) << layers;
    if (s.first + s.last != layers) {
      if (++n_lost <= 6) lost += " [pp=2 layers=" + std::to_string(layers) + ": " + std::to_string(s.first) +
                                 "+" + std::to_string(s.last) + "]";
    }
    ASSERT_TRUE(danlu::split_stages(layers, pipe(3, 1), &s)) << layers;
    if (s.first + s.middle + s.last != layers) {
      if (++n_lost <= 6) lost += " [pp=3 layers=" + std::to_string(layers) + ": " + std::to_string(s.first) +
                                 "+" + std::to_string(s.middle) + "+" + std::to_string(s.last) + "]";
    }
  }
  EXPECT_EQ(n_lost, 0) << "splits whose ranks do not add up to the layer count, e.g." << lost;
}

TEST(SplitStages, UnevenSplitKeepsAllLayersWhereItCan) {
  // 126 layers on 5 stages: 25 each and one extra on rank 1 (an interior chunk).
  StageSplit s;
  ASSERT_TRUE(danlu::split_stages(126, pipe(5, 1), &s));
  EXPECT_EQ(s.first, 25);
  EXPECT_EQ(s.middle, 26);
  EXPECT_EQ(s.last, 25);
  EXPECT_EQ(s.min_chunk, 25);
  EXPECT_LE(s.middle - s.first, 1);
  // 31 layers on 4 stages: three extras, two interior stages; no layer may be lost.
  ASSERT_TRUE(danlu::split_stages(31, pipe(4, 1), &s));
  EXPECT_EQ(s.middle, 8);
  EXPECT_EQ(s.first + s.last + 2 * s.middle, 31) << s.first << "+" << s.middle << "+" << s.last;
  EXPECT_EQ(s.min_chunk, 7);
}

// ------------------------------------------------------------------ check_layout

struct Case {
  Model m;
  danlu::Cluster c;
  Layout l;
  Workload w;
};

// A valid baseline: llama3-70b on 64 H100s, tp=8 pp=4 dp=2.
Case good() {
  Case k;
  k.m = cat().find_model("llama3-70b")->model;
  k.c = danlu::make_cluster(cat(), "h100-sxm", 64, 8, "ib-ndr-400", 8);
  k.l.tp = 8;
  k.l.pp = 4;
  k.l.dp = 2;
  k.l.sequence_parallel = true;
  k.l.zero = 1;
  k.w.seq_len = 8192;
  k.w.global_batch = 64;
  k.w.precision = danlu::Precision::bf16;
  return k;
}

LayoutIssue check(const Case& k) { return danlu::check_layout(k.m, k.c, k.l, k.w); }

TEST(CheckLayout, BaselineIsOk) {
  EXPECT_EQ(check(good()), LayoutIssue::kOk);
  Case k = good();
  k.l.vpp = 5;
  EXPECT_EQ(check(k), LayoutIssue::kOk);
  k = good();
  k.l.cp = 2;
  k.l.dp = 1;
  EXPECT_EQ(check(k), LayoutIssue::kOk);
}

TEST(CheckLayout, ProductMismatch) {
  Case k = good();
  k.l.dp = 4;  // 8*4*4 = 128 != 64
  EXPECT_EQ(check(k), LayoutIssue::kProductMismatch);
  k = good();
  k.l.cp = 2;  // 8*4*2*2 = 128
  EXPECT_EQ(check(k), LayoutIssue::kProductMismatch);
}

TEST(CheckLayout, HeadsNotDivisible) {
  Case k = good();
  k.c = danlu::make_cluster(cat(), "h100-sxm", 48, 8, "ib-ndr-400", 8);
  k.l.tp = 3;  // 64 heads
  k.l.pp = 4;
  k.l.dp = 4;
  EXPECT_EQ(check(k), LayoutIssue::kHeadsNotDivisible);
}

TEST(CheckLayout, TooManyStages) {
  Case k = good();
  k.m = cat().find_model("gpt3-1.3b")->model;  // 24 layers
  k.c = danlu::make_cluster(cat(), "h100-sxm", 32, 8, "ib-ndr-400", 8);
  k.l.tp = 1;
  k.l.pp = 32;
  k.l.dp = 1;
  EXPECT_EQ(check(k), LayoutIssue::kTooManyStages);
  // pp <= layers but pp*vpp chunks > layers.
  k.l.pp = 8;
  k.l.dp = 4;
  k.l.vpp = 4;
  k.w.global_batch = 64;
  EXPECT_EQ(check(k), LayoutIssue::kTooManyStages);
}

TEST(CheckLayout, BadStageSplit) {
  Case k = good();
  k.l.first_stage_layers = 11;
  k.l.last_stage_layers = 10;  // 59 layers for 2 stages
  EXPECT_EQ(check(k), LayoutIssue::kBadStageSplit);
  k.l.first_stage_layers = 17;
  k.l.last_stage_layers = 17;
  EXPECT_EQ(check(k), LayoutIssue::kOk);
}

TEST(CheckLayout, BatchNotDivisible) {
  Case k = good();
  k.w.global_batch = 63;
  EXPECT_EQ(check(k), LayoutIssue::kBatchNotDivisible);
  k = good();
  k.l.micro_batch = 3;  // 64 % (3*2)
  EXPECT_EQ(check(k), LayoutIssue::kBatchNotDivisible);
}

TEST(CheckLayout, SeqNotDivisibleByTwiceCp) {
  Case k = good();
  k.l.cp = 2;
  k.l.dp = 1;
  k.w.seq_len = 8190;  // 8190 % 4 != 0
  EXPECT_EQ(check(k), LayoutIssue::kSeqNotDivisible);
}

TEST(CheckLayout, VppWithoutPp) {
  Case k = good();
  k.l.pp = 1;
  k.l.dp = 8;
  k.l.vpp = 2;
  EXPECT_EQ(check(k), LayoutIssue::kVppWithoutPp);
}

TEST(CheckLayout, PrecisionUnsupported) {
  Case k = good();
  k.c = danlu::make_cluster(cat(), "a100-sxm-80gb", 64, 8, "ib-hdr-200", 8);
  EXPECT_EQ(check(k), LayoutIssue::kOk);
  k.w.precision = danlu::Precision::fp8;  // Ampere has no FP8 tensor cores
  EXPECT_EQ(check(k), LayoutIssue::kPrecisionUnsupported);
  // H100 has FP8.
  EXPECT_EQ(check([] { Case h = good(); h.w.precision = danlu::Precision::fp8; return h; }()), LayoutIssue::kOk);
}

TEST(CheckLayout, ZeroRange) {
  Case k = good();
  k.l.zero = 4;
  EXPECT_EQ(check(k), LayoutIssue::kZeroRange);
  k.l.zero = -1;
  EXPECT_EQ(check(k), LayoutIssue::kZeroRange);
  for (int z = 0; z <= 3; ++z) {
    k.l.zero = z;
    EXPECT_EQ(check(k), LayoutIssue::kOk) << z;
  }
}

TEST(CheckLayout, NonPositive) {
  auto with = [](auto mutate) {
    Case k = good();
    mutate(k);
    return check(k);
  };
  EXPECT_EQ(with([](Case& k) { k.l.micro_batch = 0; }), LayoutIssue::kNonPositive);
  EXPECT_EQ(with([](Case& k) { k.l.tp = 0; }), LayoutIssue::kNonPositive);
  EXPECT_EQ(with([](Case& k) { k.l.vpp = 0; }), LayoutIssue::kNonPositive);
  EXPECT_EQ(with([](Case& k) { k.l.ep = 0; }), LayoutIssue::kNonPositive);
  EXPECT_EQ(with([](Case& k) { k.w.seq_len = 0; }), LayoutIssue::kNonPositive);
  EXPECT_EQ(with([](Case& k) { k.w.global_batch = 0; }), LayoutIssue::kNonPositive);
  EXPECT_EQ(with([](Case& k) { k.c.gpus = 0; }), LayoutIssue::kNonPositive);
}

TEST(CheckLayout, MoeIssues) {
  Case k = good();
  k.m = cat().find_model("mixtral-8x7b")->model;  // 8 experts, 32 heads, 32 layers
  k.l.ep = 3;
  EXPECT_EQ(check(k), LayoutIssue::kExpertsNotDivisible);
  k.c = danlu::make_cluster(cat(), "h100-sxm", 16, 8, "ib-ndr-400", 8);
  k.l.tp = 1;
  k.l.pp = 4;
  k.l.dp = 4;
  k.l.ep = 8;  // > dp*tp*cp = 4
  EXPECT_EQ(check(k), LayoutIssue::kEpTooLarge);
  k.l.ep = 3;  // divides neither the 8 experts nor tp*cp*dp
  EXPECT_EQ(check(k), LayoutIssue::kExpertsNotDivisible);
  k.l.ep = 4;  // valid
  EXPECT_EQ(check(k), LayoutIssue::kOk);
  Case d = good();
  d.m = cat().find_model("deepseek-v3")->model;
  d.l.first_stage_layers = 0;
  d.c = danlu::make_cluster(cat(), "h100-sxm", 64, 8, "ib-ndr-400", 8);
  d.l.ep = 8;
  d.l.pp = 1;
  d.l.dp = 8;
  EXPECT_EQ(check(d), LayoutIssue::kOk);
  d.l.ep = 128;  // 256 experts divide by 128, but tp*cp*dp does not
  EXPECT_EQ(check(d), LayoutIssue::kEpTooLarge);
  d.l.ep = 64;
  d.l.etp = 2;  // ep*etp = 128 does not divide tp*cp*dp = 64
  EXPECT_EQ(check(d), LayoutIssue::kEpTooLarge);
  d.l.ep = 8;  // 8 x 2 fold onto the 64 ranks; 2048 (the expert FFN) divides by 2
  EXPECT_EQ(check(d), LayoutIssue::kOk);
  d.l.ep = 1;
  d.l.etp = 3;  // does not divide the expert FFN width
  EXPECT_EQ(check(d), LayoutIssue::kEtpInvalid);
  d.l.etp = 0;
  EXPECT_EQ(check(d), LayoutIssue::kNonPositive);
  Case dense = good();
  dense.l.etp = 2;  // a dense model has no experts to split
  EXPECT_EQ(check(dense), LayoutIssue::kEtpInvalid);
}

TEST(CheckLayout, IssueTextsAreDistinct) {
  const LayoutIssue all[] = {
      LayoutIssue::kOk,
      LayoutIssue::kProductMismatch,
      LayoutIssue::kHeadsNotDivisible,
      LayoutIssue::kTooManyStages,
      LayoutIssue::kBadStageSplit,
      LayoutIssue::kBatchNotDivisible,
      LayoutIssue::kSeqNotDivisible,
      LayoutIssue::kVppWithoutPp,
      LayoutIssue::kPrecisionUnsupported,
      LayoutIssue::kExpertsNotDivisible,
      LayoutIssue::kEpTooLarge,
      LayoutIssue::kEtpInvalid,
      LayoutIssue::kZeroRange,
      LayoutIssue::kNonPositive,
      LayoutIssue::kInterleaveTooFewMb,
  };
  std::set<std::string> texts;
  for (LayoutIssue i : all) {
    const std::string t = danlu::layout_issue_text(i);
    EXPECT_FALSE(t.empty());
    EXPECT_NE(t, "?");
    EXPECT_TRUE(texts.insert(t).second) << t;
  }
}

}  // namespace
