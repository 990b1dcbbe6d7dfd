// danlu/timeline.h — one training step drawn as a timeline: Chrome/Perfetto trace and SVG.
//
// The pipeline part replays Megatron's schedule (1F1B, or interleaved 1F1B with vpp chunks:
// Narayanan et al. 2021, sec. 2.2; Megatron-LM schedules.py order: warm-up forwards,
// steady one-forward-one-backward, cool-down backwards) with every rank running the slowest
// rank's per-micro-batch forward and backward times, split evenly over its chunks. The
// replayed makespan is then scaled to the estimator's pipeline time (compute, exposed TP/CP
// communication, bubble, pipeline sends), so the drawn step has exactly the predicted length;
// the exposed data-parallel traffic, the optimizer step and the fixed overhead follow.
#pragma once

#include <string>
#include <vector>

#include "danlu/layout.h"
#include "danlu/result.h"

namespace danlu {

struct TimelineEvent {
  int lane = 0;           // index into Timeline::lanes
  std::string name;       // e.g. "F mb3 c1" (forward, micro-batch 3, chunk 1)
  double start_s = 0;
  double dur_s = 0;
};

struct Timeline {
  std::vector<std::string> lanes;
  std::vector<TimelineEvent> events;
  double span_s = 0;
};

// At most `max_ranks` pipeline ranks are drawn (first and last halves); at most `max_events`
// events in all — beyond that, returns false and leaves *out empty.
bool build_timeline(const Layout& l, const Result& r, Timeline* out, int max_ranks = 16,
                    std::size_t max_events = 2'000'000);

// Chrome trace-event JSON (opens in ui.perfetto.dev and chrome://tracing); times in us.
std::string timeline_trace_json(const Timeline& t);
// A self-contained SVG picture of the same lanes.
std::string timeline_svg(const Timeline& t, const std::string& title);

}  // namespace danlu
