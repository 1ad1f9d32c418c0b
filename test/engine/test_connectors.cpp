// Connectors, read back from the compiled synapse tables (engine/runtime.hpp): exact counts,
// slices, per-entry values, distributions, and independence from the partitioning.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "engine/compile.hpp"
#include "test/support.hpp"

namespace engram {
namespace {

// One synapse as compiled: absolute neuron ids, delay in steps.
struct Synapse {
  std::uint32_t pre = 0, post = 0;
  Step delay = 0;
  double weight = 0.0;
  auto operator<=>(const Synapse&) const = default;
};

// The synapses of partition `part` of projection `j`, decoded from the CSR table.
std::vector<Synapse> table_synapses(const Runtime& rt, std::size_t j, std::uint32_t part) {
  const ProjectionRuntime& pr = rt.projections.at(j);
  const SynapseTable& t = pr.tables.at(part);
  REQUIRE(t.offsets.size() == pr.pre_range.size() + 1);
  std::vector<Synapse> out;
  for (std::uint32_t row = 0; row + 1 < t.offsets.size(); ++row)
    for (std::uint64_t k = t.offsets[row]; k < t.offsets[row + 1]; ++k) {
      const std::uint32_t word = t.word(k);
      const Step extra = pr.delay_shift == 32 ? 0 : word >> pr.delay_shift;
      const double w = pr.weight_at(part, k);
      out.push_back({pr.pre_range.begin + row, word & pr.target_mask, pr.min_delay + extra, w});
    }
  return out;
}

std::vector<Synapse> synapses(const Runtime& rt, std::size_t j = 0) {
  std::vector<Synapse> out;
  for (std::uint32_t p = 0; p < rt.partitions; ++p) {
    const auto part = table_synapses(rt, j, p);
    out.insert(out.end(), part.begin(), part.end());
  }
  std::sort(out.begin(), out.end());
  return out;
}

using Pairs = std::multiset<std::pair<std::uint32_t, std::uint32_t>>;
Pairs pairs(const std::vector<Synapse>& s) {
  Pairs out;
  for (const auto& x : s) out.emplace(x.pre, x.post);
  return out;
}

PopulationSpec lif(const std::string& name, std::uint64_t size) {
  PopulationSpec p;
  p.name = name;
  p.size = size;
  p.model = "IF_curr_exp";
  return p;
}

// A network of populations a (n_a) and b (n_b) with one projection.
NetworkSpec network(std::uint64_t n_a, std::uint64_t n_b, const std::string& pre,
                    const std::string& post, Connector connector) {
  NetworkSpec spec;
  spec.seed = 42;
  spec.populations = {lif("a", n_a), lif("b", n_b)};
  ProjectionSpec pr;
  pr.pre = *PopulationSlice::parse(pre);
  pr.post = *PopulationSlice::parse(post);
  pr.connector = std::move(connector);
  pr.synapse.weight = Value::constant(0.5);
  spec.projections = {pr};
  return spec;
}

std::vector<Synapse> compiled(const NetworkSpec& spec, std::uint32_t partitions = 1) {
  CompileOptions options;
  options.partitions = partitions;
  return synapses(*compile(spec, options));
}

// Presynaptic partners per postsynaptic neuron.
std::map<std::uint32_t, std::vector<std::uint32_t>> by_post(const std::vector<Synapse>& s) {
  std::map<std::uint32_t, std::vector<std::uint32_t>> out;
  for (const auto& x : s) out[x.post].push_back(x.pre);
  return out;
}

TEST_CASE("AllToAll connects every pair and omits self-connections when asked", "[connectors]") {
  Pairs all;
  for (std::uint32_t i = 0; i < 7; ++i)
    for (std::uint32_t j = 0; j < 5; ++j) all.emplace(i, j);
  CHECK(pairs(compiled(network(7, 5, "a", "b", AllToAll{}))) == all);

  const auto with_self = compiled(network(6, 1, "a", "a", AllToAll{true}));
  const auto without = compiled(network(6, 1, "a", "a", AllToAll{false}));
  CHECK(with_self.size() == 36);
  REQUIRE(without.size() == 30);
  for (const auto& s : without) CHECK(s.pre != s.post);
  for (const auto& s : with_self) CHECK(s.delay == 1);  // the default delay is dt
}

TEST_CASE("OneToOne connects i to i", "[connectors]") {
  Pairs expected;
  for (std::uint32_t i = 0; i < 8; ++i) expected.emplace(i, i);
  CHECK(pairs(compiled(network(8, 8, "a", "b", OneToOne{}))) == expected);
}

TEST_CASE("FixedNumberPre gives every post neuron exactly n presynaptic partners", "[connectors]") {
  SECTION("distinct partners") {
    const auto s = by_post(compiled(network(50, 40, "a", "b", FixedNumberPre{10})));
    REQUIRE(s.size() == 40);
    for (const auto& [post, pre] : s) {
      CHECK(pre.size() == 10);
      CHECK(std::set<std::uint32_t>(pre.begin(), pre.end()).size() == 10);
      for (auto x : pre) CHECK(x < 50);
    }
  }
  SECTION("without self-connections, up to every other neuron") {
    for (std::uint64_t n : {1, 10, 29}) {
      const auto s = by_post(compiled(network(30, 1, "a", "a", FixedNumberPre{n, false})));
      REQUIRE(s.size() == 30);
      for (const auto& [post, pre] : s) {
        CHECK(pre.size() == n);
        CHECK(std::set<std::uint32_t>(pre.begin(), pre.end()).size() == n);
        CHECK(std::find(pre.begin(), pre.end(), post) == pre.end());
      }
    }
  }
  SECTION("overlapping slices of one population: self means the same neuron") {
    const auto s =
        by_post(compiled(network(30, 1, "a[0:20]", "a[10:30]", FixedNumberPre{19, false})));
    REQUIRE(s.size() == 20);
    for (const auto& [post, pre] : s) {
      CHECK(post >= 10);
      CHECK(pre.size() == 19);
      CHECK(std::set<std::uint32_t>(pre.begin(), pre.end()).size() == 19);
      for (auto x : pre) CHECK(x < 20);
      CHECK(std::find(pre.begin(), pre.end(), post) == pre.end());
    }
  }
  SECTION("with replacement") {
    const auto s = by_post(compiled(network(20, 1, "a", "a", FixedNumberPre{30, false, true})));
    REQUIRE(s.size() == 20);
    for (const auto& [post, pre] : s) {
      CHECK(pre.size() == 30);  // more than the pool: repeats are allowed
      CHECK(std::find(pre.begin(), pre.end(), post) == pre.end());
    }
  }
}

TEST_CASE("FixedProbability connects the expected number of pairs", "[connectors]") {
  const double p = 0.1;
  const auto s = compiled(network(200, 150, "a", "b", FixedProbability{p}));
  const double trials = 200.0 * 150.0;
  CHECK(std::fabs(static_cast<double>(s.size()) - p * trials) <=
        5.0 * std::sqrt(trials * p * (1.0 - p)));
  const Pairs connected = pairs(s);
  const std::set<std::pair<std::uint32_t, std::uint32_t>> distinct(connected.begin(),
                                                                   connected.end());
  CHECK(distinct.size() == connected.size());  // no pair twice

  const auto no_self = compiled(network(200, 1, "a", "a", FixedProbability{p, false}));
  const double candidates = 200.0 * 199.0;
  CHECK(std::fabs(static_cast<double>(no_self.size()) - p * candidates) <=
        5.0 * std::sqrt(candidates * p * (1.0 - p)));
  for (const auto& x : no_self) CHECK(x.pre != x.post);

  CHECK(compiled(network(20, 30, "a", "b", FixedProbability{1.0})).size() == 600);
  CHECK(compiled(network(20, 30, "a", "b", FixedProbability{0.0})).empty());
}

TEST_CASE("FromList makes exactly the listed connections with their own values", "[connectors]") {
  NetworkSpec spec = network(4, 3, "a", "b", FromList{});
  spec.projections[0].synapse.weight = Value::constant(0.75);
  spec.projections[0].synapse.delay = Value::constant(2.0);
  spec.projections[0].connector = FromList{{
      {0, 1, 0.5, 1.0},
      {2, 0, std::nullopt, std::nullopt},
      {2, 0, 0.25, 3.26},  // a second synapse on the same pair, 3.26 ms -> 33 steps
      {3, 2, std::nullopt, 0.1},
      {1, 2, 2.0, std::nullopt},
  }};
  const std::vector<Synapse> expected = {
      {0, 1, 10, 0.5}, {1, 2, 20, 2.0}, {2, 0, 20, 0.75}, {2, 0, 33, 0.25}, {3, 2, 1, 0.75}};
  for (std::uint32_t parts : {1u, 2u, 3u}) {
    CAPTURE(parts);
    CHECK(compiled(spec, parts) == expected);
  }
}

TEST_CASE("Slices connect only within the slices and offset the targets", "[connectors]") {
  Pairs all;
  for (std::uint32_t i = 2; i < 5; ++i)
    for (std::uint32_t j = 1; j < 4; ++j) all.emplace(i, j);
  CHECK(pairs(compiled(network(6, 5, "a[2:5]", "b[1:4]", AllToAll{}))) == all);
  CHECK(pairs(compiled(network(6, 9, "a[2:5]", "b[5:8]", OneToOne{}))) ==
        Pairs{{2, 5}, {3, 6}, {4, 7}});
  CHECK(pairs(compiled(network(6, 9, "a[4]", "b[6:]", AllToAll{}))) ==
        Pairs{{4, 6}, {4, 7}, {4, 8}});

  SECTION("a spike of a sliced pre neuron reaches only its sliced target") {
    NetworkSpec spec = network(1, 9, "a", "b", OneToOne{});
    PopulationSpec source;
    source.name = "a";
    source.size = 6;
    source.model = "SpikeSourceArray";
    source.spike_times = {{}, {}, {}, {1.0}, {}, {}};
    spec.populations[0] = source;
    spec.populations[1].record.variables = {"isyn_exc"};
    spec.projections[0].pre = *PopulationSlice::parse("a[2:5]");
    spec.projections[0].post = *PopulationSlice::parse("b[5:8]");
    spec.duration = 3.0;
    const auto obs = test::simulate(spec);
    const auto& last = obs.samples_by_variable.at(0).back();
    for (std::uint32_t i = 0; i < 9; ++i) CHECK((last[i] > 0.0) == (i == 6));
  }
}

TEST_CASE("Connections do not depend on the partitioning", "[connectors]") {
  // A post population of 37 neurons does not divide evenly into 2 or 3 ranges.
  std::vector<NetworkSpec> specs = {
      network(53, 37, "a", "b", FixedProbability{0.2}),
      network(53, 37, "a", "b", FixedNumberPre{7}),
      network(37, 1, "a[3:30]", "a[5:37]", FixedNumberPre{9, false}),
      network(53, 37, "a", "b[4:33]", AllToAll{}),
  };
  specs[1].projections[0].synapse.weight = Value::uniform(0.1, 0.9);
  specs[1].projections[0].synapse.delay = Value::uniform(0.1, 2.0);
  for (std::size_t k = 0; k < specs.size(); ++k) {
    CAPTURE(k);
    const auto rt1 = compile(specs[k]);
    const auto reference = synapses(*rt1);
    REQUIRE(!reference.empty());
    for (std::uint32_t parts : {2u, 3u}) {
      CAPTURE(parts);
      CompileOptions options;
      options.partitions = parts;
      const auto rt = compile(specs[k], options);
      REQUIRE(rt->projections[0].tables.size() == parts);
      const std::uint64_t post_size = rt->populations[rt->projections[0].post].size;
      for (std::uint32_t p = 0; p < parts; ++p) {
        const Range owned = partition_range(post_size, p, parts);
        for (const auto& s : table_synapses(*rt, 0, p)) {
          CHECK(s.post >= owned.begin);
          CHECK(s.post < owned.end);
        }
      }
      CHECK(synapses(*rt) == reference);
    }
  }
}

TEST_CASE("Weights and delays drawn from distributions stay in bounds and delays are whole steps",
          "[connectors]") {
  NetworkSpec spec = network(100, 80, "a", "b", AllToAll{});
  spec.dt = 0.1;
  spec.projections[0].synapse.weight = Value::uniform(0.1, 0.5);
  spec.projections[0].synapse.delay = Value::uniform(1.0, 5.0);
  const auto rt = compile(spec);
  const ProjectionRuntime& pr = rt->projections[0];
  CHECK(pr.min_delay == 10);
  CHECK(pr.max_delay == 50);
  const auto s = synapses(*rt);
  REQUIRE(s.size() == 8000);
  double sum = 0.0;
  std::set<Step> delays;
  for (const auto& x : s) {
    REQUIRE(x.weight >= static_cast<float>(0.1));
    REQUIRE(x.weight <= static_cast<float>(0.5));
    REQUIRE(x.delay >= 10);
    REQUIRE(x.delay <= 50);
    delays.insert(x.delay);
    sum += x.weight;
  }
  CHECK(delays.size() == 41);  // every step of [10, 50] occurs
  const double sigma = 0.4 / std::sqrt(12.0 * static_cast<double>(s.size()));
  CHECK(std::fabs(sum / static_cast<double>(s.size()) - 0.3) <= 5.0 * sigma);

  SECTION("clipped normal") {
    spec.projections[0].synapse.weight = Value::normal_clipped(0.3, 0.2, 0.2, 0.6);
    spec.projections[0].synapse.delay = Value::constant(1.5);
    const auto rt2 = compile(spec);
    CHECK(rt2->projections[0].delay_shift == 32);  // constant delay: no delay bits
    for (const auto& x : synapses(*rt2)) {
      REQUIRE(x.weight >= static_cast<float>(0.2));
      REQUIRE(x.weight <= static_cast<float>(0.6));
      REQUIRE(x.delay == 15);
    }
  }
}

// A target word is 16 bits when the post index and the delay offset fit (engine/runtime.hpp).
// 5,000 targets take 13 bits; delays of 1 to 8 steps take 3 more, 1 to 9 steps 4.
TEST_CASE(
    "Target words are 16 bits wide when index and delay fit, else 32; both give the "
    "same synapses and the same spikes",
    "[connectors]") {
  const auto spec_with = [](double last_delay) {
    NetworkSpec spec = network(50, 5000, "a", "b", FromList{});
    spec.duration = 50.0;
    spec.populations[0].parameters["i_offset"] = Value::constant(2.0);
    FromList list;
    for (std::uint64_t i = 0; i < 50; ++i)
      for (std::uint64_t k = 0; k < 40; ++k)
        list.connections.push_back({i, (i * 997 + k * 131) % 5000, std::nullopt,
                                    0.1 * static_cast<double>(1 + (i + k) % 8)});
    // Weight 0: it changes no input, only the delay range and so the word width.
    list.connections.push_back({7, 4999, 0.0, last_delay});
    spec.projections[0].connector = list;
    spec.projections[0].synapse.weight = Value::constant(10.0);
    return spec;
  };
  const NetworkSpec narrow = spec_with(0.8), wide = spec_with(0.9);
  for (const std::uint32_t parts : {1u, 2u}) {
    CompileOptions options;
    options.partitions = parts;
    const auto rt_narrow = compile(narrow, options);
    const auto rt_wide = compile(wide, options);
    const ProjectionRuntime& n = rt_narrow->projections[0];
    const ProjectionRuntime& w = rt_wide->projections[0];
    REQUIRE(n.narrow);
    REQUIRE_FALSE(w.narrow);
    for (std::uint32_t p = 0; p < parts; ++p) {
      CHECK(n.tables[p].targets.empty());
      CHECK(w.tables[p].narrow.empty());
    }
    auto from_narrow = synapses(*rt_narrow), from_wide = synapses(*rt_wide);
    REQUIRE(from_narrow.size() == 2001);
    CHECK(std::count_if(from_narrow.begin(), from_narrow.end(),
                        [](const Synapse& x) { return x.delay == 8 && x.post == 4999; }) >= 1);
    // The same synapses but the weightless one, whose delay differs.
    const auto weightless = [](const Synapse& x) { return x.weight == 0.0; };
    CHECK(std::count_if(from_wide.begin(), from_wide.end(),
                        [](const Synapse& x) { return x.weight == 0.0 && x.delay == 9; }) == 1);
    std::erase_if(from_narrow, weightless);
    std::erase_if(from_wide, weightless);
    CHECK(from_narrow == from_wide);
  }
  const auto a = test::simulate(narrow), b = test::simulate(wide);
  REQUIRE(a.spikes_by_population[1].size() > 100);
  CHECK(a.spikes_by_population == b.spikes_by_population);
  CHECK(test::simulate(wide, "threads", 2).spikes_by_population == b.spikes_by_population);
}

// Large synapse tables are written in batches ordered by block of rows (compile.cpp, pass
// 2); batch_writes_above = 0 batches every projection. The tables must not change.
TEST_CASE("Writing the synapse tables in batches gives the same tables", "[connectors]") {
  NetworkSpec spec = network(3000, 2000, "a", "b", FixedNumberPre{60, true, true});
  spec.projections[0].synapse.weight = Value::uniform(0.1, 0.5);
  spec.projections[0].synapse.delay = Value::uniform(0.1, 2.0);
  ProjectionSpec uniform = spec.projections[0];
  uniform.connector = FixedProbability{0.05, true};
  uniform.synapse.weight = Value::constant(0.2);
  uniform.synapse.delay = Value::constant(1.0);
  ProjectionSpec plastic = spec.projections[0];
  plastic.pre = *PopulationSlice::parse("b");
  plastic.post = *PopulationSlice::parse("a[100:2900]");
  plastic.synapse.stdp = StdpSpec{};
  spec.projections.push_back(uniform);
  spec.projections.push_back(plastic);
  for (const std::uint32_t parts : {1u, 3u}) {
    CompileOptions direct, batched;
    direct.partitions = batched.partitions = parts;
    batched.batch_writes_above = 0;
    const auto a = compile(spec, direct), b = compile(spec, batched);
    for (std::size_t j = 0; j < spec.projections.size(); ++j)
      for (std::uint32_t p = 0; p < parts; ++p) {
        CAPTURE(parts, j, p);
        const SynapseTable& x = a->projections[j].tables[p];
        const SynapseTable& y = b->projections[j].tables[p];
        REQUIRE(x.size() > 0);
        CHECK(x.offsets == y.offsets);
        CHECK(x.narrow == y.narrow);
        CHECK(x.targets == y.targets);
        CHECK(x.weights == y.weights);
        CHECK(x.plastic == y.plastic);
      }
  }
}

// Regression: validate() once checked the 32-bit synapse word, and estimate_memory() once
// sized the input rings, from the synapse's default delay only, while compile() also takes
// FromList delays and sizes each ring for its longest delay.
TEST_CASE("Validation and the memory estimate see the delays that compile() uses", "[connectors]") {
  SECTION("FromList delays that do not fit beside the target index are refused") {
    // 999999 steps need 20 bits, 5000 targets 13: one more than the word has. Never compile
    // this network: its input ring alone would take about 84 GB.
    NetworkSpec spec = network(1, 5000, "a", "b", FromList{});
    spec.projections[0].connector = FromList{{{0, 4999, 0.5, 0.1}, {0, 0, 0.5, 100000.0}}};
    CHECK(!validate(spec).empty());
  }
  auto covers_ring = [](const NetworkSpec& spec) {
    const auto rt = compile(spec);
    const std::uint64_t ring_bytes = rt->populations[1].ring.data.size() * sizeof(double);
    CAPTURE(ring_bytes, estimate_memory(spec));
    REQUIRE(ring_bytes >= 1000u * 2 * 100 * sizeof(double));  // 1,000 slots or more
    CHECK(estimate_memory(spec) >= ring_bytes);
  };
  SECTION("the memory estimate covers the ring of a FromList delay") {
    NetworkSpec spec = network(1, 100, "a", "b", FromList{});
    spec.projections[0].connector = FromList{{{0, 7, 0.5, 100.0}}};  // 1000 steps
    covers_ring(spec);
  }
  SECTION("the memory estimate covers the ring of a long constant delay") {
    NetworkSpec spec = network(1, 100, "a", "b", AllToAll{});
    spec.projections[0].synapse.delay = Value::constant(100.0);
    covers_ring(spec);
  }
  SECTION("the memory estimate covers the buffers that write large tables in batches") {
    // 40 M synapses are estimated at 320 MB, over the 256 MB above which compile() batches
    // its writes through two buffers of 8 entries per row (8 M here) of 24 bytes; 20 M
    // synapses are not.
    // Never compile these networks: estimate_memory only reads the description.
    const auto estimate = [](std::uint64_t n) {
      return estimate_memory(network(1000000, 40000, "a", "b", FixedNumberPre{n}));
    };
    const std::uint64_t synapses = 20'000'000 * 8;
    CHECK(estimate(1000) - estimate(500) >= synapses + 2 * 24 * 8 * 1'000'000);
  }
}

}  // namespace
}  // namespace engram
