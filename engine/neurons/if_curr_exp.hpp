// IF_curr_exp: leaky integrate-and-fire neuron with exponentially decaying current synapses.
//
//   cm dv/dt = cm (v_rest - v) / tau_m + I_E - I_I + i_offset + I_stim
//   dI_X/dt  = -I_X / tau_syn_X,   a spike of weight w adds w to I_X
//   v >= v_thresh: spike, v <- v_reset, refractory (v held) for round(tau_refrac/dt) steps.
//
// Integration "exact" (default): the linear system is propagated exactly over each step
// (the scheme of NEST's iaf_psc_exp), with the step's input added to I_X before the step.
// Integration "spinnaker": the scheme of sPyNNaker's LIF with exponential current synapses,
// which the CA3 memory is calibrated against (shared/models/ca3_cam.md): input scaled by
// tau_syn(1 - e^{-dt/tau_syn})/dt, v integrated with the current held over the step,
// currents decayed after the update.
#pragma once

#include "engine/neurons/group.hpp"

namespace engram::neurons {

struct IfCurrExp {
  static constexpr std::array<ParamSpec, 9> parameters{{
      {"cm", "nF", 1.0, 0.0, inf, true, "membrane capacitance"},
      {"tau_m", "ms", 20.0, 0.0, inf, true, "membrane time constant"},
      {"tau_refrac", "ms", 0.1, 0.0, inf, false, "refractory period"},
      {"tau_syn_E", "ms", 5.0, 0.0, inf, true, "decay time of excitatory synaptic current"},
      {"tau_syn_I", "ms", 5.0, 0.0, inf, true, "decay time of inhibitory synaptic current"},
      {"v_rest", "mV", -65.0, -inf, inf, false, "resting membrane potential"},
      {"v_reset", "mV", -65.0, -inf, inf, false, "potential after a spike"},
      {"v_thresh", "mV", -50.0, -inf, inf, false, "spike threshold"},
      {"i_offset", "nA", 0.0, -inf, inf, false, "constant injected current"},
  }};
  static constexpr std::array<StateSpec, 3> state{{
      {"v", "mV", -65.0, "membrane potential", "v_rest"},
      {"isyn_exc", "nA", 0.0, "excitatory synaptic current"},
      {"isyn_inh", "nA", 0.0, "inhibitory synaptic current (magnitude)"},
  }};
  enum : std::size_t { kV, kIe, kIi };

  struct Runtime {
    bool spinnaker;
    double v_rest, v_reset, v_thresh, i_offset;
    std::int32_t refractory;                  // steps
    double p22, p11e, p11i, p21e, p21i, p20;  // exact propagators
    double scale_e, scale_i, r_m;             // spinnaker scheme
    Runtime(std::uint64_t, const std::vector<double>& p, const GroupContext& c)
        : spinnaker(c.integration == "spinnaker"),
          v_rest(p[5]),
          v_reset(p[6]),
          v_thresh(p[7]),
          i_offset(p[8]),
          refractory(refractory_steps(p[2], c.dt)) {
      const double cm = p[0], tau_m = p[1], te = p[3], ti = p[4], h = c.dt;
      p22 = std::exp(-h / tau_m);
      p11e = std::exp(-h / te);
      p11i = std::exp(-h / ti);
      p21e = propagator_exp(te, tau_m, cm, h);
      p21i = propagator_exp(ti, tau_m, cm, h);
      p20 = tau_m / cm * -std::expm1(-h / tau_m);
      scale_e = te * -std::expm1(-h / te) / h;
      scale_i = ti * -std::expm1(-h / ti) / h;
      r_m = tau_m / cm;
    }
  };

  static void update(Runtime& k, Columns<3>& s, const StepInput& in, std::uint32_t begin,
                     std::uint32_t end, SpikeOut& out) {
    double* v = s.col[kV];
    double* ie = s.col[kIe];
    double* ii = s.col[kIi];
    std::int32_t* ref = s.refractory;
    if (k.spinnaker) {
      for (std::uint32_t i = begin; i < end; ++i) {
        const double e = ie[i] + in.exc[i] * k.scale_e;
        const double n = ii[i] + in.inh[i] * k.scale_i;
        in.exc[i] = 0.0;
        in.inh[i] = 0.0;
        if (ref[i] > 0) {
          --ref[i];
        } else {
          const double alpha = (e - n + k.i_offset + in.injected[i]) * k.r_m + k.v_rest;
          double vi = alpha - k.p22 * (alpha - v[i]);
          if (vi >= k.v_thresh) {
            out.push(i);
            vi = k.v_reset;
            ref[i] = k.refractory;
          }
          v[i] = vi;
        }
        ie[i] = e * k.p11e;
        ii[i] = n * k.p11i;
      }
      return;
    }
    // Two passes: a branch-free loop over the arrays (it vectorizes), then the spike ids.
    if (in.currents)
      advance_exact<true>(k, v, ie, ii, ref, s.fired, in.exc, in.inh, in.injected, begin, end);
    else
      advance_exact<false>(k, v, ie, ii, ref, s.fired, in.exc, in.inh, in.injected, begin, end);
    collect_spikes(s.fired, begin, end, out);
  }

  // Restrict-qualified parameters (and the constants copied by value) tell the compiler that
  // no two arrays overlap, which it needs to vectorize the loop.
  template <bool kCurrents>
  ENGRAM_VECTOR_CLONES static void advance_exact(const Runtime k, double* __restrict v,
                                                 double* __restrict ie, double* __restrict ii,
                                                 std::int32_t* __restrict ref,
                                                 std::uint8_t* __restrict fired,
                                                 double* __restrict exc, double* __restrict inh,
                                                 const double* __restrict injected,
                                                 std::size_t begin, std::size_t end) {
    for_each_neuron(begin, end, fired, [&](std::size_t i, std::int32_t& flag) ENGRAM_LAMBDA_INLINE {
      const double e = ie[i] + exc[i];
      const double n = ii[i] + inh[i];
      exc[i] = 0.0;
      inh[i] = 0.0;
      const double v0 = v[i];
      const std::int32_t r0 = ref[i];
      const double stepped = k.v_rest + (v0 - k.v_rest) * k.p22 + e * k.p21e - n * k.p21i +
                             (k.i_offset + stimulus<kCurrents>(injected, i)) * k.p20;
      fire_or_hold(stepped, r0, k.v_thresh, k.v_reset, k.refractory, v[i], ref[i], flag);
      ie[i] = e * k.p11e;
      ii[i] = n * k.p11i;
    });
  }
};

}  // namespace engram::neurons
