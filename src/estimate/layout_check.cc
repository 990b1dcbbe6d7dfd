// Layout validity (what no framework can run) and Megatron's pipeline stage split.
#include "danlu/estimate.h"
#include "danlu/layout.h"

#include <algorithm>

namespace danlu {

namespace {

// Fills the per-rank totals of a split from its chunk sizes: chunk c holds size(c) layers, and a
// rank's chunks are rank, rank+pp, rank+2pp, ... (Megatron's interleaved order).
template <class ChunkSize>
void fill_split(const Layout& l, ChunkSize size, StageSplit* s) {
  const int vc = l.vpp;
  auto rank_sum = [&](int rank, bool rec) {
    int n = 0;
    for (int v = 0; v < vc; ++v) {
      const int c = size(v * l.pp + rank);
      n += rec ? recomputed_layers(l, c) : c;
    }
    return n;
  };
  s->first = rank_sum(0, false);
  s->rec_first = rank_sum(0, true);
  s->last = rank_sum(l.pp - 1, false);
  s->rec_last = rank_sum(l.pp - 1, true);
  s->middle = s->first;
  s->rec_middle = s->rec_first;
  if (l.pp > 2) {
    s->middle = 0;
    for (int r = 1; r < l.pp - 1; ++r) {
      const int n = rank_sum(r, false);
      if (n > s->middle) {
        s->middle = n;
        s->rec_middle = rank_sum(r, true);
      }
    }
  }
  const int chunks = l.pp * vc;
  s->min_chunk = size(0);
  s->max_chunk = size(0);
  s->rec_total = 0;
  for (int c = 0; c < chunks; ++c) {
    const int n = size(c);
    if (n < s->min_chunk) s->min_chunk = n;
    if (n > s->max_chunk) s->max_chunk = n;
    s->rec_total += recomputed_layers(l, n);
  }
}

// The same in closed form for splits whose first chunk holds f layers, last chunk t, and every
// other chunk `each` (the estimator's hot path: no loop over chunks).
void ends_and_middle(const Layout& l, int f, int t, int each, StageSplit* s) {
  const int vc = l.vpp;
  const int chunks = l.pp * vc;
  s->first = f + (vc - 1) * each;
  s->last = t + (vc - 1) * each;
  s->rec_first = recomputed_layers(l, f) + (vc - 1) * recomputed_layers(l, each);
  s->rec_last = recomputed_layers(l, t) + (vc - 1) * recomputed_layers(l, each);
  if (l.pp > 2) {
    s->middle = vc * each;
    s->rec_middle = vc * recomputed_layers(l, each);
  } else {
    s->middle = s->first;
    s->rec_middle = s->rec_first;
  }
  s->rec_total = static_cast<long>(recomputed_layers(l, f)) + recomputed_layers(l, t) +
                 static_cast<long>(chunks - 2) * recomputed_layers(l, each);
  s->min_chunk = f < t ? f : t;
  s->max_chunk = f > t ? f : t;
  if (chunks > 2) {
    if (each < s->min_chunk) s->min_chunk = each;
    if (each > s->max_chunk) s->max_chunk = each;
  }
}

}  // namespace

bool split_stages(int layers, const Layout& l, StageSplit* out) {
  StageSplit s;
  if (l.pp < 1 || l.vpp < 1 || layers < 1) return false;
  const int chunks = l.pp * l.vpp;
  if (l.pp == 1) {
    // One rank holds every layer (vpp > 1 without a pipeline is refused by check_layout).
    s.first = s.middle = s.last = layers;
    s.min_chunk = s.max_chunk = layers / l.vpp;
    const int rec = recomputed_layers(l, layers);  // one chunk (vpp is 1 on a valid layout)
    s.rec_first = s.rec_middle = s.rec_last = rec;
    s.rec_total = rec;
    *out = s;
    return layers >= l.vpp;
  }
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
    ends_and_middle(l, f, t, each, &s);
    *out = s;
    return true;
  }
  if (layers < l.pp) return false;
  if (layers % chunks == 0) {
    const int each = layers / chunks;
    ends_and_middle(l, each, each, each, &s);
  } else if ((layers + 2) % chunks == 0 && (layers + 2) / chunks >= 2) {
    // Embedding and loss count as one layer each (account_for_embedding/loss_in_pipeline_split).
    const int each = (layers + 2) / chunks;
    ends_and_middle(l, each - 1, each - 1, each, &s);
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
    fill_split(l,
               [&](int chunk) {
                 if (chunk == chunks - 1) return base + (left >= 1 ? 1 : 0);
                 if (chunk == 0) return base + (left >= 2 ? 1 : 0);
                 return base + (chunk - 1 < extra_interior ? 1 : 0);
               },
               &s);
  }
  *out = s;
  return true;
}

LayoutIssue check_layout(const Model& m, const Cluster& c, const Layout& l, const Workload& w) {
  if (l.tp < 1 || l.pp < 1 || l.dp < 1 || l.cp < 1 || l.ep < 1 || l.etp < 1 || l.vpp < 1 || l.micro_batch < 1 ||
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
    // Megatron's block method counts layers per virtual chunk: at most the largest chunk.
    if (l.recompute != Recompute::full || l.recompute_num_layers > split.max_chunk) return LayoutIssue::kRecomputeLayers;
  }
  if (l.recompute == Recompute::selective) {
    const unsigned mods = l.recompute_modules;
    if (mods == 0 || mods >= (1u << kRecomputeModuleCount)) return LayoutIssue::kRecomputeModules;
    if (!m.is_moe() && (mods & (kRmMoe | kRmMoeAct | kRmSharedExperts))) return LayoutIssue::kRecomputeModules;
    if (m.is_moe() && m.moe.shared_experts == 0 && (mods & kRmSharedExperts)) return LayoutIssue::kRecomputeModules;
    if (m.is_moe() && m.moe.dense_layers == 0 && (mods & kRmMlp)) return LayoutIssue::kRecomputeModules;
    if (m.attention != Attention::mla && (mods & kRmMlaUpProj)) return LayoutIssue::kRecomputeModules;
  }
  if (w.global_batch % (static_cast<long>(l.micro_batch) * l.dp) != 0) return LayoutIssue::kBatchNotDivisible;
  // Megatron's interleaved 1F1B needs at least pp micro-batches in flight to fill the pipeline.
  if (l.vpp > 1 && micro_batches(l, w) < l.pp) return LayoutIssue::kInterleaveTooFewMb;
  if (l.cp > 1 && w.seq_len % (2 * l.cp) != 0) return LayoutIssue::kSeqNotDivisible;
  if (c.acc.peak_tflops[static_cast<int>(w.precision)] <= 0) return LayoutIssue::kPrecisionUnsupported;
  if (m.is_moe()) {
    if (m.moe.experts % l.ep != 0) return LayoutIssue::kExpertsNotDivisible;
    if (m.moe.expert_ffn % l.etp != 0) return LayoutIssue::kEtpInvalid;
    // Expert layers fold etp x ep (x expert data parallel) onto the stage's tp*cp*dp ranks.
    if ((static_cast<long>(l.dp) * l.tp * l.cp) % (static_cast<long>(l.ep) * l.etp) != 0) return LayoutIssue::kEpTooLarge;
  } else if (l.etp > 1) {
    return LayoutIssue::kEtpInvalid;
  }
  if (l.dp_shard != 0) {
    if (l.dp_shard < 1 || l.zero < 1 || l.dp % l.dp_shard != 0) return LayoutIssue::kDpShard;
    // The expert data-parallel group (tp*cp*dp/(ep*etp) ranks) splits into the same replicas.
    const long ex_n = std::max(1L, static_cast<long>(l.tp) * l.cp * l.dp / (static_cast<long>(l.ep) * l.etp));
    if (ex_n % (l.dp / l.dp_shard) != 0) return LayoutIssue::kDpShard;
  }
  return LayoutIssue::kOk;
}

const char* recompute_name(Recompute r) {
  switch (r) {
    case Recompute::none: return "none";
    case Recompute::selective: return "selective";
    case Recompute::selective_op: return "selective-op";
    case Recompute::selective_dots: return "selective-dots";
    case Recompute::full: return "full";
  }
  return "?";
}

const char* recompute_module_name(int bit_index) {
  static const char* const kNames[kRecomputeModuleCount] = {"core_attn", "layernorm", "mlp", "moe",
                                                            "moe_act", "mla_up_proj", "shared_experts"};
  return bit_index >= 0 && bit_index < kRecomputeModuleCount ? kNames[bit_index] : "?";
}

std::string recompute_label(const Layout& l) {
  if (l.recompute == Recompute::full && l.recompute_num_layers > 0) return "full:" + std::to_string(l.recompute_num_layers);
  if (l.recompute == Recompute::selective && l.recompute_modules != kRmCoreAttn) {
    std::string s = "selective:";
    for (int i = 0; i < kRecomputeModuleCount; ++i) {
      if (!(l.recompute_modules & (1u << i))) continue;
      if (s.back() != ':') s += '+';
      s += recompute_module_name(i);
    }
    return s;
  }
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
    case LayoutIssue::kEpTooLarge: return "ep*etp must divide tp*cp*dp (expert layers fold onto those ranks)";
    case LayoutIssue::kEtpInvalid: return "etp needs a mixture-of-experts model and must divide its expert FFN width";
    case LayoutIssue::kZeroRange: return "zero must be 0, 1, 2 or 3";
    case LayoutIssue::kNonPositive: return "parallel degrees, batch sizes and seq_len must be >= 1";
    case LayoutIssue::kDpShard:
      return "dp_shard needs zero 1-3, must divide dp, and the replicas dp/dp_shard must divide the expert data-parallel group";
    case LayoutIssue::kRecomputeModules:
      return "recompute_modules must name at least one module the model has (moe, moe_act and shared_experts need "
             "routed or shared experts, mlp a dense MLP, mla_up_proj MLA attention)";
    case LayoutIssue::kRecomputeLayers:
      return "recompute_num_layers needs recompute full and at most the layers of the largest pipeline chunk";
  }
  return "?";
}

}  // namespace danlu
