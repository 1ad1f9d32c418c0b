// The map report: gathered from a MachineMap, printed as text or JSON.
#include "hardware/map_report.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include <fmt/format.h>

#include "engine/error.hpp"
#include "engine/neuron_model.hpp"

namespace engram::hw {

namespace {

constexpr const char* kLinkNames[kLinks] = {"E", "NE", "N", "W", "SW", "S"};

std::string bytes(std::uint64_t b) {
  if (b >= 1024 * 1024)
    return fmt::format("{:.1f} MiB", static_cast<double>(b) / (1024.0 * 1024.0));
  return fmt::format("{:.1f} KiB", static_cast<double>(b) / 1024.0);
}

std::string slice_name(const MapReport& r, const Slice& s) {
  return fmt::format("{}[{}:{}]", r.population_names[s.population], s.first, s.first + s.size);
}

std::string chip_text(const Machine& m, std::uint32_t chip) {
  const ChipCoord c = m.coord(chip);
  return fmt::format("({}, {})", c.x, c.y);
}

// Expected spikes per tick of each neuron of a population, when the description says.
std::optional<std::vector<double>> neuron_rates(const NetworkSpec& spec, std::uint32_t p,
                                                const std::map<std::string, double>& given) {
  const PopulationSpec& pop = spec.populations[p];
  const double ticks_per_second = 1000.0 / spec.dt;
  if (auto it = given.find(pop.name); it != given.end())
    return std::vector<double>(pop.size, it->second / ticks_per_second);
  if (pop.model == "SpikeSourcePoisson") {
    // The mean rate over the run: `rate` while [start, start + duration) overlaps it.
    const ModelInfo& model = *find_neuron_model(pop.model);
    const auto parameter = [&](std::string_view name) {
      if (auto it = pop.parameters.find(std::string(name)); it != pop.parameters.end())
        return it->second.typical();
      return model.find_parameter(name)->default_value;
    };
    const double start = parameter("start");
    const double on = std::max(0.0, std::min(spec.duration, start + parameter("duration")) -
                                        std::min(spec.duration, start));
    const double rate = spec.duration > 0 ? parameter("rate") * on / spec.duration : 0.0;
    return std::vector<double>(pop.size, rate / ticks_per_second);
  }
  if (pop.model == "SpikeSourceArray") {
    const double ticks = spec.duration / spec.dt;
    std::vector<double> out(pop.size, 0.0);
    for (std::uint64_t i = 0; i < pop.size; ++i) {
      const auto& list = pop.spike_times.size() == 1  ? pop.spike_times[0]
                         : i < pop.spike_times.size() ? pop.spike_times[i]
                                                      : std::vector<double>{};
      const auto in_run = std::count_if(list.begin(), list.end(),
                                        [&](double t) { return t >= 0.0 && t < spec.duration; });
      out[i] = ticks > 0 ? static_cast<double>(in_run) / ticks : 0.0;
    }
    return out;
  }
  return std::nullopt;
}

}  // namespace

MapReport make_map_report(const NetworkSpec& spec, const Runtime& rt, const MachineMap& map,
                          const std::map<std::string, double>& rates) {
  Diagnostics problems;
  std::vector<std::string> names;
  for (const auto& p : rt.populations) names.push_back(p.name);
  for (const auto& [name, hz] : rates) {
    if (std::find(names.begin(), names.end(), name) == names.end())
      problems.add("--rate", fmt::format("found unknown population \"{}\", expected one of the "
                                         "network's{}",
                                         name, did_you_mean(name, names)));
    else if (!(hz >= 0.0) || !std::isfinite(hz))
      problems.add("--rate",
                   fmt::format("found {} Hz for \"{}\", expected a finite rate >= 0", hz, name));
  }
  problems.throw_if_any();

  const Machine& m = map.machine;
  MapReport r;
  r.map = &map;
  r.network = rt.name;
  r.dt = rt.dt;
  r.neurons = rt.neuron_count();
  r.synapses = rt.synapse_count();
  r.population_names = names;
  for (const auto& ids : map.population_slices)
    r.neurons_per_core.push_back(ids.empty() ? 0 : map.slices[ids.front()].size);

  const std::uint32_t grid = m.spec().width * m.spec().height;
  std::vector<ChipReport> chips(grid);
  for (std::uint32_t c = 0; c < grid; ++c) {
    chips[c].chip = c;
    chips[c].entries_generated = map.generated_tables[c].size();
    chips[c].entries = map.tables[c].size();
  }
  for (const Slice& s : map.slices) {
    ChipReport& c = chips[s.core.chip];
    c.cores_used += 1;
    c.dtcm_bytes += s.dtcm_bytes;
    c.sdram_bytes += s.sdram_bytes;
  }

  std::vector<std::optional<std::vector<double>>> per_neuron;
  for (std::uint32_t p = 0; p < spec.populations.size(); ++p)
    per_neuron.push_back(neuron_rates(spec, p, rates));
  std::vector<bool> unknown(names.size(), false);
  for (std::uint32_t i = 0; i < map.slices.size(); ++i) {
    const Slice& s = map.slices[i];
    SliceReport sr;
    sr.slice = i;
    const PacketTrace trace = trace_packet(map, s.core.chip, s.key);
    if (!trace.cores.empty()) {
      sr.routers = trace.routers;
      sr.link_hops = static_cast<std::uint32_t>(trace.hops.size());
      sr.cores_reached = static_cast<std::uint32_t>(trace.cores.size());
    }
    if (per_neuron[s.population]) {
      const auto& v = *per_neuron[s.population];
      double sum = 0.0;
      for (std::uint32_t n = s.first; n < s.first + s.size; ++n) sum += v[n];
      sr.spikes_per_tick = sum;
    } else if (!trace.cores.empty()) {
      unknown[s.population] = true;
    }
    if (sr.spikes_per_tick && !trace.cores.empty()) {
      chips[s.core.chip].router_packets += *sr.spikes_per_tick;
      for (const auto& [chip, link] : trace.hops) {
        chips[chip].link_packets[link] += *sr.spikes_per_tick;
        chips[*m.neighbour(chip, link)].router_packets += *sr.spikes_per_tick;
      }
    }
    r.slices.push_back(sr);
  }
  for (std::uint32_t p = 0; p < names.size(); ++p)
    if (unknown[p]) r.unknown_rates.push_back(names[p]);
  // Default-routed slices per chip: tree chips without an entry.
  for (const Slice& s : map.slices) {
    const PacketTrace trace = trace_packet(map, s.core.chip, s.key);
    for (const auto& [chip, link] : trace.hops) {
      const std::uint32_t next = *m.neighbour(chip, link);
      if (!lookup(map.tables[next], s.key)) chips[next].passing += 1;
    }
  }
  for (std::uint32_t c : m.chips()) r.chips.push_back(chips[c]);
  return r;
}

std::string format_map_report(const MapReport& r) {
  const MachineMap& map = *r.map;
  const Machine& m = map.machine;
  std::string out;
  auto line = [&out](const std::string& s) { out += s + '\n'; };
  std::uint32_t chips_used = 0;
  for (const ChipReport& c : r.chips) chips_used += c.cores_used > 0 ? 1 : 0;
  line(fmt::format("machine     {}", m.describe()));
  line(fmt::format("network     {}: {} neurons in {} populations, {} synapses, tick {} ms",
                   r.network, thousands(r.neurons), r.population_names.size(),
                   thousands(r.synapses), r.dt));
  const Slice* any = map.slices.empty() ? nullptr : &map.slices.front();
  line(fmt::format(
      "placement   {} slices on {} cores of {} chip{}; keys: place in the placement order "
      "above {} neuron bits",
      map.slices.size(), map.slices.size(), chips_used, chips_used == 1 ? "" : "s",
      any ? std::popcount(~any->mask) : 0));
  line("");

  line(fmt::format("{:<20} {:>10} {:>9} {:>7}  {}", "population", "neurons", "per core", "slices",
                   "chips"));
  for (std::uint32_t p = 0; p < r.population_names.size(); ++p) {
    std::vector<std::uint32_t> on;
    std::uint64_t neurons = 0;
    for (std::uint32_t i : map.population_slices[p]) {
      on.push_back(map.slices[i].core.chip);
      neurons += map.slices[i].size;
    }
    std::sort(on.begin(), on.end());
    on.erase(std::unique(on.begin(), on.end()), on.end());
    std::string chips;
    for (std::uint32_t c : on) chips += (chips.empty() ? "" : " ") + chip_text(m, c);
    line(fmt::format("{:<20} {:>10} {:>9} {:>7}  {}", r.population_names[p], thousands(neurons),
                     r.neurons_per_core[p], map.population_slices[p].size(), chips));
  }
  line("");

  line(fmt::format("{:<24} {:<16} {:<23} {:>10} {:>10}", "slice", "core", "key/mask", "DTCM",
                   "SDRAM"));
  for (const Slice& s : map.slices)
    line(fmt::format("{:<24} {:<16} 0x{:08x}/0x{:08x} {:>10} {:>10}", slice_name(r, s),
                     fmt::format("{} core {}", chip_text(m, s.core.chip), s.core.core), s.key,
                     s.mask, bytes(s.dtcm_bytes), bytes(s.sdram_bytes)));
  line("");

  line(fmt::format("{:<10} {:>5} {:>10} {:>10} {:>10} {:>8}", "chip", "cores", "SDRAM", "entries",
                   "compressed", "passing"));
  for (const ChipReport& c : r.chips) {
    if (c.cores_used == 0 && c.entries_generated == 0 && c.passing == 0) continue;
    line(fmt::format("{:<10} {:>5} {:>10} {:>10} {:>10} {:>8}", chip_text(m, c.chip), c.cores_used,
                     bytes(c.sdram_bytes), c.entries_generated, c.entries, c.passing));
  }
  line(
      fmt::format("(entries: as generated, default-routed ones left out; compressed: as "
                  "loaded, at most {} per router; passing: slices default-routed through)",
                  m.spec().router_entries));
  line("");

  line("traffic per spike: one multicast packet per spike of a slice");
  line(fmt::format("{:<24} {:>8} {:>10} {:>8} {:>12}", "slice", "routers", "link hops", "cores",
                   "spikes/tick"));
  for (const SliceReport& sr : r.slices) {
    const Slice& s = map.slices[sr.slice];
    line(fmt::format("{:<24} {:>8} {:>10} {:>8} {:>12}", slice_name(r, s), sr.routers, sr.link_hops,
                     sr.cores_reached,
                     sr.spikes_per_tick ? fmt::format("{:.3f}", *sr.spikes_per_tick) : "?"));
  }
  line("");

  const bool any_known = std::any_of(r.slices.begin(), r.slices.end(), [](const SliceReport& s) {
    return s.spikes_per_tick && *s.spikes_per_tick > 0 && s.routers > 0;
  });
  if (any_known) {
    line("expected packets per tick (from the known rates)");
    std::string header = fmt::format("{:<10} {:>10}", "chip", "router");
    for (const char* l : kLinkNames) header += fmt::format(" {:>8}", l);
    line(header);
    double routed = 0.0, crossed = 0.0;
    for (const ChipReport& c : r.chips) {
      if (c.router_packets == 0.0) continue;
      std::string row = fmt::format("{:<10} {:>10.3f}", chip_text(m, c.chip), c.router_packets);
      for (double p : c.link_packets) row += fmt::format(" {:>8.3f}", p);
      line(row);
      routed += c.router_packets;
      for (double p : c.link_packets) crossed += p;
    }
    line(fmt::format("total: {:.3f} router lookups and {:.3f} link crossings per tick", routed,
                     crossed));
  }
  if (!r.unknown_rates.empty()) {
    std::string list;
    for (const auto& n : r.unknown_rates) list += (list.empty() ? "" : ", ") + n;
    line(
        fmt::format("rates unknown for {} (give them with --rate POP=HZ); per-tick traffic "
                    "counts only the known ones",
                    list));
  }
  return out;
}

nlohmann::ordered_json map_report_json(const MapReport& r) {
  const MachineMap& map = *r.map;
  const Machine& m = map.machine;
  using json = nlohmann::ordered_json;
  json machine = {{"name", m.spec().name},
                  {"width", m.spec().width},
                  {"height", m.spec().height},
                  {"torus", m.spec().torus},
                  {"chips", m.chip_count()},
                  {"app_cores_per_chip", m.spec().app_cores},
                  {"core_memory", m.spec().core_memory},
                  {"chip_memory", m.spec().chip_memory},
                  {"router_entries", m.spec().router_entries}};
  json network = {
      {"name", r.network}, {"dt", r.dt}, {"neurons", r.neurons}, {"synapses", r.synapses}};
  json populations = json::array();
  for (std::uint32_t p = 0; p < r.population_names.size(); ++p) {
    json slices = json::array();
    for (std::uint32_t i : map.population_slices[p]) {
      const Slice& s = map.slices[i];
      const SliceReport& sr = r.slices[i];
      const ChipCoord c = m.coord(s.core.chip);
      json traffic = {{"routers", sr.routers},
                      {"link_hops", sr.link_hops},
                      {"cores_reached", sr.cores_reached},
                      {"spikes_per_tick", sr.spikes_per_tick ? json(*sr.spikes_per_tick) : json()}};
      slices.push_back({{"first", s.first},
                        {"size", s.size},
                        {"chip", {c.x, c.y}},
                        {"core", s.core.core},
                        {"key", s.key},
                        {"mask", s.mask},
                        {"dtcm_bytes", s.dtcm_bytes},
                        {"sdram_bytes", s.sdram_bytes},
                        {"per_spike", traffic}});
    }
    populations.push_back({{"name", r.population_names[p]},
                           {"neurons_per_core", r.neurons_per_core[p]},
                           {"slices", slices}});
  }
  json chips = json::array();
  for (const ChipReport& c : r.chips) {
    const ChipCoord xy = m.coord(c.chip);
    json links = json::object();
    for (std::uint32_t l = 0; l < kLinks; ++l) links[kLinkNames[l]] = c.link_packets[l];
    chips.push_back({{"chip", {xy.x, xy.y}},
                     {"cores_used", c.cores_used},
                     {"dtcm_bytes", c.dtcm_bytes},
                     {"sdram_bytes", c.sdram_bytes},
                     {"entries_generated", c.entries_generated},
                     {"entries", c.entries},
                     {"passing", c.passing},
                     {"router_packets_per_tick", c.router_packets},
                     {"link_packets_per_tick", links}});
  }
  return {{"machine", machine},
          {"network", network},
          {"populations", populations},
          {"chips", chips},
          {"unknown_rates", r.unknown_rates}};
}

}  // namespace engram::hw
