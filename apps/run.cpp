// engram run / engram validate.
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <memory>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "apps/commands.hpp"
#include "engine/backend.hpp"
#include "engine/compile.hpp"
#include "hardware/spinnaker_backend.hpp"
#include "io/network_json.hpp"
#include "io/sonata.hpp"

namespace engram::apps {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A one-line progress bar on standard error, drawn only on a terminal and only once a run
// has lasted about a second.
class Progress {
 public:
  Progress(bool enabled, Step total) : enabled_(enabled && isatty(STDERR_FILENO)), total_(total) {}
  void update(Step done) {
    if (!enabled_) return;
    const double elapsed = seconds_since(start_);
    if (elapsed < 1.0 && done < total_) return;
    if (!drawn_ && done >= total_) return;  // finished within a second: never shown
    drawn_ = true;
    const double fraction = total_ > 0 ? static_cast<double>(done) / total_ : 1.0;
    const int width = 40;
    const int filled = static_cast<int>(fraction * width);
    const double remaining = fraction > 0 ? elapsed * (1.0 - fraction) / fraction : 0.0;
    fmt::print(stderr, "\r[{}{}] {:5.1f}%  {:.1f} s elapsed, {:.1f} s left ",
               std::string(filled, '#'), std::string(width - filled, '.'), 100.0 * fraction,
               elapsed, remaining);
    if (done >= total_) fmt::print(stderr, "\n");
  }

 private:
  bool enabled_;
  Step total_;
  Clock::time_point start_ = Clock::now();
  bool drawn_ = false;
};

// The machine of `--backend spinnaker` from the run options; "N" or "POP=N" items set the
// slice sizes.
struct MachineOptions {
  std::string machine = "2x2";
  std::optional<std::uint32_t> link_capacity, router_capacity, max_wait, app_cores;
  std::vector<std::string> neurons_per_core;
  bool fixed_point = false;

  hw::MachineSpec spec() const {
    hw::MachineSpec m = hw::parse_machine(machine);
    for (const std::string& item : neurons_per_core) {
      const std::size_t eq = item.find('=');
      const std::string value = eq == std::string::npos ? item : item.substr(eq + 1);
      std::uint32_t n = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || end != value.data() + value.size() || value.empty() || eq == 0)
        throw InputError("--neurons-per-core",
                         fmt::format("found \"{}\", expected N or POP=N with N a whole number "
                                     "of neurons",
                                     item));
      if (eq == std::string::npos)
        m.neurons_per_core = n;
      else
        m.population_neurons_per_core[item.substr(0, eq)] = n;
    }
    if (link_capacity) m.link_capacity = *link_capacity;
    if (router_capacity) m.router_capacity = *router_capacity;
    if (max_wait) m.max_wait_ticks = *max_wait;
    if (app_cores) m.app_cores = *app_cores;
    if (fixed_point) m.arithmetic = hw::Arithmetic::fixed_point;
    return m;
  }
};

// `--timers`: wall-clock time per phase of the loop and, on threads, how long each thread
// worked and waited within the parallel phases.
void print_phase_times(const PhaseTimes& t) {
  fmt::print("phases      update {:.3f} s, delivery {:.3f} s, reporting {:.3f} s\n", t.update,
             t.delivery, t.reporting);
  if (t.busy.empty()) return;
  std::vector<double> waiting;
  for (double b : t.busy) waiting.push_back(std::max(0.0, t.update + t.delivery - b));
  fmt::print("threads     busy {:.3f} s; waiting {:.3f} s\n", fmt::join(t.busy, ", "),
             fmt::join(waiting, ", "));
}

// The machine's counters after a `spinnaker` run: totals, the busiest core and router, and
// whether every core kept to its tick.
void print_machine_summary(const hw::SpinnakerBackend& b) {
  const hw::SpinnakerStats& s = b.stats();
  const hw::MachineMap& map = b.map();
  fmt::print(
      "\nmachine     {}: {} chips, {} cores used; per tick: links {} packets, routers {}, "
      "wait {} ticks\n",
      map.machine.spec().name, map.machine.chip_count(), s.cores.size(), s.link_capacity,
      s.router_capacity, s.max_wait_ticks);
  fmt::print(
      "packets     {} sent, {} routed, {} default-routed, {} dropped, {} late, {} "
      "received\n",
      thousands(s.packets_sent()), thousands(s.routed()), thousands(s.default_routed()),
      thousands(s.dropped()), thousands(s.late()), thousands(s.packets_received()));
  fmt::print("synapses    {} synaptic events\n", thousands(s.synaptic_events()));
  if (!s.cores.empty()) {
    const auto core =
        std::max_element(s.cores.begin(), s.cores.end(),
                         [](const auto& a, const auto& c) { return a.cycles_max < c.cycles_max; });
    const hw::Slice& slice = map.slices[core->slice];
    const hw::ChipCoord chip = map.machine.coord(core->core.chip);
    fmt::print(
        "busiest     core {} of chip ({}, {}) ({} [{}:{}]): {:.0f} cycles per tick on "
        "average, {:.0f} at most, of {:.0f}\n",
        core->core.core, chip.x, chip.y, b.runtime().populations[slice.population].name,
        slice.first, slice.first + slice.size, s.ticks ? core->cycles_total / s.ticks : 0.0,
        core->cycles_max, s.cycle_budget);
  }
  if (!s.routers.empty()) {
    const auto router = std::max_element(
        s.routers.begin(), s.routers.end(),
        [](const auto& a, const auto& c) { return a.max_per_tick < c.max_per_tick; });
    const hw::ChipCoord chip = map.machine.coord(router->chip);
    fmt::print("            router of chip ({}, {}): {} packets in its busiest tick\n", chip.x,
               chip.y, thousands(router->max_per_tick));
  }
  const double factor = s.time_scale_factor();
  fmt::print(
      "real time   {} of {} cores overran their tick ({} core-ticks); time scale factor "
      "{:.2f}{}\n",
      s.overrun_cores(), s.cores.size(), thousands(s.overrun_ticks()), factor,
      factor <= 1.0 ? " (keeps real time)" : " (needs slowing down)");
}

}  // namespace

Command add_run(CLI::App& app) {
  struct Options {
    std::string network, output, backend = "serial";
    unsigned threads = 0;
    std::optional<double> duration;
    std::optional<std::uint64_t> seed;
    bool quiet = false;
    bool timers = false;
    MachineOptions machine;
  };
  auto o = std::make_shared<Options>();
  app.add_option("network", o->network, "network description (JSON)")->required();
  app.add_option("-o,--output", o->output, "spike file to write (default: <network>.h5)");
  app.add_option("--backend", o->backend, "serial, threads or spinnaker")
      ->check(CLI::IsMember({"serial", "threads", "spinnaker"}));
  app.add_option("--threads", o->threads, "threads of the threads backend (default: all cores)")
      ->check(CLI::Range(1u, 1024u));
  app.add_option("--duration", o->duration, "simulated time in ms (default: the network's)")
      ->check(CLI::PositiveNumber);
  app.add_option("--seed", o->seed, "random seed (default: the network's)");
  auto* quiet = app.add_flag("-q,--quiet", o->quiet, "no progress bar and no summary");
  app.add_flag("--timers", o->timers,
               "serial, threads: give the time of each phase of the loop in the summary")
      ->excludes(quiet);
  MachineOptions& m = o->machine;
  app.add_option("--machine", m.machine,
                 "spinnaker: 2x2, 48 or WxH chips (default 2x2; a t suffix makes a torus)");
  app.add_option("--link-capacity", m.link_capacity,
                 "spinnaker: packets per link per tick (default: 6.25 M/s over a tick)")
      ->check(CLI::Range(1u, 1u << 30));
  app.add_option("--router-capacity", m.router_capacity,
                 "spinnaker: packets per router per tick (default: 25 M/s over a tick)")
      ->check(CLI::Range(1u, 1u << 30));
  app.add_option("--max-wait", m.max_wait,
                 "spinnaker: ticks a blocked packet may wait before it is dropped (default 0)")
      ->check(CLI::Range(0u, 1000u));
  app.add_flag("--fixed-point", m.fixed_point,
               "spinnaker: s16.15 state and 16-bit weights instead of float");
  app.add_option("--app-cores", m.app_cores, "spinnaker: application cores per chip (default 16)")
      ->check(CLI::Range(1u, 17u));
  app.add_option("--neurons-per-core", m.neurons_per_core,
                 "spinnaker: slice size, N for all or POP=N for one (repeatable; default 256)");
  return [o]() {
    NetworkSpec spec = io::load_network(o->network);
    if (o->seed) spec.seed = *o->seed;
    if (o->duration) spec.duration = *o->duration;
    if (o->threads && o->backend == "serial") o->backend = "threads";
    if (o->timers && o->backend == "spinnaker")
      throw InputError("--timers",
                       "the spinnaker backend has no phase timers; its summary gives "
                       "the emulated machine's own counters");
    std::string output = o->output;
    if (output.empty()) output = std::filesystem::path(o->network).stem().string() + ".h5";

    const auto build_start = Clock::now();
    BackendOptions bo;
    bo.kind = o->backend;
    bo.threads = o->threads;
    std::unique_ptr<Backend> backend;
    const hw::SpinnakerBackend* machine = nullptr;
    if (o->backend == "spinnaker") {
      auto b = hw::make_spinnaker_backend(spec, o->machine.spec());
      machine = b.get();
      backend = std::move(b);
    } else {
      backend = make_cpu_backend(spec, bo);
    }
    const double build_seconds = seconds_since(build_start);
    if (o->timers) backend->enable_phase_timers();

    // The file is created only now that the description has compiled: bad input leaves none.
    io::SonataWriter writer(output);
    backend->attach(writer);
    const Step total = backend->runtime().default_steps;
    Progress progress(!o->quiet, total);
    // About 200 progress updates, each a whole number of the threads backend's exchange
    // intervals (min-delay steps): a call that ends mid-interval cuts it short, and every
    // interval costs two synchronisations and a reporting phase.
    const Step interval = std::max<Step>(1, backend->runtime().min_delay);
    const Step chunk = std::max<Step>(1, (total / 200 + interval - 1) / interval) * interval;
    const auto run_start = Clock::now();
    const std::clock_t run_cpu_start = std::clock();
    while (backend->now() < total) {
      backend->run(std::min(chunk, total - backend->now()));
      progress.update(backend->now());
    }
    const double run_seconds = seconds_since(run_start);
    // Processor time of the whole process (all threads) during the loop: on a busy machine it
    // measures the work, as Brian2's std::clock-timed loop does, where wall time measures the
    // wait too.
    const double run_cpu_seconds =
        static_cast<double>(std::clock() - run_cpu_start) / CLOCKS_PER_SEC;
    writer.close();
    if (o->quiet) return 0;

    const Runtime& rt = backend->runtime();
    const double simulated_ms = static_cast<double>(total) * rt.dt;
    std::uint64_t synapse_bytes = 0;
    for (std::size_t j = 0; j < rt.projections.size(); ++j) synapse_bytes += rt.synapse_bytes(j);
    const std::uint64_t synapses = rt.synapse_count();
    fmt::print("network     {}: {} neurons, {} synapses", spec.name, thousands(rt.neuron_count()),
               thousands(synapses));
    if (synapses > 0)
      fmt::print(" ({:.1f} bytes each)", static_cast<double>(synapse_bytes) / synapses);
    fmt::print("\nbackend     {}{}, dt {} ms, {} ms simulated ({} steps)\n", backend->name(),
               backend->name() == "threads" ? fmt::format(" ({} threads)", rt.partitions) : "",
               rt.dt, simulated_ms, total);
    fmt::print(
        "time        build {:.3f} s, simulation {:.3f} s (processor {:.3f} s), real-time factor "
        "{:.3f}\n",
        build_seconds, run_seconds, run_cpu_seconds,
        simulated_ms > 0 ? run_seconds / (simulated_ms * 1e-3) : 0.0);
    if (o->timers) print_phase_times(backend->phase_times());
    fmt::print("\n{:<20} {:>10} {:>12} {:>11}\n", "population", "neurons", "spikes", "rate (Hz)");
    std::uint64_t all = 0;
    for (std::size_t p = 0; p < rt.populations.size(); ++p) {
      const auto& pop = rt.populations[p];
      const std::uint64_t n = backend->spike_counts()[p];
      all += n;
      const double rate = simulated_ms > 0 ? n / (pop.size * simulated_ms * 1e-3) : 0.0;
      fmt::print("{:<20} {:>10} {:>12} {:>11.2f}\n", pop.name, thousands(pop.size), thousands(n),
                 rate);
    }
    fmt::print("{:<20} {:>10} {:>12}\n", "total", thousands(rt.neuron_count()), thousands(all));
    if (const auto lost = backend->stdp_history_overflows())
      fmt::print(
          "warning: {} STDP potentiation evaluations found the postsynaptic history "
          "ring full; older post spikes may have been missed\n",
          lost);
    if (machine) print_machine_summary(*machine);
    fmt::print("\nspikes written to {}\n", output);
    return 0;
  };
}

Command add_validate(CLI::App& app) {
  auto network = std::make_shared<std::string>();
  app.add_option("network", *network, "network description (JSON)")->required();
  return [network]() {
    const NetworkSpec spec = io::load_network(*network);
    std::uint64_t neurons = 0;
    for (const auto& p : spec.populations) neurons += p.size;
    fmt::print(
        "ok: {}: {} populations, {} neurons, {} projections, {} stimuli; about {:.1f} MiB "
        "when compiled\n",
        spec.name, spec.populations.size(), thousands(neurons), spec.projections.size(),
        spec.stimuli.size(), static_cast<double>(estimate_memory(spec)) / (1 << 20));
    return 0;
  };
}

}  // namespace engram::apps
