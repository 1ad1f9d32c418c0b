// The CA3 memory against the authors' SpiNNaker recording of experiment 1
// (test/data/ca3_cam/exp1_trace.tsv, a copy of shared/data/ca3_cam/exp1_trace.tsv) and
// against the behaviour shared/models/ca3_cam.md specifies.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/error.hpp"
#include "models/ca3_cam/ca3_cam.hpp"
#include "test/support.hpp"

namespace {

using namespace engram;
using namespace engram::models::ca3;

const std::string kSource = ENGRAM_SOURCE_DIR;

// (column name, ms) -> neuron ids, for every cell of a trace table.
using Cells = std::map<std::pair<std::string, Step>, std::set<std::uint32_t>>;

Cells read_trace(const std::string& path, std::vector<std::string>& columns, Step& rows) {
  std::ifstream in(path);
  REQUIRE(in);
  Cells cells;
  std::string line;
  rows = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields;
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, '\t')) fields.push_back(field);
    if (fields[0] == "t") {
      columns.assign(fields.begin() + 1, fields.end());
      continue;
    }
    const Step t = std::stol(fields[0]);
    rows = std::max(rows, t + 1);
    for (std::size_t c = 1; c < fields.size(); ++c) {
      auto& cell = cells[{columns[c - 1], t}];
      if (fields[c] == "-") continue;
      std::stringstream ids(fields[c]);
      std::string id;
      while (std::getline(ids, id, ',')) cell.insert(static_cast<std::uint32_t>(std::stoul(id)));
    }
  }
  return cells;
}

// The simulated spikes in the trace's columns: input and output split into cue and content.
Cells simulated_cells(const test::MemoryObserver& run, std::uint32_t cue_size,
                      const std::vector<std::string>& columns, Step rows) {
  Cells cells;
  for (const auto& column : columns)
    for (Step t = 0; t < rows; ++t) cells[{column, t}];
  for (std::size_t p = 0; p < run.plan.population_names.size(); ++p) {
    const std::string& name = run.plan.population_names[p];
    for (const auto& [step, id] : run.spikes_by_population[p]) {
      if (step >= rows) continue;
      if (name == "input" || name == "output")
        cells[{name + (id < cue_size ? "_cue" : "_content"), step}].insert(
            id < cue_size ? id : id - cue_size);
      else
        cells[{name, step}].insert(id);
    }
  }
  return cells;
}

std::string show(const std::set<std::uint32_t>& ids) {
  std::string s;
  for (auto id : ids) s += (s.empty() ? "" : ",") + std::to_string(id);
  return s.empty() ? "-" : s;
}

Experiment experiment1() {
  return load_experiment(kSource + "/examples/ca3_cam/experiment1.json");
}

}  // namespace

TEST_CASE("experiment 1 reproduces the SpiNNaker recording cell for cell", "[ca3]") {
  std::vector<std::string> columns;
  Step rows = 0;
  const Cells recorded = read_trace(kSource + "/test/data/ca3_cam/exp1_trace.tsv", columns, rows);
  REQUIRE(rows == 90);
  REQUIRE(columns.size() == 12);
  const Experiment e = experiment1();
  const NetworkSpec spec = build_network(e);
  for (const char* backend : {"serial", "threads"}) {
    for (unsigned threads : {1u, 2u, 3u}) {
      if (std::string(backend) == "serial" && threads > 1) continue;
      INFO(backend << " with " << threads << " threads");
      const auto run = test::simulate(spec, backend, threads);
      const Cells simulated = simulated_cells(run, e.cue_size, columns, rows);
      int differing = 0;
      for (const auto& [key, ids] : recorded) {
        const auto& mine = simulated.at(key);
        if (mine != ids) {
          ++differing;
          UNSCOPED_INFO(key.first << " at " << key.second << " ms: recorded " << show(ids)
                                  << ", simulated " << show(mine));
        }
      }
      CHECK(differing == 0);
    }
  }
}

TEST_CASE("experiment 1 answers every recall as the paper reports", "[ca3]") {
  const Experiment e = experiment1();
  const auto run = test::simulate(build_network(e));
  const auto results = decode(e, run.of("output"));
  REQUIRE(results.size() == 5);
  CHECK(results[0].content == std::vector<std::uint32_t>{0, 1, 8, 9});  // recall cue 0
  CHECK(results[1].cues == std::vector<std::uint32_t>{3, 4});           // content {6}
  CHECK(results[2].cues == std::vector<std::uint32_t>{0, 3});           // content {0, 4}
  CHECK(results[3].content == std::vector<std::uint32_t>{1, 3, 4, 8});  // cue 3 after relearn
  CHECK(results[4].cues == std::vector<std::uint32_t>{4});              // 6 forgotten by cue 3
}

namespace {

Operation learn(double t, std::uint32_t cue, std::vector<std::uint32_t> content) {
  return {t, OpKind::learn, cue, std::move(content)};
}
Operation by_cue(double t, std::uint32_t cue) {
  return {t, OpKind::recall_cue, cue, {}};
}
Operation by_content(double t, std::vector<std::uint32_t> bits) {
  return {t, OpKind::recall_content, 0, std::move(bits)};
}

std::vector<RecallResult> answers(const Experiment& e, const std::string& backend = "serial",
                                  unsigned threads = 1) {
  return decode(e, test::simulate(build_network(e), backend, threads).of("output"));
}

// Output spikes as (ms, part, index) with part "cue" or "content".
std::set<std::tuple<Step, std::string, std::uint32_t>> output_spikes(const Experiment& e) {
  std::set<std::tuple<Step, std::string, std::uint32_t>> out;
  const auto run = test::simulate(build_network(e));
  for (const auto& [step, id] : run.of("output"))
    out.emplace(step, id < e.cue_size ? "cue" : "content", id < e.cue_size ? id : id - e.cue_size);
  return out;
}

using Spikes = std::set<std::tuple<Step, std::string, std::uint32_t>>;

}  // namespace

TEST_CASE("each operation answers with the latencies of the spec", "[ca3]") {
  SECTION("learn: cue and content at t + 5 and t + 7") {
    const Experiment e{3, 4, 20.0, {learn(2, 1, {0, 3})}};
    CHECK(output_spikes(e) == Spikes{{7, "cue", 1},
                                     {7, "content", 0},
                                     {7, "content", 3},
                                     {9, "cue", 1},
                                     {9, "content", 0},
                                     {9, "content", 3}});
  }
  SECTION("recall by cue: the cue at t + 5, its content at t + 6") {
    const Experiment e{3, 4, 30.0, {learn(2, 1, {0, 3}), by_cue(12, 1)}};
    Spikes recall;
    for (const auto& s : output_spikes(e))
      if (std::get<0>(s) >= 12) recall.insert(s);
    CHECK(recall == Spikes{{17, "cue", 1}, {18, "content", 0}, {18, "content", 3}});
  }
  SECTION("recall by content: the fragment at t + 5, the cues at t + 6") {
    const Experiment e{3, 4, 30.0, {learn(2, 1, {0, 3}), by_content(12, {3})}};
    Spikes recall;
    for (const auto& s : output_spikes(e))
      if (std::get<0>(s) >= 12) recall.insert(s);
    CHECK(recall == Spikes{{17, "content", 3}, {18, "cue", 1}});
  }
  SECTION("relearning a cue: the old content appears at t + 6") {
    const Experiment e{3, 4, 30.0, {learn(2, 1, {0}), learn(9, 1, {2})}};
    Spikes relearn;
    for (const auto& s : output_spikes(e))
      if (std::get<0>(s) >= 12) relearn.insert(s);
    CHECK(relearn == Spikes{{14, "cue", 1},
                            {14, "content", 2},
                            {15, "content", 0},
                            {16, "cue", 1},
                            {16, "content", 2}});
  }
}

// These use the protocol of the paper's experiments, one operation every 10 ms. At the
// minimum spacing a memory stored 7 ms after another that shares a bit can weaken the
// older one's link from that bit (docs/models/ca3_cam.md).
TEST_CASE("relearning a cue forgets its old content in both directions", "[ca3]") {
  const Experiment e{
      4,
      6,
      std::nullopt,
      {learn(0, 2, {0, 1}), learn(10, 3, {4}), learn(20, 2, {2, 3}), by_cue(30, 2),
       by_content(40, {0}), by_content(50, {1}), by_content(60, {3}), by_cue(70, 3)}};
  const auto r = answers(e);
  REQUIRE(r.size() == 5);
  CHECK(r[0].content == std::vector<std::uint32_t>{2, 3});
  CHECK(r[1].cues.empty());
  CHECK(r[2].cues.empty());
  CHECK(r[3].cues == std::vector<std::uint32_t>{2});
  CHECK(r[4].content == std::vector<std::uint32_t>{4});
}

TEST_CASE("recall by content returns the union of matching cues", "[ca3]") {
  const Experiment e{
      4,
      8,
      std::nullopt,
      {learn(0, 0, {0, 1}), learn(10, 1, {1, 2}), learn(20, 2, {5}), by_content(30, {1}),
       by_content(40, {0, 5}), by_content(50, {7}), by_content(60, {2})}};
  const auto r = answers(e);
  REQUIRE(r.size() == 4);
  CHECK(r[0].cues == std::vector<std::uint32_t>{0, 1});  // a bit shared by two memories
  CHECK(r[1].cues == std::vector<std::uint32_t>{0, 2});  // bits of two memories
  CHECK(r[2].cues.empty());                              // a bit nobody stored
  CHECK(r[3].cues == std::vector<std::uint32_t>{1});
}

TEST_CASE("a 32 x 32 memory stores and recalls every cue and bit", "[ca3]") {
  // Disjoint contents, all stored, then every cue and every bit recalled: the regime in
  // which the network is an exact content-addressable memory (docs/models/ca3_cam.md).
  constexpr std::uint32_t kCues = 32, kBits = 32;
  Stream rng(11, Purpose::test, 0, 0, 0);
  std::vector<std::uint32_t> bits(kBits);
  for (std::uint32_t b = 0; b < kBits; ++b) bits[b] = b;
  for (std::uint32_t b = kBits - 1; b > 0; --b) std::swap(bits[b], bits[rng.below(b + 1)]);
  Experiment e{kCues, kBits, std::nullopt, {}};
  std::map<std::uint32_t, std::vector<std::uint32_t>> stored;
  double t = 0;
  for (std::uint32_t c = 0, next = 0; c < kCues; ++c) {
    std::vector<std::uint32_t> content;
    const std::uint32_t n = c % 3 == 0 ? 2 : (c % 3 == 1 ? 1 : 0);  // some cues hold 2 bits
    for (std::uint32_t k = 0; k < n && next < kBits; ++k) content.push_back(bits[next++]);
    if (content.empty()) continue;
    std::sort(content.begin(), content.end());
    stored[c] = content;
    e.operations.push_back(learn(t, c, content));
    t += kSpacingAfterLearn;
  }
  for (std::uint32_t c = 0; c < kCues; ++c, t += kSpacingAfterRecall)
    e.operations.push_back(by_cue(t, c));
  for (std::uint32_t b = 0; b < kBits; ++b, t += kSpacingAfterRecall)
    e.operations.push_back(by_content(t, {b}));
  const auto r = answers(e);
  REQUIRE(r.size() == kCues + kBits);
  for (std::uint32_t c = 0; c < kCues; ++c) {
    INFO("cue " << c);
    CHECK(r[c].content == (stored.count(c) ? stored[c] : std::vector<std::uint32_t>{}));
  }
  for (std::uint32_t b = 0; b < kBits; ++b) {
    std::vector<std::uint32_t> owners;
    for (const auto& [c, content] : stored)
      if (std::find(content.begin(), content.end(), b) != content.end()) owners.push_back(c);
    INFO("bit " << b);
    CHECK(r[kCues + b].cues == owners);
  }
}

namespace {

// A random sequence of operations, `spacing` ms apart (0: the minimum spacing of each).
Experiment random_experiment(std::uint32_t cues, std::uint32_t bits, int count, std::uint64_t seed,
                             double spacing = 0) {
  Stream rng(seed, Purpose::test, 0, 0, 0);
  Experiment e{cues, bits, std::nullopt, {}};
  double t = 3;
  for (int i = 0; i < count; ++i) {
    Operation op;
    op.t = t;
    const double u = rng.uniform();
    op.kind = u < 0.4 ? OpKind::learn : u < 0.7 ? OpKind::recall_cue : OpKind::recall_content;
    op.cue = static_cast<std::uint32_t>(rng.below(cues));
    if (op.kind != OpKind::recall_cue) {
      std::set<std::uint32_t> chosen;
      const auto n = 1 + rng.below(4);
      while (chosen.size() < n) chosen.insert(static_cast<std::uint32_t>(rng.below(bits)));
      op.content.assign(chosen.begin(), chosen.end());
    }
    e.operations.push_back(op);
    t += spacing > 0                ? spacing
         : op.kind == OpKind::learn ? kSpacingAfterLearn
                                    : kSpacingAfterRecall;
  }
  return e;
}

}  // namespace

TEST_CASE("long random sequences give the same spikes on every backend", "[ca3]") {
  const Experiment e = random_experiment(32, 32, 300, 5);
  const NetworkSpec spec = build_network(e);
  const auto serial = test::simulate(spec, "serial");
  CHECK(serial.of("output").size() > 300);
  for (unsigned threads : {2u, 3u}) {
    INFO(threads << " threads");
    CHECK(test::simulate(spec, "threads", threads).checksum() == serial.checksum());
  }
}

TEST_CASE("the C++ Memory answers as the batch network does", "[ca3]") {
  // The Memory takes 7 ms per operation (a recall's answer arrives at t + 6).
  const Experiment e = random_experiment(6, 8, 60, 9, 7.0);
  const auto batch = answers(e);
  Memory memory(6, 8);
  std::size_t r = 0;
  for (const Operation& op : e.operations) {
    // The Memory runs each operation at its own pace; align it with the batch schedule.
    memory.backend().run(static_cast<Step>(op.t) - memory.backend().now());
    switch (op.kind) {
      case OpKind::learn:
        memory.store(op.cue, op.content);
        break;
      case OpKind::recall_cue:
        CHECK(memory.recall_by_cue(op.cue) == batch[r++].content);
        break;
      case OpKind::recall_content:
        CHECK(memory.recall_by_content(op.content) == batch[r++].cues);
        break;
    }
  }
  CHECK(r == batch.size());
}

TEST_CASE("operation lists are validated with pointers", "[ca3]") {
  auto problem = [](const char* text) {
    try {
      parse_experiment(nlohmann::json::parse(text));
    } catch (const InputError& e) {
      return e.diagnostics().front();
    }
    FAIL("accepted " << text);
    return Diagnostic{};
  };
  const char* base = R"("cue_size": 3, "content_size": 4, "operations": )";
  auto doc = [&](const char* ops) { return std::string("{") + base + ops + "}"; };
  CHECK(problem(doc(R"([{"t": 0, "op": "learn", "cue": 3, "content": [0]}])").c_str()).pointer ==
        "/operations/0/cue");
  CHECK(problem(doc(R"([{"t": 0, "op": "learn", "cue": 1, "content": [4]}])").c_str()).pointer ==
        "/operations/0/content/0");
  CHECK(problem(doc(R"([{"t": 0, "op": "learn", "cue": 1, "content": []}])").c_str()).pointer ==
        "/operations/0/content");
  const Diagnostic close = problem(doc(R"([{"t": 0, "op": "learn", "cue": 1, "content": [0]},
                                           {"t": 6, "op": "recall_cue", "cue": 1}])")
                                       .c_str());
  CHECK(close.pointer == "/operations/1/t");
  CHECK_THAT(close.message, Catch::Contains("at least 7 ms after a learn"));
  CHECK_THAT(problem(doc(R"([{"t": 0, "op": "recall_cue", "cue": 1},
                              {"t": 5, "op": "recall_cue", "cue": 1}])")
                         .c_str())
                 .message,
             Catch::Contains("at least 6 ms after a recall"));
  CHECK(problem(doc(R"([{"t": 10, "op": "recall_cue", "cue": 1},
                         {"t": 4, "op": "recall_cue", "cue": 1}])")
                    .c_str())
            .message.find("increasing") != std::string::npos);
  CHECK(problem(doc(R"([{"t": -1, "op": "recall_cue", "cue": 1}])").c_str()).pointer ==
        "/operations/0/t");
  CHECK_THAT(problem(doc(R"([{"t": 0, "op": "recal_cue", "cue": 1}])").c_str()).message,
             Catch::Contains("did you mean \"recall_cue\""));
  CHECK(problem(R"({"cue_size": 0, "content_size": 4, "operations": []})").pointer == "/cue_size");
}
