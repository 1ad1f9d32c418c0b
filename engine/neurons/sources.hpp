// Spike sources: populations whose spikes are given, not integrated.
#pragma once

#include <algorithm>

#include "engine/neurons/group.hpp"
#include "engine/random.hpp"

namespace engram::neurons {

// SpikeSourcePoisson: each neuron fires in each step of [start, start + duration) with
// probability rate·dt — a Bernoulli process per step, the discrete-time Poisson process
// (Brian2's PoissonGroup). Validation requires rate·dt <= 1; for thousands of inputs per
// neuron use the PoissonInput stimulus, which draws counts. Draws come from the counter-
// based stream (seed, poisson_source, population, neuron, step), so they do not depend on
// who computes them.
struct SpikeSourcePoisson {
  static constexpr std::array<ParamSpec, 3> parameters{{
      {"rate", "Hz", 1.0, 0.0, inf, false, "mean firing rate"},
      {"start", "ms", 0.0, 0.0, inf, false, "time of the first possible spike"},
      {"duration", "ms", 1e10, 0.0, inf, false, "length of the firing period"},
  }};
  static constexpr std::array<StateSpec, 0> state{};

  struct Runtime {
    double probability;
    Step first, last;  // [first, last)
    std::uint64_t seed;
    std::uint32_t population;
    Runtime(std::uint64_t, const std::vector<double>& p, const GroupContext& c)
        : probability(p[0] * c.dt * 1e-3), seed(c.seed), population(c.population) {
      first = static_cast<Step>(std::llround(p[1] / c.dt));
      const double stop = std::min((p[1] + p[2]) / c.dt, 9.0e18);
      last = static_cast<Step>(std::llround(stop));
    }
  };

  // Neuron i fires when the uniform of its stream's first two words (uniform_from_words, as
  // Stream::uniform() draws it) is below the probability. The words come many streams at a
  // time (philox_first_blocks) and the comparisons in a loop that vectorizes.
  static void update(Runtime& k, Columns<0>&, const StepInput& in, std::uint32_t begin,
                     std::uint32_t end, SpikeOut& out) {
    if (in.step < k.first || in.step >= k.last || k.probability <= 0.0) return;
    constexpr std::uint32_t kChunk = 256;
    alignas(64) std::uint32_t words[4][kChunk];
    alignas(64) std::uint8_t fired[kChunk];
    for (std::uint32_t c = begin; c < end; c += kChunk) {
      const std::uint32_t n = std::min(kChunk, end - c);
      philox_first_blocks(k.seed, Purpose::poisson_source, k.population, c,
                          static_cast<std::uint32_t>(in.step), n, words[0], words[1], words[2],
                          words[3]);
      draw(k.probability, words[0], words[1], fired, n);
      const std::uint32_t before = out.count;
      collect_spikes(fired, 0, n, out);
      for (std::uint32_t j = before; j < out.count; ++j) out.ids[j] += c;
    }
  }

  ENGRAM_VECTOR_CLONES static void draw(double probability, const std::uint32_t* __restrict w0,
                                        const std::uint32_t* __restrict w1,
                                        std::uint8_t* __restrict fired, std::uint32_t n) {
    for (std::uint32_t j = 0; j < n; ++j) fired[j] = uniform_from_words(w0[j], w1[j]) < probability;
  }
};

// SpikeSourceArray: each neuron fires at its listed times (rounded to the nearest step).
// Spikes can also be added between runs (add_spike), which is how a program drives a network
// interactively, one operation at a time.
struct SpikeSourceArray {
  static constexpr std::array<ParamSpec, 0> parameters{};
  static constexpr std::array<StateSpec, 0> state{};

  struct Runtime {
    std::vector<std::vector<Step>> steps;  // per neuron: sorted, unique
    std::vector<std::size_t> cursor;       // per neuron: first step not yet reached
    Runtime(std::uint64_t n, const std::vector<double>&, const GroupContext& c)
        : steps(n), cursor(n, 0) {
      const bool shared = c.spike_steps.size() == 1 && n != 1;
      if (c.spike_steps.empty()) return;
      for (std::uint64_t i = 0; i < n; ++i) steps[i] = c.spike_steps[shared ? 0 : i];
    }
  };

  static void update(Runtime& k, Columns<0>&, const StepInput& in, std::uint32_t begin,
                     std::uint32_t end, SpikeOut& out) {
    for (std::uint32_t i = begin; i < end; ++i) {
      const std::vector<Step>& list = k.steps[i];
      std::size_t& c = k.cursor[i];
      while (c < list.size() && list[c] < in.step) ++c;  // times before the run started
      if (c < list.size() && list[c] == in.step) {
        out.push(i);
        ++c;
      }
    }
  }

  // Adds a spike of neuron i at `step` (not before the steps already simulated).
  static void add_spike(Runtime& k, std::uint32_t i, Step step) {
    std::vector<Step>& list = k.steps[i];
    const auto at =
        std::lower_bound(list.begin() + static_cast<std::ptrdiff_t>(k.cursor[i]), list.end(), step);
    if (at == list.end() || *at != step) list.insert(at, step);
  }
};

}  // namespace engram::neurons
