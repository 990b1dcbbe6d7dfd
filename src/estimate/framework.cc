// Framework defaults (danlu/framework.h).
#include "danlu/framework.h"

#include <cctype>

namespace danlu {

void apply_framework(const Framework& f, const Cluster& c, Precision precision, int source_year, long global_batch,
                     PartialLayout* p) {
  const bool gpu = c.acc.torus_dims == 0;
  if (!p->zero && f.zero) p->zero = f.zero;
  if (!p->attention && gpu) {
    if (f.unfused_attention_before > 0 && source_year > 0 && source_year < f.unfused_attention_before) {
      p->attention = AttentionKernel::unfused;
    } else if (f.attention_gpu) {
      p->attention = f.attention_gpu;
    }
  }
  // Work published before the stack had sequence parallelism ran tensor parallel without it.
  if (!p->sequence_parallel && f.sequence_parallel_since > 0 && source_year > 0 && source_year < f.sequence_parallel_since) {
    p->sequence_parallel = false;
  }
  // Before the stack overlapped it, a pipelined or optimizer-sharded run reduced its gradients
  // once the backward had ended (without either, the stack ran PyTorch DDP's overlapped buckets).
  if (!p->grad_reduce_overlap && f.grad_reduce_overlap_since > 0 && source_year > 0 &&
      source_year < f.grad_reduce_overlap_since && (p->pp.value_or(1) > 1 || p->zero.value_or(0) >= 1) &&
      p->zero.value_or(0) < 3) {
    p->grad_reduce_overlap = false;
  }
  if (!p->grad_reduce_bf16 && f.fp16_grads_16bit && precision == Precision::fp16) p->grad_reduce_bf16 = true;
  if (!p->fused_elementwise && f.fused_elementwise) p->fused_elementwise = f.fused_elementwise;
  if (!p->fused_loss && f.fused_loss) p->fused_loss = f.fused_loss;
  if (!p->tp_comm_overlap && f.tp_comm_overlap) p->tp_comm_overlap = f.tp_comm_overlap;
  if (!p->fsdp_copies && f.fsdp_copies) p->fsdp_copies = f.fsdp_copies;
  // "selective" as the stack means it; Megatron's modules, when named, are Megatron's own.
  if (f.selective && p->recompute == Recompute::selective && !p->recompute_modules) p->recompute = f.selective;
  // The pipeline schedule's micro-batches: pp x stages per rank, from the local batch.
  if (f.microbatches_per_stage && !p->micro_batch && p->pp && *p->pp > 1 && global_batch > 0) {
    long dp = p->dp.value_or(0);
    if (dp == 0 && p->tp) dp = c.gpus / (static_cast<long>(*p->tp) * p->cp.value_or(1) * *p->pp);
    const long n_mb = static_cast<long>(*p->pp) * p->vpp.value_or(1);
    if (dp > 0 && global_batch % dp == 0 && (global_batch / dp) % n_mb == 0 && global_batch / dp >= n_mb) {
      p->micro_batch = static_cast<int>(global_batch / dp / n_mb);
    }
  }
}

bool supports_zero(const Framework& f, int zero) {
  if (f.zero_stages.empty()) return true;
  for (int z : f.zero_stages) {
    if (z == zero) return true;
  }
  return false;
}

std::string ascii_lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

const Framework* detect_framework(const std::vector<Framework>& frameworks, const std::string& text) {
  const std::string lower = ascii_lower(text);
  for (const Framework& f : frameworks) {
    for (const std::string& name : f.names) {
      if (!name.empty() && lower.find(name) != std::string::npos) return &f;
    }
  }
  return nullptr;
}

int first_year(const std::string& text) {
  const std::size_t n = text.size();
  auto alnum = [&](std::size_t i) { return std::isalnum(static_cast<unsigned char>(text[i])) != 0; };
  for (std::size_t i = 0; i + 4 <= n; ++i) {
    if (i > 0 && alnum(i - 1)) continue;
    if (i + 4 < n && alnum(i + 4)) continue;
    int y = 0;
    bool digits = true;
    for (std::size_t k = i; k < i + 4; ++k) {
      if (!std::isdigit(static_cast<unsigned char>(text[k]))) {
        digits = false;
        break;
      }
      y = y * 10 + (text[k] - '0');
    }
    if (digits && y >= 1990 && y <= 2099) return y;
  }
  return 0;
}

}  // namespace danlu
