// danlu/report.h — turning Results into what people and programs read: aligned tables with
// units in every column header, and JSON. Units: seconds (_s), GiB = 2^30 bytes (_gib),
// rates in SI (GB/s = 1e9 B/s), TFLOP/s = 1e12 FLOP/s.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "danlu/hardware.h"
#include "danlu/layout.h"
#include "danlu/model.h"
#include "danlu/rank.h"
#include "danlu/result.h"
#include "danlu/search.h"
#include "danlu/serve.h"
#include "danlu/validate.h"

namespace danlu {

// Columns padded to their widest cell; cells that look numeric are right-aligned.
std::string render_table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows);

struct TrainContext {
  std::string model_name, accelerator_name, network_name;
  Model model;
  Cluster cluster;
  Layout layout;
  Workload workload;
  unsigned defaulted = 0;
  std::string framework;  // whose defaults filled unstated settings ("" = none)
};

std::string train_text(const TrainContext& ctx, const Result& r);
nlohmann::json train_json(const TrainContext& ctx, const Result& r);

std::string validate_text(const std::vector<RunOutcome>& outcomes, const ValidationSummary& s);
nlohmann::json validate_json(const std::vector<RunOutcome>& outcomes, const ValidationSummary& s);

// `danlu search`: top K, Pareto front, rejections by reason, the best layout in detail.
// ctx carries model, cluster and workload (its layout is ignored).
std::string search_text(const TrainContext& ctx, const SearchResult& s, double wall_s);
nlohmann::json search_json(const TrainContext& ctx, const SearchResult& s, double wall_s);

// `danlu validate --rank`: where each published layout ranks, sorted by claimed gain.
std::string rank_text(const std::vector<RankOutcome>& ranks);
nlohmann::json rank_json(const std::vector<RankOutcome>& ranks);

// `danlu scale`: the best layout at each cluster size.
struct ScalePoint {
  int gpus = 0;
  long global_batch = 0;
  bool found = false;
  Candidate best;
  long long considered = 0, evaluated = 0;
};
std::string scale_text(const std::string& title, const std::vector<ScalePoint>& pts);
nlohmann::json scale_json(const std::vector<ScalePoint>& pts);
std::string scale_svg(const std::string& title, const std::vector<ScalePoint>& pts);

// `danlu infer`.
struct InferContext {
  std::string model_name, accelerator_name, engine_name, weights_name, defaulted;
  Cluster cluster;
  ServeSetup setup;
  double price_per_gpu_hour = 0;
};
std::string infer_text(const InferContext& ctx, const ServeResult& r);
nlohmann::json infer_json(const InferContext& ctx, const ServeResult& r);

// Names of the defaulted-field flags set in `flags`, comma-separated.
std::string defaulted_names(unsigned flags);

}  // namespace danlu
