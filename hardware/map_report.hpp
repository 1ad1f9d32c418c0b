// What `engram map` reports about a network mapped onto a machine: the placement per
// population and slice, the memory each core and chip uses, the router tables per chip before
// and after compression, and the traffic to expect — per spike of each source slice, and per
// tick wherever the firing rates are known.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/network.hpp"
#include "engine/runtime.hpp"
#include "hardware/machine_map.hpp"

namespace engram::hw {

struct SliceReport {
  std::uint32_t slice = 0;  // index into MachineMap::slices
  // One spike: the routers that handle its packet, the links it crosses, the cores it reaches.
  std::uint32_t routers = 0, link_hops = 0, cores_reached = 0;
  std::optional<double> spikes_per_tick;  // the slice's expected spikes per tick, if known
};

struct ChipReport {
  std::uint32_t chip = 0;
  std::uint32_t cores_used = 0;
  std::uint64_t dtcm_bytes = 0;   // summed over its cores
  std::uint64_t sdram_bytes = 0;  // synaptic matrices and recordings of its cores
  std::size_t entries_generated = 0, entries = 0;
  std::uint32_t passing = 0;  // slices whose packets are default-routed through it
  // Expected packets per tick handled by its router and sent over each of its links, from
  // the slices whose rates are known.
  double router_packets = 0.0;
  std::array<double, kLinks> link_packets{};
};

struct MapReport {
  std::string network;
  double dt = 0.1;
  std::uint64_t neurons = 0, synapses = 0;
  std::vector<std::string> population_names;
  std::vector<std::uint32_t> neurons_per_core;  // per population
  std::vector<SliceReport> slices;
  std::vector<ChipReport> chips;           // chips that exist, ascending index
  std::vector<std::string> unknown_rates;  // populations that send packets at unknown rates
  const MachineMap* map = nullptr;
};

// Firing rates (Hz) are known for SpikeSourcePoisson (its rate) and SpikeSourceArray (its
// spikes over the network's duration); `rates` gives or overrides them per population.
// Throws InputError for a rate of an unknown population or a negative one.
MapReport make_map_report(const NetworkSpec& spec, const Runtime& rt, const MachineMap& map,
                          const std::map<std::string, double>& rates = {});

std::string format_map_report(const MapReport& report);
nlohmann::ordered_json map_report_json(const MapReport& report);

}  // namespace engram::hw
