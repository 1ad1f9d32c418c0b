// The compiled network: the arrays that backends advance. Built once by compile(); the run
// loop only reads and writes these arrays and allocates nothing.
//
// Partitions. Every population is split into P contiguous neuron ranges (P = 1 for the
// serial backend, the thread count for `threads`). Partition p owns range p of every
// population: it updates those neurons, and each projection keeps one synapse table per
// partition holding exactly the synapses whose targets partition p owns. Delivery therefore
// needs no atomics, and each target receives its inputs in the same order — (step,
// projection, presynaptic id, synapse) — whatever P is, which makes floating-point sums and
// so spike trains bit-identical across partitionings.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "engine/network.hpp"
#include "engine/neuron_model.hpp"
#include "engine/observer.hpp"

namespace engram {

// Contiguous range [begin, end) of neuron ids.
struct Range {
  std::uint32_t begin = 0, end = 0;
  std::uint32_t size() const { return end - begin; }
};

// Range p of P of a population of n neurons.
inline Range partition_range(std::uint64_t n, std::uint32_t p, std::uint32_t parts) {
  return {static_cast<std::uint32_t>(n * p / parts),
          static_cast<std::uint32_t>(n * (p + 1) / parts)};
}

// Input ring of a population, laid out [slot][receptor][neuron]: input due at step s lives in
// slot s mod slots. Slots cover the longest incoming delay.
struct InputRing {
  std::vector<double> data;
  std::uint64_t neurons = 0;
  std::uint32_t mask = 0;  // slots - 1, slots a power of two
  double* at(Step step, Receptor r) {
    return data.data() +
           ((static_cast<std::uint64_t>(step) & mask) * 2 + static_cast<unsigned>(r)) * neurons;
  }
};

// Injected current of one stimulus over time: amplitude from each change step onwards.
struct CurrentSchedule {
  Range target;
  std::vector<Step> steps;         // ascending
  std::vector<double> amplitudes;  // nA, one per step
  double at(Step s) const;         // amplitude in force at step s (0 before the first change)
};

struct PoissonDrive {
  Range target;
  double mean_per_step = 0.0;  // number · rate · dt
  // Small means are sampled by inversion from one 32-bit word w per neuron and step: the
  // count is the number of thresholds w reaches (poisson_thresholds in step.hpp).
  std::vector<std::uint32_t> thresholds;
  double weight = 0.0;
  Receptor receptor = Receptor::excitatory;
  std::uint32_t stream = 0;  // stimulus index, keys the random stream
};

struct PopulationRuntime {
  std::string name;
  std::uint64_t size = 0;
  const ModelInfo* model = nullptr;
  std::unique_ptr<NeuronGroup> group;
  InputRing ring;
  std::vector<double> injected;  // current stimuli, nA per neuron
  std::vector<CurrentSchedule> currents;
  std::vector<Step> current_changes;  // sorted union of all schedules' steps
  std::vector<PoissonDrive> poisson_inputs;
  bool record_spikes = true;
};

// Synapses of one projection whose targets one partition owns, stored by presynaptic
// neuron (CSR). A target word packs the post-population index in the low bits and the
// delay above the projection's minimum in the high bits (no bits when the delay is
// constant). Words are 16 bits wide when index and delay bits fit (post populations up to
// 65,536 neurons with one delay), else 32: delivery streams the words of every spiking row,
// so their width is most of its memory traffic. A static synapse thus costs one word and
// one float weight — or the word alone when the projection's synapses share one weight,
// which is then stored once.
struct SynapseTable {
  std::vector<std::uint64_t> offsets;  // one row per presynaptic neuron of the slice, + 1
  std::vector<std::uint16_t> narrow;   // the words when ProjectionRuntime::narrow
  std::vector<std::uint32_t> targets;  // the words otherwise
  std::vector<float> weights;          // static synapses
  std::vector<double> plastic;         // STDP synapses: weight (double keeps the rule exact)
  std::size_t size() const { return narrow.size() + targets.size(); }
  std::uint32_t word(std::uint64_t k) const { return narrow.empty() ? targets[k] : narrow[k]; }
};

// Spike-pair STDP: the state that lives outside the synapses.
struct StdpRuntime {
  StdpSpec spec;
  double dt = 0.1;
  // Postsynaptic spike history per post neuron (whole post population), a ring of the last
  // `capacity` spikes with the post trace o after each. Entry 0 of each neuron starts as the
  // placeholder (step 0, o = 0). Written only by the partition that owns the neuron.
  static constexpr std::uint32_t capacity = 64;
  std::vector<Step> post_step;            // [neuron][capacity]
  std::vector<double> post_trace;         // [neuron][capacity]
  std::vector<std::uint64_t> post_count;  // spikes ever pushed, including the placeholder
  // Presynaptic trace per partition (each partition evaluates its own synapses, so each
  // keeps an identical copy): last spike step and trace r after it, per pre neuron.
  std::vector<std::vector<Step>> pre_step;
  std::vector<std::vector<double>> pre_trace;
  // Potentiation events that may have been missed because a history ring had wrapped.
  std::vector<std::uint64_t> overflows;  // per partition
  // The one-shot rule (OneShotSpec) in place of spike-pair STDP: pre_step starts at -1 (no
  // spike yet) and post traces are not kept.
  bool one_shot = false;
  double learned_weight = 1.0;
  Step learn_until = std::numeric_limits<Step>::max();
};

struct ProjectionRuntime {
  std::string label;
  std::uint32_t pre = 0, post = 0;  // population indices
  Range pre_range, post_range;
  Receptor receptor = Receptor::excitatory;
  Step min_delay = 1;
  Step max_delay = 1;
  bool narrow = false;             // 16-bit target words (SynapseTable)
  std::uint32_t delay_shift = 32;  // word >> shift = delay - min_delay (32: constant delay)
  bool uniform_weight = false;     // static, one weight for all: tables hold no weights
  float weight = 0.0f;             // that weight
  std::uint32_t target_mask = 0xFFFFFFFFu;
  std::vector<SynapseTable> tables;  // one per partition
  std::unique_ptr<StdpRuntime> stdp;
  std::uint64_t synapse_count() const;
  // Weight of synapse k of partition `part`'s table.
  double weight_at(std::uint32_t part, std::uint64_t k) const {
    const SynapseTable& t = tables[part];
    return stdp ? t.plastic[k] : uniform_weight ? weight : t.weights[k];
  }
};

// A recorded state variable: where to find its values.
struct RecordingRuntime {
  std::uint32_t population = 0;
  std::string variable;
  std::vector<std::uint32_t> neurons;
  Step interval = 1;
};

struct Runtime {
  std::string name;
  double dt = 0.1;
  Step default_steps = 0;  // duration / dt
  std::uint64_t seed = 1;
  std::uint32_t partitions = 1;
  Step min_delay = 1;  // over all projections: the spike-exchange interval of `threads`
  std::vector<PopulationRuntime> populations;
  std::vector<ProjectionRuntime> projections;
  std::vector<std::vector<std::uint32_t>> outgoing;    // per population: projection indices
  std::vector<std::vector<std::uint32_t>> plastic_in;  // per population: STDP projections in
  std::vector<RecordingRuntime> recordings;
  RecordingPlan plan;

  std::uint64_t neuron_count() const;
  std::uint64_t synapse_count() const;
  // Bytes held by synapse tables (targets, weights, row offsets) of projection i, measured
  // from the allocated arrays.
  std::size_t synapse_bytes(std::size_t projection) const;
};

}  // namespace engram
