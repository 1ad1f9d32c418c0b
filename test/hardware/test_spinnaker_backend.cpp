// The `spinnaker` backend against `serial`: bit-identical spikes with float arithmetic, the
// packet fabric under pressure, consistent counters, fixed point, and bad options.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "engine/compile.hpp"
#include "engine/error.hpp"
#include "hardware/spinnaker_backend.hpp"
#include "io/network_json.hpp"
#include "models/ca3_cam/ca3_cam.hpp"
#include "test/support.hpp"

namespace {

using namespace engram;
namespace fs = std::filesystem;

const fs::path kSource = ENGRAM_SOURCE_DIR;

NetworkSpec example(const std::string& name, double duration) {
  NetworkSpec spec = io::load_network(kSource / "examples" / (name + ".json"));
  spec.duration = duration;
  return spec;
}

hw::MachineSpec machine(const std::string& text) {
  return hw::parse_machine(text);
}

test::MemoryObserver run_spinnaker(hw::SpinnakerBackend& backend, Step steps = -1) {
  test::MemoryObserver observer;
  backend.attach(observer);
  backend.run(steps >= 0 ? steps : backend.runtime().default_steps);
  return observer;
}

void require_identical(const test::MemoryObserver& serial, const test::MemoryObserver& emulated) {
  REQUIRE(serial.total() > 0);
  CHECK(emulated.total() == serial.total());
  CHECK(emulated.checksum() == serial.checksum());
  CHECK(emulated.spikes_by_population == serial.spikes_by_population);
  CHECK(emulated.samples_by_variable == serial.samples_by_variable);
}

}  // namespace

TEST_CASE("spinnaker spikes are bit-identical to serial on every example network", "[hardware]") {
  // Durations short enough for the suite; Brunel's 15.6 M synapses dominate its cost.
  const std::vector<std::pair<std::string, double>> examples = {{"small_chain", 80.0},
                                                                {"vogels_abbott_coba", 200.0},
                                                                {"vogels_abbott_cuba", 200.0},
                                                                {"brunel_2000", 30.0}};
  for (const auto& [name, duration] : examples) {
    for (const char* board : {"2x2", "48"}) {
      if (name == "brunel_2000" && std::string(board) == "2x2") continue;
      INFO(name << " on " << board);
      const NetworkSpec spec = example(name, duration);
      const auto serial = test::simulate(spec);
      auto backend = hw::make_spinnaker_backend(spec, machine(board));
      const auto emulated = run_spinnaker(*backend);
      require_identical(serial, emulated);
      CHECK(backend->stats().dropped() == 0);
      CHECK(backend->stats().late() == 0);
    }
  }
}

TEST_CASE("spinnaker runs split over several calls match one serial run", "[hardware]") {
  NetworkSpec spec = example("vogels_abbott_coba", 60.0);
  spec.populations[0].record.variables = {"v"};
  spec.populations[0].record.neurons = std::vector<std::uint64_t>{0, 255, 256, 3199};
  const auto serial = test::simulate(spec);
  auto backend = hw::make_spinnaker_backend(spec, machine("48"));
  test::MemoryObserver emulated;
  backend->attach(emulated);
  for (int i = 0; i < 4; ++i) backend->run(150);
  require_identical(serial, emulated);
}

TEST_CASE("spinnaker reproduces serial on CA3 experiment 1, STDP included", "[hardware]") {
  using namespace engram::models::ca3;
  const Experiment e = load_experiment(kSource / "examples" / "ca3_cam" / "experiment1.json");
  const NetworkSpec spec = build_network(e);
  const auto serial_backend = [&] {
    auto b = make_cpu_backend(spec, {});
    return b;
  }();
  test::MemoryObserver serial;
  serial_backend->attach(serial);
  serial_backend->run(serial_backend->runtime().default_steps);
  for (const char* board : {"2x2", "48"}) {
    INFO(board);
    auto backend = hw::make_spinnaker_backend(spec, machine(board));
    const auto emulated = run_spinnaker(*backend);
    require_identical(serial, emulated);
    CHECK(backend->stdp_history_overflows() == serial_backend->stdp_history_overflows());
    CHECK(backend->stats().dropped() == 0);
    // The learnt weights are written back to the runtime exactly as serial learnt them.
    const Runtime& a = serial_backend->runtime();
    const Runtime& b = backend->runtime();
    for (std::size_t j = 0; j < a.projections.size(); ++j)
      CHECK(a.projections[j].tables[0].plastic == b.projections[j].tables[0].plastic);
  }
}

TEST_CASE("counters agree with the spikes and the synapse tables", "[hardware]") {
  const NetworkSpec spec = example("vogels_abbott_coba", 50.0);
  const auto serial = test::simulate(spec);
  auto backend = hw::make_spinnaker_backend(spec, machine("48"));
  run_spinnaker(*backend);
  const Runtime& rt = backend->runtime();
  const hw::MachineMap& map = backend->map();
  const hw::SpinnakerStats& stats = backend->stats();

  // Per source slice: the target slices its neurons' rows reach (each gets every packet).
  std::vector<std::set<std::uint32_t>> reached(map.slices.size());
  for (std::uint32_t src = 0; src < map.slices.size(); ++src) {
    const hw::Slice& s = map.slices[src];
    for (std::uint32_t j : rt.outgoing[s.population]) {
      const ProjectionRuntime& pr = rt.projections[j];
      const SynapseTable& t = pr.tables[0];
      for (std::uint32_t i = std::max(s.first, pr.pre_range.begin);
           i < std::min(s.first + s.size, pr.pre_range.end); ++i)
        for (std::uint64_t k = t.offsets[i - pr.pre_range.begin];
             k < t.offsets[i - pr.pre_range.begin + 1]; ++k) {
          const std::uint32_t target = t.word(k) & pr.target_mask;
          for (std::uint32_t q : map.population_slices[pr.post])
            if (target >= map.slices[q].first && target < map.slices[q].first + map.slices[q].size)
              reached[src].insert(q);
        }
    }
  }
  std::uint64_t spikes = 0, received = 0, events = 0;
  for (std::uint32_t p = 0; p < rt.populations.size(); ++p)
    for (const auto& [step, id] : serial.spikes_by_population[p]) {
      ++spikes;
      std::uint32_t src = 0;
      for (std::uint32_t s : map.population_slices[p])
        if (id >= map.slices[s].first) src = s;
      received += reached[src].size();
      for (std::uint32_t j : rt.outgoing[p]) {
        const ProjectionRuntime& pr = rt.projections[j];
        if (id < pr.pre_range.begin || id >= pr.pre_range.end) continue;
        const std::uint32_t row = id - pr.pre_range.begin;
        events += pr.tables[0].offsets[row + 1] - pr.tables[0].offsets[row];
      }
    }
  CHECK(stats.packets_sent() == spikes);
  CHECK(stats.packets_received() == received);
  CHECK(stats.synaptic_events() == events);
  CHECK(stats.dropped() == 0);
  CHECK(stats.ticks == 500);
  std::uint64_t updates = 0;
  for (const auto& c : stats.cores) {
    updates += c.neuron_updates;
    CHECK(c.table_misses == 0);
    CHECK(c.cycles_max >= c.cycles_total / stats.ticks);
  }
  CHECK(updates == rt.neuron_count() * 500);
  CHECK(stats.routed() >= spikes);  // the source router at least
  CHECK(stats.time_scale_factor() > 0.0);
}

TEST_CASE("a link capacity too low drops packets, counts them and completes", "[hardware]") {
  const NetworkSpec spec = example("vogels_abbott_coba", 100.0);
  const auto serial = test::simulate(spec);
  hw::MachineSpec m = machine("48");
  m.link_capacity = 1;
  auto backend = hw::make_spinnaker_backend(spec, m);
  const auto emulated = run_spinnaker(*backend);
  CHECK(backend->now() == 1000);
  CHECK(backend->stats().dropped() > 0);
  CHECK(backend->stats().packets_received() < backend->stats().packets_sent() * 20);
  CHECK(emulated.total() > 0);

  SECTION("packets allowed to wait arrive late, and are counted") {
    hw::MachineSpec waiting = m;
    waiting.max_wait_ticks = 3;
    auto late = hw::make_spinnaker_backend(spec, waiting);
    run_spinnaker(*late);
    CHECK(late->stats().late() > 0);
    CHECK(late->stats().dropped() < backend->stats().dropped());
  }
  SECTION("a router capacity of one packet per tick drops too") {
    hw::MachineSpec slow = machine("2x2");
    slow.router_capacity = 1;
    auto b = hw::make_spinnaker_backend(spec, slow);
    run_spinnaker(*b);
    CHECK(b->stats().dropped() > 0);
    for (const auto& r : b->stats().routers) CHECK(r.max_per_tick <= 1);
  }
}

TEST_CASE("fixed point keeps state on the s16.15 grid and stays close to float", "[hardware]") {
  NetworkSpec spec = example("vogels_abbott_coba", 200.0);
  spec.populations[0].record.variables = {"v"};
  spec.populations[0].record.neurons = std::vector<std::uint64_t>{0, 1, 2, 3};
  hw::MachineSpec m = machine("48");
  auto floating = hw::make_spinnaker_backend(spec, m);
  const auto f = run_spinnaker(*floating);
  m.arithmetic = hw::Arithmetic::fixed_point;
  auto fixed = hw::make_spinnaker_backend(spec, m);
  const auto x = run_spinnaker(*fixed);
  for (const auto& sample : x.samples_by_variable[0])
    for (double v : sample) CHECK(v * 32768.0 == std::nearbyint(v * 32768.0));
  const double ratio = static_cast<double>(x.total()) / static_cast<double>(f.total());
  INFO("float " << f.total() << " spikes, fixed point " << x.total());
  CHECK(ratio > 0.8);
  CHECK(ratio < 1.25);
  CHECK(x.spikes_by_population != f.spikes_by_population);  // rounding does change the run
}

TEST_CASE("fixed point plastic weights are multiples of the projection's scale", "[hardware]") {
  using namespace engram::models::ca3;
  const Experiment e = load_experiment(kSource / "examples" / "ca3_cam" / "experiment1.json");
  hw::MachineSpec m = machine("2x2");
  m.arithmetic = hw::Arithmetic::fixed_point;
  auto backend = hw::make_spinnaker_backend(build_network(e), m);
  run_spinnaker(*backend);
  int plastic = 0;
  for (const auto& pr : backend->runtime().projections) {
    if (!pr.stdp) continue;
    ++plastic;
    double largest =
        pr.stdp->one_shot ? pr.stdp->learned_weight : pr.stdp->spec.weight_dependence.w_max;
    for (double w : pr.tables[0].plastic) largest = std::max(largest, w);
    const double scale = std::ldexp(1.0, static_cast<int>(std::ceil(std::log2(largest / 65535))));
    for (double w : pr.tables[0].plastic) {
      CHECK(w / scale == std::nearbyint(w / scale));
      CHECK(w / scale <= 65535.0);
    }
  }
  CHECK(plastic > 0);
}

TEST_CASE("spinnaker rejects what the machine cannot hold", "[hardware]") {
  CHECK_THROWS_AS(hw::parse_machine("banana"), InputError);
  SECTION("a delay longer than the synaptic word's delay field names the projection") {
    NetworkSpec spec = example("small_chain", 20.0);
    spec.projections[1].name = "long";
    spec.projections[1].synapse.delay = Value::constant(900.0);  // 9000 steps of 0.1 ms
    hw::MachineSpec m = machine("2x2");
    m.core_memory = 1ull << 30;  // room for the ring buffers, so that the word is the limit
    try {
      hw::make_spinnaker_backend(spec, m);
      FAIL("no error");
    } catch (const InputError& e) {
      CHECK_THAT(e.diagnostics().at(0).message,
                 Catch::Contains("projection \"long\"") && Catch::Contains("delay of 9000 steps"));
    }
  }
}

TEST_CASE("engram run --backend spinnaker prints the machine's counters", "[hardware]") {
  test::TempDir dir;
  auto cli = [&](const std::string& arguments, std::string& out) {
    const fs::path file = dir.path / "out.txt";
    const std::string command = "cd '" + dir.path.string() + "' && '" + ENGRAM_CLI + "' " +
                                arguments + " >'" + file.string() + "' 2>&1";
    const int raw = std::system(command.c_str());
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    out = text.str();
    return WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  };
  const std::string chain = (kSource / "examples" / "small_chain.json").string();
  std::string out;
  REQUIRE(cli("run '" + chain + "' --backend spinnaker --machine 48", out) == 0);
  CHECK_THAT(out, Catch::Contains("spinnaker") && Catch::Contains("time scale factor") &&
                      Catch::Contains("dropped"));
  CHECK(cli("run '" + chain + "' --backend spinnaker --machine banana", out) == 2);
  CHECK_THAT(out, Catch::Contains("banana"));
  CHECK(cli("run '" + chain + "' --backend spinnaker --link-capacity 0", out) == 2);
  CHECK(cli("run '" + chain + "' --backend spinnaker --neurons-per-core chain", out) == 2);
  CHECK(cli("run '" + chain + "' --backend spinnaker --neurons-per-core nobody=4", out) == 2);
  CHECK_THAT(out, Catch::Contains("nobody"));
}
