// danlu/rank.h — does danlu's search agree with the experts who chose the published layouts?
//
// For each scored training run: search all layouts for the same model, cluster, sequence
// length, global batch and execution settings (attention kernel, TP overlap, elementwise
// fusion, power cap), then report where the published layout's predicted step time ranks
// (1 = nothing faster) and how much faster danlu claims its best layout is.
#pragma once

#include <string>
#include <vector>

#include "danlu/inputs.h"
#include "danlu/search.h"
#include "danlu/validate.h"

namespace danlu {

struct RankOutcome {
  std::string id;
  bool ranked = false;
  std::string reason;            // why not ranked
  double published_s = 0;        // danlu's prediction for the published layout
  double best_s = 0;             // danlu's best layout
  double gain_pct = 0;           // 100 * (published_s / best_s - 1)
  long long rank = 0;            // 1 + layouts danlu predicts strictly faster
  Layout best;
  Layout published;
};

// How danlu's best layout differs from the published one, in words ("tp 8->2, vpp 1->16").
std::string layout_difference(const Layout& published, const Layout& best);

std::vector<RankOutcome> rank_runs(const std::vector<TrainingRun>& runs, const std::vector<RunOutcome>& scored,
                                   const Catalog& cat);

}  // namespace danlu
