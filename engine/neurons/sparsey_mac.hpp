// Sparsey's code selection algorithm (CSA) and the SparseyMac neuron model that runs it as a
// population of the spiking engine (shared/models/sparsey.md; Rinkus 2014, Rinkus & Léveillé
// 2017).
//
// A mac is Q competitive modules (CMs) of K binary cells; a code is one winner per CM. For
// one input frame, with V(i) the local support of cell i (the fraction of its active inputs
// whose binary weight onto it is set):
//   G = (1/Q) Σ_CM max V                                  global familiarity
//   η = 1 + max(0, (G − G⁻)/(1 − G⁻))^γ · χ · K           expansivity
//   μ(i) = (η − 1) / (1 + (σ1 e^(−σ2 (V(i) − σ3)))^σ4) + 1
//   ρ(i) = μ(i) / Σ_CM μ
// Learning draws one winner per CM from ρ; recognition takes the max-V cell of each CM.
//
// The arithmetic lives here once: models/sparsey (the C++ API) and the SparseyMac kernel call
// the same functions, so a hosted mac and a C++ mac given the same seed choose the same codes.
// Draws come from the Philox stream (seed, sparsey_code, mac, CM, frame), where `frame` counts
// the mac's active frames, so no code depends on threads or on the timing of the frames.
#pragma once

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "engine/error.hpp"
#include "engine/neurons/group.hpp"
#include "engine/random.hpp"

namespace engram::sparsey {

// The CSA's constants, with the defaults of shared/models/sparsey.md. The λ exponents weigh
// the input kinds when horizontal (H) or top-down (D) input is present; the spec gives no
// values for them, and 1 makes V the plain product of the normalised sums.
struct CsaParams {
  double g_minus = 0.1;  // G⁻: familiarity below which the code is chosen at random
  double gamma = 2.0;    // γ: how sharply η grows with G
  double chi = 100.0;    // χ: η at G = 1 is 1 + χ·K
  double sigma1 = 0.1, sigma2 = 4.0, sigma3 = 1.0, sigma4 = 8.0;  // the sigmoid's shape
  double lambda_u = 1.0, lambda_h = 1.0, lambda_d = 1.0;
};

enum class Mode : std::uint8_t {
  learn,      // draw each CM's winner from ρ
  recognise,  // take each CM's max-V cell
};

// V(i) from the normalised sums U, H, D ∈ [0, 1]. With bottom-up input only (purely spatial
// input, or the first frame of a sequence) V = U.
inline double local_support(double u, double h, double d, bool has_h, bool has_d,
                            const CsaParams& p) {
  if (!has_h && !has_d) return u;
  double v = std::pow(u, p.lambda_u);
  if (has_h) v *= std::pow(h, p.lambda_h);
  if (has_d) v *= std::pow(d, p.lambda_d);
  return v;
}

// G: the mean over the Q CMs of the largest V in each (v holds Q·K values, CM-major).
inline double familiarity(std::span<const double> v, std::uint32_t q, std::uint32_t k) {
  assert(v.size() == static_cast<std::size_t>(q) * k);
  double sum = 0.0;
  for (std::uint32_t m = 0; m < q; ++m) {
    double best = 0.0;
    for (std::uint32_t i = 0; i < k; ++i) best = std::max(best, v[m * k + i]);
    sum += best;
  }
  return sum / q;
}

// η for familiarity g in a mac of K cells per CM.
inline double expansivity(double g, std::uint32_t k, const CsaParams& p) {
  const double x = std::max(0.0, (g - p.g_minus) / (1.0 - p.g_minus));
  return 1.0 + std::pow(x, p.gamma) * p.chi * k;
}

// μ: V mapped through the sigmoid whose top is η (μ = 1 everywhere when η = 1).
inline double sigmoid_mu(double v, double eta, const CsaParams& p) {
  const double base = p.sigma1 * std::exp(-p.sigma2 * (v - p.sigma3));
  return (eta - 1.0) / (1.0 + std::pow(base, p.sigma4)) + 1.0;
}

// ρ of one CM: μ normalised to sum to 1. `v_cm` and `rho` hold K values.
inline void probabilities(std::span<const double> v_cm, double eta, const CsaParams& p,
                          std::span<double> rho) {
  assert(rho.size() == v_cm.size());
  double total = 0.0;
  for (std::size_t i = 0; i < v_cm.size(); ++i) total += rho[i] = sigmoid_mu(v_cm[i], eta, p);
  for (double& r : rho) r /= total;
}

// The winner of one CM (index within the CM). Learning draws from ρ (μ in `scratch`, K
// values); recognition takes the max-V cell, ties broken uniformly from the same stream.
inline std::uint32_t choose_winner(std::span<const double> v_cm, double eta, const CsaParams& p,
                                   Mode mode, Stream& stream, std::span<double> scratch) {
  const auto k = static_cast<std::uint32_t>(v_cm.size());
  if (mode == Mode::learn) {
    double total = 0.0;
    for (std::uint32_t i = 0; i < k; ++i) total += scratch[i] = sigmoid_mu(v_cm[i], eta, p);
    const double x = stream.uniform() * total;
    double cumulative = 0.0;
    for (std::uint32_t i = 0; i + 1 < k; ++i) {
      cumulative += scratch[i];
      if (x < cumulative) return i;
    }
    return k - 1;
  }
  double best = -1.0;
  std::uint32_t ties = 0;
  for (std::uint32_t i = 0; i < k; ++i) {
    if (v_cm[i] > best) best = v_cm[i], ties = 0;
    if (v_cm[i] == best) ++ties;
  }
  std::uint64_t pick = ties > 1 ? stream.below(ties) : 0;
  for (std::uint32_t i = 0; i < k; ++i)
    if (v_cm[i] == best && pick-- == 0) return i;
  return k - 1;
}

// Chooses a code: winners[m] = the winning cell of CM m. Returns G. `scratch` holds K values.
inline double choose_code(std::span<const double> v, std::uint32_t q, std::uint32_t k,
                          const CsaParams& p, Mode mode, std::uint64_t seed, std::uint32_t mac,
                          std::uint32_t frame, std::span<std::uint32_t> winners,
                          std::span<double> scratch) {
  const double g = familiarity(v, q, k);
  const double eta = expansivity(g, k, p);
  for (std::uint32_t m = 0; m < q; ++m) {
    Stream stream(seed, Purpose::sparsey_code, mac, m, frame);
    winners[m] =
        choose_winner(v.subspan(static_cast<std::size_t>(m) * k, k), eta, p, mode, stream, scratch);
  }
  return g;
}

}  // namespace engram::sparsey

namespace engram::neurons {

// SparseyMac: one mac as a population of Q·K cells (cell m·K + i is cell i of CM m). Each step
// in which input arrives is one frame of the CSA for the whole mac, so the backends update the
// population in one call. Input convention (docs/models/SparseyMac.md):
//   excitatory receptor of cell i: u(i), the sum of the binary weights from active inputs
//     (an all-to-all projection from the input features with the OneShot rule, weight 1);
//   inhibitory receptor of cell 0: π_U, the number of active inputs (each input feature also
//     projects with weight 1 onto cell 0's inhibitory receptor).
// The mac is active when π_U lies in [band_min, band_max]; its Q winners then spike. Frames
// before learn_until are learned (CSA draw, and the OneShot projection stores the code);
// later ones are recognised (max V).
struct SparseyMac {
  static constexpr bool whole_population = true;

  static constexpr std::array<ParamSpec, 12> parameters{{
      {"Q", "1", 10.0, 1.0, 65535.0, false, "competitive modules (CMs)"},
      {"K", "1", 8.0, 1.0, 65535.0, false, "cells per CM"},
      {"G_minus", "1", 0.1, 0.0, 0.99, false, "familiarity G⁻ below which codes are random"},
      {"gamma", "1", 2.0, 0.0, inf, true, "exponent γ of the expansivity"},
      {"chi", "1", 100.0, 0.0, inf, false, "expansivity gain χ (η at G = 1 is 1 + χK)"},
      {"sigma1", "1", 0.1, 0.0, inf, true, "sigmoid σ1"},
      {"sigma2", "1", 4.0, -inf, inf, false, "sigmoid σ2"},
      {"sigma3", "1", 1.0, -inf, inf, false, "sigmoid σ3"},
      {"sigma4", "1", 8.0, 0.0, inf, true, "sigmoid σ4"},
      {"band_min", "1", 1.0, 1.0, inf, false, "fewest active inputs for the mac to be active"},
      {"band_max", "1", inf, 1.0, inf, false, "most active inputs for the mac to be active"},
      {"learn_until", "ms", inf, 0.0, inf, false,
       "frames before this time are learned, later ones recognised"},
  }};
  static constexpr std::array<StateSpec, 2> state{{
      {"V", "1", 0.0, "local support of the cell on the mac's last active frame"},
      {"G", "1", 0.0, "global familiarity of the mac's last active frame (every cell)"},
  }};

  struct Runtime {
    std::uint32_t q, k;
    sparsey::CsaParams csa;
    double band_min, band_max;
    Step learn_steps;  // frames at steps below this are learned
    std::uint64_t seed;
    std::uint32_t population;
    std::uint32_t frame = 0;  // active frames so far: keys the draws
    std::vector<std::uint32_t> winners;
    std::vector<double> scratch;
    Runtime(std::uint64_t n, const std::vector<double>& p, const GroupContext& c)
        : q(static_cast<std::uint32_t>(p[0])),
          k(static_cast<std::uint32_t>(p[1])),
          band_min(p[9]),
          band_max(p[10]),
          seed(c.seed),
          population(c.population),
          winners(q),
          scratch(k) {
      csa.g_minus = p[2];
      csa.gamma = p[3];
      csa.chi = p[4];
      csa.sigma1 = p[5];
      csa.sigma2 = p[6];
      csa.sigma3 = p[7];
      csa.sigma4 = p[8];
      learn_steps = std::isinf(p[11]) ? std::numeric_limits<Step>::max()
                                      : static_cast<Step>(std::llround(p[11] / c.dt));
      if (n != static_cast<std::uint64_t>(q) * k)
        throw InputError(fmt::format("/populations/{}/size", c.population),
                         fmt::format("found {} neurons, expected Q·K = {}·{} = {} for a SparseyMac",
                                     n, q, k, static_cast<std::uint64_t>(q) * k));
    }
  };

  static void update(Runtime& r, Columns<2>& s, const StepInput& in, std::uint32_t begin,
                     std::uint32_t end, SpikeOut& out) {
    const std::uint32_t n = r.q * r.k;
    assert(begin == 0 && end == n);
    (void)begin, (void)end;
    const double active_inputs = in.inh[0];
    for (std::uint32_t i = 0; i < n; ++i) in.inh[i] = 0.0;
    if (active_inputs < r.band_min || active_inputs > r.band_max) {
      for (std::uint32_t i = 0; i < n; ++i) in.exc[i] = 0.0;
      return;
    }
    double* v = s.col[0];
    for (std::uint32_t i = 0; i < n; ++i) {
      v[i] = in.exc[i] / active_inputs;
      in.exc[i] = 0.0;
    }
    const sparsey::Mode mode =
        in.step < r.learn_steps ? sparsey::Mode::learn : sparsey::Mode::recognise;
    const double g = sparsey::choose_code({v, n}, r.q, r.k, r.csa, mode, r.seed, r.population,
                                          r.frame++, r.winners, r.scratch);
    std::fill_n(s.col[1], n, g);
    for (std::uint32_t m = 0; m < r.q; ++m) out.push(m * r.k + r.winners[m]);
  }
};

// Q and K are counts, and the band must not be empty.
inline std::string check_sparsey_mac(const std::vector<double>& p) {
  if (p[0] != std::floor(p[0]) || p[1] != std::floor(p[1]))
    return fmt::format("Q ({}) and K ({}) must be whole numbers", p[0], p[1]);
  if (p[9] > p[10]) return fmt::format("band_min ({}) must not exceed band_max ({})", p[9], p[10]);
  return {};
}

}  // namespace engram::neurons
