// Collective communication time, alpha-beta model.
//
// Ring algorithms (Thakur, Rabenseifner & Gropp 2005; Patarasuk & Yuan 2009): an all-reduce
// of S bytes over n ranks moves 2(n-1)/n * S through each rank's link, an all-gather or
// reduce-scatter (S = the full, gathered size) moves (n-1)/n * S, with 2(n-1) resp. (n-1)
// latency hops. Bandwidths here are effective (link rate x NCCL bus-bandwidth fraction).
// Two-level hierarchical (Megatron/NCCL for groups spanning nodes): a reduce-scatter inside
// the scale-up domain (g ranks, at the group's share of the scale-up bandwidth), the inter-domain step on S/g bytes per rank over each rank's
// own NIC (rail-optimised fabric), then an all-gather inside the domain.
#pragma once

namespace danlu::detail {

struct Link {
  double bytes_per_s = 1;  // effective, one direction, per rank
  double latency_s = 0;    // per hop
};

// A communicator of `n` ranks with `g` of them inside each scale-up domain. `up_share` is the
// fraction of a rank's scale-up bandwidth its collectives can use: 1 on a switched fabric
// (NVSwitch, Infinity Fabric mesh), spanned-axes / dims on a torus (below).
struct Group {
  int n = 1;
  int g = 1;
  double up_share = 1;
};

// A torus scale-up domain (TPU ICI; Trainium2 NeuronLink): `dims` axes of `size` chips, ranks
// numbered along axis 0 first. Each chip has two links per axis (one each way), and the
// catalog's per-chip bandwidth is their sum. A collective over a group runs as bidirectional
// rings along the axes the group spans (Google, "How to Scale Your Model", TPU chapter:
// collectives over one axis get 2 links' bandwidth, over k axes 2k), so a group spanning k of
// d axes gets the share k/d of the chip's bandwidth; a point-to-point send uses one link, 1/(2d).
struct Torus {
  int dims = 0;  // 0: not a torus
  long size[3] = {1, 1, 1};
};

// The most balanced shape of a torus slice of `chips` chips (prime factors, largest first, each
// to the currently shortest axis): 512 chips on a 3D torus -> 8x8x8, 128 -> 8x4x4, 256 on 2D -> 16x16.
inline Torus torus_shape(long chips, int dims) {
  Torus t;
  if (dims < 2 || dims > 3 || chips < 1) return t;
  t.dims = dims;
  long rest = chips;
  long factors[64];
  int nf = 0;
  for (long p = 2; p * p <= rest && nf < 64; ++p) {
    while (rest % p == 0 && nf < 64) {
      factors[nf++] = p;
      rest /= p;
    }
  }
  if (rest > 1 && nf < 64) factors[nf++] = rest;
  for (int i = nf - 1; i >= 0; --i) {  // ascending trial division: the last factor is the largest
    int shortest = 0;
    for (int a = 1; a < dims; ++a) {
      if (t.size[a] < t.size[shortest]) shortest = a;
    }
    t.size[shortest] *= factors[i];
  }
  return t;
}

// Axes of the torus spanned by n ranks `stride` apart, starting at rank 0: member i sits at
// coordinate floor(i*stride / P_a) mod size_a on axis a (P_a = product of the sizes before it).
// An axis is spanned when that coordinate is not the same for every member.
inline int torus_axes_spanned(const Torus& t, long n, long stride) {
  if (t.dims == 0 || n <= 1) return 0;
  int k = 0;
  long lo = 1;
  for (int a = 0; a < t.dims; ++a) {
    const long size = t.size[a];
    const long hi = lo * size;
    bool varies = false;
    if (size > 1 && stride % hi != 0 && stride * (n - 1) >= lo) {
      for (long i = 1; i < n && !varies; ++i) varies = (i * stride / lo) % size != 0;
    }
    k += varies ? 1 : 0;
    lo = hi;
  }
  return k < 1 ? 1 : k;
}

// Ranks of a group of size n whose members are `stride` ranks apart, inside a domain of d
// (a torus when `torus` is given and has dims > 0).
inline Group place_group(int n, long stride, int d, const Torus* torus = nullptr) {
  Group grp;
  grp.n = n;
  if (n <= 1) return grp;
  if (stride >= d) {
    grp.g = 1;
  } else {
    long fit = d / stride;
    grp.g = static_cast<int>(fit < n ? fit : n);
    if (grp.g < 1) grp.g = 1;
  }
  if (torus != nullptr && torus->dims > 0 && grp.g > 1) {
    grp.up_share = static_cast<double>(torus_axes_spanned(*torus, grp.g, stride)) / torus->dims;
  }
  return grp;
}

// One pass of a ring moving `frac_steps` * S: all-gather / reduce-scatter (passes = 1),
// all-reduce (passes = 2).
inline double two_level(double bytes, Group grp, Link up, Link out, double passes) {
  if (grp.n <= 1 || bytes <= 0) return 0;
  const int g = grp.g;
  const int k = grp.n / (g > 0 ? g : 1);
  double t = 0;
  if (g > 1) {
    t += passes * ((g - 1.0) / g) * bytes / (up.bytes_per_s * grp.up_share) + passes * (g - 1) * up.latency_s;
  }
  if (k > 1) {
    const double per_rank = bytes / g;
    t += passes * ((k - 1.0) / k) * per_rank / out.bytes_per_s + passes * (k - 1) * out.latency_s;
  }
  return t;
}

inline double all_reduce_s(double bytes, Group grp, Link up, Link out) {
  return two_level(bytes, grp, up, out, 2.0);
}
inline double all_gather_s(double bytes, Group grp, Link up, Link out) {
  return two_level(bytes, grp, up, out, 1.0);
}
inline double reduce_scatter_s(double bytes, Group grp, Link up, Link out) {
  return two_level(bytes, grp, up, out, 1.0);
}

}  // namespace danlu::detail
