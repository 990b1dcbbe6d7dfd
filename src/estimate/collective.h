// Collective communication time, alpha-beta model.
//
// Ring algorithms (Thakur, Rabenseifner & Gropp 2005; Patarasuk & Yuan 2009): an all-reduce
// of S bytes over n ranks moves 2(n-1)/n * S through each rank's link, an all-gather or
// reduce-scatter (S = the full, gathered size) moves (n-1)/n * S, with 2(n-1) resp. (n-1)
// latency hops. Bandwidths here are effective (link rate x NCCL bus-bandwidth fraction).
// Two-level hierarchical (Megatron/NCCL for groups spanning nodes): a reduce-scatter inside
// the scale-up domain (g ranks), the inter-domain step on S/g bytes per rank over each rank's
// own NIC (rail-optimised fabric), then an all-gather inside the domain.
#pragma once

namespace danlu::detail {

struct Link {
  double bytes_per_s = 1;  // effective, one direction, per rank
  double latency_s = 0;    // per hop
};

// A communicator of `n` ranks with `g` of them inside each scale-up domain.
struct Group {
  int n = 1;
  int g = 1;
};

// Ranks of a group of size n whose members are `stride` ranks apart, inside a domain of d.
inline Group place_group(int n, long stride, int d) {
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
    t += passes * ((g - 1.0) / g) * bytes / up.bytes_per_s + passes * (g - 1) * up.latency_s;
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
