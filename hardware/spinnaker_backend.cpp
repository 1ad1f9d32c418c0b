// The `spinnaker` backend (spinnaker_backend.hpp): every core's synaptic matrix and master
// population table, the packet fabric, reception in serial's order, counters and costs.
#include "hardware/spinnaker_backend.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "engine/compile.hpp"
#include "engine/error.hpp"
#include "engine/step.hpp"

namespace engram::hw {

namespace {

// A synaptic word, laid out like sPyNNaker's: [weight:16 | delay:D | receptor:1 | index:I]
// with I the bits of the slice's largest neuron index and D = 15 - I (7 bits for 256
// neurons per core: delays up to 127 ticks).
struct WordFormat {
  std::uint32_t index_bits = 8, delay_bits = 7;
  std::uint32_t max_delay() const { return (1u << delay_bits) - 1; }
  std::uint32_t pack(std::uint32_t weight, std::uint32_t delay, Receptor r,
                     std::uint32_t index) const {
    return weight << 16 | delay << (index_bits + 1) | static_cast<std::uint32_t>(r) << index_bits |
           index;
  }
  std::uint32_t index(std::uint32_t w) const { return w & ((1u << index_bits) - 1); }
  Receptor receptor(std::uint32_t w) const { return static_cast<Receptor>((w >> index_bits) & 1u); }
  std::uint32_t delay(std::uint32_t w) const { return (w >> (index_bits + 1)) & max_delay(); }
  static std::uint32_t weight(std::uint32_t w) { return w >> 16; }
};

constexpr std::uint32_t kMaxIndexBits = 14;  // leaves at least one delay bit

// s16.15 fixed point: multiples of 2^-15 in [-65536, 65536).
constexpr double kFixedStep = 1.0 / 32768.0;
constexpr double kFixedMax = 65536.0 - kFixedStep;
double to_fixed(double x) {
  if (std::isnan(x)) return x;
  return std::clamp(std::nearbyint(x * 32768.0) * kFixedStep, -65536.0, kFixedMax);
}

// A projection's 16-bit weights: w ≈ q · scale, scale the smallest power of two with which
// the largest weight fits.
struct WeightScale {
  double scale = 1.0;
  std::uint32_t quantise(double w) const {
    return static_cast<std::uint32_t>(std::min(65535.0, std::nearbyint(w / scale)));
  }
};
WeightScale scale_for(double max_weight) {
  if (!(max_weight > 0.0)) return {};
  int e = static_cast<int>(std::ceil(std::log2(max_weight / 65535.0)));
  while (std::nearbyint(max_weight / std::ldexp(1.0, e)) > 65535.0) ++e;
  return {std::ldexp(1.0, e)};
}

double largest_weight(const ProjectionRuntime& pr) {
  const SynapseTable& t = pr.tables[0];
  double w = pr.uniform_weight ? pr.weight : 0.0;
  for (const float x : t.weights) w = std::max<double>(w, x);
  for (const double x : t.plastic) w = std::max(w, x);
  if (pr.stdp)
    w = std::max(
        w, pr.stdp->one_shot ? pr.stdp->learned_weight : pr.stdp->spec.weight_dependence.w_max);
  return w;
}

double cycles_per_neuron(const ModelInfo& model) {
  const std::string_view name = model.name;
  if (model.is_source) return kCyclesPerSourceNeuron;
  if (name.starts_with("Izhikevich")) return kCyclesPerIzhikevich;
  if (name.starts_with("EIF")) return kCyclesPerAdex;
  return model.conductance_based ? kCyclesPerConductanceLif : kCyclesPerCurrentLif;
}

// The rows of one projection from one source slice to one core.
struct Block {
  std::uint32_t source_slice = 0;
  std::uint32_t projection = 0;
  std::uint32_t first_row = 0, rows = 0;  // presynaptic ids [first_row, first_row + rows)
  std::uint64_t offsets = 0;              // index of row 0's offset in Core::row_offsets
  std::uint64_t values = 0;               // index of the first synapse's exact or plastic weight
  std::uint64_t traces = 0;               // plastic: index of row 0's presynaptic trace
  bool plastic = false, uniform = false;
  float weight = 0.0f;  // uniform static weight
  double scale = 1.0;   // of the 16-bit weights
};

// An entry of the master population table: the key space of one source slice.
struct TableEntry {
  std::uint32_t key = 0, mask = 0;
  std::uint32_t population = 0, first = 0;  // of the source slice
  std::uint32_t block_begin = 0, block_end = 0;
};

struct Received {
  std::uint32_t population = 0, id = 0, entry = 0;
  auto operator<=>(const Received&) const = default;
};

struct Core {
  std::uint32_t slice = 0, population = 0, router = 0;
  Range range;
  WordFormat format;
  double neuron_cycles = 0.0;
  bool sends = false;             // its neurons have targets: its slice has a key to send with
  std::vector<TableEntry> table;  // sorted by key
  std::vector<Block> blocks;
  std::vector<std::uint32_t> row_offsets;
  std::vector<std::uint32_t> words;
  std::vector<float> exact;        // float mode: the engine's weight of non-uniform static rows
  std::vector<double> plastic;     // plastic weights
  std::vector<std::uint64_t> csr;  // plastic: the synapse's index in the engine's table
  std::vector<Step> last_pre;      // plastic: per source neuron, as the engine keeps them
  std::vector<double> pre_trace;
  std::vector<std::uint32_t> inbox;  // keys received this tick
  std::vector<Received> items;
  std::uint32_t sent = 0;                               // this tick
  std::uint64_t static_events = 0, plastic_events = 0;  // this tick
};

const std::vector<RoutingEntry> kNoTable;  // a chip the map gave no table

constexpr std::uint8_t kFromCore = kLinks;  // a packet injected by a local core

struct Packet {
  std::uint32_t key = 0;
  std::uint8_t from = kFromCore;  // the link it entered by
  std::uint32_t waited = 0;       // ticks spent waiting
};

// A first-in first-out queue that keeps its storage across ticks.
struct Fifo {
  std::vector<Packet> items;
  std::size_t head = 0;
  bool empty() const { return head == items.size(); }
  void push(Packet p) { items.push_back(p); }
  Packet pop() { return items[head++]; }
};

struct Router {
  std::uint32_t chip = 0;
  const std::vector<RoutingEntry>* table = nullptr;
  std::array<std::int64_t, kLinks> neighbour{};  // router index, -1: no link
  Fifo in;
  std::array<Fifo, kLinks> out;
  std::uint64_t handled = 0;                    // this tick
  std::array<std::uint64_t, kLinks> carried{};  // this tick
};

}  // namespace

std::uint32_t link_capacity_per_tick(const MachineSpec& spec, double dt) {
  if (spec.link_capacity) return spec.link_capacity;
  return std::max(1u, static_cast<std::uint32_t>(kLinkPacketsPerSecond * dt * 1e-3));
}

std::uint32_t router_capacity_per_tick(const MachineSpec& spec, double dt) {
  if (spec.router_capacity) return spec.router_capacity;
  return std::max(1u, static_cast<std::uint32_t>(kRouterPacketsPerSecond * dt * 1e-3));
}

double SpinnakerStats::time_scale_factor() const {
  double most = 0.0;
  for (const auto& c : cores) most = std::max(most, c.cycles_max);
  return cycle_budget > 0.0 ? most / cycle_budget : 0.0;
}

namespace {
template <class T, class F>
std::uint64_t sum_of(const std::vector<T>& v, F f) {
  std::uint64_t n = 0;
  for (const auto& x : v) n += f(x);
  return n;
}
}  // namespace

std::uint64_t SpinnakerStats::packets_sent() const {
  return sum_of(cores, [](const CoreCounters& c) { return c.packets_sent; });
}
std::uint64_t SpinnakerStats::packets_received() const {
  return sum_of(cores, [](const CoreCounters& c) { return c.packets_received; });
}
std::uint64_t SpinnakerStats::synaptic_events() const {
  return sum_of(cores, [](const CoreCounters& c) { return c.synaptic_events; });
}
std::uint64_t SpinnakerStats::overrun_ticks() const {
  return sum_of(cores, [](const CoreCounters& c) { return c.overrun_ticks; });
}
std::uint64_t SpinnakerStats::overrun_cores() const {
  return sum_of(cores, [](const CoreCounters& c) { return c.overrun_ticks > 0 ? 1 : 0; });
}
std::uint64_t SpinnakerStats::routed() const {
  return sum_of(routers, [](const RouterCounters& r) { return r.routed; });
}
std::uint64_t SpinnakerStats::default_routed() const {
  return sum_of(routers, [](const RouterCounters& r) { return r.default_routed; });
}
std::uint64_t SpinnakerStats::dropped() const {
  return sum_of(routers, [](const RouterCounters& r) { return r.dropped; });
}
std::uint64_t SpinnakerStats::late() const {
  return sum_of(routers, [](const RouterCounters& r) { return r.late; });
}

struct SpinnakerBackend::Impl {
  Runtime& rt;
  MachineMap map;
  bool fixed = false;
  std::vector<Core> cores;  // by slice
  std::vector<Router> routers;
  std::vector<std::int64_t> core_at;  // [chip * cores_per_chip + core] -> slice, -1: idle
  // [target population][source population]: projections between them, in outgoing order.
  std::vector<std::vector<std::vector<std::uint32_t>>> incoming;
  std::vector<std::vector<std::uint32_t>> spikes;  // per population, this tick
  std::vector<std::uint32_t> counts;
  std::vector<std::vector<double>> samples;
  SpinnakerStats stats;

  Impl(Runtime& runtime, MachineMap m) : rt(runtime), map(std::move(m)) {
    const MachineSpec& spec = map.machine.spec();
    fixed = spec.arithmetic == Arithmetic::fixed_point;
    stats.cycle_budget = spec.clock_hz * rt.dt * 1e-3;
    stats.link_capacity = link_capacity_per_tick(spec, rt.dt);
    stats.router_capacity = router_capacity_per_tick(spec, rt.dt);
    stats.max_wait_ticks = spec.max_wait_ticks;
    build_cores();
    build_synapses();
    build_routers();
    const auto n_pops = rt.populations.size();
    incoming.assign(n_pops, std::vector<std::vector<std::uint32_t>>(n_pops));
    for (std::uint32_t p = 0; p < n_pops; ++p)
      for (std::uint32_t j : rt.outgoing[p]) incoming[rt.projections[j].post][p].push_back(j);
    for (const auto& p : rt.populations) spikes.emplace_back(p.size);
    counts.assign(n_pops, 0);
    for (const auto& r : rt.recordings) samples.emplace_back(r.neurons.size());
  }

  void build_cores() {
    const MachineSpec& spec = map.machine.spec();
    core_at.assign(static_cast<std::size_t>(spec.width) * spec.height * spec.cores_per_chip, -1);
    cores.resize(map.slices.size());
    for (std::uint32_t s = 0; s < map.slices.size(); ++s) {
      const Slice& slice = map.slices[s];
      Core& c = cores[s];
      c.slice = s;
      c.population = slice.population;
      c.range = {slice.first, slice.first + slice.size};
      const PopulationRuntime& pop = rt.populations[slice.population];
      if (slice.size > (1u << kMaxIndexBits))
        throw InputError("", fmt::format("population \"{}\": a slice of {} neurons is more than "
                                         "a synaptic word can index ({}); use fewer neurons per "
                                         "core (--neurons-per-core {}=256)",
                                         pop.name, slice.size, 1u << kMaxIndexBits, pop.name));
      c.format.index_bits =
          std::max(1u, static_cast<std::uint32_t>(std::bit_width(std::max(1u, slice.size) - 1)));
      c.format.delay_bits = 15 - c.format.index_bits;
      c.neuron_cycles = cycles_per_neuron(*pop.model);
      stats.cores.push_back({slice.core, s});
      core_at[static_cast<std::size_t>(slice.core.chip) * spec.cores_per_chip + slice.core.core] =
          s;
    }
  }

  // Splits every projection's rows by target core, keeping the engine's order within each
  // row, and files them under the source slice in each core's master population table.
  void build_synapses() {
    std::vector<std::vector<std::uint32_t>> slice_of(rt.populations.size());
    for (std::uint32_t p = 0; p < rt.populations.size(); ++p) {
      slice_of[p].resize(rt.populations[p].size);
      for (std::uint32_t s : map.population_slices[p])
        std::fill_n(slice_of[p].begin() + map.slices[s].first, map.slices[s].size, s);
    }
    for (std::uint32_t j = 0; j < rt.projections.size(); ++j) {
      ProjectionRuntime& pr = rt.projections[j];
      const SynapseTable& table = pr.tables[0];
      const WeightScale scale = scale_for(largest_weight(pr));
      const auto& targets = map.population_slices[pr.post];
      for (std::uint32_t src : map.population_slices[pr.pre]) {
        const Slice& source = map.slices[src];
        const std::uint32_t lo = std::max(source.first, pr.pre_range.begin);
        const std::uint32_t hi = std::min(source.first + source.size, pr.pre_range.end);
        if (lo >= hi) continue;
        for (std::uint32_t tgt : targets) {
          Core& c = cores[tgt];
          Block b;
          b.source_slice = src;
          b.projection = j;
          b.first_row = lo;
          b.rows = hi - lo;
          b.offsets = c.row_offsets.size();
          b.values = pr.stdp ? c.plastic.size() : c.exact.size();
          b.traces = c.last_pre.size();
          b.plastic = pr.stdp != nullptr;
          b.uniform = pr.uniform_weight;
          b.weight = pr.weight;
          b.scale = scale.scale;
          c.blocks.push_back(b);
          c.row_offsets.push_back(static_cast<std::uint32_t>(c.words.size()));
        }
        for (std::uint32_t i = lo; i < hi; ++i) {
          const std::uint32_t row = i - pr.pre_range.begin;
          for (std::uint64_t k = table.offsets[row]; k < table.offsets[row + 1]; ++k) {
            const std::uint32_t word = table.word(k);
            const std::uint32_t target = word & pr.target_mask;
            const Step d = pr.min_delay + (pr.delay_shift == 32 ? 0 : (word >> pr.delay_shift));
            Core& c = cores[slice_of[pr.post][target]];
            if (d > c.format.max_delay())
              throw InputError(
                  "", fmt::format("projection \"{}\": a delay of {} steps does not fit the {}-bit "
                                  "delay field of a synaptic word of a core holding {} neurons "
                                  "(at most {} steps); use fewer neurons per core",
                                  pr.label, d, c.format.delay_bits, c.range.size(),
                                  c.format.max_delay()));
            const double w = pr.weight_at(0, k);
            c.words.push_back(c.format.pack(scale.quantise(w), static_cast<std::uint32_t>(d),
                                            pr.receptor, target - c.range.begin));
            if (pr.stdp) {
              c.plastic.push_back(fixed ? quantised(w, scale.scale) : w);
              c.csr.push_back(k);
            } else if (!pr.uniform_weight) {
              c.exact.push_back(table.weights[k]);
            }
          }
          for (std::uint32_t tgt : targets)
            cores[tgt].row_offsets.push_back(static_cast<std::uint32_t>(cores[tgt].words.size()));
        }
        for (std::uint32_t tgt : targets) {
          Core& c = cores[tgt];
          const Block& b = c.blocks.back();
          if (c.row_offsets[b.offsets] == c.words.size()) {  // no synapse: no rows kept
            c.row_offsets.resize(b.offsets);
            c.blocks.pop_back();
            continue;
          }
          cores[src].sends = true;
          if (!b.plastic) continue;
          for (std::uint32_t i = lo; i < hi; ++i) {
            c.last_pre.push_back(pr.stdp->pre_step[0][i - pr.pre_range.begin]);
            c.pre_trace.push_back(pr.stdp->pre_trace[0][i - pr.pre_range.begin]);
          }
        }
      }
    }
    for (Core& c : cores) {
      std::stable_sort(c.blocks.begin(), c.blocks.end(), [](const Block& a, const Block& b) {
        return a.source_slice < b.source_slice;
      });
      for (std::uint32_t b = 0; b < c.blocks.size();) {
        const Slice& source = map.slices[c.blocks[b].source_slice];
        TableEntry e{source.key, source.mask, source.population, source.first, b, b};
        while (b < c.blocks.size() &&
               c.blocks[b].source_slice == c.blocks[e.block_begin].source_slice)
          ++b;
        e.block_end = b;
        c.table.push_back(e);
      }
      std::sort(c.table.begin(), c.table.end(),
                [](const TableEntry& a, const TableEntry& b) { return a.key < b.key; });
    }
  }

  static double quantised(double w, double scale) {
    return std::min(65535.0, std::nearbyint(w / scale)) * scale;
  }

  void build_routers() {
    const Machine& machine = map.machine;
    const MachineSpec& spec = machine.spec();
    std::vector<std::int64_t> router_of(static_cast<std::size_t>(spec.width) * spec.height, -1);
    for (std::uint32_t chip = 0; chip < router_of.size(); ++chip) {
      if (!machine.exists(chip)) continue;
      router_of[chip] = static_cast<std::int64_t>(routers.size());
      Router r;
      r.chip = chip;
      r.table = chip < map.tables.size() ? &map.tables[chip] : &kNoTable;
      routers.push_back(std::move(r));
      stats.routers.push_back({chip});
    }
    for (Router& r : routers)
      for (std::uint32_t l = 0; l < kLinks; ++l) {
        const auto n = machine.neighbour(r.chip, static_cast<Link>(l));
        r.neighbour[l] = n ? router_of[*n] : -1;
      }
    for (Core& c : cores)
      c.router = static_cast<std::uint32_t>(router_of[map.slices[c.slice].core.chip]);
  }

  // --- One tick --------------------------------------------------------------------------

  void send(std::uint32_t r, Link l, Packet p) {
    if (routers[r].neighbour[l] < 0) {
      ++stats.routers[r].dropped;
      return;
    }
    routers[r].out[l].push(p);
  }

  void route(std::uint32_t r, Packet p) {
    Router& router = routers[r];
    RouterCounters& counters = stats.routers[r];
    const auto word = lookup(*router.table, p.key);
    if (!word) {
      if (p.from == kFromCore) {
        ++counters.dropped;
        return;
      }
      ++counters.default_routed;
      send(r, opposite(static_cast<Link>(p.from)), p);
      return;
    }
    ++counters.routed;
    for (std::uint32_t l = 0; l < kLinks; ++l)
      if (*word & link_bit(static_cast<Link>(l))) send(r, static_cast<Link>(l), p);
    const std::uint32_t per_chip = map.machine.spec().cores_per_chip;
    for (std::uint32_t bits = *word >> kLinks; bits; bits &= bits - 1) {
      const auto core = static_cast<std::uint32_t>(std::countr_zero(bits));
      const std::int64_t s =
          core < per_chip ? core_at[static_cast<std::size_t>(router.chip) * per_chip + core] : -1;
      if (s < 0) {
        ++counters.dropped;
        continue;
      }
      cores[s].inbox.push_back(p.key);
      ++stats.cores[s].packets_received;
      if (p.waited) ++counters.late;
    }
  }

  // Moves packets until every router and link has used its capacity or has nothing left;
  // packets still queued then wait a tick, or are dropped once they have waited too long.
  void run_fabric() {
    const std::uint64_t router_cap = stats.router_capacity, link_cap = stats.link_capacity;
    for (Router& r : routers) {
      r.handled = 0;
      r.carried.fill(0);
    }
    for (bool moved = true; moved;) {
      moved = false;
      for (std::uint32_t i = 0; i < routers.size(); ++i) {
        Router& r = routers[i];
        while (!r.in.empty() && r.handled < router_cap) {
          ++r.handled;
          route(i, r.in.pop());
          moved = true;
        }
        for (std::uint32_t l = 0; l < kLinks; ++l) {
          Fifo& out = r.out[l];
          while (!out.empty() && r.carried[l] < link_cap) {
            const Packet p = out.pop();
            ++r.carried[l];
            routers[r.neighbour[l]].in.push(
                {p.key, static_cast<std::uint8_t>(opposite(static_cast<Link>(l))), p.waited});
            moved = true;
          }
        }
      }
    }
    for (std::uint32_t i = 0; i < routers.size(); ++i) {
      Router& r = routers[i];
      RouterCounters& counters = stats.routers[i];
      counters.max_per_tick = std::max(counters.max_per_tick, r.handled);
      auto age = [&](Fifo& f) {
        std::size_t kept = 0;
        for (std::size_t k = f.head; k < f.items.size(); ++k) {
          Packet p = f.items[k];
          if (++p.waited > stats.max_wait_ticks) {
            ++counters.dropped;
            continue;
          }
          f.items[kept++] = p;
        }
        f.items.resize(kept);
        f.head = 0;
      };
      age(r.in);
      for (Fifo& f : r.out) age(f);
    }
  }

  // Adds the rows of the packets core `c` received this tick to its ring buffers, in the
  // order serial delivers them: source population, projection (outgoing order), neuron id,
  // synapse.
  void receive(Core& c, Step t) {
    c.static_events = c.plastic_events = 0;
    c.items.clear();
    CoreCounters& counters = stats.cores[c.slice];
    for (const std::uint32_t key : c.inbox) {
      auto it = std::upper_bound(c.table.begin(), c.table.end(), key,
                                 [](std::uint32_t k, const TableEntry& e) { return k < e.key; });
      if (it == c.table.begin() || (key & std::prev(it)->mask) != std::prev(it)->key) {
        ++counters.table_misses;
        continue;
      }
      const TableEntry& e = *std::prev(it);
      c.items.push_back({e.population, e.first + (key & ~e.mask),
                         static_cast<std::uint32_t>(std::prev(it) - c.table.begin())});
    }
    c.inbox.clear();
    std::sort(c.items.begin(), c.items.end());
    for (std::size_t g = 0; g < c.items.size();) {
      const std::uint32_t pop = c.items[g].population;
      std::size_t end = g;
      while (end < c.items.size() && c.items[end].population == pop) ++end;
      for (const std::uint32_t j : incoming[c.population][pop])
        for (std::size_t i = g; i < end; ++i) {
          const TableEntry& e = c.table[c.items[i].entry];
          for (std::uint32_t b = e.block_begin; b < e.block_end; ++b) {
            const Block& block = c.blocks[b];
            if (block.projection != j) continue;
            const std::uint32_t id = c.items[i].id;
            if (id < block.first_row || id >= block.first_row + block.rows) continue;
            if (block.plastic)
              plastic_row(c, block, id - block.first_row, t);
            else
              static_row(c, block, id - block.first_row, t);
          }
        }
      g = end;
    }
    counters.synaptic_events += c.static_events + c.plastic_events;
  }

  void add(Core& c, std::uint32_t word, double w, Step t) {
    double& cell = rt.populations[c.population].ring.at(
        t + c.format.delay(word), c.format.receptor(word))[c.range.begin + c.format.index(word)];
    cell += w;
    if (fixed && (cell > kFixedMax || cell < -65536.0)) {
      cell = std::clamp(cell, -65536.0, kFixedMax);
      ++stats.cores[c.slice].saturations;
    }
  }

  void static_row(Core& c, const Block& b, std::uint32_t row, Step t) {
    const std::uint32_t begin = c.row_offsets[b.offsets + row];
    const std::uint32_t end = c.row_offsets[b.offsets + row + 1];
    const std::uint32_t first = c.row_offsets[b.offsets];
    c.static_events += end - begin;
    for (std::uint32_t k = begin; k < end; ++k) {
      const std::uint32_t word = c.words[k];
      const double w = fixed       ? WordFormat::weight(word) * b.scale
                       : b.uniform ? static_cast<double>(b.weight)
                                   : static_cast<double>(c.exact[b.values + (k - first)]);
      add(c, word, w, t);
    }
  }

  // As deliver() in engine/step.hpp, with the row's weights and the presynaptic trace kept
  // by this core.
  void plastic_row(Core& c, const Block& b, std::uint32_t row, Step t) {
    const ProjectionRuntime& pr = rt.projections[b.projection];
    StdpRuntime& s = *pr.stdp;
    const std::uint32_t begin = c.row_offsets[b.offsets + row];
    const std::uint32_t end = c.row_offsets[b.offsets + row + 1];
    const std::uint32_t first = c.row_offsets[b.offsets];
    c.plastic_events += end - begin;
    Step& last = c.last_pre[b.traces + row];
    double& trace = c.pre_trace[b.traces + row];
    const Step last_pre = last;
    const double r_last = trace;
    for (std::uint32_t k = begin; k < end; ++k) {
      const std::uint32_t word = c.words[k];
      const Step d = c.format.delay(word);
      const std::uint32_t target = c.range.begin + c.format.index(word);
      double& weight = c.plastic[b.values + (k - first)];
      double w = s.one_shot
                     ? one_shot_update(s, weight, target, d, last_pre, s.overflows[0])
                     : stdp_update(s, weight, target, t, d, last_pre, r_last, s.overflows[0]);
      if (fixed) w = quantised(w, b.scale);
      weight = w;
      add(c, word, w, t);
    }
    if (!s.one_shot)
      trace =
          r_last * std::exp(-static_cast<double>(t - last_pre) * s.dt / s.spec.timing.tau_plus) +
          1.0;
    last = t;
  }

  void round_state(const Core& c) {
    PopulationRuntime& p = rt.populations[c.population];
    if (p.model->is_source) return;
    for (const StateSpec& state : p.model->state) {
      std::span<double> column = p.group->column(state.name);
      if (column.empty()) continue;
      for (std::uint32_t i = c.range.begin; i < c.range.end; ++i) column[i] = to_fixed(column[i]);
    }
  }

  // The engine's plastic weights follow the cores' rows, so the runtime stays the state of
  // the network between runs.
  void write_back_weights() {
    for (const Core& c : cores)
      for (const Block& b : c.blocks) {
        if (!b.plastic) continue;
        const std::uint32_t first = c.row_offsets[b.offsets];
        const std::uint32_t n = c.row_offsets[b.offsets + b.rows] - first;
        auto& weights = rt.projections[b.projection].tables[0].plastic;
        for (std::uint32_t k = 0; k < n; ++k)
          weights[c.csr[b.values + k]] = c.plastic[b.values + k];
      }
  }
};

SpinnakerBackend::SpinnakerBackend(std::unique_ptr<Runtime> runtime, MachineMap map)
    : Backend(std::move(runtime)), impl_(std::make_unique<Impl>(*runtime_, std::move(map))) {}

SpinnakerBackend::~SpinnakerBackend() = default;

const SpinnakerStats& SpinnakerBackend::stats() const {
  return impl_->stats;
}
const MachineMap& SpinnakerBackend::map() const {
  return impl_->map;
}

void SpinnakerBackend::run(Step steps) {
  Impl& m = *impl_;
  Runtime& rt = *runtime_;
  const auto n_pops = static_cast<std::uint32_t>(rt.populations.size());
  for (Step end = now_ + steps; now_ < end; ++now_) {
    const Step t = now_;
    std::fill(m.counts.begin(), m.counts.end(), 0u);
    for (Core& c : m.cores) {
      std::uint32_t* ids = m.spikes[c.population].data() + m.counts[c.population];
      const std::uint32_t n = update_population(rt, c.population, t, c.range, ids);
      if (m.fixed) m.round_state(c);
      record_post_spikes(rt, c.population, t, {ids, n});
      m.counts[c.population] += n;
      c.sent = c.sends ? n : 0;
      if (!c.sends) continue;
      const Slice& slice = m.map.slices[c.slice];
      for (std::uint32_t i = 0; i < n; ++i)
        m.routers[c.router].in.push({slice.key | (ids[i] - slice.first), kFromCore, 0});
      m.stats.cores[c.slice].packets_sent += n;
    }
    m.run_fabric();
    for (Core& c : m.cores) {
      const std::uint64_t received = c.inbox.size();
      m.receive(c, t);
      CoreCounters& counters = m.stats.cores[c.slice];
      counters.neuron_updates += c.range.size();
      const double work = kCyclesPerTick + c.range.size() * c.neuron_cycles +
                          c.sent * kCyclesPerPacketSent + received * kCyclesPerPacketReceived +
                          c.static_events * kCyclesPerStaticEvent +
                          c.plastic_events * kCyclesPerPlasticEvent;
      counters.cycles_total += work;
      counters.cycles_max = std::max(counters.cycles_max, work);
      if (work > m.stats.cycle_budget) ++counters.overrun_ticks;
    }
    ++m.stats.ticks;
    for (std::uint32_t p = 0; p < n_pops; ++p)
      report_spikes(t, p, {m.spikes[p].data(), m.counts[p]});
    for (std::uint32_t v = 0; v < rt.recordings.size(); ++v) {
      const RecordingRuntime& rec = rt.recordings[v];
      if (t % rec.interval != 0) continue;
      for (std::uint32_t s : m.map.population_slices[rec.population])
        sample(rt, rec, m.cores[s].range, m.samples[v].data());
      report_samples(t, v, m.samples[v]);
    }
  }
  m.write_back_weights();
  report_advanced();
}

std::unique_ptr<SpinnakerBackend> make_spinnaker_backend(const NetworkSpec& spec,
                                                         const MachineSpec& machine) {
  std::unique_ptr<Runtime> runtime = compile(spec);
  MachineMap map = map_network(*runtime, machine);
  return std::make_unique<SpinnakerBackend>(std::move(runtime), std::move(map));
}

}  // namespace engram::hw
