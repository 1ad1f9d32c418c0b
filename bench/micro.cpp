// Micro-benchmarks of the engine's three inner loops, on networks compiled by engram::compile
// and advanced by the same functions the backends call (engine/step.hpp):
//
//   neuron_update/<model>/<n>   update_population over n neurons, one step per iteration:
//                               ns_per_neuron_step. Neurons fire asynchronously at 10-40 Hz
//                               (a constant current above rheobase, random initial v).
//   poisson_input/<mean>        add_poisson_input over 10,000 neurons: ns_per_neuron_step.
//   deliver/<kind>/<n_post>     deliver() of a fixed list of 50 presynaptic spikes per step
//                               through a static projection of 10 M synapses:
//                               ns_per_event (one event = one synapse of a spiking row).
//   stdp/<rule>                 record_post_spikes + deliver() through a spike-pair STDP
//                               projection, pre and post at 10 Hz: ns_per_event per plastic
//                               synapse (weight update and delivery).
//   memory_bound/<columns>/<n>  the memory traffic of a kernel with that many double state
//                               columns (1: IF_curr_delta; 3: IF_curr_exp, IF_cond_exp) and
//                               almost no arithmetic: the same arrays, read and written as
//                               the kernel does (columns, refractory count, two input slots
//                               read and cleared, a flag byte). ns_per_neuron_step: the
//                               shortest time a kernel of that layout can take on the machine.
//
// Counters are reported as seconds per item (kIsRate | kInvert): "2.1ns" on the console,
// 2.1e-09 in --benchmark_format=json. bench/compare.py runs these and tabulates them.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/compile.hpp"
#include "engine/fast_math.hpp"
#include "engine/step.hpp"

namespace {

using namespace engram;

PopulationSpec population(std::string name, std::uint64_t n, std::string model,
                          std::map<std::string, double> parameters = {},
                          std::map<std::string, Value> initial = {}) {
  PopulationSpec p;
  p.name = std::move(name);
  p.size = n;
  p.model = std::move(model);
  for (const auto& [k, v] : parameters) p.parameters[k] = Value::constant(v);
  p.initial = std::move(initial);
  return p;
}

// Per model: parameters and initial state that make an unconnected population fire
// asynchronously at a moderate rate.
struct ModelCase {
  const char* model;
  std::map<std::string, double> parameters;
  std::map<std::string, Value> initial;
  const char* integration = "exact";
};

const std::vector<ModelCase>& model_cases() {
  static const std::vector<ModelCase> cases = {
      {"IF_curr_exp", {{"i_offset", 0.8}}, {{"v", Value::uniform(-65, -50)}}},
      {"IF_curr_delta", {{"i_offset", 0.8}}, {{"v", Value::uniform(-65, -50)}}},
      {"IF_cond_exp", {{"i_offset", 0.8}}, {{"v", Value::uniform(-65, -50)}}},
      {"IF_cond_exp", {{"i_offset", 0.8}}, {{"v", Value::uniform(-65, -50)}}, "euler"},
      {"IF_curr_alpha", {{"i_offset", 0.8}}, {{"v", Value::uniform(-65, -50)}}},
      {"IF_cond_alpha", {{"i_offset", 0.8}}, {{"v", Value::uniform(-65, -50)}}},
      {"Izhikevich", {{"i_offset", 0.01}}, {{"v", Value::uniform(-70, -50)}}},
      {"EIF_cond_exp_isfa_ista", {{"i_offset", 0.8}}, {{"v", Value::uniform(-70.6, -50)}}},
      {"SpikeSourcePoisson", {{"rate", 20.0}}, {}},
  };
  return cases;
}

void neuron_update(benchmark::State& state, const ModelCase& c) {
  const auto n = static_cast<std::uint64_t>(state.range(0));
  NetworkSpec spec;
  spec.name = "neuron_update";
  spec.populations.push_back(population("p", n, c.model, c.parameters, c.initial));
  spec.populations.back().integration = c.integration;
  std::unique_ptr<Runtime> rt = compile(spec);
  std::vector<std::uint32_t> ids(n);
  const Range all{0, static_cast<std::uint32_t>(n)};
  Step t = 0;
  std::uint64_t spikes = 0;
  for (auto _ : state) {
    spikes += update_population(*rt, 0, t++, all, ids.data());
    benchmark::ClobberMemory();
  }
  const double steps = static_cast<double>(state.iterations());
  state.counters["ns_per_neuron_step"] = benchmark::Counter(
      steps * static_cast<double>(n), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["rate_Hz"] = static_cast<double>(spikes) / (steps * n * spec.dt * 1e-3);
}

// A projection pre -> post with `in_degree` synapses per target and its spike lists: for
// phase k, the presynaptic ids k, k + stride, k + 2·stride, ... (ascending), 50 per step.
struct Delivery {
  std::unique_ptr<Runtime> rt;
  std::vector<std::vector<std::uint32_t>> lists;
  std::vector<std::uint64_t> events;  // synapses reached by each list
};

Delivery delivery_network(std::uint64_t n_pre, std::uint64_t n_post, std::uint64_t in_degree,
                          SynapseSpec synapse) {
  NetworkSpec spec;
  spec.name = "deliver";
  spec.populations.push_back(population("pre", n_pre, "IF_curr_exp"));
  spec.populations.push_back(population("post", n_post, "IF_curr_exp"));
  ProjectionSpec pr;
  pr.pre = PopulationSlice::whole("pre");
  pr.post = PopulationSlice::whole("post");
  pr.connector = FixedNumberPre{in_degree, true, false};
  pr.synapse = std::move(synapse);
  spec.projections.push_back(pr);
  Delivery d;
  d.rt = compile(spec);
  const std::uint32_t per_step = 50;
  const auto stride = static_cast<std::uint32_t>(n_pre / per_step);
  const SynapseTable& table = d.rt->projections[0].tables[0];
  for (std::uint32_t k = 0; k < stride; ++k) {
    std::vector<std::uint32_t> ids;
    std::uint64_t events = 0;
    for (std::uint32_t i = 0; i < per_step; ++i) {
      const std::uint32_t id = k + i * stride;
      ids.push_back(id);
      events += table.offsets[id + 1] - table.offsets[id];
    }
    d.lists.push_back(std::move(ids));
    d.events.push_back(events);
  }
  return d;
}

// kind 0: one weight, one delay (Brunel, COBA, CUBA); 1: a weight per synapse; 2: a weight
// and a delay per synapse (1-5 ms).
void deliver_static(benchmark::State& state) {
  const int kind = static_cast<int>(state.range(0));
  const auto n_post = static_cast<std::uint64_t>(state.range(1));
  const std::uint64_t n_pre = 10'000, synapses = 10'000'000;
  SynapseSpec s;
  s.weight = kind == 0 ? Value::constant(0.1) : Value::uniform(0.05, 0.15);
  s.delay = kind == 2 ? Value::uniform(1.0, 5.0) : Value::constant(1.5);
  Delivery d = delivery_network(n_pre, n_post, synapses / n_post, s);
  Step t = 1;
  std::uint64_t events = 0;
  for (auto _ : state) {
    const std::size_t k = static_cast<std::size_t>(t) % d.lists.size();
    deliver(*d.rt, 0, 0, t++, d.lists[k]);
    events += d.events[k];
    benchmark::ClobberMemory();
  }
  state.counters["ns_per_event"] = benchmark::Counter(
      static_cast<double>(events), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["events_per_step"] = static_cast<double>(events) / state.iterations();
  state.SetLabel(kind == 0   ? "one weight, one delay"
                 : kind == 1 ? "weight per synapse"
                             : "weight and delay per synapse");
}

// add_poisson_input over 10,000 neurons, one step per iteration, for a PoissonInput of
// `mean` counts per neuron and step (argument: mean × 1000). Brunel's external drive is 2.0
// (1000 sources at 20 Hz, dt 0.1 ms); 2 and 20 are counted by thresholds, 100 takes
// Stream::poisson (PTRS).
void poisson_input(benchmark::State& state) {
  const double mean = static_cast<double>(state.range(0)) / 1000.0;
  const std::uint32_t n = 10'000;
  PoissonDrive drive;
  drive.target = {0, n};
  drive.mean_per_step = mean;
  if (mean < kSmallPoissonMean) drive.thresholds = poisson_thresholds(mean);
  drive.weight = 0.1;
  std::vector<double> slot(n, 0.0);
  Step t = 0;
  for (auto _ : state) {
    add_poisson_input(drive, 1, t++, 0, n, slot.data());
    benchmark::ClobberMemory();
  }
  state.counters["ns_per_neuron_step"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * n,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetLabel("PoissonInput, mean " + std::to_string(state.range(0) / 1000) +
                 " per neuron and step");
}

// 1 M plastic synapses (10,000 -> 10,000, in-degree 100); each step 10 postsynaptic and 10
// presynaptic neurons spike (10 Hz each), half a period apart.
void deliver_stdp(benchmark::State& state) {
  const bool multiplicative = state.range(0) != 0;
  const std::uint64_t n = 10'000;
  SynapseSpec s;
  s.weight = Value::constant(0.5);
  s.delay = Value::constant(1.0);
  StdpSpec stdp;
  stdp.timing = {20.0, 20.0, 0.01, 0.012};
  stdp.weight_dependence = {
      multiplicative ? WeightDependence::Kind::multiplicative : WeightDependence::Kind::additive,
      0.0, 1.0};
  s.stdp = stdp;
  Delivery d = delivery_network(n, n, 100, s);
  const std::uint32_t per_step = 10, period = static_cast<std::uint32_t>(n / per_step);
  const SynapseTable& table = d.rt->projections[0].tables[0];
  std::vector<std::vector<std::uint32_t>> pre(period), post(period);
  std::vector<std::uint64_t> phase_events(period, 0);
  for (std::uint32_t k = 0; k < period; ++k)
    for (std::uint32_t i = 0; i < per_step; ++i) {
      const std::uint32_t id = (k + period / 2) % period + i * period;
      pre[k].push_back(id);
      post[k].push_back(k + i * period);
      phase_events[k] += table.offsets[id + 1] - table.offsets[id];
    }
  Step t = 1;
  std::uint64_t events = 0;
  for (auto _ : state) {
    const std::size_t k = static_cast<std::size_t>(t) % period;
    record_post_spikes(*d.rt, 1, t, post[k]);
    deliver(*d.rt, 0, 0, t, pre[k]);
    events += phase_events[k];
    ++t;
    benchmark::ClobberMemory();
  }
  state.counters["ns_per_event"] = benchmark::Counter(
      static_cast<double>(events), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetLabel(multiplicative ? "spike pair, multiplicative" : "spike pair, additive");
}

// One step of the memory traffic of a neuron kernel, with one add or compare per array in
// place of its arithmetic. Values stay near 2, far from subnormals, whatever the step count.
// Compiled like the kernels (the same clones), so it vectorizes the same way.
ENGRAM_VECTOR_CLONES void stream_columns(int columns, double* __restrict a, double* __restrict b,
                                         double* __restrict c, std::int32_t* __restrict ref,
                                         std::uint8_t* __restrict fired, double* __restrict exc,
                                         double* __restrict inh, std::size_t n) {
  if (columns == 1) {
    for (std::size_t i = 0; i < n; ++i) {
      const double e = exc[i] - inh[i];
      exc[i] = 0.0;
      inh[i] = 0.0;
      a[i] = a[i] * 0.5 + (1.0 + e);
      ref[i] = ref[i] > 0 ? ref[i] - 1 : 0;
      fired[i] = a[i] > 3.0;
    }
    return;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const double e = exc[i], g = inh[i];
    exc[i] = 0.0;
    inh[i] = 0.0;
    a[i] = a[i] * 0.5 + 1.0;
    b[i] = b[i] * 0.5 + (1.0 + e);
    c[i] = c[i] * 0.5 + (1.0 + g);
    ref[i] = ref[i] > 0 ? ref[i] - 1 : 0;
    fired[i] = a[i] > 3.0;
  }
}

void memory_bound(benchmark::State& state) {
  const int columns = static_cast<int>(state.range(0));
  const auto n = static_cast<std::size_t>(state.range(1));
  // Separate allocations, as a population's columns and its input ring are.
  std::vector<double> a(n, 2.0), b(n, 2.0), c(n, 2.0), exc(n, 0.0), inh(n, 0.0);
  std::vector<std::int32_t> ref(n, 0);
  std::vector<std::uint8_t> fired(n, 0);
  for (auto _ : state) {
    stream_columns(columns, a.data(), b.data(), c.data(), ref.data(), fired.data(), exc.data(),
                   inh.data(), n);
    benchmark::ClobberMemory();
  }
  state.counters["ns_per_neuron_step"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(n),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  const std::size_t bytes = columns * 16 + 4 + 4 + 32 + 1;  // read and written per neuron
  state.SetLabel(std::to_string(bytes) + " bytes moved per neuron and step");
}

const bool registered = [] {
  for (const ModelCase& c : model_cases())
    benchmark::RegisterBenchmark(
        (std::string("neuron_update/") + c.model +
         (c.integration == std::string("exact") ? "" : std::string(":") + c.integration))
            .c_str(),
        [&c](benchmark::State& s) { neuron_update(s, c); })
        ->Arg(10'000)
        ->Arg(100'000);
  benchmark::RegisterBenchmark("poisson_input", poisson_input)
      ->ArgName("mean_x1000")
      ->Arg(2000)
      ->Arg(20000)
      ->Arg(100000);
  benchmark::RegisterBenchmark("deliver/static", deliver_static)
      ->ArgNames({"kind", "n_post"})
      ->ArgsProduct({{0, 1, 2}, {10'000, 100'000}});
  benchmark::RegisterBenchmark("deliver/stdp", deliver_stdp)
      ->ArgName("multiplicative")
      ->Arg(0)
      ->Arg(1);
  benchmark::RegisterBenchmark("memory_bound", memory_bound)
      ->ArgNames({"columns", "n"})
      ->ArgsProduct({{1, 3}, {10'000, 100'000}});
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
