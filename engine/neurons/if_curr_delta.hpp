// IF_curr_delta: leaky integrate-and-fire neuron with instantaneous (delta) synapses, the
// neuron of Brunel (2000) and NEST's iaf_psc_delta.
//
//   cm dv/dt = cm (v_rest - v) / tau_m + i_offset + I_stim
//   a spike of weight w (mV) moves v by +w (excitatory) or -w (inhibitory) on arrival
//   v >= v_thresh: spike, v <- v_reset, refractory for round(tau_refrac/dt) steps
//
// Integration: exact over each step. As in NEST's iaf_psc_delta, the jumps arriving at step
// t are added after the step's propagation, so the threshold sees them whole; input arriving
// during the refractory period is discarded.
#pragma once

#include "engine/neurons/group.hpp"

namespace engram::neurons {

struct IfCurrDelta {
  static constexpr std::array<ParamSpec, 7> parameters{{
      {"cm", "nF", 1.0, 0.0, inf, true, "membrane capacitance"},
      {"tau_m", "ms", 20.0, 0.0, inf, true, "membrane time constant"},
      {"tau_refrac", "ms", 0.1, 0.0, inf, false, "refractory period"},
      {"v_rest", "mV", -65.0, -inf, inf, false, "resting membrane potential"},
      {"v_reset", "mV", -65.0, -inf, inf, false, "potential after a spike"},
      {"v_thresh", "mV", -50.0, -inf, inf, false, "spike threshold"},
      {"i_offset", "nA", 0.0, -inf, inf, false, "constant injected current"},
  }};
  static constexpr std::array<StateSpec, 1> state{{
      {"v", "mV", -65.0, "membrane potential", "v_rest"},
  }};

  struct Runtime {
    double v_rest, v_reset, v_thresh, i_offset, p22, p20;
    std::int32_t refractory;  // steps
    Runtime(std::uint64_t, const std::vector<double>& p, const GroupContext& c)
        : v_rest(p[3]),
          v_reset(p[4]),
          v_thresh(p[5]),
          i_offset(p[6]),
          p22(std::exp(-c.dt / p[1])),
          p20(p[1] / p[0] * -std::expm1(-c.dt / p[1])),
          refractory(refractory_steps(p[2], c.dt)) {}
  };

  // Two passes: a branch-free loop over the arrays (it vectorizes), then the spike ids.
  static void update(Runtime& k, Columns<1>& s, const StepInput& in, std::uint32_t begin,
                     std::uint32_t end, SpikeOut& out) {
    if (in.currents)
      advance<true>(k, s.col[0], s.refractory, s.fired, in.exc, in.inh, in.injected, begin, end);
    else
      advance<false>(k, s.col[0], s.refractory, s.fired, in.exc, in.inh, in.injected, begin, end);
    collect_spikes(s.fired, begin, end, out);
  }

  // Restrict-qualified parameters (and the constants copied by value) tell the compiler that
  // no two arrays overlap, which it needs to vectorize the loop.
  template <bool kCurrents>
  ENGRAM_VECTOR_CLONES static void advance(const Runtime k, double* __restrict v,
                                           std::int32_t* __restrict ref,
                                           std::uint8_t* __restrict fired, double* __restrict exc,
                                           double* __restrict inh,
                                           const double* __restrict injected, std::size_t begin,
                                           std::size_t end) {
    for_each_neuron(begin, end, fired, [&](std::size_t i, std::int32_t& flag) ENGRAM_LAMBDA_INLINE {
      const double jump = exc[i] - inh[i];
      exc[i] = 0.0;
      inh[i] = 0.0;
      const double v0 = v[i];
      const std::int32_t r0 = ref[i];
      const double stepped = k.v_rest + (v0 - k.v_rest) * k.p22 +
                             (k.i_offset + stimulus<kCurrents>(injected, i)) * k.p20 + jump;
      fire_or_hold(stepped, r0, k.v_thresh, k.v_reset, k.refractory, v[i], ref[i], flag);
    });
  }
};

}  // namespace engram::neurons
