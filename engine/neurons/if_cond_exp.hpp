// IF_cond_exp: leaky integrate-and-fire neuron with exponentially decaying conductances.
//
//   cm dv/dt = cm (v_rest - v)/tau_m + g_E (e_rev_E - v) + g_I (e_rev_I - v) + i_offset + I_stim
//   dg_X/dt  = -g_X / tau_syn_X,   a spike of weight w (µS) adds w to g_X
//
// Integration: the conductances decay exactly; over each step the membrane equation is
// solved exactly with each conductance replaced by its exact mean over the step,
// g·tau(1 - e^{-h/tau})/h. This is exact when the conductances are constant and
// second-order accurate in dt otherwise (checked against a converged reference in the
// tests); it never overshoots a reversal potential, whatever the conductance.
//
// Integration "euler": forward Euler for the whole system, the method Brian2 chooses for
// these equations (and that of its COBA example), so that a network can be run with the
// same numerics in both: v ← v + h/cm·(g_L(v_rest − v) + g_E(e_rev_E − v) + g_I(e_rev_I − v)
// + i_offset + I_stim), g_X ← g_X(1 − h/tau_syn_X). First order in dt, no exponential and
// no division per neuron and step; it needs h·(g_L + g_E + g_I)/cm < 2 to stay stable.
#pragma once

#include "engine/fast_math.hpp"
#include "engine/neurons/group.hpp"

namespace engram::neurons {

// One step of a conductance-based membrane with step-mean conductances ge, gi (µS).
ENGRAM_KERNEL_INLINE double cond_membrane_step(double v, double g_leak, double v_rest, double ge,
                                               double e_e, double gi, double e_i, double current,
                                               double cm, double h) {
  const double g_total = g_leak + ge + gi;
  const double v_inf =
      std::fma(gi, e_i, std::fma(ge, e_e, std::fma(g_leak, v_rest, current))) / g_total;
  return std::fma(v - v_inf, exp_vec(-h / cm * g_total), v_inf);
}

struct IfCondExp {
  static constexpr std::array<ParamSpec, 11> parameters{{
      {"cm", "nF", 1.0, 0.0, inf, true, "membrane capacitance"},
      {"tau_m", "ms", 20.0, 0.0, inf, true, "membrane time constant"},
      {"tau_refrac", "ms", 0.1, 0.0, inf, false, "refractory period"},
      {"tau_syn_E", "ms", 5.0, 0.0, inf, true, "decay time of excitatory conductance"},
      {"tau_syn_I", "ms", 5.0, 0.0, inf, true, "decay time of inhibitory conductance"},
      {"e_rev_E", "mV", 0.0, -inf, inf, false, "excitatory reversal potential"},
      {"e_rev_I", "mV", -70.0, -inf, inf, false, "inhibitory reversal potential"},
      {"v_rest", "mV", -65.0, -inf, inf, false, "resting membrane potential"},
      {"v_reset", "mV", -65.0, -inf, inf, false, "potential after a spike"},
      {"v_thresh", "mV", -50.0, -inf, inf, false, "spike threshold"},
      {"i_offset", "nA", 0.0, -inf, inf, false, "constant injected current"},
  }};
  static constexpr std::array<StateSpec, 3> state{{
      {"v", "mV", -65.0, "membrane potential", "v_rest"},
      {"gsyn_exc", "uS", 0.0, "excitatory conductance"},
      {"gsyn_inh", "uS", 0.0, "inhibitory conductance"},
  }};
  enum : std::size_t { kV, kGe, kGi };

  struct Runtime {
    bool euler;
    double cm, g_leak, e_e, e_i, v_rest, v_reset, v_thresh, i_offset, h;
    std::int32_t refractory;  // steps
    double decay_e, decay_i, mean_e, mean_i;
    double h_over_cm, euler_decay_e, euler_decay_i;  // forward Euler: h/cm, 1 - h/tau_syn
    Runtime(std::uint64_t, const std::vector<double>& p, const GroupContext& c)
        : euler(c.integration == "euler"),
          cm(p[0]),
          g_leak(p[0] / p[1]),
          e_e(p[5]),
          e_i(p[6]),
          v_rest(p[7]),
          v_reset(p[8]),
          v_thresh(p[9]),
          i_offset(p[10]),
          h(c.dt),
          refractory(refractory_steps(p[2], c.dt)) {
      decay_e = std::exp(-h / p[3]);
      decay_i = std::exp(-h / p[4]);
      mean_e = p[3] * -std::expm1(-h / p[3]) / h;
      mean_i = p[4] * -std::expm1(-h / p[4]) / h;
      h_over_cm = h / p[0];
      euler_decay_e = 1.0 - h / p[3];
      euler_decay_i = 1.0 - h / p[4];
    }
  };

  // Two passes: a branch-free loop over the arrays (it vectorizes), then the spike ids.
  static void update(Runtime& k, Columns<3>& s, const StepInput& in, std::uint32_t begin,
                     std::uint32_t end, SpikeOut& out) {
    const auto kernel = k.euler ? (in.currents ? &advance<true, true> : &advance<true, false>)
                                : (in.currents ? &advance<false, true> : &advance<false, false>);
    kernel(k, s.col[kV], s.col[kGe], s.col[kGi], s.refractory, s.fired, in.exc, in.inh, in.injected,
           begin, end);
    collect_spikes(s.fired, begin, end, out);
  }

  // Restrict-qualified parameters (and the constants copied by value) tell the compiler that
  // no two arrays overlap, which it needs to vectorize the loop. kEuler: forward Euler,
  // else the exact step with step-mean conductances.
  template <bool kEuler, bool kCurrents>
  ENGRAM_VECTOR_CLONES static void advance(const Runtime k, double* __restrict v,
                                           double* __restrict ge, double* __restrict gi,
                                           std::int32_t* __restrict ref,
                                           std::uint8_t* __restrict fired, double* __restrict exc,
                                           double* __restrict inh,
                                           const double* __restrict injected, std::size_t begin,
                                           std::size_t end) {
    for_each_neuron(begin, end, fired, [&](std::size_t i, std::int32_t& flag) ENGRAM_LAMBDA_INLINE {
      const double e = ge[i] + exc[i];
      const double n = gi[i] + inh[i];
      exc[i] = 0.0;
      inh[i] = 0.0;
      const double v0 = v[i];
      const std::int32_t r0 = ref[i];
      const double current = k.i_offset + stimulus<kCurrents>(injected, i);
      double stepped;
      if constexpr (kEuler)
        stepped = v0 + k.h_over_cm * (k.g_leak * (k.v_rest - v0) + e * (k.e_e - v0) +
                                      n * (k.e_i - v0) + current);
      else
        stepped = cond_membrane_step(v0, k.g_leak, k.v_rest, e * k.mean_e, k.e_e, n * k.mean_i,
                                     k.e_i, current, k.cm, k.h);
      fire_or_hold(stepped, r0, k.v_thresh, k.v_reset, k.refractory, v[i], ref[i], flag);
      ge[i] = e * (kEuler ? k.euler_decay_e : k.decay_e);
      gi[i] = n * (kEuler ? k.euler_decay_i : k.decay_i);
    });
  }
};

}  // namespace engram::neurons
