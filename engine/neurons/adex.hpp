// EIF_cond_exp_isfa_ista: adaptive exponential integrate-and-fire neuron (Brette & Gerstner
// 2005) with exponentially decaying conductances.
//
//   cm dv/dt = g_L (v_rest - v) + g_L delta_T exp((v - v_thresh)/delta_T)
//              + g_E (e_rev_E - v) + g_I (e_rev_I - v) - w + i_offset + I_stim
//   tau_w dw/dt = a (v - v_rest) - w
//   v >= v_spike: spike, v <- v_reset, w <- w + b, v held for round(tau_refrac/dt) steps
//
// g_L = cm / tau_m. Integration: classical fourth-order Runge–Kutta over each step for
// (v, w), with the conductances taken from their exact exponential decay at each stage;
// the exponential term's argument is capped so that a diverging upstroke cannot overflow
// (the spike is registered in the same step). w keeps evolving during refractoriness.
// The kernel is branch-free (a refractory neuron takes clamped values by select) and uses
// exp_vec and precomputed reciprocals, so that it vectorizes.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/neurons/group.hpp"

namespace engram::neurons {

struct AdEx {
  static constexpr std::array<ParamSpec, 16> parameters{{
      {"cm", "nF", 0.281, 0.0, inf, true, "membrane capacitance"},
      {"tau_refrac", "ms", 0.1, 0.0, inf, false, "refractory period"},
      {"v_spike", "mV", -40.0, -inf, inf, false, "spike detection threshold"},
      {"v_reset", "mV", -70.6, -inf, inf, false, "potential after a spike"},
      {"v_rest", "mV", -70.6, -inf, inf, false, "resting potential (leak reversal)"},
      {"tau_m", "ms", 9.3667, 0.0, inf, true, "membrane time constant"},
      {"i_offset", "nA", 0.0, -inf, inf, false, "constant injected current"},
      {"a", "nS", 4.0, -inf, inf, false, "subthreshold adaptation conductance"},
      {"b", "nA", 0.0805, -inf, inf, false, "spike-triggered adaptation increment"},
      {"delta_T", "mV", 2.0, 0.0, inf, true, "slope factor of the exponential term"},
      {"tau_w", "ms", 144.0, 0.0, inf, true, "adaptation time constant"},
      {"v_thresh", "mV", -50.4, -inf, inf, false, "threshold of the exponential term"},
      {"e_rev_E", "mV", 0.0, -inf, inf, false, "excitatory reversal potential"},
      {"tau_syn_E", "ms", 5.0, 0.0, inf, true, "decay time of excitatory conductance"},
      {"e_rev_I", "mV", -80.0, -inf, inf, false, "inhibitory reversal potential"},
      {"tau_syn_I", "ms", 5.0, 0.0, inf, true, "decay time of inhibitory conductance"},
  }};
  static constexpr std::array<StateSpec, 4> state{{
      {"v", "mV", -70.6, "membrane potential", "v_rest"},
      {"w", "nA", 0.0, "adaptation current"},
      {"gsyn_exc", "uS", 0.0, "excitatory conductance"},
      {"gsyn_inh", "uS", 0.0, "inhibitory conductance"},
  }};
  enum : std::size_t { kV, kW, kGe, kGi };

  struct Runtime {
    double cm, g_leak, v_spike, v_reset, v_rest, i_offset, a, b, delta_t, tau_w, v_thresh;
    double e_e, e_i, h, decay_e, decay_i, half_e, half_i;
    double decay_w, w_clamped;  // e^{-h/tau_w}; a (v_reset - v_rest), w's target when clamped
    double inv_cm, inv_delta_t, inv_tau_w;
    std::int32_t refractory;  // steps
    Runtime(std::uint64_t, const std::vector<double>& p, const GroupContext& c)
        : cm(p[0]),
          g_leak(p[0] / p[5]),
          v_spike(p[2]),
          v_reset(p[3]),
          v_rest(p[4]),
          i_offset(p[6]),
          a(p[7] * 1e-3),  // nS -> µS, so that µS·mV = nA
          b(p[8]),
          delta_t(p[9]),
          tau_w(p[10]),
          v_thresh(p[11]),
          e_e(p[12]),
          e_i(p[14]),
          h(c.dt),
          refractory(refractory_steps(p[1], c.dt)) {
      decay_e = std::exp(-h / p[13]);
      decay_i = std::exp(-h / p[15]);
      half_e = std::exp(-0.5 * h / p[13]);
      half_i = std::exp(-0.5 * h / p[15]);
      decay_w = std::exp(-h / tau_w);
      w_clamped = a * (v_reset - v_rest);
      inv_cm = 1.0 / cm;
      inv_delta_t = 1.0 / delta_t;
      inv_tau_w = 1.0 / tau_w;
    }
    // The derivatives multiply by reciprocals computed once: a vector division costs as much
    // as the rest of a stage, and the results differ from dividing by at most an ulp.
    ENGRAM_KERNEL_INLINE double dv(double v, double w, double ge, double gi, double current) const {
      const double x = std::min((v - v_thresh) * inv_delta_t, 20.0);
      return (g_leak * (v_rest - v) + g_leak * delta_t * exp_vec(x) + ge * (e_e - v) +
              gi * (e_i - v) - w + current) *
             inv_cm;
    }
    ENGRAM_KERNEL_INLINE double dw(double v, double w) const {
      return (a * (v - v_rest) - w) * inv_tau_w;
    }
  };

  // Two passes: a branch-free loop over the arrays (it vectorizes), then the spike ids.
  static void update(Runtime& k, Columns<4>& s, const StepInput& in, std::uint32_t begin,
                     std::uint32_t end, SpikeOut& out) {
    if (in.currents)
      advance<true>(k, s.col[kV], s.col[kW], s.col[kGe], s.col[kGi], s.refractory, s.fired, in.exc,
                    in.inh, in.injected, begin, end);
    else
      advance<false>(k, s.col[kV], s.col[kW], s.col[kGe], s.col[kGi], s.refractory, s.fired, in.exc,
                     in.inh, in.injected, begin, end);
    collect_spikes(s.fired, begin, end, out);
  }

  // Every neuron's Runge–Kutta step is computed, and a refractory neuron takes the clamped
  // values instead (selects, not branches). Restrict-qualified parameters and constants
  // copied by value let the compiler vectorize the loop, as for the other kernels.
  template <bool kCurrents>
  ENGRAM_VECTOR_CLONES static void advance(const Runtime k, double* __restrict v,
                                           double* __restrict w, double* __restrict ge,
                                           double* __restrict gi, std::int32_t* __restrict ref,
                                           std::uint8_t* __restrict fired, double* __restrict exc,
                                           double* __restrict inh,
                                           const double* __restrict injected, std::size_t begin,
                                           std::size_t end) {
    const double h = k.h;
    for (std::size_t i = begin; i < end; ++i) {
      const double e0 = ge[i] + exc[i];
      const double n0 = gi[i] + inh[i];
      exc[i] = 0.0;
      inh[i] = 0.0;
      const double current = k.i_offset + stimulus<kCurrents>(injected, i);
      const double v0 = v[i], w0 = w[i];
      const std::int32_t r0 = ref[i];
      // Refractory: v stays at v_reset and w relaxes exactly towards a (v_reset - v_rest).
      const double w_held = k.w_clamped + (w0 - k.w_clamped) * k.decay_w;
      // Active: one RK4 step of (v, w).
      const double e_half = e0 * k.half_e, n_half = n0 * k.half_i;
      const double e1 = e0 * k.decay_e, n1 = n0 * k.decay_i;
      const double kv1 = k.dv(v0, w0, e0, n0, current), kw1 = k.dw(v0, w0);
      const double kv2 = k.dv(v0 + 0.5 * h * kv1, w0 + 0.5 * h * kw1, e_half, n_half, current);
      const double kw2 = k.dw(v0 + 0.5 * h * kv1, w0 + 0.5 * h * kw1);
      const double kv3 = k.dv(v0 + 0.5 * h * kv2, w0 + 0.5 * h * kw2, e_half, n_half, current);
      const double kw3 = k.dw(v0 + 0.5 * h * kv2, w0 + 0.5 * h * kw2);
      const double kv4 = k.dv(v0 + h * kv3, w0 + h * kw3, e1, n1, current);
      const double kw4 = k.dw(v0 + h * kv3, w0 + h * kw3);
      const double v1 = v0 + h / 6.0 * (kv1 + 2.0 * kv2 + 2.0 * kv3 + kv4);
      const double w1 = w0 + h / 6.0 * (kw1 + 2.0 * kw2 + 2.0 * kw3 + kw4);
      // A step that left the finite numbers (or produced NaN) counts as a spike.
      const double stepped = std::fabs(v1) <= std::numeric_limits<double>::max() ? v1 : inf;
      const bool fire =
          fire_or_hold(stepped, r0, k.v_spike, k.v_reset, k.refractory, v[i], ref[i], fired[i]);
      w[i] = r0 <= 0 ? w1 + (fire ? k.b : 0.0) : w_held;
      ge[i] = e1;
      gi[i] = n1;
    }
  }
};

}  // namespace engram::neurons
