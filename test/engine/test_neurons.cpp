// Analytic checks of the neuron models: closed forms (or a converged numerical reference)
// across step sizes, for the exact propagators, the SpiNNaker scheme and the nonlinear models.
//
// Timing used throughout (DESIGN.md §2, engine/observer.hpp): a source spike at step k over a
// delay of D steps is added to the target's synaptic state at the start of step a = k + D,
// i.e. at time a·dt; the sample reported for step s is the state at time (s + 1)·dt, so the
// input has acted for t' = (s + 1 - a)·dt.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <numbers>
#include <string>
#include <vector>

#include "engine/network.hpp"
#include "engine/neurons/group.hpp"
#include "test/support.hpp"

namespace engram {
namespace {

using test::MemoryObserver;
using test::simulate;

PopulationSpec population(const std::string& name, const std::string& model,
                          const std::map<std::string, double>& values,
                          std::vector<std::string> record = {}) {
  PopulationSpec p;
  p.name = name;
  p.size = 1;
  p.model = model;
  for (const auto& [key, v] : values) p.parameters[key] = Value::constant(v);
  p.record.variables = std::move(record);
  return p;
}

// Static weights are stored as float: the weight the neuron actually receives.
double stored(double w) {
  return static_cast<double>(static_cast<float>(w));
}

// One neuron of `model`, hit once by a source spike at 1 ms through a 1 ms delay.
struct SpikeInput {
  NetworkSpec spec;
  Step onset = 0;  // the step a at whose start the input is added
};
SpikeInput single_spike(const PopulationSpec& neuron, double dt, double weight, double ms,
                        Receptor receptor = Receptor::excitatory) {
  SpikeInput in;
  in.spec.dt = dt;
  in.spec.duration = ms;
  PopulationSpec source;
  source.name = "source";
  source.size = 1;
  source.model = "SpikeSourceArray";
  source.spike_times = {{1.0}};
  in.spec.populations = {source, neuron};
  ProjectionSpec pr;
  pr.pre = PopulationSlice::whole("source");
  pr.post = PopulationSlice::whole(neuron.name);
  pr.connector = OneToOne{};
  pr.synapse.weight = Value::constant(weight);
  pr.synapse.delay = Value::constant(1.0);
  pr.synapse.receptor = receptor;
  in.spec.projections = {pr};
  in.onset = std::llround(1.0 / dt) + std::llround(1.0 / dt);
  return in;
}

// Time since the input for the sample of step s (negative: before it).
double since(Step s, Step onset, double dt) {
  return static_cast<double>(s + 1 - onset) * dt;
}

// The recorded trace of variable `index`, neuron 0, one value per step from step 0.
std::vector<double> trace(const MemoryObserver& obs, std::size_t index) {
  std::vector<double> out;
  for (const auto& sample : obs.samples_by_variable.at(index)) out.push_back(sample.at(0));
  return out;
}

std::vector<Step> spike_steps(const MemoryObserver& obs, const std::string& name) {
  std::vector<Step> out;
  for (const auto& [step, id] : obs.of(name)) out.push_back(step);
  return out;
}

const double kDts[] = {0.1, 0.05, 0.01, 1.0};

// |x - expected| <= 1e-12 of `scale`, the size of the quantity (a PSP's peak, R·I, w):
// the errors of the exact propagators are rounding errors of that size.
bool near(double x, double expected, double scale) {
  return std::fabs(x - expected) <= 1e-12 * std::fabs(scale);
}

TEST_CASE("LIF models under constant current follow the closed form", "[neurons]") {
  // Without input the conductances and synaptic currents stay zero, so all four LIF models
  // reduce to the same linear equation, which their schemes integrate exactly.
  for (const char* model : {"IF_curr_exp", "IF_cond_exp", "IF_curr_alpha", "IF_cond_alpha"}) {
    for (double dt : kDts) {
      CAPTURE(model, dt);
      const double cm = 0.25, tau_m = 10.0, v_rest = -70.0, i = 0.3;
      NetworkSpec spec;
      spec.dt = dt;
      spec.duration = 50.0;
      spec.populations = {population(
          "n", model,
          {{"cm", cm}, {"tau_m", tau_m}, {"v_rest", v_rest}, {"i_offset", i}, {"v_thresh", 1000.0}},
          {"v"})};
      const std::vector<double> v = trace(simulate(spec), 0);
      REQUIRE(v.size() == static_cast<std::size_t>(std::llround(50.0 / dt)));
      for (std::size_t s = 0; s < v.size(); ++s) {
        const double t = static_cast<double>(s + 1) * dt;
        INFO("step " << s);
        REQUIRE(near(v[s] - v_rest, tau_m / cm * i * -std::expm1(-t / tau_m), tau_m / cm * i));
      }
    }
  }
}

// PSP of an exponential current w e^{-t/tau_s} through a leaky membrane.
double psp_exp(double w, double cm, double tau_m, double tau_s, double t) {
  if (tau_s == tau_m) return w / cm * t * std::exp(-t / tau_m);
  return w / cm * tau_s * tau_m / (tau_s - tau_m) * (std::exp(-t / tau_s) - std::exp(-t / tau_m));
}

TEST_CASE("IF_curr_exp PSP after one input spike follows the closed form", "[neurons]") {
  const double cm = 0.5, tau_m = 20.0, v_rest = -65.0;
  const double w = stored(0.3);
  for (const bool inhibitory : {false, true}) {
    for (double tau_s : {5.0, 20.0}) {  // 20: the limit tau_syn == tau_m
      for (double dt : kDts) {
        CAPTURE(inhibitory, tau_s, dt);
        // The other receptor's time constant differs, so that a mix-up would show.
        const auto neuron = population("n", "IF_curr_exp",
                                       {{"cm", cm},
                                        {"tau_m", tau_m},
                                        {inhibitory ? "tau_syn_I" : "tau_syn_E", tau_s},
                                        {inhibitory ? "tau_syn_E" : "tau_syn_I", 3.0},
                                        {"v_thresh", 1000.0}},
                                       {"v", inhibitory ? "isyn_inh" : "isyn_exc"});
        const SpikeInput in = single_spike(
            neuron, dt, 0.3, 60.0, inhibitory ? Receptor::inhibitory : Receptor::excitatory);
        const MemoryObserver obs = simulate(in.spec);
        const std::vector<double> v = trace(obs, 0), isyn = trace(obs, 1);
        // The PSP peaks at ln(tau_s/tau_m)·tau_s tau_m/(tau_s - tau_m), or at tau when equal.
        const double t_peak =
            tau_s == tau_m ? tau_m : std::log(tau_s / tau_m) * tau_s * tau_m / (tau_s - tau_m);
        const double peak = psp_exp(w, cm, tau_m, tau_s, t_peak);
        REQUIRE(peak > 1.0);
        const double sign = inhibitory ? -1.0 : 1.0;
        for (std::size_t s = 0; s < v.size(); ++s) {
          const double t = since(static_cast<Step>(s), in.onset, dt);
          INFO("step " << s << ", t' = " << t);
          if (t <= 0) {
            REQUIRE(v[s] == v_rest);
            REQUIRE(isyn[s] == 0.0);
            continue;
          }
          REQUIRE(near(v[s] - v_rest, sign * psp_exp(w, cm, tau_m, tau_s, t), peak));
          REQUIRE(near(isyn[s], w * std::exp(-t / tau_s), w));  // a magnitude
        }
      }
    }
  }
}

// dV/dt = (gL (v_rest - V) + w e^{-t/tau_s} (E - V)) / cm from V(0) = v_rest by RK4 with a
// step of 1e-5 ms; returns u = V - v_rest every `every` ms up to `until` ms.
std::vector<double> cond_psp_reference(double cm, double tau_m, double tau_s, double w,
                                       double e_rev, double v_rest, double every, double until) {
  const double h = 1e-5, g_leak = cm / tau_m, drive = e_rev - v_rest;
  const auto per = static_cast<long>(std::llround(every / h));
  const auto total = static_cast<long>(std::llround(until / h));
  auto f = [&](double t, double u) {
    return (-g_leak * u + w * std::exp(-t / tau_s) * (drive - u)) / cm;
  };
  std::vector<double> out{0.0};
  double u = 0.0;
  for (long n = 0; n < total; ++n) {
    const double t = static_cast<double>(n) * h;
    const double k1 = f(t, u), k2 = f(t + h / 2, u + h / 2 * k1);
    const double k3 = f(t + h / 2, u + h / 2 * k2), k4 = f(t + h, u + h * k3);
    u += h / 6 * (k1 + 2 * k2 + 2 * k3 + k4);
    if ((n + 1) % per == 0) out.push_back(u);
  }
  return out;
}

TEST_CASE("IF_cond_exp PSP converges to the reference at second order", "[neurons]") {
  const double cm = 0.25, tau_m = 10.0, tau_s = 2.0, e_rev = 0.0, v_rest = -65.0;
  const double w = stored(0.02);
  const std::vector<double> ref =
      cond_psp_reference(cm, tau_m, tau_s, w, e_rev, v_rest, 0.1, 20.0);  // u at k·0.1 ms
  auto max_error = [&](double dt) {
    const auto neuron = population(
        "n", "IF_cond_exp",
        {{"cm", cm}, {"tau_m", tau_m}, {"tau_syn_E", tau_s}, {"v_thresh", 1000.0}}, {"v"});
    const SpikeInput in = single_spike(neuron, dt, 0.02, 25.0);
    const std::vector<double> v = trace(simulate(in.spec), 0);
    double worst = 0.0;
    for (std::size_t s = 0; s < v.size(); ++s) {
      const double t = since(static_cast<Step>(s), in.onset, dt);
      if (t <= 0) {
        REQUIRE(v[s] == v_rest);
        continue;
      }
      const double k = t / 0.1;
      if (std::fabs(k - std::round(k)) > 1e-9 || k > 200.5) continue;  // on the reference grid
      worst = std::max(worst,
                       std::fabs(v[s] - v_rest - ref[static_cast<std::size_t>(std::llround(k))]));
    }
    return worst;
  };
  const double peak = *std::max_element(ref.begin(), ref.end());
  REQUIRE(peak > 1.0);  // a PSP of a few mV, so that the errors below mean something
  const double e1 = max_error(0.1), e2 = max_error(0.05), e3 = max_error(0.025);
  CAPTURE(peak, e1, e2, e3);
  CHECK(e1 < 1e-4 * peak);
  CHECK(e1 / e2 > 3.0);
  CHECK(e2 / e3 > 3.0);
}

TEST_CASE("IF_cond_exp with forward Euler follows the scheme step by step, at first order",
          "[neurons]") {
  const double cm = 0.25, tau_m = 10.0, tau_s = 2.0, e_rev = 0.0, v_rest = -65.0;
  const double w = stored(0.02);
  auto run = [&](double dt) {
    auto neuron =
        population("n", "IF_cond_exp",
                   {{"cm", cm}, {"tau_m", tau_m}, {"tau_syn_E", tau_s}, {"v_thresh", 1000.0}},
                   {"v", "gsyn_exc"});
    neuron.integration = "euler";
    const SpikeInput in = single_spike(neuron, dt, 0.02, 25.0);
    const MemoryObserver obs = simulate(in.spec);
    return std::tuple{in, trace(obs, 0), trace(obs, 1)};
  };
  // The scheme written out: the step's input joins the conductance, v takes one Euler step
  // with the conductance at the start of the step, the conductance one Euler decay step.
  {
    const double dt = 0.1;
    const auto [in, v, g] = run(dt);
    double ref_v = v_rest, ref_g = 0.0;
    for (std::size_t s = 0; s < v.size(); ++s) {
      if (static_cast<Step>(s) == in.onset) ref_g += w;
      ref_v += dt / cm * (cm / tau_m * (v_rest - ref_v) + ref_g * (e_rev - ref_v));
      ref_g *= 1.0 - dt / tau_s;
      INFO("step " << s);
      REQUIRE(v[s] == Approx(ref_v).epsilon(1e-13));
      REQUIRE(g[s] == Approx(ref_g).epsilon(1e-13).margin(1e-300));
    }
  }
  // Against the converged PSP: the error halves with the step (the exact scheme's falls by 4).
  const std::vector<double> ref =
      cond_psp_reference(cm, tau_m, tau_s, w, e_rev, v_rest, 0.1, 20.0);  // u at k·0.1 ms
  auto max_error = [&](double dt) {
    const auto [in, v, g] = run(dt);
    double worst = 0.0;
    for (std::size_t s = 0; s < v.size(); ++s) {
      const double t = since(static_cast<Step>(s), in.onset, dt);
      const double k = t / 0.1;
      if (t <= 0 || std::fabs(k - std::round(k)) > 1e-9 || k > 200.5) continue;
      worst = std::max(worst,
                       std::fabs(v[s] - v_rest - ref[static_cast<std::size_t>(std::llround(k))]));
    }
    return worst;
  };
  const double e1 = max_error(0.1), e2 = max_error(0.05), e3 = max_error(0.025);
  CAPTURE(e1, e2, e3);
  CHECK(e1 < 0.05 * *std::max_element(ref.begin(), ref.end()));
  CHECK(e1 / e2 == Approx(2.0).margin(0.3));
  CHECK(e2 / e3 == Approx(2.0).margin(0.3));
}

// One population "p" of `size` neurons from v uniform in [-65, -50] mV, under i_offset and a
// 2 kHz Poisson drive whose weight suits current- or conductance-based synapses.
NetworkSpec driven_population(const std::string& model, const std::string& integration,
                              std::size_t size, double duration, double i_offset,
                              std::vector<std::string> record = {}) {
  NetworkSpec spec;
  spec.duration = duration;
  auto p = population("p", model, {{"i_offset", i_offset}}, std::move(record));
  p.size = size;
  p.integration = integration;
  p.initial["v"] = Value::uniform(-65.0, -50.0);
  spec.populations = {p};
  PoissonInput drive;
  drive.rate = 2000.0;
  drive.weight = model.find("cond") != std::string::npos ? 0.002 : 0.05;
  spec.stimuli.push_back({PopulationSlice::whole("p"), drive});
  return spec;
}

TEST_CASE("A kernel gives the same bits with no current stimulus as with one of 0 nA",
          "[neurons]") {
  // Without a current stimulus the vectorized kernels skip the array of stimulus currents
  // (neurons::stimulus); a DC source of 0 nA makes them read it.
  const std::vector<std::pair<const char*, const char*>> kernels = {
      {"IF_curr_exp", "exact"},
      {"IF_curr_delta", "exact"},
      {"IF_cond_exp", "exact"},
      {"IF_cond_exp", "euler"},
      {"IF_curr_alpha", "exact"},
      {"IF_cond_alpha", "exact"},
      {"EIF_cond_exp_isfa_ista", "exact"},
      {"Izhikevich", "exact"}};
  for (const auto& [model, integration] : kernels) {
    CAPTURE(model, integration);
    auto run = [&](bool zero_current) {
      // Izhikevich's current is 1000·i_offset in its equation's units.
      const double i_offset = std::string(model) == "Izhikevich" ? 0.01 : 0.8;
      NetworkSpec spec = driven_population(model, integration, 100, 200.0, i_offset, {"v"});
      if (zero_current) spec.stimuli.push_back({PopulationSlice::whole("p"), DCSource{0.0}});
      return simulate(spec);
    };
    const MemoryObserver without = run(false), with = run(true);
    REQUIRE(without.total() > 100);
    CHECK(without.checksum() == with.checksum());
    CHECK(without.samples_by_variable == with.samples_by_variable);
  }
}

TEST_CASE("Kernels flag spikes in every chunk of neurons on any partitioning", "[neurons]") {
  // The kernels write their spike flags per chunk of kFlagChunk neurons, counted from the
  // start of the range a call covers; the threads backend starts ranges elsewhere.
  static_assert(neurons::kFlagChunk == 256, "the population below spans four chunks");
  const std::vector<std::pair<const char*, const char*>> kernels = {
      {"IF_curr_exp", "exact"}, {"IF_curr_delta", "exact"}, {"IF_cond_exp", "exact"},
      {"IF_cond_exp", "euler"}, {"IF_curr_alpha", "exact"}, {"IF_cond_alpha", "exact"}};
  for (const auto& [model, integration] : kernels) {
    CAPTURE(model, integration);
    const NetworkSpec spec = driven_population(model, integration, 1000, 50.0, 0.8);
    const MemoryObserver serial = simulate(spec, "serial");
    std::vector<std::uint64_t> per_chunk(4, 0);
    for (const auto& [step, id] : serial.of("p")) ++per_chunk.at(id / 256);
    for (std::uint64_t n : per_chunk) CHECK(n > 50);
    CHECK(simulate(spec, "threads", 3).checksum() == serial.checksum());
  }
}

TEST_CASE("A refractory neuron holds v_reset and fires at most every round(t_ref/dt)+1 steps",
          "[neurons]") {
  for (double dt : {0.1, 0.05, 1.0}) {
    for (double current : {2.0, 1000.0}) {  // moderate, and so strong it fires on release
      CAPTURE(dt, current);
      const double t_ref = 2.0, v_reset = -70.0;
      const Step r = std::llround(t_ref / dt);
      NetworkSpec spec;
      spec.dt = dt;
      spec.duration = 100.0;
      spec.populations = {
          population("n", "IF_curr_exp",
                     {{"tau_refrac", t_ref}, {"v_reset", v_reset}, {"i_offset", current}}, {"v"})};
      const MemoryObserver obs = simulate(spec);
      const std::vector<double> v = trace(obs, 0);
      const std::vector<Step> spikes = spike_steps(obs, "n");
      REQUIRE(spikes.size() >= 3);
      for (std::size_t k = 1; k < spikes.size(); ++k) {
        REQUIRE(spikes[k] - spikes[k - 1] >= r + 1);
        if (current > 100.0) REQUIRE(spikes[k] - spikes[k - 1] == r + 1);
      }
      for (Step s : spikes)
        for (Step q = s; q <= s + r && q < static_cast<Step>(v.size()); ++q) {
          INFO("spike at " << s << ", step " << q);
          REQUIRE(v[static_cast<std::size_t>(q)] == v_reset);
        }
    }
  }
}

// Refractory counts are held in 32 bits: a period too long for them is held as 2^31 - 1
// steps, which no run of this length can tell from the period given.
TEST_CASE("A refractory period longer than 2^31 steps keeps the neuron silent after its spike",
          "[neurons]") {
  CHECK(neurons::refractory_steps(2.0, 0.1) == 20);
  CHECK(neurons::refractory_steps(0.04, 0.1) == 0);
  CHECK(neurons::refractory_steps(1e300, 0.1) == std::numeric_limits<std::int32_t>::max());
  CHECK(neurons::refractory_steps(std::numeric_limits<double>::infinity(), 0.1) ==
        std::numeric_limits<std::int32_t>::max());
  for (const char* model :
       {"IF_curr_exp", "IF_curr_delta", "IF_cond_exp", "IF_curr_alpha", "EIF_cond_exp_isfa_ista"}) {
    CAPTURE(model);
    NetworkSpec spec;
    spec.duration = 50.0;
    spec.populations = {population("n", model, {{"tau_refrac", 1e300}, {"i_offset", 5.0}}, {})};
    const MemoryObserver obs = simulate(spec);
    CHECK(spike_steps(obs, "n").size() == 1);
  }
}

TEST_CASE("IF_curr_exp f-I curve matches the LIF rate formula", "[neurons]") {
  const double tau_m = 20.0, cm = 1.0, t_ref = 2.0, v_rest = -65.0, theta = -50.0;
  const double r_m = tau_m / cm;
  const std::vector<double> currents = {0.8, 1.0, 1.5, 3.0};
  for (double dt : {0.1, 0.01}) {
    CAPTURE(dt);
    NetworkSpec spec;
    spec.dt = dt;
    spec.duration = 2000.0;
    PopulationSpec p = population("n", "IF_curr_exp",
                                  {{"tau_m", tau_m},
                                   {"cm", cm},
                                   {"tau_refrac", t_ref},
                                   {"v_rest", v_rest},
                                   {"v_reset", v_rest},
                                   {"v_thresh", theta}});
    p.size = currents.size();
    spec.populations = {p};
    for (std::size_t k = 0; k < currents.size(); ++k)
      spec.stimuli.push_back({PopulationSlice{"n", k, k + 1}, DCSource{currents[k], 0.0, {}}});
    const MemoryObserver obs = simulate(spec);
    for (std::size_t k = 0; k < currents.size(); ++k) {
      const double ri = r_m * currents[k];
      const double t_free = tau_m * std::log(ri / (ri - (theta - v_rest)));
      const double isi = t_ref + t_free;
      std::vector<Step> steps;
      for (const auto& [step, id] : obs.of("n"))
        if (id == k) steps.push_back(step);
      CAPTURE(currents[k], isi, steps.size());
      REQUIRE(steps.size() >= 10);
      // Every interval starts from the same state, so all are equal; the crossing is seen
      // at the first step boundary after it.
      const Step interval = steps[1] - steps[0];
      for (std::size_t j = 2; j < steps.size(); ++j) REQUIRE(steps[j] - steps[j - 1] == interval);
      const double x = t_free / dt;
      if (std::fabs(x - std::round(x)) > 1e-6)
        CHECK(interval == std::llround(t_ref / dt) + static_cast<Step>(std::ceil(x)));
      const double rate = 1000.0 / (static_cast<double>(interval) * dt);
      CHECK(std::fabs(rate - 1000.0 / isi) <= 1000.0 / isi * (dt / isi + 1e-9));
    }
  }
}

TEST_CASE("IF_curr_alpha current peaks at w at tau_syn and the PSP follows the closed form",
          "[neurons]") {
  const double cm = 0.5, tau_m = 10.0, v_rest = -65.0;
  const double w = stored(0.4);
  for (const auto& [tau_s, dt] : {std::pair{2.0, 0.1},
                                  {2.0, 0.05},
                                  {2.0, 0.01},
                                  {2.0, 1.0},
                                  {10.0, 0.1},
                                  {10.0, 1.0}}) {  // 10: tau_syn == tau_m
    CAPTURE(tau_s, dt);
    const auto neuron =
        population("n", "IF_curr_alpha",
                   {{"cm", cm}, {"tau_m", tau_m}, {"tau_syn_E", tau_s}, {"v_thresh", 1000.0}},
                   {"v", "isyn_exc"});
    const SpikeInput in = single_spike(neuron, dt, 0.4, 40.0);
    const MemoryObserver obs = simulate(in.spec);
    const std::vector<double> v = trace(obs, 0), isyn = trace(obs, 1);
    // Current w (t/tau) e^{1 - t/tau}; membrane (1/cm) ∫_0^t e^{-(t-s)/tau_m} I(s) ds
    // = w e/(tau cm) e^{-t/tau_m} ∫_0^t s e^{a s} ds with a = 1/tau_m - 1/tau.
    const double a = 1.0 / tau_m - 1.0 / tau_s, scale = w * std::numbers::e / (tau_s * cm);
    auto psp = [&](double t) {
      if (a == 0.0) return scale * t * t / 2.0 * std::exp(-t / tau_m);
      return scale / (a * a) * (std::exp(-t / tau_s) * (a * t - 1.0) + std::exp(-t / tau_m));
    };
    double peak_psp = 0.0;
    for (int k = 1; k < 4000; ++k) peak_psp = std::max(peak_psp, psp(k * 0.01));
    REQUIRE(peak_psp > 1.0);
    std::size_t peak = 0;
    for (std::size_t s = 0; s < v.size(); ++s) {
      if (isyn[s] > isyn[peak]) peak = s;
      const double t = since(static_cast<Step>(s), in.onset, dt);
      INFO("step " << s << ", t' = " << t);
      if (t <= 0) {
        REQUIRE(v[s] == v_rest);
        continue;
      }
      REQUIRE(near(isyn[s], w * t / tau_s * std::exp(1.0 - t / tau_s), w));
      REQUIRE(near(v[s] - v_rest, psp(t), peak_psp));
    }
    CHECK(since(static_cast<Step>(peak), in.onset, dt) == Approx(tau_s).epsilon(1e-12));
    CHECK(isyn[peak] == Approx(w).epsilon(1e-12));
  }
}

TEST_CASE("IF_cond_alpha conductance peaks at w at tau_syn", "[neurons]") {
  const double tau_s = 0.5;
  const double w = stored(0.01);
  for (double dt : {0.1, 0.05, 0.01}) {
    CAPTURE(dt);
    const auto neuron = population("n", "IF_cond_alpha", {{"tau_syn_E", tau_s}}, {"gsyn_exc"});
    const SpikeInput in = single_spike(neuron, dt, 0.01, 10.0);
    const std::vector<double> g = trace(simulate(in.spec), 0);
    const auto peak = static_cast<std::size_t>(std::max_element(g.begin(), g.end()) - g.begin());
    CHECK(since(static_cast<Step>(peak), in.onset, dt) == Approx(tau_s).epsilon(1e-12));
    CHECK(g[peak] == Approx(w).epsilon(1e-12));
    for (std::size_t s = 0; s < g.size(); ++s) {
      const double t = since(static_cast<Step>(s), in.onset, dt);
      const double expected = t <= 0 ? 0.0 : w * t / tau_s * std::exp(1.0 - t / tau_s);
      REQUIRE(near(g[s], expected, w));
    }
  }
}

// shared/models/ca3_cam.md, "Numerics", steps 1-4, written out literally.
struct SpinnakerLif {
  double cm, tau_m, tau_s, v_rest, v_reset, v_thresh, i_offset, dt;
  int refrac_steps;
  double v, i_e = 0.0;
  int refractory = 0;
  bool step(double input) {
    i_e += input * tau_s * (1.0 - std::exp(-dt / tau_s)) / dt;
    bool spiked = false;
    if (refractory > 0) {
      --refractory;
    } else {
      const double alpha = (i_e + i_offset) * tau_m / cm + v_rest;
      v = alpha - std::exp(-dt / tau_m) * (alpha - v);
      if (v >= v_thresh) {
        spiked = true;
        v = v_reset;
        refractory = refrac_steps;
      }
    }
    i_e *= std::exp(-dt / tau_s);
    return spiked;
  }
};

TEST_CASE("IF_curr_exp with the SpiNNaker scheme matches ca3_cam.md step by step", "[neurons]") {
  // Type A of ca3_cam.md, with weights below and above threshold and an offset current.
  for (const auto& [weight, i_offset] : {std::pair{1.0, 0.0}, {6.0, 0.0}, {2.0, 0.05}}) {
    CAPTURE(weight, i_offset);
    auto neuron = population("a", "IF_curr_exp",
                             {{"cm", 0.27},
                              {"tau_m", 3.0},
                              {"v_thresh", -57.0},
                              {"tau_syn_E", 0.3},
                              {"tau_syn_I", 0.3},
                              {"tau_refrac", 1.0},
                              {"v_rest", -60.0},
                              {"v_reset", -60.0},
                              {"i_offset", i_offset}},
                             {"v", "isyn_exc"});
    neuron.integration = "spinnaker";
    SpikeInput in = single_spike(neuron, 1.0, weight, 12.0);
    in.spec.populations[0].spike_times = {{0.0, 3.0}};
    const MemoryObserver obs = simulate(in.spec);
    const std::vector<double> v = trace(obs, 0), isyn = trace(obs, 1);
    const std::vector<Step> spikes = spike_steps(obs, "a");

    SpinnakerLif ref{0.27, 3.0, 0.3, -60.0, -60.0, -57.0, i_offset, 1.0, 1, -60.0};
    std::vector<Step> ref_spikes;
    for (Step s = 0; s < 12; ++s) {
      if (ref.step(s == 1 || s == 4 ? weight : 0.0)) ref_spikes.push_back(s);
      INFO("step " << s);
      REQUIRE(v[static_cast<std::size_t>(s)] == Approx(ref.v).epsilon(1e-13));
      REQUIRE(isyn[static_cast<std::size_t>(s)] == Approx(ref.i_e).epsilon(1e-13).margin(1e-300));
    }
    CHECK(spikes == ref_spikes);
    if (weight == 6.0) CHECK(spikes == std::vector<Step>{1, 4});  // each hop takes its delay
    if (weight == 1.0) CHECK(spikes.empty());
  }
  CHECK(0.3 * -std::expm1(-1.0 / 0.3) == Approx(0.28930).margin(5e-6));  // the input scale
}

TEST_CASE("Izhikevich regular spiking fires repetitively and rests without input", "[neurons]") {
  NetworkSpec spec;
  spec.dt = 0.1;
  spec.duration = 1000.0;
  const std::map<std::string, double> rs = {{"a", 0.02}, {"b", 0.2}, {"c", -65.0}, {"d", 8.0}};
  auto driven = rs;
  driven["i_offset"] = 0.01;  // I = 10
  spec.populations = {population("driven", "Izhikevich", driven),
                      population("quiet", "Izhikevich", rs, {"v"})};
  const MemoryObserver obs = simulate(spec);
  const std::vector<Step> spikes = spike_steps(obs, "driven");
  REQUIRE(spikes.size() >= 5);
  // Tonic firing: the late intervals settle to one value (within a step).
  const std::size_t n = spikes.size();
  CHECK(std::abs((spikes[n - 1] - spikes[n - 2]) - (spikes[n - 2] - spikes[n - 3])) <= 1);
  CHECK(spikes.front() > 0);
  // v = -70, u = -14 is the stable rest of RS (0.04 v² + 5 v + 140 - u = 0, b v = u).
  CHECK(obs.of("quiet").empty());
  for (double x : trace(obs, 0)) REQUIRE(x == Approx(-70.0).epsilon(1e-12));
}

TEST_CASE("AdEx under a step current shows spike-frequency adaptation", "[neurons]") {
  NetworkSpec spec;
  spec.dt = 0.1;
  spec.duration = 600.0;
  spec.populations = {population("n", "EIF_cond_exp_isfa_ista", {})};
  spec.stimuli = {{PopulationSlice::whole("n"), DCSource{1.0, 100.0, 500.0}}};
  const std::vector<Step> spikes = spike_steps(simulate(spec), "n");
  REQUIRE(spikes.size() >= 6);
  CHECK(spikes.front() >= 1000);  // nothing before the current starts
  CHECK(spikes.back() < 5000 + 10);
  std::vector<Step> isi;
  for (std::size_t k = 1; k < spikes.size(); ++k) isi.push_back(spikes[k] - spikes[k - 1]);
  CAPTURE(isi);
  for (std::size_t k = 1; k < std::min<std::size_t>(isi.size(), 4); ++k) CHECK(isi[k] > isi[k - 1]);
  CHECK(isi.back() > 2 * isi.front());
}

}  // namespace
}  // namespace engram
