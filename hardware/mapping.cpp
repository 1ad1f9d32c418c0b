// Mapping a compiled network onto a machine, in the order of the tool chains of SpiNNaker:
// split populations into slices of at most N neurons (one per core), measure the synapses
// between slices, check each slice's memory, order the slices so that connected ones are
// neighbours (Cuthill–McKee on the slice graph) and lay that order along a snake through the
// chips, give each slice a routing key, build one multicast tree per slice over shortest
// paths of the mesh, turn the trees into router tables, and compress the tables that do not
// fit a router.
#include <algorithm>
#include <bit>
#include <cassert>
#include <limits>
#include <map>
#include <numeric>

#include <fmt/format.h>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/cuthill_mckee_ordering.hpp>
#include <boost/graph/visitors.hpp>

#include "engine/error.hpp"
#include "hardware/machine_map.hpp"

namespace engram::hw {

namespace {

// The memory model of one core and one chip (docs/emulator.md, "Placement"). Numbers are
// kept in 32-bit words, as SpiNNaker's ARM cores keep them.
constexpr std::uint64_t kWord = 4;
constexpr std::uint64_t kCoreOverhead = 8 * 1024;  // stack, heap, timer, DMA and recording state
constexpr std::uint64_t kMasterTableEntry = 3 * kWord;  // key, mask, address + row length
constexpr std::uint64_t kRowHeader = 2 * kWord;         // row length, address-list word
constexpr std::uint64_t kPlasticRowHeader = 2 * kWord;  // + last presynaptic spike and trace
constexpr std::uint64_t kStaticSynapse = kWord;         // target, delay and weight in one word
constexpr std::uint64_t kPlasticSynapse = 2 * kWord;    // + the plastic weight
constexpr std::uint32_t kReceptors = 2;

// Synapses from one source slice to one target slice, over every projection between them.
struct Edge {
  std::uint32_t target = 0;
  std::uint64_t synapses = 0;
  std::uint64_t plastic = 0;  // of which STDP synapses
  std::uint64_t rows = 0;     // synaptic rows (presynaptic neuron, projection) not empty
  std::uint64_t plastic_rows = 0;
  std::uint64_t longest_row = 0;
};

std::string kib(std::uint64_t bytes) {
  return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / 1024.0);
}
std::string mib(std::uint64_t bytes) {
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}
std::string chip_name(const Machine& m, std::uint32_t chip) {
  const ChipCoord c = m.coord(chip);
  return fmt::format("chip ({}, {})", c.x, c.y);
}

// Slice sizes per population: the default, overridden per population; a model whose kernel
// needs the whole population keeps it on one core.
std::vector<std::uint32_t> slice_sizes(const Runtime& rt, const MachineSpec& spec) {
  Diagnostics problems;
  std::vector<std::string> names;
  for (const auto& p : rt.populations) names.push_back(p.name);
  for (const auto& [name, n] : spec.population_neurons_per_core) {
    if (std::find(names.begin(), names.end(), name) == names.end())
      problems.add("--neurons-per-core",
                   fmt::format("found unknown population \"{}\", expected one of the network's{}",
                               name, did_you_mean(name, names)));
    else if (n == 0)
      problems.add("--neurons-per-core",
                   fmt::format("found 0 neurons per core for \"{}\", expected at least 1", name));
  }
  std::vector<std::uint32_t> sizes;
  for (std::uint32_t p = 0; p < rt.populations.size(); ++p) {
    const PopulationRuntime& pop = rt.populations[p];
    const auto it = spec.population_neurons_per_core.find(pop.name);
    const std::uint32_t asked =
        it == spec.population_neurons_per_core.end() ? spec.neurons_per_core : it->second;
    if (pop.model->whole_population) {
      if (it != spec.population_neurons_per_core.end() && asked < pop.size)
        problems.add(fmt::format("/populations/{}", p),
                     fmt::format("population \"{}\": found {} neurons per core, but model {} "
                                 "updates all {} neurons together, on one core",
                                 pop.name, asked, pop.model->name, pop.size));
      sizes.push_back(static_cast<std::uint32_t>(std::max<std::uint64_t>(pop.size, 1)));
    } else {
      sizes.push_back(std::max<std::uint32_t>(asked, 1));
    }
  }
  problems.throw_if_any();
  return sizes;
}

// Per source slice, the synapses it sends to each target slice (edges sorted by target).
// Reads the synapse tables of every partition, so any compiled partitioning gives the same.
std::vector<std::vector<Edge>> slice_edges(const Runtime& rt, const std::vector<Slice>& slices,
                                           const std::vector<std::uint32_t>& first_slice,
                                           const std::vector<std::uint32_t>& chunk) {
  const std::size_t n = slices.size();
  std::vector<std::vector<Edge>> edges(n);
  std::vector<Edge> acc(n);
  std::vector<std::uint64_t> in_row(n, 0);
  std::vector<std::uint32_t> touched, row_touched;
  std::vector<bool> seen(n, false);
  for (std::uint32_t s = 0; s < n; ++s) {
    const Slice& src = slices[s];
    for (std::uint32_t j : rt.outgoing[src.population]) {
      const ProjectionRuntime& pr = rt.projections[j];
      const std::uint32_t begin = std::max(src.first, pr.pre_range.begin);
      const std::uint32_t end = std::min(src.first + src.size, pr.pre_range.end);
      for (std::uint32_t neuron = begin; neuron < end; ++neuron) {
        const std::uint32_t row = neuron - pr.pre_range.begin;
        for (const SynapseTable& table : pr.tables) {
          for (std::uint64_t k = table.offsets[row]; k < table.offsets[row + 1]; ++k) {
            const std::uint32_t post = table.word(k) & pr.target_mask;
            const std::uint32_t t = first_slice[pr.post] + post / chunk[pr.post];
            if (in_row[t]++ == 0) row_touched.push_back(t);
          }
        }
        for (std::uint32_t t : row_touched) {
          if (!seen[t]) {
            seen[t] = true;
            touched.push_back(t);
          }
          Edge& e = acc[t];
          e.synapses += in_row[t];
          e.rows += 1;
          if (pr.stdp) {
            e.plastic += in_row[t];
            e.plastic_rows += 1;
          }
          e.longest_row = std::max(e.longest_row, in_row[t]);
          in_row[t] = 0;
        }
        row_touched.clear();
      }
    }
    std::sort(touched.begin(), touched.end());
    for (std::uint32_t t : touched) {
      acc[t].target = t;
      edges[s].push_back(acc[t]);
      acc[t] = Edge{};
      seen[t] = false;
    }
    touched.clear();
  }
  return edges;
}

// Estimated data memory (DTCM) of the core of slice `s` and shared memory (SDRAM) its
// synaptic matrix and recordings take.
struct SliceMemory {
  std::uint64_t dtcm = 0;
  std::uint64_t synaptic_matrix = 0, recordings = 0;
};

std::vector<SliceMemory> slice_memory(const Runtime& rt, const std::vector<Slice>& slices,
                                      const std::vector<std::vector<Edge>>& edges) {
  const std::size_t n = slices.size();
  std::vector<std::uint64_t> sources(n, 0), longest(n, 0);
  std::vector<SliceMemory> mem(n);
  for (std::uint32_t s = 0; s < n; ++s)
    for (const Edge& e : edges[s]) {
      sources[e.target] += 1;
      longest[e.target] = std::max(longest[e.target], e.longest_row);
      mem[e.target].synaptic_matrix += (e.synapses - e.plastic) * kStaticSynapse +
                                       e.plastic * kPlasticSynapse + e.rows * kRowHeader +
                                       e.plastic_rows * kPlasticRowHeader;
    }
  std::vector<Step> max_delay(rt.populations.size(), 0);
  std::vector<bool> plastic_in(rt.populations.size(), false);
  for (const ProjectionRuntime& pr : rt.projections) {
    max_delay[pr.post] = std::max(max_delay[pr.post], pr.max_delay);
    if (pr.stdp) plastic_in[pr.post] = true;
  }
  for (std::uint32_t s = 0; s < n; ++s) {
    const Slice& slice = slices[s];
    const PopulationRuntime& pop = rt.populations[slice.population];
    const std::uint64_t size = slice.size;
    const std::uint64_t per_neuron = pop.model->parameters.size() + pop.model->state.size();
    // Input ring: a power-of-two number of slots covering the longest incoming delay.
    const std::uint64_t slots =
        max_delay[slice.population] == 0
            ? 0
            : std::bit_ceil(static_cast<std::uint64_t>(max_delay[slice.population]) + 1);
    std::uint64_t dtcm = kCoreOverhead + size * per_neuron * kWord +
                         slots * kReceptors * size * kWord + sources[s] * kMasterTableEntry +
                         2 * longest[s] * kWord;  // two DMA buffers of the longest row
    if (!pop.currents.empty()) dtcm += size * kWord;
    for (const PoissonDrive& drive : pop.poisson_inputs)
      dtcm += drive.thresholds.size() * kWord + 4 * kWord;
    // STDP: each postsynaptic neuron keeps its spike history (time and trace per entry).
    if (plastic_in[slice.population]) dtcm += size * StdpRuntime::capacity * 2 * kWord;
    mem[s].dtcm = dtcm;
    // Recordings of one run of the network's duration, kept in SDRAM until read back.
    const auto steps = static_cast<std::uint64_t>(std::max<Step>(rt.default_steps, 0));
    if (pop.record_spikes) mem[s].recordings += (size + 31) / 32 * kWord * steps;
    for (const RecordingRuntime& r : rt.recordings) {
      if (r.population != slice.population) continue;
      const auto recorded = static_cast<std::uint64_t>(std::count_if(
          r.neurons.begin(), r.neurons.end(),
          [&](std::uint32_t i) { return i >= slice.first && i < slice.first + slice.size; }));
      mem[s].recordings += recorded * kWord * (steps / static_cast<std::uint64_t>(r.interval));
    }
  }
  return mem;
}

// Slices in an order that keeps connected slices close: Cuthill–McKee on the undirected
// slice graph (each component from a pseudo-peripheral slice, breadth first, neighbours by
// increasing degree), which is what reduces the bandwidth of its adjacency matrix.
std::vector<std::uint32_t> placement_order(const std::vector<std::vector<Edge>>& edges) {
  using namespace boost;
  using Graph = adjacency_list<
      vecS, vecS, undirectedS,
      property<vertex_color_t, default_color_type, property<vertex_degree_t, std::size_t>>>;
  // Each pair of slices joined once, whatever the direction of its synapses (self-loops
  // left out): from the lower slice, or from the higher one when the lower sends nothing
  // to it (edges are sorted by target).
  const auto sends = [&](std::uint32_t from, std::uint32_t to) {
    return std::binary_search(edges[from].begin(), edges[from].end(), Edge{to},
                              [](const Edge& a, const Edge& b) { return a.target < b.target; });
  };
  Graph g(edges.size());
  for (std::uint32_t s = 0; s < edges.size(); ++s)
    for (const Edge& e : edges[s])
      if (e.target > s || (e.target < s && !sends(e.target, s))) add_edge(s, e.target, g);
  std::vector<graph_traits<Graph>::vertex_descriptor> order(edges.size());
  cuthill_mckee_ordering(g, order.begin(), get(vertex_color, g), make_degree_map(g));
  return {order.begin(), order.end()};
}

// Chips in a snake through the grid (east along even rows, west along odd ones), so that
// consecutive chips are linked neighbours wherever the grid allows.
std::vector<std::uint32_t> chip_order(const Machine& m) {
  std::vector<std::uint32_t> order;
  for (std::uint32_t y = 0; y < m.spec().height; ++y)
    for (std::uint32_t i = 0; i < m.spec().width; ++i) {
      const std::uint32_t x = y % 2 == 0 ? i : m.spec().width - 1 - i;
      const std::uint32_t chip = m.index({x, y});
      if (m.exists(chip)) order.push_back(chip);
    }
  return order;
}

// Hops from `source` to every chip over the mesh links (breadth-first search); chips that
// cannot be reached (absent ones) keep the maximum.
class MeshDistances {
 public:
  explicit MeshDistances(const Machine& m) : graph_(m.spec().width * m.spec().height) {
    for (std::uint32_t chip : m.chips())
      for (std::uint32_t l = 0; l < kLinks; ++l)
        if (auto other = m.neighbour(chip, static_cast<Link>(l)))
          boost::add_edge(chip, *other, graph_);
  }
  const std::vector<std::uint32_t>& from(std::uint32_t source) {
    if (source == source_) return distance_;
    source_ = source;
    distance_.assign(boost::num_vertices(graph_), std::numeric_limits<std::uint32_t>::max());
    distance_[source] = 0;
    boost::breadth_first_search(graph_, source,
                                boost::visitor(boost::make_bfs_visitor(boost::record_distances(
                                    distance_.data(), boost::on_tree_edge()))));
    return distance_;
  }

 private:
  boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS> graph_;
  std::uint32_t source_ = std::numeric_limits<std::uint32_t>::max();
  std::vector<std::uint32_t> distance_;
};

// One chip of a multicast tree: where the packet goes from here (route word) and the
// direction it travels in when it arrives (meaningless at the source).
struct TreeNode {
  std::uint32_t route = 0;
  Link travel = kEast;
  bool connected = false;
};

// The multicast tree of one source chip to a set of target chips with their target cores.
// Every target is reached by a shortest path. Targets are joined farthest first; walking
// back from a target, each step goes to a neighbour one hop nearer the source, preferring
// one already on the tree (so paths share links) and then the direction of the previous
// step (straight runs are default-routed and need no router entries).
std::map<std::uint32_t, TreeNode> multicast_tree(
    const Machine& m, std::uint32_t source, const std::map<std::uint32_t, std::uint32_t>& cores,
    MeshDistances& mesh) {
  const std::vector<std::uint32_t>& dist = mesh.from(source);
  std::vector<std::uint32_t> targets;
  for (const auto& [chip, bits] : cores) targets.push_back(chip);
  std::stable_sort(targets.begin(), targets.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return dist[a] > dist[b]; });
  std::map<std::uint32_t, TreeNode> tree;
  tree[source].connected = true;
  for (std::uint32_t target : targets) {
    assert(dist[target] != std::numeric_limits<std::uint32_t>::max());
    std::uint32_t cur = target;
    std::optional<Link> previous;
    while (!tree[cur].connected) {
      std::optional<Link> best;
      int best_score = -1;
      for (std::uint32_t l = 0; l < kLinks; ++l) {
        const auto back = static_cast<Link>(l);
        const auto u = m.neighbour(cur, back);
        if (!u || dist[*u] + 1 != dist[cur]) continue;
        const auto it = tree.find(*u);
        const int score = (it != tree.end() && it->second.connected ? 2 : 0) +
                          (previous && back == *previous ? 1 : 0);
        if (score > best_score) {
          best = back;
          best_score = score;
        }
      }
      assert(best);
      const std::uint32_t parent = *m.neighbour(cur, *best);
      tree[cur].connected = true;
      tree[cur].travel = opposite(*best);
      tree[parent].route |= link_bit(opposite(*best));
      previous = best;
      cur = parent;
    }
  }
  for (const auto& [chip, bits] : cores) tree[chip].route |= bits;
  return tree;
}

}  // namespace

std::optional<std::uint32_t> lookup(const std::vector<RoutingEntry>& table, std::uint32_t key) {
  for (const RoutingEntry& e : table)
    if (((key ^ e.key) & e.mask) == 0) return e.route;
  return std::nullopt;
}

MachineMap map_network(const Runtime& rt, const MachineSpec& spec) {
  MachineMap map{Machine(spec), {}, {}, {}, {}};
  const Machine& machine = map.machine;

  // Slices, in (population, first) order.
  const std::vector<std::uint32_t> chunk = slice_sizes(rt, spec);
  std::vector<std::uint32_t> first_slice(rt.populations.size(), 0);
  map.population_slices.resize(rt.populations.size());
  for (std::uint32_t p = 0; p < rt.populations.size(); ++p) {
    first_slice[p] = static_cast<std::uint32_t>(map.slices.size());
    const std::uint64_t size = rt.populations[p].size;
    for (std::uint64_t first = 0; first < size; first += chunk[p]) {
      Slice s;
      s.population = p;
      s.first = static_cast<std::uint32_t>(first);
      s.size = static_cast<std::uint32_t>(std::min<std::uint64_t>(chunk[p], size - first));
      map.population_slices[p].push_back(static_cast<std::uint32_t>(map.slices.size()));
      map.slices.push_back(s);
    }
  }
  std::vector<Slice>& slices = map.slices;
  const std::vector<std::vector<Edge>> edges = slice_edges(rt, slices, first_slice, chunk);

  // Memory of each slice against a core's and a chip's.
  const std::vector<SliceMemory> mem = slice_memory(rt, slices, edges);
  for (std::uint32_t s = 0; s < slices.size(); ++s) {
    Slice& slice = slices[s];
    slice.dtcm_bytes = mem[s].dtcm;
    slice.sdram_bytes = mem[s].synaptic_matrix + mem[s].recordings;
    const PopulationRuntime& pop = rt.populations[slice.population];
    const std::string fewer =
        pop.model->whole_population || slice.size < 2
            ? std::string()
            : fmt::format("; use fewer neurons per core (--neurons-per-core {}={})", pop.name,
                          slice.size / 2);
    if (slice.dtcm_bytes > spec.core_memory)
      throw InputError(
          fmt::format("/populations/{}", slice.population),
          fmt::format("population \"{}\": a slice of {} neurons needs {} of core "
                      "data memory (DTCM), a core has {}{}",
                      pop.name, slice.size, kib(slice.dtcm_bytes), kib(spec.core_memory), fewer));
    if (slice.sdram_bytes > spec.chip_memory)
      throw InputError(
          fmt::format("/populations/{}", slice.population),
          fmt::format("population \"{}\": a slice of {} neurons needs {} of chip shared memory "
                      "(SDRAM: synaptic matrix {}, recordings {}), a chip has {}{}",
                      pop.name, slice.size, mib(slice.sdram_bytes), mib(mem[s].synaptic_matrix),
                      mib(mem[s].recordings), mib(spec.chip_memory), fewer));
  }

  // Placement: the slice order laid along the chip snake, core by core, moving on to the
  // next chip when its cores or its shared memory are used up.
  const std::uint64_t cores = std::uint64_t{machine.chip_count()} * spec.app_cores;
  if (slices.size() > cores)
    throw InputError("--machine",
                     fmt::format("the network needs {} cores (one per slice), the machine {} "
                                 "has {} application cores; use a larger machine or more "
                                 "neurons per core",
                                 slices.size(), spec.name, cores));
  const std::vector<std::uint32_t> chips = chip_order(machine);
  const std::vector<std::uint32_t> order = placement_order(edges);
  {
    std::size_t c = 0;
    std::uint32_t next_core = 1;
    std::uint64_t sdram = 0;
    for (std::uint32_t s : order) {
      if (next_core > spec.app_cores || sdram + slices[s].sdram_bytes > spec.chip_memory) {
        ++c;
        next_core = 1;
        sdram = 0;
      }
      if (c == chips.size())
        throw InputError(
            "--machine",
            fmt::format("the network needs more chip shared memory (SDRAM) than the machine "
                        "{} has: its synaptic matrices and recordings fill {} chips of {} "
                        "before every slice is placed; use a larger machine",
                        spec.name, chips.size(), mib(spec.chip_memory)));
      slices[s].core = {chips[c], next_core++};
      sdram += slices[s].sdram_bytes;
    }
  }

  // Keys: the slice's place in the placement order above the neuron bits, so keys never
  // collide, and the slices of one chip, which tend to share routes, have neighbouring keys
  // that compression can merge.
  std::uint32_t largest = 1;
  for (const Slice& s : slices) largest = std::max(largest, s.size);
  const int neuron_bits = std::bit_width(largest - 1);
  if (neuron_bits < 32 && slices.size() > (std::uint64_t{1} << (32 - neuron_bits)))
    throw InputError(
        "--neurons-per-core",
        fmt::format("the network's {} slices of up to {} neurons need more "
                    "routing keys than 32 bits hold ({} slices with {} neuron "
                    "bits); use more neurons per core",
                    slices.size(), largest, std::uint64_t{1} << (32 - neuron_bits), neuron_bits));
  const std::uint32_t mask =
      neuron_bits == 32 ? 0u : ~static_cast<std::uint32_t>((std::uint64_t{1} << neuron_bits) - 1);
  for (std::uint32_t i = 0; i < order.size(); ++i) {
    slices[order[i]].key = neuron_bits == 32 ? 0u : i << neuron_bits;
    slices[order[i]].mask = mask;
  }

  // Multicast trees and router tables. Slices are taken by source chip, so that the mesh
  // distances are computed once per chip.
  const std::uint32_t grid = spec.width * spec.height;
  map.generated_tables.assign(grid, {});
  // Per chip, the key spaces its router sees but must not match: packets default-routed
  // through it, and packets of its own slices that have no targets (dropped at the source).
  std::vector<std::vector<RoutingEntry>> unmatched(grid);
  std::vector<std::uint32_t> by_chip(slices.size());
  std::iota(by_chip.begin(), by_chip.end(), 0u);
  std::stable_sort(by_chip.begin(), by_chip.end(), [&](std::uint32_t a, std::uint32_t b) {
    return slices[a].core.chip < slices[b].core.chip;
  });
  MeshDistances mesh(machine);
  for (std::uint32_t s : by_chip) {
    const Slice& src = slices[s];
    std::map<std::uint32_t, std::uint32_t> targets;  // chip -> core bits
    for (const Edge& e : edges[s])
      targets[slices[e.target].core.chip] |= core_bit(slices[e.target].core.core);
    if (targets.empty()) {
      unmatched[src.core.chip].push_back({src.key, src.mask, 0});
      continue;
    }
    for (const auto& [chip, node] : multicast_tree(machine, src.core.chip, targets, mesh)) {
      const RoutingEntry entry{src.key, src.mask, node.route};
      if (chip != src.core.chip && node.route == link_bit(node.travel))
        unmatched[chip].push_back({src.key, src.mask, 0});
      else
        map.generated_tables[chip].push_back(entry);
    }
  }
  map.tables.assign(grid, {});
  for (std::uint32_t chip = 0; chip < grid; ++chip) {
    auto& table = map.generated_tables[chip];
    std::sort(table.begin(), table.end(),
              [](const RoutingEntry& a, const RoutingEntry& b) { return a.key < b.key; });
    if (table.size() <= spec.router_entries) {
      map.tables[chip] = table;
      continue;
    }
    map.tables[chip] = compress(table, spec.router_entries, unmatched[chip]);
    if (map.tables[chip].size() > spec.router_entries)
      throw InputError("", fmt::format("{}: its routing table needs {} entries, {} after "
                                       "compression, a router holds {}; spread the network over "
                                       "more chips (--app-cores) or use more neurons per core",
                                       chip_name(machine, chip), table.size(),
                                       map.tables[chip].size(), spec.router_entries));
  }
  return map;
}

PacketTrace trace_packet(const MachineMap& map, std::uint32_t chip, std::uint32_t key) {
  const Machine& m = map.machine;
  PacketTrace trace;
  struct Visit {
    std::uint32_t chip;
    std::optional<Link> travel;  // none: sent by a core of this chip
  };
  std::vector<Visit> pending{{chip, std::nullopt}};
  // A tree visits each chip at most once; more lookups than chips means the packet loops.
  const std::uint32_t limit = m.chip_count() + 1;
  while (!pending.empty()) {
    const Visit v = pending.back();
    pending.pop_back();
    if (++trace.routers > limit) {
      trace.lost = true;
      break;
    }
    const std::optional<std::uint32_t> route = lookup(map.tables[v.chip], key);
    const std::uint32_t word = route ? *route : v.travel ? link_bit(*v.travel) : 0u;
    for (std::uint32_t core = 0; core < 18; ++core)
      if (word & core_bit(core)) trace.cores.push_back({v.chip, core});
    for (std::uint32_t l = 0; l < kLinks; ++l) {
      if (!(word & link_bit(static_cast<Link>(l)))) continue;
      const auto next = m.neighbour(v.chip, static_cast<Link>(l));
      if (!next) {
        trace.lost = true;
        continue;
      }
      trace.hops.emplace_back(v.chip, static_cast<Link>(l));
      pending.push_back({*next, static_cast<Link>(l)});
    }
  }
  return trace;
}

}  // namespace engram::hw
