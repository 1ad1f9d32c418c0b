// The spike file of `engram run`: SONATA layout, the same spikes as in memory, and a file
// that stays readable when the run is killed.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "io/network_json.hpp"
#include "io/sonata.hpp"
#include "test/support.hpp"

namespace {

namespace fs = std::filesystem;

using engram::test::TempDir;

std::string capture(const std::string& command, int* status) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  while (std::size_t n = fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  const int raw = pclose(pipe);
  *status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return out;
}

fs::path example(const char* name) {
  return fs::path(ENGRAM_SOURCE_DIR) / "examples" / name;
}

}  // namespace

TEST_CASE("the spike file holds exactly the spikes of the run", "[output]") {
  TempDir dir;
  const fs::path file = dir.path / "coba.h5";
  const std::string command = std::string(ENGRAM_CLI) + " run " +
                              example("vogels_abbott_coba.json").string() +
                              " --duration 200 --quiet -o " + file.string();
  int status = 0;
  capture(command, &status);
  REQUIRE(status == 0);

  engram::NetworkSpec spec = engram::io::load_network(example("vogels_abbott_coba.json"));
  spec.duration = 200;
  const auto memory = engram::test::simulate(spec, "serial");

  const engram::io::SonataReader reader(file);
  CHECK(reader.complete());
  CHECK(reader.dt() == Approx(0.1));
  CHECK(reader.duration() == Approx(200.0));
  CHECK(reader.populations() == std::vector<std::string>{"exc", "inh"});
  for (const std::string name : {"exc", "inh"}) {
    const auto spikes = reader.spikes(name);
    const auto& expected = memory.of(name);
    REQUIRE(spikes.timestamps.size() == expected.size());
    CHECK(spikes.sorting == "by_time");
    CHECK(spikes.units == "ms");
    CHECK(reader.population_size(name) == (name == std::string("exc") ? 3200u : 800u));
    const auto range = reader.time_range(name);
    REQUIRE(range.has_value());
    CHECK(range->first == *std::min_element(spikes.timestamps.begin(), spikes.timestamps.end()));
    CHECK(range->second == *std::max_element(spikes.timestamps.begin(), spikes.timestamps.end()));
    for (std::size_t i = 0; i < expected.size(); ++i) {
      REQUIRE(spikes.timestamps[i] == static_cast<double>(expected[i].first) * 0.1);
      REQUIRE(spikes.node_ids[i] == expected[i].second);
    }
  }
}

TEST_CASE("h5dump shows the SONATA spike layout", "[output]") {
  TempDir dir;
  const fs::path file = dir.path / "chain.h5";
  int status = 0;
  capture(std::string(ENGRAM_CLI) + " run " + example("small_chain.json").string() +
              " --quiet -o " + file.string(),
          &status);
  REQUIRE(status == 0);
  const std::string dump = capture("h5dump -H " + file.string(), &status);
  REQUIRE(status == 0);
  for (const char* expected :
       {"ATTRIBUTE \"magic\"", "H5T_STD_U32LE", "ATTRIBUTE \"version\"", "GROUP \"spikes\"",
        "GROUP \"chain\"", "GROUP \"source\"", "GROUP \"stopper\"", "ATTRIBUTE \"sorting\"",
        "H5T_ENUM", "\"by_time\"", "DATASET \"timestamps\"", "H5T_IEEE_F64LE",
        "DATASET \"node_ids\"", "H5T_STD_U64LE", "ATTRIBUTE \"units\"", "GROUP \"report\"",
        "DATASET \"data\""}) {
    INFO(expected);
    CHECK(dump.find(expected) != std::string::npos);
  }
}

TEST_CASE("a run killed with SIGKILL leaves a readable file", "[output]") {
  TempDir dir;
  const fs::path file = dir.path / "killed.h5";
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // A run far longer than the test waits.
    const std::string net = example("vogels_abbott_coba.json").string();
    execl(ENGRAM_CLI, ENGRAM_CLI, "run", net.c_str(), "--duration", "1000000", "--quiet", "-o",
          file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait until the writer has appended spikes (it flushes at least once a second). The
  // writer holds HDF5's lock on the file, so watch the file grow rather than open it.
  bool has_spikes = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!has_spikes && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    std::error_code ec;
    has_spikes = fs::file_size(file, ec) > 256 * 1024 && !ec;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(child, SIGKILL);
  int raw = 0;
  waitpid(child, &raw, 0);
  REQUIRE(has_spikes);
  CHECK(WIFSIGNALED(raw));

  int status = 0;
  capture("h5dump -H " + file.string() + " > /dev/null 2>&1", &status);
  CHECK(status == 0);
  const engram::io::SonataReader reader(file);
  CHECK_FALSE(reader.complete());
  const auto spikes = reader.spikes("exc");
  CHECK(!spikes.timestamps.empty());
  CHECK(std::is_sorted(spikes.timestamps.begin(), spikes.timestamps.end()));
  const std::string info = capture(std::string(ENGRAM_CLI) + " info " + file.string(), &status);
  CHECK(status == 0);
  CHECK(info.find("INCOMPLETE") != std::string::npos);
}
