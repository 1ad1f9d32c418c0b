// A SpiNNaker-style machine and a network mapped onto it: the contract between mapping
// (placement, keys, routing tables: mapping.cpp) and execution (the `spinnaker` backend).
//
// Chips sit on a W×H grid linked as a triangular mesh: chip (x, y) links east (x+1, y),
// north-east (x+1, y+1), north (x, y+1), west (x-1, y), south-west (x-1, y-1) and south
// (x, y-1); the opposite of link l is (l + 3) mod 6. A torus wraps both axes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/network.hpp"
#include "engine/runtime.hpp"

namespace engram::hw {

inline constexpr std::uint32_t kLinks = 6;
enum Link : std::uint32_t { kEast, kNorthEast, kNorth, kWest, kSouthWest, kSouth };
inline constexpr Link opposite(Link l) {
  return static_cast<Link>((l + 3) % kLinks);
}

// A route word: bits 0-5 the links (by Link), bits 6-23 the cores 0-17 of the chip.
inline constexpr std::uint32_t link_bit(Link l) {
  return 1u << l;
}
inline constexpr std::uint32_t core_bit(std::uint32_t core) {
  return 1u << (kLinks + core);
}

enum class Arithmetic { float_point, fixed_point };

struct MachineSpec {
  std::string name = "2x2";  // as given: "2x2", "48", "WxH" (a "t" suffix: torus)
  std::uint32_t width = 2, height = 2;
  bool torus = false;
  std::vector<bool> present;                 // per chip (y * width + x); empty: every chip exists
  std::uint32_t cores_per_chip = 18;         // core 0 is the monitor
  std::uint32_t app_cores = 16;              // application cores used per chip, 1..17
  std::uint64_t core_memory = 64 * 1024;     // data memory (DTCM) per core, bytes
  std::uint64_t chip_memory = 128ull << 20;  // shared memory (SDRAM) per chip, bytes
  std::uint32_t router_entries = 1024;
  std::uint32_t neurons_per_core = 256;                              // default slice size
  std::map<std::string, std::uint32_t> population_neurons_per_core;  // per-population override
  std::uint32_t link_capacity = 0;    // packets per link per tick (0: the default model)
  std::uint32_t router_capacity = 0;  // packets per router per tick (0: the default model)
  std::uint32_t max_wait_ticks = 0;   // a packet still blocked after this many ticks is dropped
  double clock_hz = 200e6;
  Arithmetic arithmetic = Arithmetic::float_point;
};

// Parses "2x2" (a 4-chip board), "48" (a 48-chip board), "WxH" and "WxHt" (torus).
// Throws InputError naming the text and what is expected.
MachineSpec parse_machine(std::string_view text);

struct ChipCoord {
  std::uint32_t x = 0, y = 0;
  auto operator<=>(const ChipCoord&) const = default;
};

class Machine {
 public:
  explicit Machine(MachineSpec spec);
  const MachineSpec& spec() const { return spec_; }
  std::uint32_t chip_count() const;  // chips that exist
  // Chips are numbered y * width + x; absent chips of the grid have no index in use.
  std::uint32_t index(ChipCoord c) const { return c.y * spec_.width + c.x; }
  ChipCoord coord(std::uint32_t chip) const { return {chip % spec_.width, chip / spec_.width}; }
  bool exists(std::uint32_t chip) const;
  // The chip across link l, if there is one (edges of a non-torus, absent chips: none).
  std::optional<std::uint32_t> neighbour(std::uint32_t chip, Link l) const;
  // The indices of the chips that exist, ascending.
  std::vector<std::uint32_t> chips() const;
  // One line for reports: "48: a 48-chip board (…), 16 application cores per chip (768 in all)".
  std::string describe() const;

 private:
  MachineSpec spec_;
};

struct CoreId {
  std::uint32_t chip = 0;
  std::uint32_t core = 1;  // 1..app_cores (0 is the monitor)
  auto operator<=>(const CoreId&) const = default;
};

// A slice: neurons [first, first + size) of one population, on one core. Its spikes carry
// the key `key | (neuron - first)`; `mask` covers the key bits above the neuron bits (as many
// neuron bits for every slice: those of the largest). `key` holds the slice's place in the
// placement order, so the slices of one chip have neighbouring keys.
struct Slice {
  std::uint32_t population = 0;
  std::uint32_t first = 0, size = 0;
  CoreId core;
  std::uint32_t key = 0, mask = 0;
  std::uint64_t dtcm_bytes = 0;   // estimated data memory of the core
  std::uint64_t sdram_bytes = 0;  // its synaptic matrix and master population table
};

struct RoutingEntry {
  std::uint32_t key = 0, mask = 0, route = 0;
  bool operator==(const RoutingEntry&) const = default;
};

// First matching entry wins; nullopt when no entry matches (the packet is default-routed:
// it leaves through the link opposite to the one it came in by).
std::optional<std::uint32_t> lookup(const std::vector<RoutingEntry>& table, std::uint32_t key);

struct MachineMap {
  Machine machine;
  std::vector<Slice> slices;                                  // ordered by (population, first)
  std::vector<std::vector<std::uint32_t>> population_slices;  // per population: slice indices
  // Per chip index: the router table as generated (default-route-only entries left out) and
  // as loaded (after compression when the generated one exceeds router_entries).
  std::vector<std::vector<RoutingEntry>> generated_tables;
  std::vector<std::vector<RoutingEntry>> tables;
  // Expected traffic from the network's description is computed by the report, not here.
};

// Splits, places, assigns keys, builds multicast trees and router tables, and compresses
// them. `rt` is the compiled network (any partitioning): its synapse tables give the exact
// synapse counts per pair of slices.
// Throws InputError naming the population and resource when the network does not fit, or
// the chip whose table cannot be compressed to router_entries.
MachineMap map_network(const Runtime& rt, const MachineSpec& spec);

// Where one packet goes: sent by a core of `chip` with `key`, it is looked up in each router
// it reaches; unmatched, it goes straight on (default routing) — except at the chip it was
// sent from, where an unmatched packet is dropped (its source has no targets). `cores` are
// the cores it is delivered to, in the order reached; `hops` the links it crosses, as
// (chip it leaves, link). `lost` is set when it is default-routed off the machine or
// loops (a bug in the tables, never the case for tables built by map_network).
struct PacketTrace {
  std::vector<CoreId> cores;
  std::vector<std::pair<std::uint32_t, Link>> hops;
  std::uint32_t routers = 0;  // routers that handled it (lookups, matched or default-routed)
  bool lost = false;
};
PacketTrace trace_packet(const MachineMap& map, std::uint32_t chip, std::uint32_t key);

// Order-exploiting minimisation (ordered covering): a table no longer than `table` that
// routes every key matched by `table` exactly as `table` does, and matches none of the keys
// in `keep_unmatched` (key/mask spaces of packets default-routed through the chip, or sent
// from it by slices without targets, which must stay unmatched). Stops once the table has at
// most `target_size` entries.
std::vector<RoutingEntry> compress(const std::vector<RoutingEntry>& table,
                                   std::uint32_t target_size,
                                   const std::vector<RoutingEntry>& keep_unmatched = {});

}  // namespace engram::hw
