// The pieces of one simulation step, shared by every backend. Each works on one partition
// (a neuron range of the target population, or the synapse table of one partition), so a
// backend may run partitions on different threads without any two writing the same memory.
//
// Schedule of step t for a population (DESIGN.md §2): stimuli set the injected currents and
// add Poisson input to the ring slot of t; the kernel adds the slot of t to the synaptic
// state, advances every neuron and emits spikes; spikes reach STDP histories. Then every
// spike of t is delivered into the ring slots of t + delay, in canonical order (projection,
// presynaptic id, synapse).
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <span>
#include <vector>

#include "engine/random.hpp"
#include "engine/runtime.hpp"

namespace engram {

// Below this mean a Poisson count is drawn by inversion from one 32-bit uniform: a table of
// at most a few hundred thresholds, counted in a vectorized loop (about 4 ns per draw at mean
// 20, where Stream::poisson's rejection method takes 75).
inline constexpr double kSmallPoissonMean = 64.0;

// Poisson counts of small means by inversion from one 32-bit word w per draw, u = (w + ½)
// 2^-32: the count is the first k with u <= P(K <= k), capped at kMaxPoissonCount. As
// u > c exactly when w >= floor(c 2^32 - ½) + 1 (every term exact in double), the count is
// the number of thresholds w reaches: a branch-free sum that vectorizes. The cumulative
// probabilities are summed in order from e^-mean by p_k = p_{k-1} · mean / k; the table
// ends at the first threshold no word reaches.
inline constexpr std::uint32_t kMaxPoissonCount = 1000;
inline std::vector<std::uint32_t> poisson_thresholds(double mean) {
  std::vector<std::uint32_t> thresholds;
  double p = std::exp(-mean);
  double cumulative = p;
  for (std::uint32_t k = 0; k < kMaxPoissonCount;) {
    const double bound = std::floor(std::ldexp(cumulative, 32) - 0.5) + 1.0;
    if (bound > 4294967295.0) break;
    thresholds.push_back(bound <= 0.0 ? 0u : static_cast<std::uint32_t>(bound));
    ++k;
    p *= mean / k;
    cumulative += p;
  }
  return thresholds;
}

// Adds PoissonInput drive `d` of step t to `slot` for neurons [b, e). One Philox block
// serves four neurons: neuron i uses word i mod 4 of the block keyed by i / 4, whoever
// computes it, so the draws do not depend on the partitioning. Blocks are drawn many at a
// time (philox_first_blocks) and the counts summed branch-free, both in vectorized loops.
ENGRAM_VECTOR_CLONES inline void add_poisson_input(const PoissonDrive& d, std::uint64_t seed,
                                                   Step t, std::uint32_t b, std::uint32_t e,
                                                   double* slot) {
  const auto step = static_cast<std::uint32_t>(t);
  if (d.mean_per_step >= kSmallPoissonMean) {
    for (std::uint32_t i = b; i < e; ++i) {
      Stream stream(seed, Purpose::poisson_input, d.stream, i, step);
      const std::uint32_t k = stream.poisson(d.mean_per_step);
      if (k) slot[i] += k * d.weight;
    }
    return;
  }
  constexpr std::uint32_t kBlocks = 64;
  alignas(64) std::uint32_t words[4][kBlocks];
  alignas(64) std::uint32_t ordered[4 * kBlocks];  // the words in neuron order
  alignas(64) std::uint32_t counts[4 * kBlocks];
  const std::uint32_t last_block = (e - 1) / 4;
  for (std::uint32_t first = b / 4; first <= last_block; first += kBlocks) {
    const std::uint32_t n = std::min(kBlocks, last_block + 1 - first);
    philox_first_blocks(seed, Purpose::poisson_input, d.stream, first, step, n, words[0], words[1],
                        words[2], words[3]);
    for (std::uint32_t j = 0; j < n; ++j)
      for (std::uint32_t w = 0; w < 4; ++w) ordered[4 * j + w] = words[w][j];
    // The neurons of these blocks that are in [b, e), as offsets into `ordered`.
    const std::uint32_t lo = std::max(b, 4 * first) - 4 * first;
    const std::uint32_t hi = std::min(e - 4 * first, 4 * n);
    std::fill(counts + lo, counts + hi, 0u);
    for (const std::uint32_t threshold : d.thresholds)
      for (std::uint32_t j = lo; j < hi; ++j) counts[j] += ordered[j] >= threshold ? 1u : 0u;
    // Adding 0·weight changes no value (at most the sign of a zero input), so every neuron
    // takes the add and the loop has no branch.
    double* out = slot + 4 * first;
    for (std::uint32_t j = lo; j < hi; ++j) out[j] += counts[j] * d.weight;
  }
}

// Stimuli of step t for neurons [r.begin, r.end) of population `pop`.
inline void apply_stimuli(Runtime& rt, std::uint32_t pop, Step t, Range r) {
  PopulationRuntime& p = rt.populations[pop];
  if (!p.current_changes.empty() &&
      std::binary_search(p.current_changes.begin(), p.current_changes.end(), t)) {
    for (std::uint32_t i = r.begin; i < r.end; ++i) {
      double total = 0.0;
      for (const auto& c : p.currents)
        if (i >= c.target.begin && i < c.target.end) total += c.at(t);
      p.injected[i] = total;
    }
  }
  for (const PoissonDrive& d : p.poisson_inputs) {
    const std::uint32_t b = std::max(r.begin, d.target.begin), e = std::min(r.end, d.target.end);
    if (b < e) add_poisson_input(d, rt.seed, t, b, e, p.ring.at(t, d.receptor));
  }
}

// Advances neurons [r.begin, r.end) of `pop` through step t; returns the number of spikes
// written to `ids` (ascending).
inline std::uint32_t update_population(Runtime& rt, std::uint32_t pop, Step t, Range r,
                                       std::uint32_t* ids) {
  PopulationRuntime& p = rt.populations[pop];
  apply_stimuli(rt, pop, t, r);
  StepInput in;
  in.step = t;
  in.exc = p.ring.at(t, Receptor::excitatory);
  in.inh = p.ring.at(t, Receptor::inhibitory);
  in.injected = p.injected.data();
  in.currents = !p.currents.empty();
  SpikeOut out{ids, 0};
  p.group->update(in, r.begin, r.end, out);
  return out.count;
}

// Appends the spikes of step t of population `pop` (neurons owned by the caller) to the
// postsynaptic histories of the STDP projections into it. A spike at step 0 coincides with
// the history's placeholder and, as on SpiNNaker, never pairs: it is not recorded.
inline void record_post_spikes(Runtime& rt, std::uint32_t pop, Step t,
                               std::span<const std::uint32_t> ids) {
  if (t == 0) return;
  for (std::uint32_t j : rt.plastic_in[pop]) {
    ProjectionRuntime& pr = rt.projections[j];
    StdpRuntime& s = *pr.stdp;
    const double tau_minus = s.spec.timing.tau_minus;
    for (std::uint32_t id : ids) {
      if (id < pr.post_range.begin || id >= pr.post_range.end) continue;
      const std::uint64_t cap = StdpRuntime::capacity;
      std::uint64_t& count = s.post_count[id];
      const std::uint64_t next = id * cap + count % cap;
      if (!s.one_shot) {
        const std::uint64_t last = id * cap + (count - 1) % cap;
        s.post_trace[next] =
            s.post_trace[last] *
                std::exp(-static_cast<double>(t - s.post_step[last]) * s.dt / tau_minus) +
            1.0;
      }
      s.post_step[next] = t;
      ++count;
    }
  }
}

// The presynaptic ids of `ids` that fall in `range`, as a subspan (ids are ascending).
inline std::span<const std::uint32_t> within(std::span<const std::uint32_t> ids, Range range) {
  const auto b = std::lower_bound(ids.begin(), ids.end(), range.begin);
  const auto e = std::lower_bound(b, ids.end(), range.end);
  return {b, e};
}

// The weight change of one plastic synapse whose presynaptic neuron spikes at step t
// (shared/models/ca3_cam.md, "STDP"): potentiation for each post spike seen since the last
// presynaptic spike, in time order, then depression from the latest post spike seen; the
// weight is clamped after each event. Returns the new weight.
inline double stdp_update(const StdpRuntime& s, double w, std::uint32_t post, Step t, Step d,
                          Step last_pre, double r_last, std::uint64_t& overflows) {
  const SpikePairRule& rule = s.spec.timing;
  const WeightDependence& dep = s.spec.weight_dependence;
  const bool additive = dep.kind == WeightDependence::Kind::additive;
  const std::uint64_t cap = StdpRuntime::capacity;
  const std::uint64_t count = s.post_count[post];
  const std::uint64_t oldest = count > cap ? count - cap : 0;
  const Step* steps = &s.post_step[post * cap];
  const double* traces = &s.post_trace[post * cap];
  // Newest history entry seen by the synapse: step <= t - d.
  std::uint64_t newest = count;  // one past
  while (newest > oldest && steps[(newest - 1) % cap] > t - d) --newest;
  if (newest == oldest) {         // every kept entry is too recent
    if (oldest > 0) ++overflows;  // and older ones were overwritten
    return w;
  }
  // First entry after the previous presynaptic spike: step > last_pre - d.
  std::uint64_t first = newest;
  while (first > oldest && steps[(first - 1) % cap] > last_pre - d) --first;
  if (first == oldest && oldest > 0) ++overflows;  // older entries may have been lost
  if (r_last > 0.0) {
    for (std::uint64_t k = std::max<std::uint64_t>(first, 1); k < newest; ++k) {
      const double delta = static_cast<double>(steps[k % cap] + d - last_pre) * s.dt;
      const double x = r_last * std::exp(-delta / rule.tau_plus);
      w += additive ? rule.A_plus * x : rule.A_plus * (dep.w_max - w) * x;
      w = std::min(w, dep.w_max);
    }
  }
  const std::uint64_t latest = newest - 1;
  if (latest >= 1) {  // a real post spike, not the placeholder
    const double delta = static_cast<double>(t - (steps[latest % cap] + d)) * s.dt;
    const double y = traces[latest % cap] * std::exp(-delta / rule.tau_minus);
    w -= additive ? rule.A_minus * y : rule.A_minus * (w - dep.w_min) * y;
    w = std::max(w, dep.w_min);
  }
  return w;
}

// The one-shot rule (OneShotSpec) for a synapse whose presynaptic neuron spikes again: the
// synapse learns if its post neuron fired in the step the previous presynaptic spike
// (`last_pre`, -1 for none) arrived over delay d, before the learning window closed.
inline double one_shot_update(const StdpRuntime& s, double w, std::uint32_t post, Step d,
                              Step last_pre, std::uint64_t& overflows) {
  if (last_pre < 0 || w == s.learned_weight) return w;
  const Step arrival = last_pre + d;
  if (arrival >= s.learn_until) return w;
  const std::uint64_t cap = StdpRuntime::capacity;
  const std::uint64_t count = s.post_count[post];
  const std::uint64_t oldest = count > cap ? count - cap : 0;
  const Step* steps = &s.post_step[post * cap];
  for (std::uint64_t k = count; k > oldest; --k) {
    const Step when = steps[(k - 1) % cap];
    if (when == arrival) return s.learned_weight;
    if (when < arrival) return w;
  }
  if (oldest > 0) ++overflows;  // the entry may have been overwritten
  return w;
}

// Delivers the spikes `ids` of step t of the projection's presynaptic population through
// the synapse table of partition `part`.
inline void deliver(Runtime& rt, std::uint32_t projection, std::uint32_t part, Step t,
                    std::span<const std::uint32_t> ids) {
  ProjectionRuntime& pr = rt.projections[projection];
  const auto pre = within(ids, pr.pre_range);
  if (pre.empty()) return;
  SynapseTable& table = pr.tables[part];
  InputRing& ring = rt.populations[pr.post].ring;
  const std::uint64_t* offsets = table.offsets.data();
  const std::uint32_t base = pr.pre_range.begin;
  const std::uint32_t mask = pr.target_mask, shift = pr.delay_shift;
  // The same loops over 16- or 32-bit target words.
  const auto deliver_rows = [&](const auto* targets) {
    if (pr.stdp && pr.stdp->one_shot) {
      StdpRuntime& s = *pr.stdp;
      double* weights = table.plastic.data();
      Step* last = s.pre_step[part].data();
      for (std::uint32_t id : pre) {
        const std::uint32_t row = id - base;
        for (std::uint64_t k = offsets[row]; k < offsets[row + 1]; ++k) {
          const std::uint32_t word = targets[k];
          const Step d = pr.min_delay + (shift == 32 ? 0 : (word >> shift));
          const std::uint32_t target = word & mask;
          const double w = one_shot_update(s, weights[k], target, d, last[row], s.overflows[part]);
          weights[k] = w;
          ring.at(t + d, pr.receptor)[target] += w;
        }
        last[row] = t;
      }
      return;
    }
    if (pr.stdp) {
      StdpRuntime& s = *pr.stdp;
      double* weights = table.plastic.data();
      Step* last = s.pre_step[part].data();
      double* trace = s.pre_trace[part].data();
      for (std::uint32_t id : pre) {
        const std::uint32_t row = id - base;
        const Step last_pre = last[row];
        const double r_last = trace[row];
        for (std::uint64_t k = offsets[row]; k < offsets[row + 1]; ++k) {
          const std::uint32_t word = targets[k];
          const Step d = pr.min_delay + (shift == 32 ? 0 : (word >> shift));
          const std::uint32_t target = word & mask;
          const double w =
              stdp_update(s, weights[k], target, t, d, last_pre, r_last, s.overflows[part]);
          weights[k] = w;
          ring.at(t + d, pr.receptor)[target] += w;
        }
        trace[row] =
            r_last * std::exp(-static_cast<double>(t - last_pre) * s.dt / s.spec.timing.tau_plus) +
            1.0;
        last[row] = t;
      }
      return;
    }

    // Variable delays: the ring slot of each delay offset, looked up once per call when the
    // projection's delays span few steps (the usual case), else per synapse.
    constexpr Step kDirectSlots = 64;
    std::array<double*, kDirectSlots> slots;  // filled only when `direct`; no clearing per call
    const bool direct = shift != 32 && pr.max_delay - pr.min_delay < kDirectSlots;
    if (direct)
      for (Step d = 0; d <= pr.max_delay - pr.min_delay; ++d)
        slots[static_cast<std::size_t>(d)] = ring.at(t + pr.min_delay + d, pr.receptor);
    auto slot_of = [&](std::uint32_t offset) {
      return direct ? slots[offset] : ring.at(t + pr.min_delay + offset, pr.receptor);
    };

    // Rows are read one spike at a time, far apart in the table, and a partition's part of a
    // row is short (about 1 KB in Brunel on 2 threads): the hardware prefetcher has no time to
    // find each new stream, and loads of the first target words and of the row offsets
    // waited on memory (perf). So the rows are fetched ahead: the offsets of the spike
    // 2·kAhead on, the first kPrefetchBytes of targets (and weights) of the spike kAhead on.
    // Brunel: serial 1.37 → 1.10 s, 2 threads 0.98 → 0.77 s (medians of 5, alternated).
    // The lambda must be always_inline: GCC takes a function that only prefetches for one
    // without effects and deletes the calls.
    constexpr std::size_t kAhead = 2, kPrefetchBytes = 2048;
    const float* weights = table.weights.data();
    const bool uniform = pr.uniform_weight;
    const auto prefetch = [&](std::size_t i) __attribute__((always_inline)) {
      if (i + 2 * kAhead < pre.size()) __builtin_prefetch(&offsets[pre[i + 2 * kAhead] - base]);
      if (i + kAhead >= pre.size()) return;
      const std::uint32_t row = pre[i + kAhead] - base;
      const std::uint64_t b = offsets[row],
                          n = std::min<std::uint64_t>(offsets[row + 1] - b,
                                                      kPrefetchBytes / sizeof(*targets));
      const auto* first = reinterpret_cast<const char*>(targets + b);
      for (std::uint64_t byte = 0; byte < n * sizeof(*targets); byte += 64)
        __builtin_prefetch(first + byte);
      if (!uniform)
        for (std::uint64_t byte = 0; byte < n * sizeof(float); byte += 64)
          __builtin_prefetch(reinterpret_cast<const char*>(weights + b) + byte);
    };

    if (uniform) {
      const double w = pr.weight;
      for (std::size_t i = 0; i < pre.size(); ++i) {
        prefetch(i);
        const std::uint32_t row = pre[i] - base;
        const std::uint64_t end = offsets[row + 1];
        if (shift == 32) {
          double* slot = ring.at(t + pr.min_delay, pr.receptor);
          for (std::uint64_t k = offsets[row]; k < end; ++k) slot[targets[k]] += w;
        } else {
          for (std::uint64_t k = offsets[row]; k < end; ++k) {
            const std::uint32_t word = targets[k];
            slot_of(word >> shift)[word & mask] += w;
          }
        }
      }
      return;
    }
    if (shift == 32) {
      double* slot = ring.at(t + pr.min_delay, pr.receptor);
      for (std::size_t i = 0; i < pre.size(); ++i) {
        prefetch(i);
        const std::uint32_t row = pre[i] - base;
        const std::uint64_t end = offsets[row + 1];
        for (std::uint64_t k = offsets[row]; k < end; ++k) slot[targets[k]] += weights[k];
      }
      return;
    }
    for (std::size_t i = 0; i < pre.size(); ++i) {
      prefetch(i);
      const std::uint32_t row = pre[i] - base;
      for (std::uint64_t k = offsets[row]; k < offsets[row + 1]; ++k) {
        const std::uint32_t word = targets[k];
        slot_of(word >> shift)[word & mask] += weights[k];
      }
    }
  };
  if (pr.narrow)
    deliver_rows(table.narrow.data());
  else
    deliver_rows(table.targets.data());
}

// Whether the deliveries of different steps write disjoint ring slots, so that they may run
// in any order with the same bits: no projection is plastic (STDP updates a row's state
// spike after spike), and all projections into one receptor of a population share one
// delay D, so the spikes of step t reach only slot t + D of each ring.
inline bool steps_deliver_independently(const Runtime& rt) {
  std::vector<Step> delay(rt.populations.size() * 2, 0);  // [population][receptor]; 0: none
  for (const ProjectionRuntime& pr : rt.projections) {
    if (pr.stdp || pr.min_delay != pr.max_delay) return false;
    Step& d = delay[pr.post * 2 + static_cast<unsigned>(pr.receptor)];
    if (d != 0 && d != pr.min_delay) return false;
    d = pr.min_delay;
  }
  return true;
}

// Copies the recorded values of `rec` for neurons in [r.begin, r.end) into `out` (indexed
// like rec.neurons).
inline void sample(Runtime& rt, const RecordingRuntime& rec, Range r, double* out) {
  std::span<double> column = rt.populations[rec.population].group->column(rec.variable);
  const auto b = std::lower_bound(rec.neurons.begin(), rec.neurons.end(), r.begin);
  const auto e = std::lower_bound(b, rec.neurons.end(), r.end);
  for (auto it = b; it != e; ++it) out[it - rec.neurons.begin()] = column[*it];
}

}  // namespace engram
