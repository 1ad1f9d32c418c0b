// Mapping networks onto the SpiNNaker-style machine: the machine's links, keys that never
// collide, packets that reach exactly the cores holding their targets (walked through the
// router tables here, independently of the library's own trace), compression that keeps
// every route, and the errors for networks that do not fit.
#include <sys/wait.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/compile.hpp"
#include "engine/error.hpp"
#include "hardware/machine_map.hpp"
#include "hardware/map_report.hpp"
#include "io/network_json.hpp"
#include "models/ca3_cam/ca3_cam.hpp"
#include "test/support.hpp"

namespace fs = std::filesystem;
using namespace engram;
using namespace engram::hw;

namespace {

const fs::path kSource = ENGRAM_SOURCE_DIR;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return format_diagnostics(e.diagnostics());
  }
  return "";
}

MachineSpec machine(const std::string& name, std::uint32_t neurons_per_core = 256) {
  MachineSpec spec = parse_machine(name);
  spec.neurons_per_core = neurons_per_core;
  return spec;
}

// A network of `populations` IF_curr_exp populations of random sizes joined by random
// FixedProbability projections (and a Poisson source driving the first).
NetworkSpec random_network(std::uint32_t populations, std::uint32_t projections,
                           std::uint32_t seed) {
  std::mt19937 rng(seed);
  NetworkSpec net;
  net.name = "random";
  net.dt = 1.0;
  net.duration = 100.0;
  net.seed = seed;
  PopulationSpec source;
  source.name = "source";
  source.size = 40;
  source.model = "SpikeSourcePoisson";
  source.parameters["rate"] = Value::constant(10.0);
  net.populations.push_back(source);
  for (std::uint32_t p = 0; p < populations; ++p) {
    PopulationSpec pop;
    pop.name = "p" + std::to_string(p);
    pop.size = std::uniform_int_distribution<std::uint64_t>(1, 120)(rng);
    pop.model = "IF_curr_exp";
    net.populations.push_back(pop);
  }
  ProjectionSpec drive;
  drive.pre = PopulationSlice::whole("source");
  drive.post = PopulationSlice::whole("p0");
  drive.connector = FixedProbability{0.2};
  drive.synapse.weight = Value::constant(1.0);
  drive.synapse.delay = Value::constant(1.0);
  net.projections.push_back(drive);
  std::uniform_int_distribution<std::uint32_t> any(0, populations - 1);
  for (std::uint32_t j = 0; j < projections; ++j) {
    ProjectionSpec pr;
    pr.pre = PopulationSlice::whole("p" + std::to_string(any(rng)));
    pr.post = PopulationSlice::whole("p" + std::to_string(any(rng)));
    pr.connector = FixedProbability{std::uniform_real_distribution<double>(0.005, 0.1)(rng)};
    pr.synapse.weight = Value::constant(0.5);
    pr.synapse.delay = Value::constant(std::uniform_int_distribution<int>(1, 8)(rng));
    net.projections.push_back(pr);
  }
  return net;
}

// The slice holding neuron `n` of population `p`.
std::uint32_t slice_of(const MachineMap& map, std::uint32_t p, std::uint32_t n) {
  for (std::uint32_t i : map.population_slices[p]) {
    const Slice& s = map.slices[i];
    if (n >= s.first && n < s.first + s.size) return i;
  }
  FAIL("neuron " << n << " of population " << p << " is in no slice");
  return 0;
}

// The cores a packet with `key` sent from `chip` reaches, walking the loaded tables: first
// match wins; unmatched packets go straight on, except at the chip that sent them.
std::multiset<CoreId> walk(const MachineMap& map, std::uint32_t chip, std::uint32_t key) {
  std::multiset<CoreId> reached;
  struct At {
    std::uint32_t chip;
    int travel;  // -1: sent here
  };
  std::vector<At> queue{{chip, -1}};
  std::size_t visits = 0;
  while (!queue.empty()) {
    const At at = queue.back();
    queue.pop_back();
    REQUIRE(++visits <= map.machine.chip_count());
    const auto& table = map.tables[at.chip];
    std::optional<std::uint32_t> route;
    for (const RoutingEntry& e : table)
      if ((key & e.mask) == (e.key & e.mask)) {
        route = e.route;
        break;
      }
    if (!route) {
      if (at.travel < 0) continue;  // dropped at its source: nothing to reach
      route = 1u << at.travel;
    }
    for (std::uint32_t c = 0; c < 18; ++c)
      if (*route & (1u << (6 + c))) reached.insert({at.chip, c});
    for (int l = 0; l < 6; ++l)
      if (*route & (1u << l)) {
        const auto next = map.machine.neighbour(at.chip, static_cast<Link>(l));
        REQUIRE(next.has_value());
        queue.push_back({*next, l});
      }
  }
  return reached;
}

// Every neuron's packet reaches each core holding a target of its slice exactly once, and no
// other core; and the cores of the neuron's own targets are among them.
void check_packets(const Runtime& rt, const MachineMap& map) {
  std::vector<std::set<CoreId>> expected(map.slices.size());
  std::vector<std::vector<std::set<CoreId>>> own(map.slices.size());
  for (std::uint32_t s = 0; s < map.slices.size(); ++s) own[s].resize(map.slices[s].size);
  for (const ProjectionRuntime& pr : rt.projections)
    for (const SynapseTable& t : pr.tables)
      for (std::uint32_t row = 0; row + 1 < t.offsets.size(); ++row) {
        const std::uint32_t pre = row + pr.pre_range.begin;
        const std::uint32_t src = slice_of(map, pr.pre, pre);
        for (std::uint64_t k = t.offsets[row]; k < t.offsets[row + 1]; ++k) {
          const CoreId core = map.slices[slice_of(map, pr.post, t.word(k) & pr.target_mask)].core;
          expected[src].insert(core);
          own[src][pre - map.slices[src].first].insert(core);
        }
      }
  for (std::uint32_t s = 0; s < map.slices.size(); ++s) {
    const Slice& slice = map.slices[s];
    for (std::uint32_t n = 0; n < slice.size; ++n) {
      INFO("slice " << s << " neuron " << n);
      const std::multiset<CoreId> reached = walk(map, slice.core.chip, slice.key | n);
      const std::set<CoreId> distinct(reached.begin(), reached.end());
      CHECK(distinct.size() == reached.size());
      CHECK(distinct == expected[s]);
      CHECK(std::includes(distinct.begin(), distinct.end(), own[s][n].begin(), own[s][n].end()));
    }
  }
}

std::vector<RoutingEntry> random_table(std::mt19937& rng, std::size_t n, std::uint32_t routes,
                                       bool overlapping) {
  std::vector<std::uint32_t> route_words;
  for (std::uint32_t r = 0; r < routes; ++r) route_words.push_back(rng() & 0xFFFFFFu);
  std::vector<RoutingEntry> table;
  std::set<std::uint32_t> used;
  while (table.size() < n) {
    RoutingEntry e;
    if (overlapping) {
      e.mask = rng() | rng() | 0xFF000000u;  // about three bits in four defined
      e.key = rng() & e.mask;
    } else {
      // Disjoint slices of 256 keys each, as map_network makes them, spread over 16 bits.
      const std::uint32_t slice = rng() & 0xFFFFu;
      if (!used.insert(slice).second) continue;
      e.mask = 0xFFFFFF00u;
      e.key = slice << 8;
    }
    e.route = route_words[rng() % routes];
    table.push_back(e);
  }
  return table;
}

// Keys to try on a table: from each entry's key space, from each keep_unmatched space, and
// random ones.
std::vector<std::uint32_t> probe_keys(std::mt19937& rng, const std::vector<RoutingEntry>& a,
                                      const std::vector<RoutingEntry>& b) {
  std::vector<std::uint32_t> keys;
  for (const auto* list : {&a, &b})
    for (const RoutingEntry& e : *list)
      for (int i = 0; i < 4; ++i) keys.push_back((e.key & e.mask) | (rng() & ~e.mask));
  for (int i = 0; i < 20000; ++i) keys.push_back(rng());
  return keys;
}

}  // namespace

TEST_CASE("parse_machine reads the presets and WxH, and refuses anything else", "[hardware]") {
  const MachineSpec board4 = parse_machine("2x2");
  CHECK(Machine(board4).chip_count() == 4);
  CHECK(!board4.torus);
  CHECK(board4.app_cores == 16);
  const MachineSpec board48 = parse_machine("48");
  const Machine m48(board48);
  CHECK(m48.chip_count() == 48);
  const std::uint32_t row_lengths[8] = {5, 6, 7, 8, 7, 6, 5, 4};
  for (std::uint32_t y = 0; y < 8; ++y) {
    std::uint32_t n = 0;
    for (std::uint32_t x = 0; x < 8; ++x) n += m48.exists(m48.index({x, y})) ? 1 : 0;
    CHECK(n == row_lengths[y]);
  }
  CHECK(m48.exists(m48.index({0, 0})));
  CHECK(!m48.exists(m48.index({7, 0})));
  CHECK(!m48.exists(m48.index({0, 7})));
  CHECK(m48.exists(m48.index({7, 7})));
  const MachineSpec t = parse_machine("12x3t");
  CHECK(t.torus);
  CHECK(t.width == 12);
  CHECK(t.height == 3);
  CHECK(Machine(t).chip_count() == 36);
  for (const char* bad :
       {"", "3", "x2", "2x", "0x2", "2x0", "257x1", "2x2tt", "48t", "2y2", "-1x2", "2x2 "}) {
    INFO(bad);
    CHECK_THAT(error_of([&] { parse_machine(bad); }), Catch::Contains("--machine"));
  }
  MachineSpec cores = parse_machine("2x2");
  cores.app_cores = 18;
  CHECK_THAT(error_of([&] { Machine{cores}; }), Catch::Contains("--app-cores"));
}

TEST_CASE("links lead back through the opposite link, on meshes, tori and the board",
          "[hardware]") {
  for (const char* name : {"2x2", "5x4", "5x4t", "1x3t", "48"}) {
    INFO(name);
    const Machine m(parse_machine(name));
    std::size_t links = 0;
    for (std::uint32_t chip : m.chips())
      for (std::uint32_t l = 0; l < kLinks; ++l) {
        const auto next = m.neighbour(chip, static_cast<Link>(l));
        if (!next) continue;
        ++links;
        CHECK(m.exists(*next));
        CHECK(m.neighbour(*next, opposite(static_cast<Link>(l))) == chip);
      }
    if (std::string(name) == "5x4t") CHECK(links == 20 * 6);
  }
  const Machine m48(parse_machine("48"));
  std::uint32_t linked = 0;
  for (std::uint32_t l = 0; l < kLinks; ++l)
    linked += m48.neighbour(m48.index({3, 3}), static_cast<Link>(l)) ? 1 : 0;
  CHECK(linked == 6);
  CHECK(m48.neighbour(m48.index({0, 0}), kWest) == std::nullopt);
  CHECK(m48.neighbour(m48.index({0, 0}), kNorthEast) == m48.index({1, 1}));
  CHECK(m48.neighbour(m48.index({4, 0}), kEast) == std::nullopt);  // (5, 0) is not on the board
  const Machine torus(parse_machine("4x3t"));
  CHECK(torus.neighbour(torus.index({3, 2}), kNorthEast) == torus.index({0, 0}));
  CHECK(torus.neighbour(torus.index({0, 0}), kSouthWest) == torus.index({3, 2}));
}

TEST_CASE("slice keys never collide and every slice has its own core", "[hardware]") {
  const NetworkSpec net = random_network(12, 20, 7);
  const auto rt = compile(net);
  MachineSpec spec = machine("4x4", 30);
  spec.population_neurons_per_core["p3"] = 7;
  spec.population_neurons_per_core["p5"] = 100;
  const MachineMap map = map_network(*rt, spec);
  std::set<CoreId> cores;
  for (std::uint32_t p = 0; p < net.populations.size(); ++p) {
    std::uint64_t covered = 0;
    for (std::uint32_t i : map.population_slices[p]) {
      const Slice& s = map.slices[i];
      CHECK(s.population == p);
      CHECK(s.first == covered);
      covered += s.size;
      const std::uint32_t limit = net.populations[p].name == "p3"   ? 7
                                  : net.populations[p].name == "p5" ? 100
                                                                    : 30;
      CHECK(s.size <= limit);
      CHECK(s.size >= 1);
    }
    CHECK(covered == net.populations[p].size);
  }
  for (std::size_t a = 0; a < map.slices.size(); ++a) {
    const Slice& s = map.slices[a];
    CHECK((s.key & ~s.mask) == 0);
    CHECK(std::uint64_t{s.size} <= std::uint64_t{~s.mask} + 1);  // neuron index fits below
    CHECK(s.core.core >= 1);
    CHECK(s.core.core <= spec.app_cores);
    CHECK(map.machine.exists(s.core.chip));
    CHECK(cores.insert(s.core).second);
    for (std::size_t b = a + 1; b < map.slices.size(); ++b) {
      const Slice& o = map.slices[b];
      CHECK(((s.key ^ o.key) & s.mask & o.mask) != 0);
    }
  }
}

TEST_CASE("every packet reaches exactly the cores holding targets of its source", "[hardware]") {
  SECTION("the examples on a 4-chip board") {
    for (const char* file : {"small_chain.json", "vogels_abbott_cuba.json"}) {
      INFO(file);
      const auto rt = compile(io::load_network(kSource / "examples" / file));
      check_packets(*rt, map_network(*rt, machine("2x2", 64)));
    }
  }
  SECTION("random networks spread over a 4x4 mesh, a torus and the 48-chip board") {
    for (const char* name : {"4x4", "4x4t", "48"}) {
      for (std::uint32_t seed : {1u, 2u}) {
        INFO(name << " seed " << seed);
        const auto rt = compile(random_network(16, 40, seed));
        check_packets(*rt, map_network(*rt, machine(name, 8)));
      }
    }
  }
  SECTION("the CA3 memory of experiment 1") {
    using namespace engram::models::ca3;
    const auto rt = compile(build_network(
        load_experiment((kSource / "examples" / "ca3_cam" / "experiment1.json").string())));
    for (const char* name : {"2x2", "48"}) {
      INFO(name);
      MachineSpec spec = machine(name);
      spec.app_cores = 3;  // spread the populations over chips
      check_packets(*rt, map_network(*rt, spec));
    }
  }
}

TEST_CASE("map_network leaves out the entries that default routing covers", "[hardware]") {
  const auto rt = compile(random_network(16, 40, 4));
  const MachineMap map = map_network(*rt, machine("48", 4));
  std::size_t passing = 0;
  for (const Slice& s : map.slices) {
    const PacketTrace trace = trace_packet(map, s.core.chip, s.key);
    CHECK(!trace.lost);
    CHECK(trace.routers == trace.hops.size() + 1);  // a tree: one router per chip reached
    for (const auto& [from, link] : trace.hops) {
      const std::uint32_t chip = *map.machine.neighbour(from, link);
      const auto route = lookup(map.generated_tables[chip], s.key);
      // Straight on is what an unmatched packet does: an entry saying only that is redundant.
      CHECK(route != std::optional<std::uint32_t>(link_bit(link)));
      passing += route ? 0 : 1;
    }
  }
  CHECK(passing > 0);
}

TEST_CASE("compressed tables route every key as the originals do", "[hardware]") {
  std::mt19937 rng(12345);
  for (bool overlapping : {false, true}) {
    for (int round = 0; round < 3; ++round) {
      INFO("overlapping " << overlapping << " round " << round);
      const std::vector<RoutingEntry> table = random_table(rng, 300, 6, overlapping);
      // Key spaces of packets passing through by default routing: unmatched by the table.
      std::vector<RoutingEntry> passing;
      while (passing.size() < 40) {
        const RoutingEntry p{static_cast<std::uint32_t>(rng() & 0xFFFFFF00u), 0xFFFFFF00u, 0};
        if (!lookup(table, p.key) && !lookup(table, p.key | 0xFF)) {
          bool clear = true;
          for (const RoutingEntry& e : table)
            clear = clear && ((e.key ^ p.key) & e.mask & p.mask) != 0;
          if (clear) passing.push_back(p);
        }
      }
      const std::vector<RoutingEntry> small = compress(table, 1, passing);
      CHECK(small.size() < table.size() * (overlapping ? 85 : 75) / 100);
      for (std::uint32_t key : probe_keys(rng, table, passing)) {
        const auto before = lookup(table, key);
        bool keep = false;
        for (const RoutingEntry& p : passing) keep = keep || ((key ^ p.key) & p.mask) == 0;
        if (before)
          CHECK(lookup(small, key) == before);
        else if (keep)
          CHECK(!lookup(small, key));
      }
    }
  }
  // Routes that follow the high key bits: blocks of 32 slices share one, as when a
  // population's slices all go to the same places. The blocks are found whatever the order
  // of the entries, around the key spaces that pass through.
  std::vector<RoutingEntry> blocks;
  for (std::uint32_t slice = 0; slice < 256; ++slice)
    blocks.push_back({slice << 8, 0xFFFFFF00u, 1u << (6 + slice / 32)});
  std::shuffle(blocks.begin(), blocks.end(), rng);
  const std::vector<RoutingEntry> outside = {{0x10000, 0xFFFFFF00u, 0}, {0x23400, 0xFFFFFF00u, 0}};
  const std::vector<RoutingEntry> eight = compress(blocks, 1, outside);
  CHECK(eight.size() <= 8);
  for (std::uint32_t key : probe_keys(rng, blocks, outside)) {
    const auto before = lookup(blocks, key);
    if (before) CHECK(lookup(eight, key) == before);
    if ((key & 0xFFFFFF00u) == 0x10000 || (key & 0xFFFFFF00u) == 0x23400)
      CHECK(!lookup(eight, key));
  }
  // A table that already fits is returned as it is.
  const std::vector<RoutingEntry> table = random_table(rng, 50, 4, false);
  CHECK(compress(table, 50).size() == 50);
  // Different routes that must stay apart cannot be merged.
  const std::vector<RoutingEntry> distinct = {
      {0x000, 0xF00, 1}, {0x100, 0xF00, 2}, {0x200, 0xF00, 4}};
  CHECK(compress(distinct, 1) == distinct);
}

TEST_CASE("tables over the router's size are compressed, or refused naming the chip",
          "[hardware]") {
  // Slices of `a` all project to every slice of `b`, and `c` to `d`: on each chip, the
  // entries of one population's slices share a route and merge; those of `a` and `c` differ.
  NetworkSpec net;
  net.dt = 1.0;
  for (const char* name : {"a", "b", "c", "d"}) {
    PopulationSpec p;
    p.name = name;
    p.size = 40;
    p.model = "IF_curr_exp";
    net.populations.push_back(p);
  }
  for (const auto& [pre, post] : {std::pair{"a", "b"}, std::pair{"c", "d"}}) {
    ProjectionSpec pr;
    pr.pre = PopulationSlice::whole(pre);
    pr.post = PopulationSlice::whole(post);
    pr.connector = AllToAll{};
    pr.synapse.weight = Value::constant(1.0);
    net.projections.push_back(pr);
  }
  const auto rt = compile(net);
  MachineSpec spec = machine("3x3", 4);
  spec.app_cores = 8;
  const MachineMap full = map_network(*rt, spec);
  std::size_t largest = 0;
  for (const auto& t : full.generated_tables) largest = std::max(largest, t.size());
  REQUIRE(largest > 8);
  spec.router_entries = 8;
  const MachineMap small = map_network(*rt, spec);
  bool compressed = false;
  for (std::uint32_t c = 0; c < small.tables.size(); ++c) {
    CHECK(small.tables[c].size() <= 8);
    CHECK(small.generated_tables[c] == full.generated_tables[c]);
    compressed = compressed || small.tables[c].size() < small.generated_tables[c].size();
  }
  CHECK(compressed);
  check_packets(*rt, small);
  // Random connectivity gives each slice its own route: nothing merges into one entry.
  const auto random = compile(random_network(16, 60, 3));
  MachineSpec one = machine("4x4", 6);
  one.router_entries = 1;
  const std::string error = error_of([&] { map_network(*random, one); });
  CHECK_THAT(error, Catch::Contains("chip ("));
  CHECK_THAT(error, Catch::Contains("routing table"));
  CHECK_THAT(error, Catch::Contains("a router holds 1;"));
}

TEST_CASE("networks that do not fit are refused naming the population and the resource",
          "[hardware]") {
  NetworkSpec net;
  net.dt = 0.1;
  PopulationSpec big;
  big.name = "big";
  big.size = 64 * 256 + 1;
  big.model = "IF_curr_exp";
  net.populations.push_back(big);
  {
    const auto rt = compile(net);
    const std::string error = error_of([&] { map_network(*rt, machine("2x2")); });
    CHECK_THAT(error, Catch::Contains("65 cores") || Catch::Contains("needs 65"));
    CHECK_THAT(error, Catch::Contains("2x2 has 64 application cores"));
    CHECK(error_of([&] { map_network(*rt, machine("48")); }).empty());
  }
  // A delay of 10 ms at 0.1 ms needs 128 ring slots per neuron and receptor: 256 KiB for 256.
  net.populations[0].size = 300;
  ProjectionSpec slow;
  slow.pre = slow.post = PopulationSlice::whole("big");
  slow.connector = OneToOne{};
  slow.synapse.weight = Value::constant(0.1);
  slow.synapse.delay = Value::constant(10.0);
  net.projections.push_back(slow);
  {
    const auto rt = compile(net);
    const std::string error = error_of([&] { map_network(*rt, machine("2x2")); });
    CHECK_THAT(error, Catch::Contains("/populations/0"));
    CHECK_THAT(error, Catch::Contains("population \"big\": a slice of 256 neurons needs"));
    CHECK_THAT(error, Catch::Contains("core data memory (DTCM), a core has 64.0 KiB"));
    CHECK_THAT(error, Catch::Contains("--neurons-per-core big=128"));
    CHECK(error_of([&] { map_network(*rt, machine("2x2", 32)); }).empty());
  }
  // Shared memory: a chip of 1 MiB holds the synaptic matrices of few slices.
  const auto rt = compile(io::load_network(kSource / "examples" / "vogels_abbott_cuba.json"));
  MachineSpec tiny = machine("2x2");
  tiny.chip_memory = 1 << 20;
  CHECK_THAT(error_of([&] { map_network(*rt, tiny); }), Catch::Contains("shared memory (SDRAM)"));
  tiny.chip_memory = 100 << 10;
  const std::string slice_error = error_of([&] { map_network(*rt, tiny); });
  CHECK_THAT(slice_error, Catch::Contains("population \"exc\""));
  CHECK_THAT(slice_error, Catch::Contains("chip shared memory (SDRAM"));
  MachineSpec unknown = machine("2x2");
  unknown.population_neurons_per_core["exd"] = 10;
  CHECK_THAT(error_of([&] { map_network(*rt, unknown); }),
             Catch::Contains("unknown population \"exd\"") && Catch::Contains("\"exc\""));
}

TEST_CASE("a model that updates its whole population together stays on one core", "[hardware]") {
  NetworkSpec net;
  net.dt = 1.0;
  PopulationSpec mac;
  mac.name = "mac";
  mac.size = 80;  // Q = 10 modules of K = 8 cells
  mac.model = "SparseyMac";
  net.populations.push_back(mac);
  const auto rt = compile(net);
  MachineSpec spec = machine("2x2", 16);
  const MachineMap map = map_network(*rt, spec);
  REQUIRE(map.population_slices[0].size() == 1);
  CHECK(map.slices[0].size == 80);
  CHECK(map.slices[0].mask == 0xFFFFFF80u);  // 7 neuron bits
  spec.population_neurons_per_core["mac"] = 16;
  CHECK_THAT(error_of([&] { map_network(*rt, spec); }),
             Catch::Contains("/populations/0") && Catch::Contains("all 80 neurons together"));
}

TEST_CASE("the map report counts traffic from known rates", "[hardware]") {
  const NetworkSpec net = random_network(6, 10, 5);
  const auto rt = compile(net);
  const MachineMap map = map_network(*rt, machine("4x4", 16));
  const MapReport report = make_map_report(net, *rt, map, {{"p1", 5.0}});
  double expected_routed = 0.0;
  for (const SliceReport& s : report.slices) {
    const Slice& slice = map.slices[s.slice];
    const std::string& name = net.populations[slice.population].name;
    if (name == "source") REQUIRE(s.spikes_per_tick);
    if (name == "source") CHECK(*s.spikes_per_tick == Approx(slice.size * 10.0 / 1000.0));
    if (name == "p1") CHECK(*s.spikes_per_tick == Approx(slice.size * 5.0 / 1000.0));
    if (s.spikes_per_tick && s.cores_reached > 0) expected_routed += *s.spikes_per_tick * s.routers;
  }
  double routed = 0.0;
  for (const ChipReport& c : report.chips) routed += c.router_packets;
  CHECK(routed == Approx(expected_routed));
  const std::string text = format_map_report(report);
  CHECK_THAT(text, Catch::Contains("expected packets per tick"));
  CHECK_THAT(text, Catch::Contains("rates unknown for p0"));
  const auto json = map_report_json(report);
  CHECK(json["populations"].size() == net.populations.size());
  CHECK(json["chips"].size() == 16);
  CHECK_THAT(error_of([&] {
               make_map_report(net, *rt, map, {{"q1", 5.0}});
             }),
             Catch::Contains("--rate"));
}

namespace {

using test::quote;

test::CliResult engram_map(const test::TempDir& dir, const std::string& arguments) {
  return test::engram_cli(dir, "map " + arguments);
}

}  // namespace

TEST_CASE("engram map prints the placement, exits 2 on bad input", "[hardware][cli]") {
  test::TempDir dir;
  const std::string chain = quote((kSource / "examples" / "small_chain.json").string());
  const std::string cuba = quote((kSource / "examples" / "vogels_abbott_cuba.json").string());
  test::CliResult r =
      engram_map(dir, chain + " --machine 48 --neurons-per-core 2 --neurons-per-core chain=1");
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Catch::Contains("machine     48: a 48-chip board"));
  CHECK_THAT(r.out, Catch::Contains("chain[2:3]"));
  CHECK_THAT(r.out, Catch::Contains("traffic per spike"));
  r = engram_map(dir,
                 cuba + " --json --machine 3x2 --torus --app-cores 8 --rate exc=5 --rate inh=5");
  CHECK(r.status == 0);
  const auto json = nlohmann::json::parse(r.out);
  CHECK(json["machine"]["torus"] == true);
  CHECK(json["machine"]["chips"] == 6);
  CHECK(json["populations"][0]["name"] == "exc");
  CHECK(json["chips"][0]["router_packets_per_tick"].get<double>() > 0.0);
  for (const auto& [arguments, expected] : std::vector<std::pair<std::string, std::string>>{
           {chain + " --machine 3y", "error: --machine: found \"3y\""},
           {chain + " --machine 48 --torus", "error: --torus"},
           {chain + " --neurons-per-core chian=2", "did you mean \"chain\""},
           {chain + " --neurons-per-core x", "error: --neurons-per-core: found \"x\""},
           {chain + " --rate chain", "error: --rate"},
           {chain + " --rate chain=inf", "expected a finite rate >= 0"},
           {cuba + " --machine 1x1 --app-cores 4", "the machine 1x1 has 4 application cores"},
           {quote((dir.path / "missing.json").string()), "missing.json"}}) {
    INFO(arguments);
    r = engram_map(dir, arguments);
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains(expected));
  }
}
