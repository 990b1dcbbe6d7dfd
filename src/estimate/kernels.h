// Time of single kernels on one accelerator: GEMMs, flash attention, memory-bound passes.
//
// GEMM: roofline — max(FLOPs / (peak * large-GEMM efficiency * wave efficiency),
// bytes / sustained HBM bandwidth) + one kernel overhead. Wave efficiency: the output is cut
// into tile_m x tile_n tiles, run in waves of `compute_units` tiles; a partial last wave idles
// the rest (NVIDIA, "Matrix Multiplication Background User's Guide", wave quantization);
// each tile also pays a fixed pipeline fill and epilogue, worth k0 elements of K, so the
// efficiency of a GEMM with inner dimension K is K / (K + k0) of the large-GEMM figure.
// Attention: flash attention (Dao et al. 2022; Dao 2023, FlashAttention-2, sec. 3): causal
// forward does half of the 4*b*s^2*heads*d score/context FLOPs; backward 2.5x the forward's.
#pragma once

#include "danlu/hardware.h"

namespace danlu::detail {

struct Rates {
  double flops = 1;        // dense peak at the GEMM precision, FLOP/s
  double gemm_eff = 1;     // large-GEMM fraction of that peak
  double attn_flops = 1;   // dense 16-bit peak, FLOP/s (attention runs in 16-bit)
  double attn_fwd = 1, attn_bwd = 1;
  double attn_fa2_fwd = 1, attn_fa2_bwd = 1;
  double hbm = 1;          // sustained bytes/s
  double in_bytes = 2;     // GEMM operand element size
  double kernel_s = 0;
  int units = 1, tile_m = 128, tile_n = 256;
  double k0 = 256;
};

inline double ceil_div(double a, double b) {
  const double q = a / b;
  const double f = static_cast<double>(static_cast<long long>(q));
  return f < q ? f + 1 : f;
}

// Time of `count` identical GEMMs C[M,N] = A[M,K] B[K,N].
inline double gemm_s(const Rates& r, double m, double n, double k, double count = 1) {
  if (m <= 0 || n <= 0 || k <= 0 || count <= 0) return 0;
  const double tiles = ceil_div(m, r.tile_m) * ceil_div(n, r.tile_n);
  const double waves = ceil_div(tiles, r.units);
  const double wave_eff = tiles / (waves * r.units);
  const double flops = 2.0 * m * n * k;
  const double k_eff = k / (k + r.k0);  // mainloop fill + epilogue amortised over K
  const double t_compute = flops / (r.flops * r.gemm_eff * wave_eff * k_eff);
  const double bytes = (m * k + k * n) * r.in_bytes + m * n * 2.0;
  const double t_mem = bytes / r.hbm;
  return count * ((t_compute > t_mem ? t_compute : t_mem) + r.kernel_s);
}

// One strided-batched GEMM (cuBLAS gemmStridedBatched, torch.bmm/baddbmm): `batch` independent
// C[M,N] = A[M,K] B[K,N] in a single launch whose grid spans every batch entry's tiles, so the
// waves are counted over all of them and the launch overhead is paid once.
inline double batched_gemm_s(const Rates& r, double m, double n, double k, double batch) {
  if (m <= 0 || n <= 0 || k <= 0 || batch <= 0) return 0;
  const double tiles = ceil_div(m, r.tile_m) * ceil_div(n, r.tile_n) * batch;
  const double waves = ceil_div(tiles, r.units);
  const double wave_eff = tiles / (waves * r.units);
  const double flops = 2.0 * m * n * k * batch;
  const double k_eff = k / (k + r.k0);
  const double t_compute = flops / (r.flops * r.gemm_eff * wave_eff * k_eff);
  const double bytes = ((m * k + k * n) * r.in_bytes + m * n * 2.0) * batch;
  const double t_mem = bytes / r.hbm;
  return (t_compute > t_mem ? t_compute : t_mem) + r.kernel_s;
}

// Streaming kernels moving `bytes` in `kernels` launches.
inline double mem_s(const Rates& r, double bytes, double kernels) {
  return bytes / r.hbm + kernels * r.kernel_s;
}

}  // namespace danlu::detail
