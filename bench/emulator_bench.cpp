// The SpiNNaker emulator's speed against the serial backend (docs/emulator.md, "Benchmark"):
// runs a network (default: the COBA example, 1 s) on `serial` and on `spinnaker` with a
// 48-chip board, checks that the spikes agree, and prints the wall times, their ratio,
// packets routed per second of wall time and the per-core load, as text and as JSON.
//
//   emulator_bench [NETWORK.json] [--machine 48] [--duration MS] [--json FILE]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/backend.hpp"
#include "engine/error.hpp"
#include "hardware/spinnaker_backend.hpp"
#include "io/network_json.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Counts spikes and folds them into an order-sensitive checksum (FNV-1a).
struct Checksum : engram::Observer {
  std::uint64_t hash = 1469598103934665603ull, count = 0;
  void mix(std::uint64_t x) {
    for (int b = 0; b < 8; ++b) hash = (hash ^ ((x >> (8 * b)) & 0xFF)) * 1099511628211ull;
  }
  void spikes(engram::Step step, std::uint32_t population,
              std::span<const std::uint32_t> ids) override {
    for (auto id : ids) {
      mix(population);
      mix(static_cast<std::uint64_t>(step));
      mix(id);
    }
    count += ids.size();
  }
};

struct Timed {
  double build = 0.0, run = 0.0;
  Checksum spikes;
};

// Builds a backend with `make`, runs it for the network's duration and times both.
template <typename Make>
Timed time_run(Make make, auto&& keep) {
  Timed t;
  const auto build_start = Clock::now();
  auto backend = make();
  t.build = seconds_since(build_start);
  backend->attach(t.spikes);
  const auto run_start = Clock::now();
  backend->run(backend->runtime().default_steps);
  t.run = seconds_since(run_start);
  keep(*backend);
  return t;
}

}  // namespace

int main(int argc, char** argv) try {
  std::string network = std::string(ENGRAM_SOURCE_DIR) + "/examples/vogels_abbott_coba.json";
  std::string machine_name = "48", json_path;
  double duration = 1000.0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--machine" || arg == "--duration" || arg == "--json") && i + 1 < argc) {
      const std::string value = argv[++i];
      if (arg == "--machine") machine_name = value;
      if (arg == "--duration") duration = std::stod(value);
      if (arg == "--json") json_path = value;
    } else if (!arg.starts_with("--")) {
      network = arg;
    } else {
      fmt::print(stderr,
                 "usage: emulator_bench [NETWORK.json] [--machine 48] [--duration MS] "
                 "[--json FILE]\n");
      return 2;
    }
  }
  engram::NetworkSpec spec = engram::io::load_network(network);
  spec.duration = duration;
  const engram::hw::MachineSpec machine = engram::hw::parse_machine(machine_name);

  const Timed serial =
      time_run([&] { return engram::make_cpu_backend(spec, {}); }, [](const engram::Backend&) {});
  engram::hw::SpinnakerStats stats;
  std::size_t chips = 0;
  const Timed emulated = time_run([&] { return engram::hw::make_spinnaker_backend(spec, machine); },
                                  [&](const engram::hw::SpinnakerBackend& b) {
                                    stats = b.stats();
                                    chips = b.map().machine.chip_count();
                                  });

  double mean_cycles = 0.0, max_cycles = 0.0;
  for (const auto& c : stats.cores) {
    mean_cycles += c.cycles_total / static_cast<double>(stats.ticks) / stats.cores.size();
    max_cycles = std::max(max_cycles, c.cycles_max);
  }
  const double ratio = emulated.run / serial.run;
  const double routed_per_second =
      static_cast<double>(stats.routed() + stats.default_routed()) / emulated.run;
  const bool identical = serial.spikes.hash == emulated.spikes.hash;

  fmt::print("network          {} ({} ms, {} spikes)\n", spec.name, duration, serial.spikes.count);
  fmt::print("machine          {} ({} chips, {} cores used)\n", machine_name, chips,
             stats.cores.size());
  fmt::print("serial           build {:.3f} s, run {:.3f} s\n", serial.build, serial.run);
  fmt::print("spinnaker        build {:.3f} s, run {:.3f} s\n", emulated.build, emulated.run);
  fmt::print("ratio            {:.2f}x the serial run time (goal: at most 5x)\n", ratio);
  fmt::print("spikes           {}\n", identical ? "bit-identical" : "DIFFERENT");
  fmt::print(
      "packets          {} sent, {} routed + {} default-routed ({:.3g} per second of "
      "wall time), {} dropped\n",
      stats.packets_sent(), stats.routed(), stats.default_routed(), routed_per_second,
      stats.dropped());
  fmt::print(
      "core load        {:.0f} cycles per tick on average, {:.0f} at most, budget {:.0f}; "
      "{} cores overran ({} core-ticks); time scale factor {:.2f}\n",
      mean_cycles, max_cycles, stats.cycle_budget, stats.overrun_cores(), stats.overrun_ticks(),
      stats.time_scale_factor());

  const nlohmann::ordered_json report = {
      {"network", spec.name},
      {"duration_ms", duration},
      {"machine", machine_name},
      {"chips", chips},
      {"cores", stats.cores.size()},
      {"serial_seconds", {{"build", serial.build}, {"run", serial.run}}},
      {"spinnaker_seconds", {{"build", emulated.build}, {"run", emulated.run}}},
      {"ratio", ratio},
      {"identical_spikes", identical},
      {"spikes", serial.spikes.count},
      {"packets",
       {{"sent", stats.packets_sent()},
        {"routed", stats.routed()},
        {"default_routed", stats.default_routed()},
        {"dropped", stats.dropped()},
        {"received", stats.packets_received()},
        {"routed_per_second", routed_per_second}}},
      {"synaptic_events", stats.synaptic_events()},
      {"core_cycles_per_tick",
       {{"mean", mean_cycles}, {"max", max_cycles}, {"budget", stats.cycle_budget}}},
      {"overrun_cores", stats.overrun_cores()},
      {"overrun_ticks", stats.overrun_ticks()},
      {"time_scale_factor", stats.time_scale_factor()}};
  if (!json_path.empty()) {
    std::ofstream out(json_path);
    out << report.dump(2) << "\n";
  } else {
    fmt::print("{}\n", report.dump(2));
  }
  return identical ? 0 : 1;
} catch (const engram::InputError& e) {
  for (const auto& d : e.diagnostics()) fmt::print(stderr, "error: {}: {}\n", d.pointer, d.message);
  return 2;
}
