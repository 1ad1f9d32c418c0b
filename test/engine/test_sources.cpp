// Spike sources and Poisson input: statistics with bounds that are statistically honest
// (±5σ; the streams are counter-based, so each check is deterministic for its seed), and
// exact spike times for SpikeSourceArray.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/backend.hpp"
#include "engine/fast_math.hpp"
#include "engine/network.hpp"
#include "engine/step.hpp"
#include "test/support.hpp"

namespace engram {
namespace {

using test::MemoryObserver;
using test::simulate;

PopulationSpec poisson_source(const std::string& name, std::uint64_t size, double rate,
                              double start = 0.0, double duration = 1e10) {
  PopulationSpec p;
  p.name = name;
  p.size = size;
  p.model = "SpikeSourcePoisson";
  p.parameters = {{"rate", Value::constant(rate)},
                  {"start", Value::constant(start)},
                  {"duration", Value::constant(duration)}};
  return p;
}

PopulationSpec spike_array(const std::string& name, std::uint64_t size,
                           std::vector<std::vector<double>> times) {
  PopulationSpec p;
  p.name = name;
  p.size = size;
  p.model = "SpikeSourceArray";
  p.spike_times = std::move(times);
  return p;
}

using SpikeSet = std::set<std::pair<Step, std::uint32_t>>;

SpikeSet spike_set(const MemoryObserver& obs, const std::string& name) {
  const auto& list = obs.of(name);
  return {list.begin(), list.end()};
}

TEST_CASE("SpikeSourcePoisson fires at its rate with Poisson interval statistics", "[sources]") {
  struct Case {
    double dt;
    std::uint64_t neurons;
    double rate, seconds;
  };
  for (const Case& c : {Case{1.0, 1000, 20.0, 10.0}, Case{0.1, 100, 50.0, 10.0}}) {
    CAPTURE(c.dt, c.neurons, c.rate);
    NetworkSpec spec;
    spec.dt = c.dt;
    spec.duration = c.seconds * 1000.0;
    spec.seed = 12345;
    spec.populations = {poisson_source("p", c.neurons, c.rate)};
    const MemoryObserver obs = simulate(spec);

    // The count is Binomial(neurons · steps, rate·dt).
    const double p = c.rate * c.dt * 1e-3;
    const double trials = static_cast<double>(c.neurons) * std::round(spec.duration / c.dt);
    const double mean = trials * p, sigma = std::sqrt(trials * p * (1.0 - p));
    const auto count = static_cast<double>(obs.of("p").size());
    CAPTURE(count, mean, sigma);
    CHECK(std::fabs(count - mean) <= 5.0 * sigma);

    // Intervals of a Bernoulli process are geometric: CV = sqrt(1 - p), within 0.05 of 1.
    std::vector<std::vector<Step>> per_neuron(c.neurons);
    for (const auto& [step, id] : obs.of("p")) per_neuron.at(id).push_back(step);
    double sum = 0.0, sum2 = 0.0, n = 0.0;
    for (const auto& steps : per_neuron) {
      REQUIRE(std::is_sorted(steps.begin(), steps.end()));
      for (std::size_t k = 1; k < steps.size(); ++k) {
        const auto isi = static_cast<double>(steps[k] - steps[k - 1]);
        sum += isi, sum2 += isi * isi, n += 1.0;
      }
    }
    const double m = sum / n, cv = std::sqrt(sum2 / n - m * m) / m;
    CAPTURE(cv);
    CHECK(std::fabs(cv - 1.0) < 0.05);
    CHECK(m * c.dt == Approx(1000.0 / c.rate).epsilon(0.02));
    // Neurons are independent streams, not copies of one.
    CHECK(per_neuron[0] != per_neuron[1]);
  }
}

TEST_CASE("SpikeSourcePoisson fires only from start until start + duration", "[sources]") {
  NetworkSpec spec;
  spec.dt = 0.1;
  spec.duration = 400.0;
  // 1000 neurons at p = 0.05 per step: a step without any spike has probability 0.95^1000.
  spec.populations = {poisson_source("p", 1000, 500.0, 100.0, 200.0)};
  const MemoryObserver obs = simulate(spec);
  REQUIRE(!obs.of("p").empty());
  Step first = obs.of("p").front().first, last = first;
  for (const auto& [step, id] : obs.of("p")) {
    first = std::min(first, step);
    last = std::max(last, step);
  }
  CHECK(first == 1000);
  CHECK(last == 2999);
}

TEST_CASE("SpikeSourcePoisson is the same with any thread count", "[sources]") {
  NetworkSpec spec;
  spec.dt = 0.1;
  spec.duration = 200.0;
  spec.populations = {poisson_source("p", 101, 40.0)};
  const std::uint64_t serial = simulate(spec).checksum();
  CHECK(simulate(spec, "threads", 2).checksum() == serial);
  CHECK(simulate(spec, "threads", 3).checksum() == serial);
}

TEST_CASE("SpikeSourceArray fires at the given times rounded to steps", "[sources]") {
  NetworkSpec spec;
  spec.dt = 0.1;
  spec.duration = 10.0;
  spec.populations = {
      // Per-neuron lists: unsorted, duplicates after rounding, empty, beyond the run.
      spike_array("each", 3, {{5.57, 1.04, 2.0}, {}, {0.0, 0.96, 1.04, 9.96, 50.0}}),
      // One list shared by every neuron.
      spike_array("shared", 3, {{0.3, 2.26}}), spike_array("single", 1, {{7.0}})};
  const MemoryObserver obs = simulate(spec);
  CHECK(spike_set(obs, "each") == SpikeSet{{10, 0}, {20, 0}, {56, 0}, {0, 2}, {10, 2}});
  CHECK(obs.of("each").size() == 5);
  CHECK(spike_set(obs, "shared") == SpikeSet{{3, 0}, {3, 1}, {3, 2}, {23, 0}, {23, 1}, {23, 2}});
  CHECK(spike_set(obs, "single") == SpikeSet{{70, 0}});
  // Reported in canonical order: by step, then ascending id.
  const auto& shared = obs.of("shared");
  CHECK(std::is_sorted(shared.begin(), shared.end()));

  SECTION("a run split in pieces fires the same spikes") {
    auto backend = make_cpu_backend(spec, {});
    MemoryObserver pieces;
    backend->attach(pieces);
    backend->run(5);
    backend->run(1);
    backend->run(94);
    CHECK(pieces.checksum() == obs.checksum());
  }
}

TEST_CASE("PoissonInput drives the synaptic current to its mean", "[sources]") {
  // 1000 sources × 10 Hz × dt 0.1 ms: one input of weight w per step on average, into a
  // current that decays by p = e^{-dt/tau_s} each step. The sample (after the decay) is
  // x_s = p (x_{s-1} + w K_s), K_s ~ Poisson(m): stationary mean m w p / (1 - p) — the
  // discrete form of number·rate·w·tau_s/1000 — and variance m w² p² / (1 - p²).
  const double dt = 0.1, tau_s = 5.0, rate = 10.0, w = 0.001;
  const std::uint64_t number = 1000, neurons = 200, driven = 150;
  NetworkSpec spec;
  spec.dt = dt;
  spec.duration = 1100.0;
  spec.seed = 7;
  PopulationSpec p;
  p.name = "n";
  p.size = neurons;
  p.model = "IF_curr_exp";
  p.parameters = {{"tau_syn_E", Value::constant(tau_s)}, {"v_thresh", Value::constant(1e6)}};
  p.record.variables = {"isyn_exc"};
  spec.populations = {p};
  spec.stimuli = {{PopulationSlice{"n", 0, driven}, PoissonInput{rate, number, w}}};
  const MemoryObserver obs = simulate(spec);

  const double m = static_cast<double>(number) * rate * dt * 1e-3;
  const double decay = std::exp(-dt / tau_s);
  const double mean = m * w * decay / (1.0 - decay);
  const double variance = m * w * w * decay * decay / (1.0 - decay * decay);
  const auto& samples = obs.samples_by_variable.at(0);
  const std::size_t skip = 1000;  // 20 tau_s: the start from zero is forgotten
  double sum = 0.0;
  std::uint64_t undriven_nonzero = 0;
  for (std::size_t s = 0; s < samples.size(); ++s) {
    for (std::uint64_t i = driven; i < neurons; ++i) undriven_nonzero += samples[s][i] != 0.0;
    if (s < skip) continue;
    for (std::uint64_t i = 0; i < driven; ++i) sum += samples[s][i];
  }
  CHECK(undriven_nonzero == 0);  // outside the target slice
  const double count = static_cast<double>((samples.size() - skip) * driven);
  const double measured = sum / count;
  // Samples of one neuron are AR(1) with coefficient `decay`: the variance of their mean is
  // variance · (1 + decay)/(1 - decay) / samples; neurons are independent.
  const double sigma = std::sqrt(variance * (1.0 + decay) / (1.0 - decay) / count);
  CAPTURE(measured, mean, sigma);
  CHECK(std::fabs(measured - mean) <= 5.0 * sigma);
  CHECK(measured == Approx(static_cast<double>(number) * rate * w * tau_s / 1000.0).epsilon(0.02));
}

TEST_CASE("PoissonInput counts by thresholds equal sequential inversion for every word",
          "[sources]") {
  // The reference: u = (w + 1/2) 2^-32, k the first count with u <= P(K <= k), summing the
  // cumulative probability in the same order, capped at kMaxPoissonCount.
  auto reference = [](std::uint32_t w, double mean) {
    const double u = (static_cast<double>(w) + 0.5) * 0x1.0p-32;
    double p = std::exp(-mean), cumulative = p;
    std::uint32_t k = 0;
    while (u > cumulative && k < kMaxPoissonCount) {
      ++k;
      p *= mean / k;
      cumulative += p;
    }
    return k;
  };
  for (const double mean : {1e-6, 0.02, 0.5, 2.0, 7.3, 9.99, 10.5, 30.0, 63.9}) {
    const std::vector<std::uint32_t> thresholds = poisson_thresholds(mean);
    auto count = [&](std::uint32_t w) {
      std::uint32_t k = 0;
      for (std::uint32_t t : thresholds) k += w >= t ? 1u : 0u;
      return k;
    };
    // Every threshold and its neighbours (the only places a count can change), the ends of
    // the word range and a sweep in between.
    std::vector<std::uint32_t> words = {0u, 1u, 0xFFFFFFFEu, 0xFFFFFFFFu};
    for (std::uint32_t t : thresholds)
      for (std::int64_t d = -2; d <= 2; ++d) {
        const std::int64_t w = static_cast<std::int64_t>(t) + d;
        if (w >= 0 && w <= 0xFFFFFFFFll) words.push_back(static_cast<std::uint32_t>(w));
      }
    for (std::uint64_t w = 0; w <= 0xFFFFFFFFull; w += 0x10001ull)
      words.push_back(static_cast<std::uint32_t>(w));
    for (std::uint32_t w : words) {
      INFO("mean " << mean << ", word " << w);
      REQUIRE(count(w) == reference(w, mean));
    }
  }
}

TEST_CASE("philox_first_blocks gives the first four draws of each stream", "[sources]") {
  for (const std::uint64_t seed : {0ull, 7ull, 0x123456789ABCDEF0ull, ~0ull})
    for (const std::uint32_t n : {1u, 3u, 64u, 131u}) {
      const std::uint32_t object = 5, a = 0xFFFFFF00u, b = 12345;  // a + j wraps around 2^32
      std::vector<std::uint32_t> w0(n), w1(n), w2(n), w3(n);
      philox_first_blocks(seed, Purpose::poisson_input, object, a, b, n, w0.data(), w1.data(),
                          w2.data(), w3.data());
      for (std::uint32_t j = 0; j < n; ++j) {
        Stream stream(seed, Purpose::poisson_input, object, a + j, b);
        INFO("seed " << seed << ", block " << j);
        CHECK(w0[j] == stream.next_u32());
        CHECK(w1[j] == stream.next_u32());
        CHECK(w2[j] == stream.next_u32());
        CHECK(w3[j] == stream.next_u32());
      }
    }
}

TEST_CASE("PoissonInput counts do not depend on the neuron range a call covers", "[sources]") {
  // Neuron i's count is the number of thresholds reached by word i mod 4 of the block keyed
  // by i / 4, whichever range [b, e) (and so whichever partition) computes it.
  PoissonDrive drive;
  drive.stream = 3;
  drive.mean_per_step = 2.5;
  drive.thresholds = poisson_thresholds(drive.mean_per_step);
  drive.weight = 0.25;
  const std::uint64_t seed = 11;
  const Step t = 42;
  const std::uint32_t n = 700;
  std::vector<double> expected(n, 1.0);
  for (std::uint32_t i = 0; i < n; ++i) {
    Stream stream(seed, Purpose::poisson_input, drive.stream, i / 4, static_cast<std::uint32_t>(t));
    std::uint32_t word = 0;
    for (std::uint32_t k = 0; k <= i % 4; ++k) word = stream.next_u32();
    std::uint32_t count = 0;
    for (const std::uint32_t threshold : drive.thresholds) count += word >= threshold ? 1u : 0u;
    expected[i] += count * drive.weight;
  }
  for (const auto& [b, e] : std::vector<std::pair<std::uint32_t, std::uint32_t>>{
           {0, n}, {1, 2}, {3, 261}, {255, 257}, {256, 700}, {5, 699}}) {
    std::vector<double> slot(n, 1.0);
    add_poisson_input(drive, seed, t, b, e, slot.data());
    for (std::uint32_t i = 0; i < n; ++i) {
      INFO("range [" << b << ", " << e << "), neuron " << i);
      REQUIRE(slot[i] == (i >= b && i < e ? expected[i] : 1.0));
    }
  }
}

TEST_CASE("exp_vec is within 2 ulp of e^x", "[sources]") {
  double worst = 0.0;
  for (int i = 0; i <= 200000; ++i) {
    // Dense near 0, where the conductance kernels evaluate it, and over the whole range.
    const double x = i % 2 ? -0.5 + i * 5e-6 : -708.0 + i * (1416.0 / 200000.0);
    const long double exact = std::exp(static_cast<long double>(x));
    const long double error = std::fabs(static_cast<long double>(exp_vec(x)) - exact) / exact;
    worst = std::max(worst, static_cast<double>(error));
  }
  CHECK(worst < 5e-16);
  CHECK(exp_vec(0.0) == 1.0);
}

}  // namespace
}  // namespace engram
