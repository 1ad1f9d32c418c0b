// IF_curr_alpha and IF_cond_alpha: leaky integrate-and-fire neurons whose synaptic currents
// (or conductances) follow alpha functions, w·(t/tau_syn)·e^{1 - t/tau_syn}, peaking at w
// at t = tau_syn (PyNN's normalisation).
//
// Each alpha is carried by two state variables: the current (or conductance) x and its
// rate y, with dy/dt = -y/tau, dx/dt = y - x/tau; a spike of weight w adds w·e/tau to y.
// IF_curr_alpha integrates the linear system exactly (NEST's iaf_psc_alpha propagators).
// IF_cond_alpha uses the membrane step of IF_cond_exp with the exact step-mean of each
// alpha conductance.
#pragma once

#include <numbers>

#include "engine/neurons/if_cond_exp.hpp"

namespace engram::neurons {

// Exact propagation of one alpha synapse over a step h.
struct AlphaPropagator {
  double decay = 0.0;  // e^{-h/tau}
  double h = 0.0;
  double jump = 0.0;    // e/tau: rate added per unit weight
  double mean_x = 0.0;  // step mean of x per unit x0
  double mean_y = 0.0;  // step mean of x per unit y0
  AlphaPropagator() = default;
  AlphaPropagator(double tau, double step) : decay(std::exp(-step / tau)), h(step) {
    jump = std::numbers::e / tau;
    mean_x = tau * (1.0 - decay) / h;
    mean_y = (tau * tau * (1.0 - decay) - tau * h * decay) / h;
  }
  ENGRAM_KERNEL_INLINE void advance(double& x, double& y) const {
    x = (x + y * h) * decay;
    y *= decay;
  }
};

// The kernel of both alpha models, whose columns are (v, x_E, x_I, y_E, y_I): the alpha
// synapses take their input and advance exactly, and Model::membrane(k, v, x_E, y_E, x_I,
// y_I, current) gives the membrane's step. Restrict-qualified parameters and constants
// copied by value let the compiler vectorize the loop.
template <class Model, bool kCurrents>
ENGRAM_VECTOR_CLONES void advance_alpha(const typename Model::Runtime k, double* __restrict v,
                                        double* __restrict xe_col, double* __restrict xi_col,
                                        double* __restrict ye, double* __restrict yi,
                                        std::int32_t* __restrict ref,
                                        std::uint8_t* __restrict fired, double* __restrict exc,
                                        double* __restrict inh, const double* __restrict injected,
                                        std::size_t begin, std::size_t end) {
  for_each_neuron(begin, end, fired, [&](std::size_t i, std::int32_t& flag) ENGRAM_LAMBDA_INLINE {
    double je = ye[i] + exc[i] * k.ae.jump;
    double ji = yi[i] + inh[i] * k.ai.jump;
    double xe = xe_col[i], xi = xi_col[i];
    exc[i] = 0.0;
    inh[i] = 0.0;
    const std::int32_t r0 = ref[i];
    const double stepped =
        Model::membrane(k, v[i], xe, je, xi, ji, k.i_offset + stimulus<kCurrents>(injected, i));
    fire_or_hold(stepped, r0, k.v_thresh, k.v_reset, k.refractory, v[i], ref[i], flag);
    k.ae.advance(xe, je);
    k.ai.advance(xi, ji);
    xe_col[i] = xe, ye[i] = je, xi_col[i] = xi, yi[i] = ji;
  });
}

// Two passes: the branch-free kernel above (it vectorizes), then the spike ids.
template <class Model>
void update_alpha(typename Model::Runtime& k, Columns<5>& s, const StepInput& in,
                  std::uint32_t begin, std::uint32_t end, SpikeOut& out) {
  const auto advance = in.currents ? &advance_alpha<Model, true> : &advance_alpha<Model, false>;
  advance(k, s.col[0], s.col[1], s.col[2], s.col[3], s.col[4], s.refractory, s.fired, in.exc,
          in.inh, in.injected, begin, end);
  collect_spikes(s.fired, begin, end, out);
}

struct IfCurrAlpha {
  static constexpr std::array<ParamSpec, 9> parameters{{
      {"cm", "nF", 1.0, 0.0, inf, true, "membrane capacitance"},
      {"tau_m", "ms", 20.0, 0.0, inf, true, "membrane time constant"},
      {"tau_refrac", "ms", 0.1, 0.0, inf, false, "refractory period"},
      {"tau_syn_E", "ms", 0.5, 0.0, inf, true, "rise time of excitatory synaptic current"},
      {"tau_syn_I", "ms", 0.5, 0.0, inf, true, "rise time of inhibitory synaptic current"},
      {"v_rest", "mV", -65.0, -inf, inf, false, "resting membrane potential"},
      {"v_reset", "mV", -65.0, -inf, inf, false, "potential after a spike"},
      {"v_thresh", "mV", -50.0, -inf, inf, false, "spike threshold"},
      {"i_offset", "nA", 0.0, -inf, inf, false, "constant injected current"},
  }};
  static constexpr std::array<StateSpec, 5> state{{
      {"v", "mV", -65.0, "membrane potential", "v_rest"},
      {"isyn_exc", "nA", 0.0, "excitatory synaptic current"},
      {"isyn_inh", "nA", 0.0, "inhibitory synaptic current (magnitude)"},
      {"isyn_exc_rate", "nA/ms", 0.0, "rate variable of the excitatory alpha current"},
      {"isyn_inh_rate", "nA/ms", 0.0, "rate variable of the inhibitory alpha current"},
  }};
  enum : std::size_t { kV, kIe, kIi, kYe, kYi };

  struct Runtime {
    double v_rest, v_reset, v_thresh, i_offset;
    std::int32_t refractory;  // steps
    double p22, p20, p21e, p21i, p31e, p31i;
    AlphaPropagator ae, ai;
    Runtime(std::uint64_t, const std::vector<double>& p, const GroupContext& c)
        : v_rest(p[5]),
          v_reset(p[6]),
          v_thresh(p[7]),
          i_offset(p[8]),
          refractory(refractory_steps(p[2], c.dt)),
          ae(p[3], c.dt),
          ai(p[4], c.dt) {
      const double cm = p[0], tau_m = p[1], h = c.dt;
      p22 = std::exp(-h / tau_m);
      p20 = tau_m / cm * -std::expm1(-h / tau_m);
      p21e = propagator_exp(p[3], tau_m, cm, h);
      p21i = propagator_exp(p[4], tau_m, cm, h);
      p31e = propagator_alpha(p[3], tau_m, cm, h);
      p31i = propagator_alpha(p[4], tau_m, cm, h);
    }
  };

  static void update(Runtime& k, Columns<5>& s, const StepInput& in, std::uint32_t begin,
                     std::uint32_t end, SpikeOut& out) {
    update_alpha<IfCurrAlpha>(k, s, in, begin, end, out);
  }

  // The membrane's exact step, given the alpha currents (x) and their rates (y).
  static ENGRAM_KERNEL_INLINE double membrane(const Runtime& k, double v, double xe, double je,
                                              double xi, double ji, double current) {
    return k.v_rest + (v - k.v_rest) * k.p22 + xe * k.p21e + je * k.p31e - xi * k.p21i -
           ji * k.p31i + current * k.p20;
  }
};

struct IfCondAlpha {
  static constexpr std::array<ParamSpec, 11> parameters{{
      {"cm", "nF", 1.0, 0.0, inf, true, "membrane capacitance"},
      {"tau_m", "ms", 20.0, 0.0, inf, true, "membrane time constant"},
      {"tau_refrac", "ms", 0.1, 0.0, inf, false, "refractory period"},
      {"tau_syn_E", "ms", 0.3, 0.0, inf, true, "rise time of excitatory conductance"},
      {"tau_syn_I", "ms", 0.5, 0.0, inf, true, "rise time of inhibitory conductance"},
      {"e_rev_E", "mV", 0.0, -inf, inf, false, "excitatory reversal potential"},
      {"e_rev_I", "mV", -70.0, -inf, inf, false, "inhibitory reversal potential"},
      {"v_rest", "mV", -65.0, -inf, inf, false, "resting membrane potential"},
      {"v_reset", "mV", -65.0, -inf, inf, false, "potential after a spike"},
      {"v_thresh", "mV", -50.0, -inf, inf, false, "spike threshold"},
      {"i_offset", "nA", 0.0, -inf, inf, false, "constant injected current"},
  }};
  static constexpr std::array<StateSpec, 5> state{{
      {"v", "mV", -65.0, "membrane potential", "v_rest"},
      {"gsyn_exc", "uS", 0.0, "excitatory conductance"},
      {"gsyn_inh", "uS", 0.0, "inhibitory conductance"},
      {"gsyn_exc_rate", "uS/ms", 0.0, "rate variable of the excitatory alpha conductance"},
      {"gsyn_inh_rate", "uS/ms", 0.0, "rate variable of the inhibitory alpha conductance"},
  }};
  enum : std::size_t { kV, kGe, kGi, kYe, kYi };

  struct Runtime {
    double cm, g_leak, e_e, e_i, v_rest, v_reset, v_thresh, i_offset, h;
    std::int32_t refractory;  // steps
    AlphaPropagator ae, ai;
    Runtime(std::uint64_t, const std::vector<double>& p, const GroupContext& c)
        : cm(p[0]),
          g_leak(p[0] / p[1]),
          e_e(p[5]),
          e_i(p[6]),
          v_rest(p[7]),
          v_reset(p[8]),
          v_thresh(p[9]),
          i_offset(p[10]),
          h(c.dt),
          refractory(refractory_steps(p[2], c.dt)),
          ae(p[3], c.dt),
          ai(p[4], c.dt) {}
  };

  static void update(Runtime& k, Columns<5>& s, const StepInput& in, std::uint32_t begin,
                     std::uint32_t end, SpikeOut& out) {
    update_alpha<IfCondAlpha>(k, s, in, begin, end, out);
  }

  // IF_cond_exp's membrane step, given the step means of the alpha conductances.
  static ENGRAM_KERNEL_INLINE double membrane(const Runtime& k, double v, double xe, double je,
                                              double xi, double ji, double current) {
    const double mean_e = xe * k.ae.mean_x + je * k.ae.mean_y;
    const double mean_i = xi * k.ai.mean_x + ji * k.ai.mean_y;
    return cond_membrane_step(v, k.g_leak, k.v_rest, mean_e, k.e_e, mean_i, k.e_i, current, k.cm,
                              k.h);
  }
};

}  // namespace engram::neurons
