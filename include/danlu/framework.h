// danlu/framework.h — training frameworks (torchtitan, MaxText, Megatron-LM / NeMo) and the
// settings each applies when a job leaves them unstated: its data-parallel sharding, attention
// kernel, loss and elementwise fusion, TP overlap, what "selective" recompute means and how it
// splits a pipelined batch. The values and their sources live in data/frameworks.yaml.
//
// A framework only fills gaps: whatever a run file or command line states wins. For published
// runs the framework is the one the run's source (else its notes) names, so held-out runs from
// a known stack are modelled as that stack runs them without per-run annotation.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "danlu/hardware.h"
#include "danlu/layout.h"

namespace danlu {

struct Framework {
  std::string id;
  std::vector<std::string> names;  // lower-case names matched in a source line
  std::optional<int> zero;
  std::vector<int> zero_stages;  // the ZeRO stages the stack can run, ascending; empty = any
  std::optional<AttentionKernel> attention_gpu;
  int unfused_attention_before = 0;  // year; 0 = never
  int sequence_parallel_since = 0;   // year the stack gained sequence parallelism; 0 = always had it
  // Year from which the stack overlaps its bucketed gradient reduction under a pipeline or a
  // sharded optimizer; before it such runs reduce after the backward (0 = always overlapped).
  int grad_reduce_overlap_since = 0;
  bool fp16_grads_16bit = false;     // fp16 training reduces gradients in fp16 unless told otherwise
  std::optional<bool> fused_loss, fused_elementwise, tp_comm_overlap, fsdp_copies;
  std::optional<Recompute> selective;  // what "selective" means on this stack
  bool microbatches_per_stage = false;
  // Every default as the catalog states it, for `danlu catalog frameworks`.
  struct Stated {
    std::string field, value, source;
  };
  std::vector<Stated> stated;
};

// Fill what `p` leaves unset with f's defaults. source_year: the year of the published work
// (0 = unknown: no era rule applies). global_batch: sequences per step (0 = unknown).
void apply_framework(const Framework& f, const Cluster& c, Precision precision, int source_year, long global_batch,
                     PartialLayout* p);

// Whether f can run ZeRO stage `zero` at all.
bool supports_zero(const Framework& f, int zero);

// The first of `frameworks` one of whose names occurs (case-insensitively) in `text`; nullptr
// if none does.
const Framework* detect_framework(const std::vector<Framework>& frameworks, const std::string& text);

// `s` with ASCII letters lower-cased: how framework names are stored and source lines matched.
std::string ascii_lower(std::string s);

// The first four-digit year (1990-2099) standing alone in `text` (not inside a longer run of
// letters or digits), or 0.
int first_year(const std::string& text);

}  // namespace danlu
