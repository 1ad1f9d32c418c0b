// engram map: where a network would sit on a SpiNNaker-style machine and what it would cost.
#include <charconv>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "apps/commands.hpp"
#include "engine/compile.hpp"
#include "engine/error.hpp"
#include "hardware/machine_map.hpp"
#include "hardware/map_report.hpp"
#include "io/network_json.hpp"

namespace engram::apps {

namespace {

// "POP=VALUE" pairs of a repeatable option; a bare VALUE (when `bare` is given) sets it.
template <typename T>
std::map<std::string, T> parse_pairs(const std::vector<std::string>& items, const char* option,
                                     const char* what, T* bare) {
  Diagnostics problems;
  std::map<std::string, T> out;
  for (const std::string& item : items) {
    const std::size_t eq = item.find('=');
    const std::string name = eq == std::string::npos ? std::string() : item.substr(0, eq);
    const std::string value = eq == std::string::npos ? item : item.substr(eq + 1);
    T v{};
    const char* end = value.data() + value.size();
    auto [ptr, ec] = std::from_chars(value.data(), end, v);
    if (ec != std::errc() || ptr != end || value.empty() ||
        (eq != std::string::npos && name.empty()) || (eq == std::string::npos && !bare)) {
      problems.add(option, fmt::format("found \"{}\", expected {}", item, what));
      continue;
    }
    if (eq == std::string::npos)
      *bare = v;
    else
      out[name] = v;
  }
  problems.throw_if_any();
  return out;
}

}  // namespace

Command add_map(CLI::App& app) {
  struct Options {
    std::string network, machine = "2x2";
    bool json = false, torus = false;
    std::vector<std::string> neurons_per_core, rates;
    std::optional<std::uint32_t> app_cores, router_entries;
  };
  auto o = std::make_shared<Options>();
  app.add_option("network", o->network, "network description (JSON)")->required();
  app.add_option("--machine", o->machine,
                 "2x2 (a 4-chip board), 48 (a 48-chip board) or WxH chips (default 2x2)");
  app.add_flag("--torus", o->torus, "wrap a WxH machine into a torus");
  app.add_option("--neurons-per-core", o->neurons_per_core,
                 "slice size: N for every population, POP=N for one (repeatable; default 256)");
  app.add_option("--app-cores", o->app_cores, "application cores per chip, 1 to 17 (default 16)");
  app.add_option("--router-entries", o->router_entries, "entries of a router table (default 1024)")
      ->check(CLI::Range(1u, 1u << 20));
  app.add_option("--rate", o->rates,
                 "expected firing rate of a population, POP=HZ (repeatable), for the traffic");
  app.add_flag("--json", o->json, "print the report as JSON");
  return [o]() {
    hw::MachineSpec machine = hw::parse_machine(o->machine);
    if (o->torus) {
      if (!machine.present.empty())
        throw InputError("--torus", fmt::format("the machine \"{}\" is one board and cannot be "
                                                "wrapped, expected a WxH machine",
                                                o->machine));
      machine.torus = true;
    }
    std::uint32_t default_size = machine.neurons_per_core;
    machine.population_neurons_per_core =
        parse_pairs<std::uint32_t>(o->neurons_per_core, "--neurons-per-core",
                                   "N or POP=N with N a whole number of neurons", &default_size);
    machine.neurons_per_core = default_size;
    if (o->app_cores) machine.app_cores = *o->app_cores;
    if (o->router_entries) machine.router_entries = *o->router_entries;
    const std::map<std::string, double> rates = parse_pairs<double>(
        o->rates, "--rate", "POP=HZ with HZ a firing rate in Hz", static_cast<double*>(nullptr));

    const NetworkSpec spec = io::load_network(o->network);
    const std::unique_ptr<Runtime> rt = compile(spec);
    const hw::MachineMap map = hw::map_network(*rt, machine);
    const hw::MapReport report = hw::make_map_report(spec, *rt, map, rates);
    if (o->json)
      fmt::print("{}\n", hw::map_report_json(report).dump(2));
    else
      fmt::print("{}", hw::format_map_report(report));
    return 0;
  };
}

}  // namespace engram::apps
