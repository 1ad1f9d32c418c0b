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

  static void update(Runtime& k, Columns<2>& s, const StepInput& in, std::uint32_t begin,
                     std::uint32_t end, SpikeOut& out) {
    double* v = s.col[0];
    double* u = s.col[1];
    for (std::uint32_t i = begin; i < end; ++i) {
      const double v0 = v[i];
      const double u0 = u[i];
      const double jump = in.exc[i] - in.inh[i];
      in.exc[i] = 0.0;
      in.inh[i] = 0.0;
      const double current = 1000.0 * (k.i_offset + in.injected[i]);
      double vi = v0 + k.h * (0.04 * v0 * v0 + 5.0 * v0 + 140.0 - u0 + current) + jump;
      double ui = u0 + k.h * k.a * (k.b * v0 - u0);
      if (vi >= kPeak) {
        out.push(i);
        vi = k.c;
        ui += k.d;
      }
      v[i] = vi;
      u[i] = ui;
    }
  }
};

}  // namespace engram::neurons
