// danlu/sweep.h — a design-space sweep: models x accelerators x cluster sizes x sequence
// lengths, each point a full layout search. Points are numbered in grid order so the work can
// be split over processes (MPI ranks) and the results reassembled identically.
#pragma once

#include <string>
#include <vector>

#include "danlu/catalog.h"
#include "danlu/layout.h"
#include "danlu/model.h"

namespace danlu {

struct SweepSpec {
  std::vector<std::string> models;        // preset ids or model files
  std::vector<std::string> accelerators;
  std::vector<int> gpus;
  std::vector<int> seq_lens;
  long global_batch_tokens = 4194304;     // tokens per step; sequences = tokens / seq_len
  Precision precision = Precision::bf16;
  int max_micro_batch = 16;

  std::size_t points() const { return models.size() * accelerators.size() * gpus.size() * seq_lens.size(); }
};

// Parse a sweep file (YAML mapping); throws InputError with file:line.
SweepSpec parse_sweep(const std::string& text, const std::string& origin, const Catalog& cat);

// Run grid point i (0 <= i < points()) and return its result as one JSON line (no newline).
// Deterministic: no timings, so serial and distributed runs give identical files.
std::string run_sweep_point(const SweepSpec& spec, std::size_t i, const Catalog& cat);

}  // namespace danlu
