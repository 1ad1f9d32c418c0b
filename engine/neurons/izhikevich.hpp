// Izhikevich (2003): quadratic integrate-and-fire neuron with a recovery variable.
//
//   dv/dt = 0.04 v² + 5 v + 140 - u + I,    du/dt = a (b v - u)
//   v >= 30 mV: spike, v <- c, u <- u + d
//
// As in PyNN (NEST's izhikevich), synapses are instantaneous: an input of weight w (mV)
// moves v by +w (excitatory) or -w (inhibitory) after the step's Euler update; i_offset (nA)
// enters the equation as I = 1000·i_offset (the equation's unit is pA-equivalent mV/ms).
// Integration: forward Euler with both variables advanced from the old values (NEST's
// "consistent integration").
#pragma once

#include "engine/neurons/group.hpp"

namespace engram::neurons {

struct Izhikevich {
  static constexpr std::array<ParamSpec, 5> parameters{{
      {"a", "1/ms", 0.02, -inf, inf, false, "time scale of the recovery variable"},
      {"b", "1/ms", 0.2, -inf, inf, false, "sensitivity of the recovery variable to v"},
      {"c", "mV", -65.0, -inf, inf, false, "potential after a spike"},
      {"d", "mV/ms", 2.0, -inf, inf, false, "recovery increment after a spike"},
      {"i_offset", "nA", 0.0, -inf, inf, false, "constant injected current"},
  }};
  static constexpr std::array<StateSpec, 2> state{{
      {"v", "mV", -70.0, "membrane potential"},
      {"u", "mV/ms", -14.0, "recovery variable"},
  }};
  static constexpr double kPeak = 30.0;  // mV

  struct Runtime {
    double a, b, c, d, i_offset, h;
    Runtime(std::uint64_t, const std::vector<double>& p, const GroupContext& ctx)
        : a(p[0]), b(p[1]), c(p[2]), d(p[3]), i_offset(p[4]), h(ctx.dt) {}
  };

  // Two passes: a branch-free loop over the arrays (it vectorizes), then the spike ids.
  static void update(Runtime& k, Columns<2>& s, const StepInput& in, std::uint32_t begin,
                     std::uint32_t end, SpikeOut& out) {
    if (in.currents)
      advance<true>(k, s.col[0], s.col[1], s.fired, in.exc, in.inh, in.injected, begin, end);
    else
      advance<false>(k, s.col[0], s.col[1], s.fired, in.exc, in.inh, in.injected, begin, end);
    collect_spikes(s.fired, begin, end, out);
  }

  template <bool kCurrents>
  ENGRAM_VECTOR_CLONES static void advance(const Runtime k, double* __restrict v,
                                           double* __restrict u, std::uint8_t* __restrict fired,
                                           double* __restrict exc, double* __restrict inh,
                                           const double* __restrict injected, std::size_t begin,
                                           std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      const double v0 = v[i];
      const double u0 = u[i];
      const double jump = exc[i] - inh[i];
      exc[i] = 0.0;
      inh[i] = 0.0;
      const double current = 1000.0 * (k.i_offset + stimulus<kCurrents>(injected, i));
      const double vi = v0 + k.h * (0.04 * v0 * v0 + 5.0 * v0 + 140.0 - u0 + current) + jump;
      const double ui = u0 + k.h * k.a * (k.b * v0 - u0);
      const bool fire = vi >= kPeak;
      v[i] = fire ? k.c : vi;
      u[i] = fire ? ui + k.d : ui;
      fired[i] = fire;
    }
  }
};

}  // namespace engram::neurons
