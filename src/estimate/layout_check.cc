// Layout validity (what no framework can run) and Megatron's pipeline stage split.
#include "danlu/estimate.h"
#include "danlu/layout.h"

namespace danlu {

bool split_stages(int layers, const Layout& l, StageSplit* out) {
  StageSplit s;
  const int chunks = l.pp * l.vpp;
  if (l.pp < 1 || l.vpp < 1 || layers < 1) return false;
  if (l.pp == 1) {
    s.first = s.middle = s.last = s.min_chunk = layers / l.vpp;
    if (layers % l.vpp != 0) s.min_chunk = layers / l.vpp;
    s.first = s.middle = s.last = layers;
    *out = s;
    return layers >= l.vpp;
  }
  const int vc = l.vpp;
  if (l.first_stage_layers > 0 || l.last_stage_layers > 0) {
    // Megatron decoder_first/last_pipeline_num_layers: the first (last) virtual chunk holds
    // the given count; the other chunks share the rest evenly.
    int fixed_chunks = (l.first_stage_layers > 0) + (l.last_stage_layers > 0);
    int rest = layers - l.first_stage_layers - l.last_stage_layers;
    int others = chunks - fixed_chunks;
    if (rest < 0 || others < 0) return false;
    if (others == 0) {
      if (rest != 0) return false;
    } else if (rest % others != 0 || rest / others < 1) {
      return false;
    }
    const int each = others > 0 ? rest / others : 0;
    const int f = l.first_stage_layers > 0 ? l.first_stage_layers : each;
    const int t = l.last_stage_layers > 0 ? l.last_stage_layers : each;
    s.first = f + (vc - 1) * each;
    s.last = t + (vc - 1) * each;
    s.middle = vc * each;
    s.min_chunk = f < t ? (f < each || others == 0 ? f : each) : (t < each || others == 0 ? t : each);
    *out = s;
    return true;
  }
  if (layers < l.pp) return false;
  if (layers % chunks == 0) {
    const int each = layers / chunks;
    s.first = s.middle = s.last = vc * each;
    s.min_chunk = each;
  } else if ((layers + 2) % chunks == 0 && (layers + 2) / chunks >= 2) {
    // Embedding and loss count as one layer each (account_for_embedding/loss_in_pipeline_split).
    const int each = (layers + 2) / chunks;
    s.first = (each - 1) + (vc - 1) * each;
    s.last = (each - 1) + (vc - 1) * each;
    s.middle = vc * each;
    s.min_chunk = each - 1;
  } else {
    // Uneven: as even as possible, the extra layers on the interior chunks first.
    const int base = layers / chunks;
    const int extra = layers % chunks;
    if (base < 1) return false;
    // The extra layers go to the interior chunks first (in virtual order), then to the last
    // chunk, then the first: those also hold the output layer and the embedding.
    const int interior = chunks - 2 > 0 ? chunks - 2 : 0;
    const int extra_interior = extra < interior ? extra : interior;
    const int left = extra - extra_interior;
    auto chunk_layers = [&](int chunk) {
      if (chunk == chunks - 1) return base + (left >= 1 ? 1 : 0);
      if (chunk == 0) return base + (left >= 2 ? 1 : 0);
      return base + (chunk - 1 < extra_interior ? 1 : 0);
    };
    // A rank's chunks are rank, rank+pp, rank+2pp, ...
    auto rank_layers = [&](int rank) {
      int n = 0;
      for (int v = 0; v < vc; ++v) n += chunk_layers(v * l.pp + rank);
      return n;
    };
    s.first = rank_layers(0);
    s.last = rank_layers(l.pp - 1);
    s.middle = 0;
    for (int r = 1; r < l.pp - 1; ++r) {
      const int n = rank_layers(r);
      if (n > s.middle) s.middle = n;
    }
    if (l.pp <= 2) s.middle = s.first;
    s.min_chunk = base;
  }
  *out = s;
  return true;
}

LayoutIssue check_layout(const Model& m, const Cluster& c, const Layout& l, const Workload& w) {
  if (l.tp < 1 || l.pp < 1 || l.dp < 1 || l.cp < 1 || l.ep < 1 || l.vpp < 1 || l.micro_batch < 1 ||
      w.seq_len < 1 || w.global_batch < 1 || c.gpus < 1) {
    return LayoutIssue::kNonPositive;
  }
  if (l.zero < 0 || l.zero > 3) return LayoutIssue::kZeroRange;
  // In double: each degree is < 2^31, so the product is exact up to 2^53 and cannot overflow.
  if (static_cast<double>(l.tp) * l.pp * l.dp * l.cp != static_cast<double>(c.gpus)) {
    return LayoutIssue::kProductMismatch;
  }
  if (m.heads % l.tp != 0) return LayoutIssue::kHeadsNotDivisible;
  if (l.vpp > 1 && l.pp == 1) return LayoutIssue::kVppWithoutPp;
  if (l.pp > m.layers) return LayoutIssue::kTooManyStages;
  StageSplit split;
  if (!split_stages(m.layers, l, &split)) {
    return (l.first_stage_layers > 0 || l.last_stage_layers > 0) ? LayoutIssue::kBadStageSplit
                                                                  : LayoutIssue::kTooManyStages;
  }
  if (l.recompute_num_layers < 0) return LayoutIssue::kNonPositive;
  if (l.recompute_num_layers > 0) {
    // Megatron's block method counts layers per virtual chunk.
    const int per_chunk = (m.layers + l.pp * l.vpp - 1) / (l.pp * l.vpp);
    if (l.recompute != Recompute::full || l.recompute_num_layers > per_chunk) return LayoutIssue::kRecomputeLayers;
  }
  if (w.global_batch % (static_cast<long>(l.micro_batch) * l.dp) != 0) return LayoutIssue::kBatchNotDivisible;
  // Megatron's interleaved 1F1B needs at least pp micro-batches in flight to fill the pipeline.
  if (l.vpp > 1 && micro_batches(l, w) < l.pp) return LayoutIssue::kInterleaveTooFewMb;
  if (l.cp > 1 && w.seq_len % (2 * l.cp) != 0) return LayoutIssue::kSeqNotDivisible;
  if (c.acc.peak_tflops[static_cast<int>(w.precision)] <= 0) return LayoutIssue::kPrecisionUnsupported;
  if (m.is_moe()) {
    if (m.moe.experts % l.ep != 0) return LayoutIssue::kExpertsNotDivisible;
    // Expert parallel draws its ranks from tp*cp*dp (expert tensor parallel 1).
    if ((static_cast<long>(l.dp) * l.tp * l.cp) % l.ep != 0) return LayoutIssue::kEpTooLarge;
  }
  return LayoutIssue::kOk;
}

const char* recompute_name(Recompute r) {
  switch (r) {
    case Recompute::none: return "none";
    case Recompute::selective: return "selective";
    case Recompute::selective_op: return "selective-op";
    case Recompute::full: return "full";
  }
  return "?";
}

std::string recompute_label(const Layout& l) {
  if (l.recompute == Recompute::full && l.recompute_num_layers > 0) return "full:" + std::to_string(l.recompute_num_layers);
  return recompute_name(l.recompute);
}

const char* attention_kernel_name(AttentionKernel k) {
  switch (k) {
    case AttentionKernel::flash: return "flash";
    case AttentionKernel::flash2: return "flash2";
    case AttentionKernel::unfused: return "unfused";
  }
  return "?";
}

const char* layout_issue_text(LayoutIssue i) {
  switch (i) {
    case LayoutIssue::kOk: return "ok";
    case LayoutIssue::kProductMismatch: return "tp*pp*dp*cp must equal the number of GPUs";
    case LayoutIssue::kHeadsNotDivisible: return "attention heads must be divisible by tp";
    case LayoutIssue::kTooManyStages: return "more pipeline chunks (pp*vpp) than layers";
    case LayoutIssue::kBadStageSplit:
      return "first/last stage layers leave a remainder that the other chunks cannot share evenly";
    case LayoutIssue::kBatchNotDivisible: return "global batch must be divisible by micro_batch*dp";
    case LayoutIssue::kSeqNotDivisible: return "seq_len must be divisible by 2*cp (load-balanced context parallel)";
    case LayoutIssue::kVppWithoutPp: return "vpp > 1 needs pp > 1";
    case LayoutIssue::kInterleaveTooFewMb:
      return "the interleaved schedule (vpp > 1) needs at least pp micro-batches per step (global_batch/(dp*micro_batch) >= pp)";
    case LayoutIssue::kPrecisionUnsupported: return "the accelerator has no tensor-core rate for this precision";
    case LayoutIssue::kExpertsNotDivisible: return "routed experts must be divisible by ep";
    case LayoutIssue::kEpTooLarge: return "ep must divide tp*cp*dp (expert parallel ranks come from them)";
    case LayoutIssue::kZeroRange: return "zero must be 0, 1, 2 or 3";
    case LayoutIssue::kNonPositive: return "parallel degrees, batch sizes and seq_len must be >= 1";
    case LayoutIssue::kRecomputeLayers:
      return "recompute_num_layers needs recompute full and at most the layers of one pipeline chunk (layers/(pp*vpp))";
  }
  return "?";
}

}  // namespace danlu
