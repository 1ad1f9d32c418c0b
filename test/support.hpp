// Helpers shared by the tests: run a network and keep what it reports in memory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "engine/backend.hpp"
#include "engine/network.hpp"

namespace engram::test {

// A fresh directory for one test, removed with everything in it afterwards.
struct TempDir {
  std::filesystem::path path;
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

// Keeps every reported spike and sample.
struct MemoryObserver : Observer {
  RecordingPlan plan;
  // [population] -> (step, id) in report order
  std::vector<std::vector<std::pair<Step, std::uint32_t>>> spikes_by_population;
  // [variable] -> samples, one vector per reported step
  std::vector<std::vector<std::vector<double>>> samples_by_variable;
  std::vector<std::vector<Step>> sample_steps;

  void begin(const RecordingPlan& p) override {
    plan = p;
    spikes_by_population.assign(p.population_names.size(), {});
    samples_by_variable.assign(p.variables.size(), {});
    sample_steps.assign(p.variables.size(), {});
  }
  void spikes(Step step, std::uint32_t population, std::span<const std::uint32_t> ids) override {
    for (auto id : ids) spikes_by_population[population].emplace_back(step, id);
  }
  void samples(Step step, std::uint32_t index, std::span<const double> values) override {
    samples_by_variable[index].emplace_back(values.begin(), values.end());
    sample_steps[index].push_back(step);
  }
  // Spikes of the named population.
  const std::vector<std::pair<Step, std::uint32_t>>& of(const std::string& name) const;
  // A checksum of every spike (FNV-1a over population, step, id), order-sensitive.
  std::uint64_t checksum() const;
  std::uint64_t total() const;
};

// `s` quoted for the shell.
std::string quote(const std::string& s);
// The whole content of a text file ("" when it cannot be read).
std::string read_text(const std::filesystem::path& path);

struct CliResult {
  int status = -1;  // exit status, or -1 if the process did not exit normally
  std::string out, err;
};
// Runs `engram <arguments>` in `dir` (arguments go to the shell as they are), with no input.
CliResult engram_cli(const TempDir& dir, const std::string& arguments);

// Runs `spec` for `steps` (default: its duration) on the given backend and returns what it
// reported.
MemoryObserver simulate(const NetworkSpec& spec, const std::string& backend = "serial",
                        unsigned threads = 1, Step steps = -1);

}  // namespace engram::test
