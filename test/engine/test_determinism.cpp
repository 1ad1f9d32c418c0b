// The determinism contract (DESIGN.md §4): for one description and seed, `serial` and
// `threads` with any thread count produce bit-identical spike trains.
#include <catch2/catch.hpp>

#include <bit>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string_view>

#include "engine/backend.hpp"
#include "engine/compile.hpp"
#include "engine/step.hpp"
#include "io/network_json.hpp"
#include "test/support.hpp"

namespace {

using engram::NetworkSpec;
using engram::test::simulate;

void check_backends_agree(const NetworkSpec& spec) {
  const auto reference = simulate(spec, "serial");
  REQUIRE(reference.total() > 0);
  for (unsigned threads : {1u, 2u, 3u, 8u}) {
    INFO("threads backend with " << threads << " threads");
    const auto run = simulate(spec, "threads", threads);
    CHECK(run.total() == reference.total());
    CHECK(run.checksum() == reference.checksum());
  }
}

// A network that exercises every random path and every kind of input at once: Poisson
// sources, PoissonInput, distributed initial values, weights and delays, slices, STDP, a
// step current, and inhibitory feedback.
NetworkSpec mixed_network() {
  using namespace engram;
  NetworkSpec spec;
  spec.name = "mixed";
  spec.dt = 0.1;
  spec.duration = 300.0;
  spec.seed = 77;
  PopulationSpec noise{"noise", 200, "SpikeSourcePoisson"};
  noise.parameters["rate"] = Value::constant(15.0);
  PopulationSpec exc{"exc", 157, "IF_cond_exp"};
  exc.initial["v"] = Value::uniform(-65.0, -50.0);
  PopulationSpec inh{"inh", 43, "IF_curr_alpha"};
  inh.initial["v"] = Value::normal_clipped(-60.0, 4.0, -70.0, -51.0);
  PopulationSpec adex{"adex", 31, "EIF_cond_exp_isfa_ista"};
  spec.populations = {noise, exc, inh, adex};

  auto projection = [](const char* pre, const char* post, Connector c, Value w, Value d,
                       Receptor r = Receptor::excitatory) {
    ProjectionSpec p;
    p.pre = *PopulationSlice::parse(pre);
    p.post = *PopulationSlice::parse(post);
    p.connector = c;
    p.synapse.weight = w;
    p.synapse.delay = d;
    p.synapse.receptor = r;
    return p;
  };
  spec.projections.push_back(projection("noise", "exc", FixedProbability{0.1, true},
                                        Value::uniform(0.002, 0.006), Value::uniform(0.1, 3.0)));
  spec.projections.push_back(projection("noise[0:100]", "inh", FixedNumberPre{10, true, false},
                                        Value::constant(0.3), Value::constant(1.0)));
  spec.projections.push_back(projection("exc", "inh[10:]", FixedProbability{0.2, true},
                                        Value::constant(0.2), Value::constant(0.5)));
  spec.projections.push_back(projection("inh", "exc", FixedProbability{0.3, true},
                                        Value::constant(0.02), Value::uniform(0.8, 2.2),
                                        Receptor::inhibitory));
  spec.projections.push_back(
      projection("exc[0:31]", "adex", OneToOne{}, Value::constant(0.01), Value::constant(0.3)));
  ProjectionSpec plastic = projection("exc", "exc", FixedProbability{0.1, false},
                                      Value::uniform(0.0, 0.004), Value::uniform(0.2, 1.5));
  plastic.synapse.stdp =
      StdpSpec{{20.0, 20.0, 0.0005, 0.0006}, {WeightDependence::Kind::multiplicative, 0.0, 0.01}};
  spec.projections.push_back(plastic);
  spec.stimuli.push_back(
      {*PopulationSlice::parse("inh[0:20]"), PoissonInput{500.0, 20, 0.05, Receptor::excitatory}});
  spec.stimuli.push_back(
      {*PopulationSlice::parse("adex"), StepCurrentSource{{50.0, 150.0}, {0.3, 0.1}}});
  return spec;
}

// A CPU backend of `kind` (`threads` with `threads` threads) for `spec`, reporting to
// `observer`.
std::unique_ptr<engram::Backend> attached_backend(const NetworkSpec& spec, const char* kind,
                                                  unsigned threads,
                                                  engram::test::MemoryObserver& observer) {
  engram::BackendOptions options;
  options.kind = kind;
  options.threads = threads;
  auto backend = engram::make_cpu_backend(spec, options);
  backend->attach(observer);
  return backend;
}

// Every input ring of `spec`, compiled afresh, after delivering `len` steps of spikes (a
// third of each population, different at each step) in order or in reverse, as bits.
std::vector<std::uint64_t> rings_after_delivery(const NetworkSpec& spec, engram::Step len,
                                                bool reverse) {
  auto rt = engram::compile(spec);
  const engram::Step t0 = 1000;
  for (engram::Step k = 0; k < len; ++k) {
    const engram::Step s = reverse ? len - 1 - k : k;
    for (std::uint32_t p = 0; p < rt->populations.size(); ++p) {
      std::vector<std::uint32_t> ids;
      for (std::uint32_t i = 0; i < rt->populations[p].size; ++i)
        if ((i + static_cast<std::uint32_t>(s)) % 3 == 0) ids.push_back(i);
      for (std::uint32_t j : rt->outgoing[p]) engram::deliver(*rt, j, 0, t0 + s, ids);
    }
  }
  std::vector<std::uint64_t> bits;
  for (const auto& p : rt->populations)
    for (double x : p.ring.data) bits.push_back(std::bit_cast<std::uint64_t>(x));
  return bits;
}

}  // namespace

TEST_CASE("every example gives the same spikes on serial and threads", "[determinism]") {
  const std::filesystem::path examples = std::filesystem::path(ENGRAM_SOURCE_DIR) / "examples";
  for (const auto& entry : std::filesystem::directory_iterator(examples)) {
    if (entry.path().extension() != ".json") continue;
    DYNAMIC_SECTION(entry.path().filename().string()) {
      NetworkSpec spec = engram::io::load_network(entry.path());
      // Long enough for recurrent activity to build up and diverge at the first difference.
      spec.duration = std::min(spec.duration, 150.0);
      check_backends_agree(spec);
    }
  }
}

TEST_CASE("a network using every random path and STDP is deterministic", "[determinism]") {
  check_backends_agree(mixed_network());
}

// An input ring has as many slots as the longest delay into it, rounded up to a power of
// two (ring_slots in engine/compile.hpp). With every delay 16 steps the ring has exactly 16
// slots and the threads backend delivers 16 steps at a time: each slot is refilled the step
// after it is consumed, and a slot too few would overwrite pending input.
TEST_CASE("rings of exactly the longest delay lose no input", "[determinism]") {
  NetworkSpec spec = mixed_network();
  for (auto& pr : spec.projections) pr.synapse.delay = engram::Value::constant(1.6);
  const auto rt = engram::compile(spec);
  for (const auto& p : rt->populations)
    if (p.name == "exc") CHECK(p.ring.mask + 1 == 16);
  check_backends_agree(spec);
}

// Without plasticity and with one delay into each ring, the threads backend lets an idle
// thread deliver some steps of another partition's interval (work stealing), so the steps
// of an interval are delivered in any order; each writes its own ring slot.
TEST_CASE("static networks with one delay per ring deliver steps in any order", "[determinism]") {
  using engram::steps_deliver_independently;
  using engram::Value;
  NetworkSpec spec = mixed_network();
  CHECK_FALSE(steps_deliver_independently(*engram::compile(spec)));  // STDP
  spec.projections.pop_back();                                       // the plastic projection
  for (const auto& pr : spec.projections) REQUIRE_FALSE(pr.synapse.stdp);
  CHECK_FALSE(steps_deliver_independently(*engram::compile(spec)));  // delays spread
  for (auto& pr : spec.projections) pr.synapse.delay = Value::constant(2.5);
  CHECK(steps_deliver_independently(*engram::compile(spec)));
  check_backends_agree(spec);

  // Two delays into one receptor of a population: step t and t + 1 can share a slot.
  // noise -> inh and exc -> inh[10:] both excite inh.
  spec.projections[1].synapse.delay = Value::constant(2.6);
  CHECK_FALSE(steps_deliver_independently(*engram::compile(spec)));
  // Each receptor with its own delay: still disjoint.
  spec.projections[1].synapse.delay = Value::constant(2.5);
  spec.projections[3].synapse.delay = Value::constant(1.7);  // inh -> exc, inhibitory
  CHECK(steps_deliver_independently(*engram::compile(spec)));
  check_backends_agree(spec);

  // The claim itself: the steps of an interval (at most the shortest delay, 17 steps)
  // delivered in reverse leave every ring with the same bits. Weights far apart in
  // magnitude meet in inh's excitatory receptor, so that a sum's order shows in its bits
  // (sums of a few weights of similar size are exact in double); with the delays spread,
  // the reverse order then gives other bits, so the comparison can tell.
  spec.projections[1].synapse.weight = Value::uniform(0.5, 1.5);
  spec.projections[2].synapse.weight = Value::uniform(1e-10, 3e-10);
  CHECK(rings_after_delivery(spec, 17, true) == rings_after_delivery(spec, 17, false));
  spec.projections[1].synapse.delay = Value::uniform(0.1, 3.0);
  spec.projections[2].synapse.delay = Value::uniform(0.1, 3.0);
  CHECK(rings_after_delivery(spec, 17, true) != rings_after_delivery(spec, 17, false));
}

// Recorded values on threads come from every partition into one array per step: the same
// samples as serial, for neurons on both sides of each partition boundary.
TEST_CASE("threads record the same samples as serial across partitions", "[determinism]") {
  NetworkSpec spec = engram::io::load_network(std::filesystem::path(ENGRAM_SOURCE_DIR) /
                                              "examples" / "vogels_abbott_coba.json");
  spec.duration = 100.0;
  auto& exc = spec.populations.at(0);
  REQUIRE(exc.size == 3200);  // partitions begin at 1,600 (2 threads), and 1,066 and 2,133 (3)
  exc.record.variables = {"v"};
  exc.record.neurons = std::vector<std::uint64_t>{0, 1065, 1066, 1599, 1600, 2132, 2133, 3199};
  exc.record.interval = 0.5;
  const auto reference = simulate(spec, "serial");
  REQUIRE(reference.total() > 0);
  REQUIRE(reference.samples_by_variable.at(0).size() == 200);
  for (unsigned threads : {2u, 3u}) {
    INFO(threads << " threads");
    const auto run = simulate(spec, "threads", threads);
    CHECK(run.checksum() == reference.checksum());
    CHECK(run.samples_by_variable == reference.samples_by_variable);
    CHECK(run.sample_steps == reference.sample_steps);
  }
}

TEST_CASE("running in pieces gives the same spikes as one run", "[determinism]") {
  const NetworkSpec spec = mixed_network();
  const auto whole = simulate(spec, "serial");
  for (const char* kind : {"serial", "threads"}) {
    engram::test::MemoryObserver observer;
    auto backend = attached_backend(spec, kind, 3, observer);
    for (engram::Step chunk : {1, 7, 13, 500, 1479}) backend->run(chunk);
    REQUIRE(backend->now() == 2000);
    backend->run(backend->runtime().default_steps - backend->now());
    CHECK(observer.checksum() == whole.checksum());
  }
}

TEST_CASE("a different seed gives different spikes", "[determinism]") {
  NetworkSpec spec = mixed_network();
  const auto a = simulate(spec, "serial");
  spec.seed += 1;
  const auto b = simulate(spec, "serial");
  CHECK(a.checksum() != b.checksum());
}

// `engram run --timers`: the phase timers read the clock and nothing else, so the spikes
// stay the same; the phases lie within the run, and each partition works within its
// phases. Only inequalities of one monotonic clock are checked, never a duration.
TEST_CASE("phase timers change no spike and account for the loop", "[determinism]") {
  using Clock = std::chrono::steady_clock;
  const NetworkSpec spec = mixed_network();
  const auto reference = simulate(spec, "serial");
  for (const char* kind : {"serial", "threads"}) {
    INFO(kind);
    engram::test::MemoryObserver observer;
    auto backend = attached_backend(spec, kind, 2, observer);
    backend->run(100);  // untimed
    const engram::PhaseTimes& t = backend->phase_times();
    CHECK(t.update == 0.0);
    CHECK(t.delivery == 0.0);
    CHECK(t.reporting == 0.0);
    CHECK(t.busy.empty());

    REQUIRE(backend->enable_phase_timers());
    const auto start = Clock::now();
    backend->run(backend->runtime().default_steps - backend->now() - 100);
    const engram::PhaseTimes before = t;
    REQUIRE(backend->enable_phase_timers());  // again: keeps counting
    backend->run(100);
    CHECK(t.update >= before.update);
    CHECK(t.delivery >= before.delivery);
    CHECK(t.reporting >= before.reporting);
    REQUIRE(t.busy.size() == before.busy.size());
    for (std::size_t i = 0; i < t.busy.size(); ++i) CHECK(t.busy[i] >= before.busy[i]);
    const double wall = std::chrono::duration<double>(Clock::now() - start).count();
    CHECK(observer.checksum() == reference.checksum());
    CHECK(t.update > 0.0);
    CHECK(t.delivery > 0.0);
    CHECK(t.reporting >= 0.0);
    CHECK(t.update + t.delivery + t.reporting <= wall);
    if (std::string_view(kind) == "threads") {
      REQUIRE(t.busy.size() == 2);  // per thread; on a busy machine one may do all the work
      CHECK(t.busy[0] + t.busy[1] > 0.0);
      for (double busy : t.busy) {
        CHECK(busy >= 0.0);
        CHECK(busy <= t.update + t.delivery + 1e-9);  // a thread's work lies within the phases
      }
    } else {
      CHECK(t.busy.empty());
    }
  }
}
