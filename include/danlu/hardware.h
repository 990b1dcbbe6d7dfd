// danlu/hardware.h — accelerators, networks, and the cluster they form.
//
// Figures come from data/accelerators.yaml and data/networks.yaml (each with its source).
// The per-family `Efficiency` parameters (data/families.yaml) are the handful of achievable
// fractions that turn datasheet peaks into sustained rates: large-GEMM fraction of peak,
// flash-attention fraction of peak, streaming fraction of HBM bandwidth, NCCL bus-bandwidth
// fraction of link rate, and fixed overheads. Each is set from published microbenchmarks,
// named in families.yaml, never refit per run.
#pragma once

#include <cstdint>

namespace danlu {

enum class Precision : std::uint8_t { fp32, tf32, bf16, fp16, fp8, mxfp8, nvfp4 };
inline constexpr int kPrecisions = 7;

// Achievable fractions and overheads of one accelerator family.
struct Efficiency {
  double gemm[kPrecisions] = {};   // large GEMM sustained / dense peak, by precision
  int tile_m = 128;                // GEMM output tile used for wave quantization
  int tile_n = 256;
  double gemm_k0 = 256;            // per-tile pipeline fill + epilogue, in K elements: eff ~ K/(K+k0)
  double attn_fwd = 0.5;           // flash-attention forward sustained / bf16 dense peak
  double attn_bwd = 0.4;           // flash-attention backward sustained / bf16 dense peak
  double attn_fa2_fwd = 0.5;       // FlashAttention-2 forward / bf16 dense peak
  double attn_fa2_bwd = 0.4;       // FlashAttention-2 backward / bf16 dense peak
  double hbm = 0.8;                // streaming kernels: sustained / peak HBM bandwidth
  double scale_up = 0.8;           // NCCL bus bandwidth / scale-up link rate (one direction)
  double scale_out = 0.9;          // NCCL bus bandwidth / NIC line rate
  double scale_up_latency_us = 3;  // per ring hop inside the scale-up domain
  double kernel_us = 4.0;          // per-kernel launch + tail, microseconds
  double step_overhead_s = 0.0;    // per optimizer step: synchronisation, logging, data loader
  double runtime_reserved_gib = 1; // CUDA/XLA context and driver reservation
  double workspace_gib = 1;        // library workspaces and communication buffers
  double fragmentation = 0.05;     // allocator fragmentation, fraction of allocated bytes
  double tp_overlap = 0.8;         // with TP comm overlap on: fraction of the collectives that can hide
                                   // under the neighbouring GEMMs (all but the first/last chunk)
  bool tp_overlap_default = false; // whether frameworks on this family overlap TP comm by default
  bool tp_overlap_all_but_one_chunk = false;  // overlap hides all but one of the tp chunks (1 - 1/tp),
                                              // replacing tp_overlap (XLA collective matmuls on TPU)
  double server_w_per_gpu = 300;   // each GPU's share of its server's other parts under load, W
  double idle_power_fraction = 0;  // idle draw over TDP: the part of the power the clock does not scale
  double comm_sm_fraction = 0;     // share of the compute units communication kernels occupy while
                                   // they run under a GEMM (NCCL channels / userbuffer CTAs)
};

struct Accelerator {
  char id[24] = {};
  int family = 0;                  // index into the family table
  double peak_tflops[kPrecisions] = {};  // dense; 0 = unsupported
  double hbm_gib = 0;
  double hbm_gbs = 0;              // GB/s, SI
  int compute_units = 1;           // SMs / CUs / cores, for wave quantization
  int scale_up_domain = 8;         // accelerators per scale-up (NVLink/ICI) domain
  double scale_up_gbs = 0;         // per accelerator, one direction, GB/s
  int torus_dims = 0;              // 0: switched fabric (any group gets scale_up_gbs); 2 or 3: the
                                   // domain is a torus and scale_up_gbs is summed over its 2*dims links
  double nic_gbps = 0;             // scale-out NIC per accelerator, Gbit/s
  double tdp_w = 0;
  Efficiency eff;                  // copied from the family at load time
};

struct Network {
  char id[24] = {};
  double port_gbps = 0;            // per port, Gbit/s
  double latency_us = 0;           // host-to-host small-message latency
};

// What a job runs on: `gpus` accelerators, `gpus_per_node` per scale-up domain node.
struct Cluster {
  Accelerator acc;
  Network net;
  int gpus = 0;
  int gpus_per_node = 8;           // accelerators that share the scale-up fabric directly
  double nic_gbps_per_gpu = 0;     // effective scale-out bandwidth per accelerator, Gbit/s
  double memory_margin_gib = 0;    // headroom the user keeps free: a layout fits when its peak
                                   // is within HBM - runtime reservation - this margin
};

}  // namespace danlu
