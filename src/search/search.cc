// Layout search (danlu/search.h): enumerate, reject by reason, prune by bounds, estimate.
#include "danlu/search.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace danlu {
namespace {

std::vector<int> divisors(long n) {
  std::vector<int> d;
  for (long i = 1; i * i <= n; ++i) {
    if (n % i == 0) {
      d.push_back(static_cast<int>(i));
      if (i != n / i) d.push_back(static_cast<int>(n / i));
    }
  }
  std::sort(d.begin(), d.end());
  return d;
}

// One outer combination; the inner loop varies micro-batch, sequence parallel, recompute.
struct Job {
  int tp, cp, pp, vpp, dp, zero, ep, etp;
  int dp_shard = 0;  // hybrid sharding group (0 = all of dp)
};

int gpus_used(const Layout& l) { return l.tp * l.cp * l.pp * l.dp; }

// Strict ordering: faster first, then less memory, then the layout tuple (deterministic).
bool better(const Candidate& a, const Candidate& b) {
  if (a.result.step_s != b.result.step_s) return a.result.step_s < b.result.step_s;
  if (a.result.peak_memory_gib != b.result.peak_memory_gib) return a.result.peak_memory_gib < b.result.peak_memory_gib;
  const Layout& x = a.layout;
  const Layout& y = b.layout;
  const int kx[] = {x.tp, x.cp, x.pp, x.vpp, x.dp, x.ep, x.etp, x.zero, x.micro_batch, x.sequence_parallel, static_cast<int>(x.recompute), x.recompute_num_layers, x.dp_shard};
  const int ky[] = {y.tp, y.cp, y.pp, y.vpp, y.dp, y.ep, y.etp, y.zero, y.micro_batch, y.sequence_parallel, static_cast<int>(y.recompute), y.recompute_num_layers, y.dp_shard};
  return std::lexicographical_compare(std::begin(kx), std::end(kx), std::begin(ky), std::end(ky));
}

struct Local {
  std::vector<Candidate> top;     // sorted best first, size <= k
  std::vector<Candidate> pareto;  // non-dominated on (step_s, peak_memory_gib)
  long long considered = 0, evaluated = 0, faster = 0, refined = 0;
  long long rejected[static_cast<int>(Reject::kCount)] = {};

  double kth(int k) const {
    return static_cast<int>(top.size()) < k ? 1e300 : top.back().result.step_s;
  }
  // Whether every layout on `gpus` GPUs with step time >= t and peak memory >= mem is dominated.
  bool dominated(double t, double mem, int gpus) const {
    for (const Candidate& p : pareto) {
      if (p.result.step_s < t && p.result.peak_memory_gib < mem && gpus_used(p.layout) <= gpus) return true;
    }
    return false;
  }
  void offer(const Candidate& c, int k) {
    if (static_cast<int>(top.size()) < k || better(c, top.back())) {
      const auto at = std::upper_bound(top.begin(), top.end(), c, better);
      const bool duplicate = at != top.begin() && !better(*(at - 1), c);  // same layout offered twice (merge)
      if (!duplicate) {
        top.insert(at, c);
        if (static_cast<int>(top.size()) > k) top.pop_back();
      }
    }
    // Pareto on (step time, peak memory); exact ties (e.g. ZeRO stages that shard nothing at
    // dp = 1) keep the candidate first in `better` order, so the front is order-independent.
    auto covers = [](const Candidate& a, const Candidate& b) {  // a makes b redundant
      const int ga = gpus_used(a.layout), gb = gpus_used(b.layout);
      return a.result.step_s <= b.result.step_s && a.result.peak_memory_gib <= b.result.peak_memory_gib && ga <= gb &&
             (a.result.step_s < b.result.step_s || a.result.peak_memory_gib < b.result.peak_memory_gib || ga < gb ||
              better(a, b));
    };
    for (const Candidate& p : pareto) {
      if (covers(p, c) || (!better(p, c) && !better(c, p))) return;  // dominated, or already present
    }
    pareto.erase(std::remove_if(pareto.begin(), pareto.end(), [&](const Candidate& p) { return covers(c, p); }),
                 pareto.end());
    pareto.push_back(c);
  }
};

}  // namespace

const char* reject_name(Reject r) {
  switch (r) {
    case Reject::kHeadsNotDivisible: return "attention heads not divisible by tp";
    case Reject::kSeqNotDivisible: return "seq_len not divisible by 2*cp";
    case Reject::kTooManyStages: return "more pipeline chunks than layers";
    case Reject::kBatchNotDivisible: return "global batch not divisible by micro_batch*dp";
    case Reject::kOomWeights: return "weights+gradients+optimizer alone exceed memory";
    case Reject::kOomFirstStage: return "does not fit memory on the first pipeline stage";
    case Reject::kOomMiddleStage: return "does not fit memory on a middle pipeline stage";
    case Reject::kOomLastStage: return "does not fit memory on the last pipeline stage";
    case Reject::kInterleaveTooFewMb: return "interleaved schedule with fewer micro-batches than stages";
    case Reject::kOther: return "other layout check";
    case Reject::kSlowerThanTopK: return "pruned: cannot enter the top K or the Pareto front (bounds)";
    case Reject::kCount: break;
  }
  return "?";
}

SearchResult search_layouts(const Model& m, const Cluster& c, const Workload& w, const SearchOptions& opt) {
  SearchResult out;
  const int k = std::max(1, opt.top_k);
  const Recompute modes[] = {Recompute::none, opt.selective, Recompute::full};
  const double usable = c.acc.hbm_gib - c.acc.eff.runtime_reserved_gib - c.memory_margin_gib;
  Layout base;
  if (opt.base) {
    base = *opt.base;
  } else {
    base.tp_comm_overlap = c.acc.eff.tp_overlap_default;
  }

  // Enumerate the outer combinations; the cheap structural rejections are counted here, once
  // per inner variant they stand for.
  std::vector<Job> jobs;
  const std::vector<int> zeros = !opt.zero_stages.empty() ? opt.zero_stages
                                 : opt.vary_zero          ? std::vector<int>{0, 1, 2, 3}
                                                          : std::vector<int>{1};
  Local head;  // counters for rejections made during enumeration
  auto inner_count = [&](int tp, int dp) {
    const long per_dp = w.global_batch % dp == 0 ? w.global_batch / dp : 0;
    long mbs = 0;
    for (int b : divisors(per_dp > 0 ? per_dp : 1)) mbs += b <= opt.max_micro_batch ? 1 : 0;
    if (per_dp == 0) mbs = 1;
    return static_cast<long long>(mbs) * (tp > 1 ? 2 : 1) * 3 * static_cast<long long>(zeros.size());
  };
  std::vector<int> counts = {c.gpus};
  if (opt.min_gpus > 0) {
    for (int g = c.gpus / 2; g >= opt.min_gpus && g >= 1 && c.gpus % (2 * g) == 0; g /= 2) counts.push_back(g);
  }
  for (int G : counts)
  for (int tp : divisors(G)) {
    for (int cp : divisors(G / tp)) {
      for (int pp : divisors(G / (static_cast<long>(tp) * cp))) {
        const int dp = static_cast<int>(G / (static_cast<long>(tp) * cp * pp));
        std::vector<int> vpps = {1};
        if (pp > 1) {
          for (int v = 2; v * pp <= m.layers; ++v) vpps.push_back(v);
        }
        for (int vpp : vpps) {
          Layout probe;
          probe.tp = tp;
          probe.cp = cp;
          probe.pp = pp;
          probe.vpp = vpp;
          probe.dp = dp;
          const long long n = inner_count(tp, dp);
          StageSplit split;
          Reject why = Reject::kCount;
          if (m.heads % tp != 0) why = Reject::kHeadsNotDivisible;
          else if (cp > 1 && w.seq_len % (2 * cp) != 0) why = Reject::kSeqNotDivisible;
          else if (pp > m.layers || !split_stages(m.layers, probe, &split)) why = Reject::kTooManyStages;
          else if (w.global_batch % dp != 0) why = Reject::kBatchNotDivisible;
          if (why != Reject::kCount) {
            // Only count a vpp variant once the stage split itself is legal; otherwise the
            // enumeration of vpp would inflate the counts of unrelated reasons.
            if (why != Reject::kTooManyStages || vpp == 1) {
              head.considered += n;
              head.rejected[static_cast<int>(why)] += n;
            }
            continue;
          }
          // Expert parallel (MoE only): every divisor of the expert count, with every expert
          // tensor parallel degree up to tp that divides the expert FFN, such that ep*etp
          // divides tp*cp*dp.
          std::vector<std::pair<int, int>> eps = {{1, 1}};
          if (m.is_moe()) {
            eps.clear();
            const long pool = static_cast<long>(tp) * cp * dp;
            for (int e : divisors(m.moe.experts)) {
              for (int et : divisors(tp)) {
                if (m.moe.expert_ffn % et == 0 && pool % (static_cast<long>(e) * et) == 0) eps.emplace_back(e, et);
              }
            }
          }
          // Hybrid sharding (HSDP) for sharded stages: shards inside one scale-up domain,
          // replicated across domains, when that is a proper split of dp.
          const long in_domain = std::max(1L, static_cast<long>(c.gpus_per_node) / (static_cast<long>(tp) * cp));
          const int hsdp = in_domain < dp && dp % in_domain == 0 ? static_cast<int>(in_domain) : 0;
          for (const auto& [e, et] : eps) {
            const long ex_n = std::max(1L, static_cast<long>(tp) * cp * dp / (static_cast<long>(e) * et));
            for (int z : zeros) {
              jobs.push_back({tp, cp, pp, vpp, dp, z, e, et, 0});
              if (z >= 1 && hsdp > 0 && ex_n % (dp / hsdp) == 0) jobs.push_back({tp, cp, pp, vpp, dp, z, e, et, hsdp});
            }
          }
        }
      }
    }
  }

  const int threads = std::max(1, opt.threads > 0 ? opt.threads : static_cast<int>(std::thread::hardware_concurrency()));
  std::vector<Local> locals(static_cast<std::size_t>(threads));
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stopped{false};
  auto worker = [&](int id) {
    Local& L = locals[static_cast<std::size_t>(id)];
    auto last_report = std::chrono::steady_clock::now();
    for (;;) {
      const std::size_t j = next.fetch_add(1);
      if (j >= jobs.size()) break;
      if (opt.cancel && opt.cancel->load()) {
        stopped = true;
        break;
      }
      if (id == 0 && opt.progress) {
        const auto now = std::chrono::steady_clock::now();
        if (now - last_report > std::chrono::milliseconds(100)) {
          opt.progress(static_cast<double>(j) / static_cast<double>(jobs.size()));
          last_report = now;
        }
      }
      const Job& jb = jobs[j];
      Cluster cg = c;
      cg.gpus = jb.tp * jb.cp * jb.pp * jb.dp;
      Layout l = base;
      l.first_stage_layers = l.last_stage_layers = 0;
      l.tp = jb.tp;
      l.cp = jb.cp;
      l.pp = jb.pp;
      l.vpp = jb.vpp;
      l.dp = jb.dp;
      l.zero = jb.zero;
      l.ep = jb.ep;
      l.etp = jb.etp;
      l.dp_shard = jb.dp_shard;
      if (!opt.base) {  // the stack each ZeRO stage implies, as resolve_layout sets it
        l.attention = default_attention(jb.zero);
        l.fused_loss = default_fused_loss(c, jb.zero, l.fused_elementwise);
        l.fsdp_copies = default_fsdp_copies(c, jb.zero);
      }
      const long long n = inner_count(jb.tp, jb.dp) / static_cast<long long>(zeros.size());
      L.considered += n;
      const double mem_lb = state_memory_lower_bound_gib(m, cg, l);
      if (opt.prune && mem_lb > usable) {
        L.rejected[static_cast<int>(Reject::kOomWeights)] += n;
        continue;
      }
      // Skip only what can neither enter the top K nor the Pareto front.
      const double time_lb = step_time_lower_bound_s(m, cg, l, w);
      const bool may_count = opt.count_faster_than_s > 0 && time_lb < opt.count_faster_than_s;
      if (opt.prune && !may_count && time_lb > L.kth(k) && L.dominated(time_lb, mem_lb, cg.gpus)) {
        L.rejected[static_cast<int>(Reject::kSlowerThanTopK)] += n;
        continue;
      }
      const long per_dp = w.global_batch / jb.dp;
      for (int b : divisors(per_dp)) {
        if (b > opt.max_micro_batch) break;
        l.micro_batch = b;
        for (int sp = 0; sp <= (jb.tp > 1 ? 1 : 0); ++sp) {
          l.sequence_parallel = sp == 1;
          bool lighter_fits = false;  // no recompute or selective fits this layout already
          double fastest_s = 0;       // step time without recompute (OOM or not): a lower bound for full:N
          for (Recompute rc : modes) {
            l.recompute = rc;
            l.recompute_num_layers = 0;
            const LayoutIssue issue = check_layout(m, cg, l, w);
            if (issue != LayoutIssue::kOk) {
              L.rejected[static_cast<int>(issue == LayoutIssue::kInterleaveTooFewMb ? Reject::kInterleaveTooFewMb
                                                                                   : Reject::kOther)] += 1;
              continue;
            }
            Result r = estimate_step(m, cg, l, w);
            ++L.evaluated;
            if (rc != Recompute::full && !r.oom) lighter_fits = true;
            if (rc == Recompute::none) fastest_s = r.step_s;
            // Block recompute is what one reaches for when nothing lighter fits (as the defaults
            // do), and only where it could enter the top K or the Pareto front: it is no faster
            // than no recompute and needs no less memory than recomputing every layer.
            auto may_place = [&] {
              return !opt.prune || fastest_s <= 0 || fastest_s < L.kth(k) ||
                     (opt.count_faster_than_s > 0 && fastest_s < opt.count_faster_than_s) ||
                     !L.dominated(fastest_s, r.peak_memory_gib, cg.gpus);
            };
            if (rc == Recompute::full && !r.oom && !lighter_fits && may_place()) {
              // Recompute only as many layers per chunk as fit (Megatron's block method): memory
              // falls as more layers are recomputed, so bisect for the fewest.
              StageSplit split;
              const int per_chunk = split_stages(m.layers, l, &split) ? split.max_chunk : 1;
              int lo = 1, hi = per_chunk;  // hi: known to fit (per_chunk layers = all of them)
              Result best = r;
              while (lo < hi) {
                const int mid = lo + (hi - lo) / 2;
                l.recompute_num_layers = mid;
                const Result t = estimate_step(m, cg, l, w);
                ++L.refined;
                if (t.oom) {
                  lo = mid + 1;
                } else {
                  hi = mid;
                  best = t;
                }
              }
              l.recompute_num_layers = 0;
              if (hi < per_chunk) {
                // Both go on offer: the fewest layers that fit is faster; recomputing every layer
                // uses the least memory (the Pareto front's low end).
                if (r.step_s < opt.count_faster_than_s) ++L.faster;
                L.offer({l, r}, k);
                l.recompute_num_layers = hi;
                r = best;
              }
            }
            if (r.oom) {
              const Reject why = r.first.total_gib > r.usable_memory_gib  ? Reject::kOomFirstStage
                                 : r.last.total_gib > r.usable_memory_gib ? Reject::kOomLastStage
                                                                          : Reject::kOomMiddleStage;
              L.rejected[static_cast<int>(why)] += 1;
              continue;
            }
            if (r.step_s < opt.count_faster_than_s) ++L.faster;
            L.offer({l, r}, k);
          }
        }
      }
    }
  };
  if (threads == 1) {
    worker(0);
  } else {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(worker, t);
    for (auto& t : pool) t.join();
  }

  // Merge.
  Local all = head;
  for (const Local& L : locals) {
    all.considered += L.considered;
    all.evaluated += L.evaluated;
    all.refined += L.refined;
    all.faster += L.faster;
    for (int i = 0; i < static_cast<int>(Reject::kCount); ++i) all.rejected[i] += L.rejected[i];
    for (const Candidate& cnd : L.top) all.offer(cnd, k);
    for (const Candidate& cnd : L.pareto) all.offer(cnd, k);
  }
  out.top = all.top;
  out.pareto = all.pareto;
  std::sort(out.pareto.begin(), out.pareto.end(), better);
  out.considered = all.considered;
  out.evaluated = all.evaluated;
  out.refined = all.refined;
  out.faster = all.faster;
  for (int i = 0; i < static_cast<int>(Reject::kCount); ++i) out.rejected[i] = all.rejected[i];
  out.cancelled = stopped.load();
  if (opt.progress) opt.progress(1.0);
  return out;
}

}  // namespace danlu
