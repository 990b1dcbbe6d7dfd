// danlu/inputs.h — reading user inputs into value types: models (preset id, Hugging Face
// config.json, or a YAML file with the published-run schema's model fields) and files of
// published runs (shared/validation/SCHEMA.md). All failures throw InputError with file:line.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "danlu/catalog.h"
#include "danlu/layout.h"
#include "danlu/model.h"
#include "danlu/serve.h"

namespace danlu {

// Whole file as text; throws InputError if it cannot be read or is over 64 MiB.
std::string read_text_file(const std::string& path);

// Write `text` to `path` through a temporary file and a rename, so a failure never leaves a
// partial file behind; throws InputError naming the path if it cannot be written.
void write_text_file_atomically(const std::string& path, const std::string& text);

// The model behind `spec`: a preset id, a path ending in .json (Hugging Face config.json)
// or .yaml/.yml (SCHEMA model fields, or {preset: id}). `max_seq_len` receives the model's
// context length when known (else 0).
Model load_model(const std::string& spec, const Catalog& cat, int* max_seq_len);

// Parsers behind load_model, exposed for tests and fuzzing.
Model model_from_hf_json(const std::string& text, const std::string& origin, int* max_seq_len);
Model model_from_yaml_text(const std::string& text, const std::string& origin, const Catalog& cat,
                           int* max_seq_len);

// Check a model's shape; throws InputError naming `where` on nonsense sizes.
void check_model(const Model& m, const std::string& where);

struct TrainingRun {
  std::string id, source, where;      // where = "file:line" of the run
  Model model;
  std::string accelerator;
  std::string network;                // "" = accelerator's typical NIC
  int gpus = 0;
  int gpus_per_node = 0;              // 0 = accelerator's scale-up domain
  int nics_per_node = 0;
  int seq_len = 0;
  std::optional<long> global_batch;
  std::optional<Precision> precision;
  PartialLayout layout;
  double measured_step_s = 0;         // from step_time_s or tokens_per_s_per_gpu
  std::string metric;                 // which measured field was used
  double measured_value = 0;
  double measured_peak_memory_gib = 0;  // 0 = not given
  // accelerator_variant: a part that differs from the catalog's stock one (0 = stock).
  double power_cap_w = 0;
  double hbm_gib = 0;
  double hbm_gbs = 0;
  // The training framework: stated (`framework:`, a data/frameworks.yaml id) or, failing that,
  // the one the source line (else the notes) names; "" = none known. Its defaults fill what
  // the run leaves unstated (danlu/framework.h).
  std::string framework;
  bool framework_inferred = false;
  int source_year = 0;                // first year the source names (the cited work's), 0 = none
  bool selective_stated = false;      // the run names its selective_recompute kind
};

// Parse a runs file (YAML list). Runs of other kinds are skipped; training runs are checked.
std::vector<TrainingRun> parse_training_runs(const std::string& text, const std::string& origin,
                                             const Catalog& cat);

// A published serving run (SCHEMA.md, kind: inference).
struct InferenceRun {
  std::string id, where;
  Model model;
  std::string accelerator;          // may be outside the catalog (then the run is unscored)
  std::string engine;
  int gpus = 1;
  int gpus_per_node = 0;
  ServeSetup setup;
  bool lengths_known = true;        // false: the workload is a dataset (MLPerf), not fixed lengths
  bool precision_known = true;
  std::vector<std::pair<std::string, double>> measured;  // metric -> value, in file order
};

// Parse the inference runs of a runs file (other kinds are skipped). Throws InputError.
std::vector<InferenceRun> parse_inference_runs(const std::string& text, const std::string& origin,
                                               const Catalog& cat);

// A published whole training run (SCHEMA.md, kind: wholerun).
struct WholeRun {
  std::string id, where, accelerator;
  Model model;
  int seq_len = 0;
  int gpus = 0;                      // 0 = not stated
  double tokens = 0;
  double global_batch_tokens = 0;    // 0 = not stated
  PartialLayout layout;              // parallel: {tp, pp, cp, vpp, micro_batch} where stated
  std::vector<std::pair<std::string, double>> measured;  // gpu_hours, days, energy_mwh
};
std::vector<WholeRun> parse_wholeruns(const std::string& text, const std::string& origin, const Catalog& cat);

// Weight storage precision by name: bf16, fp16, fp8, int8, int4, nvfp4, mxfp8 -> (math
// precision for weight-and-activation quantisation, bytes per weight incl. scales).
void parse_weight_precision(const std::string& name, const std::string& where, Precision* storage, double* bytes);

Recompute parse_recompute(const std::string& s, const std::string& where);
// Megatron --recompute-modules: a comma-separated list (core_attn, layernorm, mlp, moe,
// moe_act, mla_up_proj, shared_experts) -> RecomputeModule bits. Throws InputError.
std::uint8_t parse_recompute_modules(const std::string& list, const std::string& where);
AttentionKernel parse_attention_kernel(const std::string& s, const std::string& where);

}  // namespace danlu
