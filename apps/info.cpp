// engram info: what an output file holds.
#include <memory>

#include <fmt/format.h>

#include "apps/commands.hpp"
#include "io/sonata.hpp"

namespace engram::apps {

Command add_info(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  app.add_option("file", *path, "HDF5 file written by engram run")->required();
  return [path]() {
    const io::SonataReader reader(*path);
    const auto duration = reader.duration();
    fmt::print("{}: SONATA spikes{}\n", *path,
               reader.complete() ? "" : " — INCOMPLETE (the run did not finish)");
    if (const auto dt = reader.dt()) fmt::print("dt {} ms", *dt);
    if (duration) fmt::print(", {:g} ms simulated", *duration);
    fmt::print("\n\n{:<20} {:>10} {:>12} {:>22} {:>11}\n", "population", "neurons", "spikes",
               "time range (ms)", "rate (Hz)");
    for (const std::string& name : reader.populations()) {
      // Counts and time ranges only: info never loads a population's spikes.
      const std::uint64_t count = reader.spike_count(name);
      const auto size = reader.population_size(name);
      std::string range = "-";
      if (const auto r = reader.time_range(name))
        range = fmt::format("{:g} – {:g}", r->first, r->second);
      std::string rate = "-";
      if (size && duration && *duration > 0)
        rate = fmt::format("{:.2f}", static_cast<double>(count) / (*size * *duration * 1e-3));
      fmt::print("{:<20} {:>10} {:>12} {:>22} {:>11}\n", name,
                 size ? fmt::format("{}", *size) : "?", count, range, rate);
    }
    const auto variables = reader.variables();
    if (!variables.empty()) {
      fmt::print("\nrecorded state\n");
      for (const auto& v : variables)
        fmt::print("  {}/{} ({}): {} neurons × {} samples, every {} ms from {} ms\n", v.population,
                   v.variable, v.unit, v.node_ids.size(), v.n_samples, v.step, v.start);
    }
    return 0;
  };
}

}  // namespace engram::apps
