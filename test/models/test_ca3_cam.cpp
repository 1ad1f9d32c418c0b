// The CA3 memory against the authors' SpiNNaker recording of experiment 1
// (test/data/ca3_cam/exp1_trace.tsv, a copy of shared/data/ca3_cam/exp1_trace.tsv) and
// against the behaviour shared/models/ca3_cam.md specifies.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

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

Experiment experiment1() { return load_experiment(kSource + "/examples/ca3_cam/experiment1.json"); }

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
