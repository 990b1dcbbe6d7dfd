// danlu/validate.h — predicted vs measured on published runs.
//
// For each training run: complete its layout with the documented defaults (resolve_layout),
// estimate, and compare in the run's own metric (step_time_s, else tokens_per_s_per_gpu):
// error_pct = 100 * (predicted - measured) / measured. Runs danlu cannot model yet are kept,
// unscored, with a reason — never dropped.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "danlu/catalog.h"
#include "danlu/estimate.h"
#include "danlu/inputs.h"

namespace danlu {

// The cluster a job runs on. gpus_per_node 0 = the accelerator's scale-up domain (capped at
// gpus); network "" = the accelerator's typical NIC; nics_per_node 0 = one per accelerator.
Cluster make_cluster(const Catalog& cat, const std::string& accelerator, int gpus, int gpus_per_node,
                     const std::string& network, int nics_per_node);

// A non-stock part: a power cap below TDP slows the tensor cores. Dynamic power ~ f*V^2 with
// voltage scaling with clock, so f ~ P_dyn^(1/3) (DVFS, e.g. Kim et al. 2004), and the idle
// draw (the family's idle_power_fraction of TDP) does not scale with the clock:
// f_cap / f_tdp = cbrt((cap - idle) / (tdp - idle)). HBM bandwidth is unaffected. Other HBM
// capacity / bandwidth replace the stock figures. Zero means "stock".
void apply_variant(Cluster* c, double power_cap_w, double hbm_gib, double hbm_gbs);

struct RunOutcome {
  std::string id, metric, where;
  double measured = 0;
  double predicted = 0;
  std::optional<double> error_pct;   // empty = unscored
  std::string reason;                // why unscored
  double measured_peak_memory_gib = 0;  // 0 = the source states none
  Layout layout;
  Workload workload;
  unsigned defaulted = 0;
  Result result;
  std::string framework;             // whose defaults filled the gaps ("" = none)
  bool framework_inferred = false;   // named by the source/notes rather than stated
};

struct ValidationSummary {
  int count = 0;        // all training runs in the file, scored or not
  int unscored = 0;
  double median_abs_error_pct = 0;
  double p90_abs_error_pct = 0;
  double max_abs_error_pct = 0;
};

std::vector<RunOutcome> validate_runs(const std::vector<TrainingRun>& runs, const Catalog& cat);

// Serving runs: one outcome per measured metric (output_tokens_per_s_per_gpu, ttft_ms,
// tpot_ms), in the run's own units. Unscored with a reason when the accelerator or engine is
// not in the catalog, the workload is a dataset rather than fixed lengths, or it does not fit.
std::vector<RunOutcome> validate_inference_runs(const std::vector<InferenceRun>& runs, const Catalog& cat);

// Whole runs: the run planned at danlu's default layout (GPUs, when not stated, = one
// sequence per GPU per step: global_batch_tokens / seq_len), one outcome per metric.
std::vector<RunOutcome> validate_wholeruns(const std::vector<WholeRun>& runs, const Catalog& cat);
ValidationSummary summarize(const std::vector<RunOutcome>& outcomes);

// Percentile (0..100) with linear interpolation between order statistics; values is sorted in place.
double percentile(std::vector<double>& values, double pct);

}  // namespace danlu
