// The runtime group shared by all neuron models: state columns as arrays, and the
// dispatch of one update call per step and index range to the model's kernel.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "engine/fast_math.hpp"
#include "engine/neuron_model.hpp"

namespace engram::neurons {

inline constexpr double inf = std::numeric_limits<double>::infinity();

// The columns of one population: pointers into the group's arrays, indexed by neuron.
// Refractory counts are 32-bit integers (4 of the bytes a kernel moves per neuron and step,
// not 8); `fired` is scratch for the two-pass kernels, a byte per neuron so that the second
// pass reads eight neurons with one load.
template <std::size_t N>
struct Columns {
  std::array<double*, N> col{};
  std::int32_t* refractory = nullptr;  // remaining refractory steps
  std::uint8_t* fired = nullptr;       // scratch: 1 where a neuron fired in this update, else 0
};

// The end of a neuron's step in a vectorized kernel, as selects: a refractory neuron (r0 > 0)
// stays at v_reset (where its spike left it) and counts down; an active one takes `stepped`,
// and if that reaches v_thresh it fires, is reset and becomes refractory for `refractory`
// steps. Every output is a select of computed values, never "keep the old value", so the
// compiler stores whole vectors instead of masked stores behind branches.
// Returns whether the neuron fired; `Flag` is the type of the kernel's spike flags (see
// kFlagChunk below).
template <class Flag>
ENGRAM_KERNEL_INLINE bool fire_or_hold(double stepped, std::int32_t r0, double v_thresh,
                                       double v_reset, std::int32_t refractory, double& v,
                                       std::int32_t& ref, Flag& fired) {
  const bool active = r0 <= 0;
  const bool fire = active & (stepped >= v_thresh);
  v = active & !fire ? stepped : v_reset;
  const std::int32_t counted = active ? 0 : r0 - 1;
  ref = fire ? refractory : counted;
  fired = fire;
  return fire;
}

// Kernels write their spike flags in chunks of kFlagChunk neurons, as 32-bit words into a
// local array that stays in L1, and narrow each chunk into `fired`'s bytes after it. With
// byte flags in the main loop GCC vectorizes it 64 neurons at a time (the narrowest element
// sets the width), more values than the registers hold, and spills them; with 32-bit flags
// it takes 16 at a time. Together with exp_vec's fused multiply-adds this took the exact
// IF_cond_exp kernel from 2.33 to 1.86 ns per neuron and step (10,000 neurons, best of 12
// alternating runs; each change alone: 2.26 and 2.17). The AdEx and Izhikevich kernels write
// their byte flags directly: in chunks they were slower.
inline constexpr std::size_t kFlagChunk = 256;

ENGRAM_KERNEL_INLINE void narrow_flags(const std::int32_t* __restrict flags,
                                       std::uint8_t* __restrict fired, std::size_t n) {
  for (std::size_t j = 0; j < n; ++j) fired[j] = static_cast<std::uint8_t>(flags[j]);
}

// The loop of a kernel: step(i, flag) for every neuron i in [begin, end), chunk by chunk,
// `flag` being the neuron's 32-bit spike flag; the flags end up in fired[begin, end).
template <class Step>
ENGRAM_KERNEL_INLINE void for_each_neuron(std::size_t begin, std::size_t end,
                                          std::uint8_t* __restrict fired, Step&& step) {
  alignas(64) std::int32_t flags[kFlagChunk];
  for (std::size_t c = begin; c < end; c += kFlagChunk) {
    const std::size_t stop = std::min(end, c + kFlagChunk);
    for (std::size_t i = c; i < stop; ++i) step(i, flags[i - c]);
    narrow_flags(flags, fired + c, stop - c);
  }
}

// A kernel's stimulus current for neuron i. Kernels are compiled twice: kCurrents false for
// populations without current stimuli (StepInput::currents), whose kernel then does not
// read the array of zeros (about 15 % of IF_cond_exp's time). Adding the literal 0.0
// instead gives the same bits as adding the array's zeros.
template <bool kCurrents>
ENGRAM_KERNEL_INLINE double stimulus(const double* __restrict injected, std::size_t i) {
  if constexpr (kCurrents)
    return injected[i];
  else
    return 0.0;
}

// Second pass of a vectorized kernel: the ids of the neurons flagged in `fired`, ascending.
inline void collect_spikes(const std::uint8_t* fired, std::uint32_t begin, std::uint32_t end,
                           SpikeOut& out) {
  const auto word_at = [fired](std::uint32_t i) {
    std::uint64_t word;
    std::memcpy(&word, fired + i, sizeof word);
    return word;
  };
  // A word holds the flags of 8 neurons, and a block of 8 words is tested at once: at the
  // usual rates most blocks of 64 neurons have no spike in a step.
  std::uint32_t i = begin;
  for (; i + 64 <= end; i += 64) {
    std::uint64_t any = 0;
    for (std::uint32_t w = 0; w < 64; w += 8) any |= word_at(i + w);
    if (any == 0) continue;
    for (std::uint32_t j = i; j < i + 64; j += 8) {
      std::uint64_t word = word_at(j);
      static_assert(std::endian::native == std::endian::little, "byte k of a word is bits 8k..");
      while (word != 0) {  // a set flag is the byte 1: its lowest bit marks the neuron
        out.push(j + static_cast<std::uint32_t>(std::countr_zero(word)) / 8);
        word &= word - 1;
      }
    }
  }
  for (; i < end; ++i)
    if (fired[i] != 0) out.push(i);
}

// Model requirements:
//   static constexpr std::array<ParamSpec, P> parameters;
//   static constexpr std::array<StateSpec, S> state;
//   struct Runtime { Runtime(std::uint64_t n, const std::vector<double>& p,
//                            const GroupContext& c); ... };
//   static void update(Runtime&, Columns<S>&, const StepInput&, std::uint32_t begin,
//                      std::uint32_t end, SpikeOut&);
template <class Model>
class Group final : public NeuronGroup {
 public:
  static constexpr std::size_t kColumns = Model::state.size();

  Group(std::uint64_t n, const std::vector<double>& params, const GroupContext& context)
      : n_(n), runtime_(n, params, context), refractory_(n, 0), fired_(n, 0) {
    for (std::size_t c = 0; c < kColumns; ++c) {
      data_[c].assign(n, 0.0);
      columns_.col[c] = data_[c].data();
    }
    columns_.refractory = refractory_.data();
    columns_.fired = fired_.data();
  }

  void update(const StepInput& in, std::uint32_t begin, std::uint32_t end, SpikeOut& out) override {
    assert(end <= n_);
    Model::update(runtime_, columns_, in, begin, end, out);
  }

  std::span<double> column(std::string_view name) override {
    for (std::size_t c = 0; c < kColumns; ++c)
      if (Model::state[c].name == name) return data_[c];
    return {};
  }

  std::uint64_t size() const override { return n_; }
  bool add_spike(std::uint32_t i, Step step) override {
    if constexpr (requires { Model::add_spike(runtime_, i, step); }) {
      Model::add_spike(runtime_, i, step);
      return true;
    } else {
      return false;
    }
  }
  std::size_t bytes_per_neuron() const override {
    return kColumns * sizeof(double) + sizeof(std::int32_t) + sizeof(std::uint8_t);
  }

 private:
  std::uint64_t n_;
  typename Model::Runtime runtime_;
  std::array<std::vector<double>, kColumns> data_;
  std::vector<std::int32_t> refractory_;
  std::vector<std::uint8_t> fired_;
  Columns<kColumns> columns_;
};

template <class Model>
std::unique_ptr<NeuronGroup> create_group(std::uint64_t n, const std::vector<double>& params,
                                          const GroupContext& context) {
  return std::make_unique<Group<Model>>(n, params, context);
}

// Steps of a refractory period: round(tau_refrac / dt), held in 32 bits (4 bytes per neuron
// instead of 8 in the arrays that every kernel streams). A period of 2^31 - 1 steps or more
// (2.5 days of simulated time at dt = 0.1 ms, or an infinite tau_refrac) is held as 2^31 - 1
// steps: the same for any run shorter than that.
inline std::int32_t refractory_steps(double tau_refrac, double dt) {
  constexpr double kMax = std::numeric_limits<std::int32_t>::max();
  const double steps = std::round(tau_refrac / dt);
  return steps >= kMax ? std::numeric_limits<std::int32_t>::max()
                       : static_cast<std::int32_t>(steps);
}

// Exact propagator from an exponentially decaying current (time constant tau_syn) to the
// membrane potential of a leaky integrator (tau_m, cm) over one step h:
//   (1/cm) ∫_0^h e^{-(h-s)/tau_m} e^{-s/tau_syn} ds,
// written with expm1 so that it stays accurate as tau_syn approaches tau_m.
inline double propagator_exp(double tau_syn, double tau_m, double cm, double h) {
  const double a = 1.0 / tau_m - 1.0 / tau_syn;
  const double x = a * h;
  const double factor = (std::fabs(x) < 1e-300) ? h : std::expm1(x) / a;
  return std::exp(-h / tau_m) * factor / cm;
}

// Exact propagator from the rate variable y of an alpha current (I(s) = y0·s·e^{-s/tau_syn})
// to the membrane potential: (1/cm) ∫_0^h e^{-(h-s)/tau_m} s e^{-s/tau_syn} ds.
inline double propagator_alpha(double tau_syn, double tau_m, double cm, double h) {
  const double a = 1.0 / tau_m - 1.0 / tau_syn;
  const double x = a * h;
  // h²·f(x), f(x) = (e^x (x - 1) + 1) / x², by its series near 0 where the closed form cancels.
  double f;
  if (std::fabs(x) < 1e-3)
    f = 0.5 + x / 3.0 + x * x / 8.0 + x * x * x / 30.0;
  else
    f = (std::exp(x) * (x - 1.0) + 1.0) / (x * x);
  return std::exp(-h / tau_m) * h * h * f / cm;
}

}  // namespace engram::neurons
