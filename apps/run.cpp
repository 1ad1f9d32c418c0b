// engram run / engram validate.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "apps/commands.hpp"
#include "engine/backend.hpp"
#include "engine/compile.hpp"
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

std::string thousands(std::uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

Command add_run(CLI::App& app) {
  struct Options {
    std::string network, output, backend = "serial";
    unsigned threads = 0;
    std::optional<double> duration;
    std::optional<std::uint64_t> seed;
    bool quiet = false;
  };
  auto o = std::make_shared<Options>();
  app.add_option("network", o->network, "network description (JSON)")->required();
  app.add_option("-o,--output", o->output, "spike file to write (default: <network>.h5)");
  app.add_option("--backend", o->backend, "serial or threads")
      ->check(CLI::IsMember({"serial", "threads"}));
  app.add_option("--threads", o->threads, "threads of the threads backend (default: all cores)")
      ->check(CLI::Range(1u, 1024u));
  app.add_option("--duration", o->duration, "simulated time in ms (default: the network's)")
      ->check(CLI::PositiveNumber);
  app.add_option("--seed", o->seed, "random seed (default: the network's)");
  app.add_flag("-q,--quiet", o->quiet, "no progress bar and no summary");
  return [o]() {
    NetworkSpec spec = io::load_network(o->network);
    if (o->seed) spec.seed = *o->seed;
    if (o->duration) spec.duration = *o->duration;
    if (o->threads && o->backend == "serial") o->backend = "threads";
    std::string output = o->output;
    if (output.empty()) output = std::filesystem::path(o->network).stem().string() + ".h5";

    const auto build_start = Clock::now();
    BackendOptions bo;
    bo.kind = o->backend;
    bo.threads = o->threads;
    std::unique_ptr<Backend> backend = make_cpu_backend(spec, bo);
    const double build_seconds = seconds_since(build_start);

    // The file is created only now that the description has compiled: bad input leaves none.
    io::SonataWriter writer(output);
    backend->attach(writer);
    const Step total = backend->runtime().default_steps;
    Progress progress(!o->quiet, total);
    const Step chunk = std::max<Step>(1, total / 200);
    const auto run_start = Clock::now();
    while (backend->now() < total) {
      backend->run(std::min(chunk, total - backend->now()));
      progress.update(backend->now());
    }
    const double run_seconds = seconds_since(run_start);
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
    fmt::print("time        build {:.3f} s, simulation {:.3f} s, real-time factor {:.3f}\n",
               build_seconds, run_seconds,
               simulated_ms > 0 ? run_seconds / (simulated_ms * 1e-3) : 0.0);
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
