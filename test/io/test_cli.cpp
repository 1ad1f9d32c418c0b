// The engram command line: exit status (0 success, 2 bad input or usage, 1 internal), error
// reports on standard error, and no output file unless the description compiled.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "io/sonata.hpp"
#include "test/support.hpp"

namespace fs = std::filesystem;
using engram::io::SonataReader;

namespace {

const fs::path kSource = ENGRAM_SOURCE_DIR;
const fs::path kBad = kSource / "test" / "data" / "bad";
const fs::path kChain = kSource / "examples" / "small_chain.json";

using engram::test::TempDir;

using engram::test::CliResult;
using engram::test::engram_cli;
using engram::test::quote;
using engram::test::read_text;

std::string describe(const CliResult& r) {
  return "status " + std::to_string(r.status) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

double max_timestamp(const SonataReader& reader) {
  double latest = -1.0;
  for (const auto& name : reader.populations())
    for (double t : reader.spikes(name).timestamps) latest = std::max(latest, t);
  return latest;
}

}  // namespace

TEST_CASE("engram run refuses bad input with status 2, the pointer, and no output file", "[cli]") {
  struct Case {
    const char* file;
    const char* pointer;
  };
  const Case cases[] = {
      {"invalid_json_nan.json", "invalid JSON at line 3"},
      {"size_string.json", "/populations/0/size"},
      {"missing_weight.json", "/projections/0/synapse/weight"},
      {"tau_m_zero.json", "/populations/0/parameters/tau_m"},
      {"delay_below_dt.json", "/projections/0/synapse/delay"},
      {"unknown_model.json", "/populations/0/model"},
      {"unknown_population.json", "/projections/0/pre"},
      {"slice_out_of_range.json", "/projections/0/post"},
      {"probability_above_one.json", "/projections/0/connector/p"},
      {"projection_onto_source.json", "/projections/0/post"},
      {"too_large_for_memory.json", "/populations"},
  };
  TempDir dir;
  for (const Case& c : cases) {
    INFO(c.file);
    const CliResult r = engram_cli(dir, "run " + quote((kBad / c.file).string()) + " -o out.h5");
    INFO(describe(r));
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains(c.pointer));
    CHECK(!fs::exists(dir.path / "out.h5"));
  }
}

// Regression (see test_bad_input.cpp): a number that overflows a double once escaped as an
// internal error with status 1.
TEST_CASE("engram run refuses a number that overflows a double with status 2", "[cli]") {
  TempDir dir;
  const CliResult r =
      engram_cli(dir, "run " + quote((kBad / "number_overflow.json").string()) + " -o out.h5");
  INFO(describe(r));
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Catch::Contains("line 3"));
  CHECK(!fs::exists(dir.path / "out.h5"));
}

TEST_CASE("engram validate lists every error of a document", "[cli]") {
  TempDir dir;
  const CliResult r = engram_cli(dir, "validate " + quote((kBad / "several_errors.json").string()));
  INFO(describe(r));
  CHECK(r.status == 2);
  for (const char* pointer :
       {"/durration: ", "/dt: ", "/populations/0/size: ", "/populations/1/model: ",
        "/populations/2/parameters/tau_m: ", "/projections/0/connector/p: ", "/stimuli/0/target: "})
    CHECK_THAT(r.err, Catch::Contains(pointer));
  // One line per error, each prefixed "error: ", then the count.
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 8);
  CHECK_THAT(r.err, Catch::Contains("7 errors"));
}

TEST_CASE("engram validate accepts a good description with a line starting \"ok\"", "[cli]") {
  TempDir dir;
  const CliResult r = engram_cli(dir, "validate " + quote(kChain.string()));
  INFO(describe(r));
  CHECK(r.status == 0);
  CHECK(r.out.rfind("ok", 0) == 0);
  CHECK(r.err.empty());
}

TEST_CASE("engram run on a missing file exits 2 naming the file", "[cli]") {
  TempDir dir;
  const CliResult r = engram_cli(dir, "run no_such_network.json -o out.h5");
  INFO(describe(r));
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Catch::Contains("no_such_network.json"));
  CHECK(!fs::exists(dir.path / "out.h5"));
}

TEST_CASE("usage errors exit 2", "[cli]") {
  TempDir dir;
  const std::string chain = quote(kChain.string());
  for (const std::string& arguments :
       {std::string(""), std::string("frobnicate"), std::string("run"),
        "run " + chain + " --no-such-option", "run " + chain + " -o", "run " + chain + " --threads",
        "run " + chain + " --threads 0", "run " + chain + " --duration -5",
        "run " + chain + " --backend nonsense", std::string("info")}) {
    INFO("engram " << arguments);
    const CliResult r = engram_cli(dir, arguments);
    INFO(describe(r));
    CHECK(r.status == 2);
    CHECK(!r.err.empty());
  }
  CHECK(!fs::exists(dir.path / "small_chain.h5"));
}

TEST_CASE("engram run writes a file that engram info describes", "[cli]") {
  TempDir dir;
  const CliResult run = engram_cli(dir, "run " + quote(kChain.string()) + " -o x.h5 --quiet");
  INFO(describe(run));
  REQUIRE(run.status == 0);
  CHECK(run.out.empty());
  REQUIRE(fs::exists(dir.path / "x.h5"));

  const CliResult info = engram_cli(dir, "info x.h5");
  INFO(describe(info));
  CHECK(info.status == 0);
  for (const char* name : {"source", "chain", "stopper"})
    CHECK_THAT(info.out, Catch::Contains(name));
  CHECK_THAT(info.out, Catch::Contains("80 ms simulated"));

  const SonataReader reader(dir.path / "x.h5");
  CHECK(reader.complete());
  CHECK(max_timestamp(reader) == Approx(50.0));  // the source fires at 10, 30 and 50 ms
}

TEST_CASE("engram run writes <network>.h5 in the working directory by default", "[cli]") {
  TempDir dir;
  const CliResult r = engram_cli(dir, "run " + quote(kChain.string()) + " --duration 5 -q");
  INFO(describe(r));
  CHECK(r.status == 0);
  CHECK(fs::exists(dir.path / "small_chain.h5"));
}

TEST_CASE("engram info refuses a file that is not HDF5 with status 2", "[cli]") {
  TempDir dir;
  std::ofstream(dir.path / "not.h5") << "this is not HDF5\n";
  for (const char* file : {"not.h5", "missing.h5"}) {
    INFO(file);
    const CliResult r = engram_cli(dir, std::string("info ") + file);
    INFO(describe(r));
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains(file));
  }
}

TEST_CASE("engram run with --backend threads --threads 2 matches serial", "[cli]") {
  TempDir dir;
  const std::string chain = quote(kChain.string());
  const CliResult serial = engram_cli(dir, "run " + chain + " -o serial.h5 -q");
  const CliResult threads =
      engram_cli(dir, "run " + chain + " -o threads.h5 -q --backend threads --threads 2");
  INFO(describe(serial) << "\n" << describe(threads));
  REQUIRE(serial.status == 0);
  REQUIRE(threads.status == 0);
  const SonataReader a(dir.path / "serial.h5"), b(dir.path / "threads.h5");
  REQUIRE(a.populations() == b.populations());
  for (const auto& name : a.populations()) {
    INFO(name);
    const auto sa = a.spikes(name), sb = b.spikes(name);
    CHECK(sa.timestamps == sb.timestamps);
    CHECK(sa.node_ids == sb.node_ids);
  }
}

TEST_CASE("engram run --timers gives the phases in the summary, not on spinnaker", "[cli]") {
  TempDir dir;
  const std::string chain = quote(kChain.string());
  const CliResult threads =
      engram_cli(dir, "run " + chain + " -o threads.h5 --backend threads --threads 2 --timers");
  INFO(describe(threads));
  REQUIRE(threads.status == 0);
  CHECK(threads.out.find("\nphases      update ") != std::string::npos);
  CHECK(threads.out.find("\nthreads     busy ") != std::string::npos);
  const CliResult serial = engram_cli(dir, "run " + chain + " -o serial.h5 --timers");
  INFO(describe(serial));
  REQUIRE(serial.status == 0);
  CHECK(serial.out.find("\nphases      update ") != std::string::npos);
  CHECK(serial.out.find("busy") == std::string::npos);
  const CliResult machine =
      engram_cli(dir, "run " + chain + " -o machine.h5 --backend spinnaker --timers");
  INFO(describe(machine));
  CHECK(machine.status == 2);
  CHECK(machine.err.find("--timers") != std::string::npos);
  CHECK_FALSE(fs::exists(dir.path / "machine.h5"));
  // The times go in the summary, which --quiet leaves out.
  const CliResult quiet = engram_cli(dir, "run " + chain + " -o quiet.h5 --timers -q");
  INFO(describe(quiet));
  CHECK(quiet.status == 2);
  CHECK(quiet.err.find("--timers") != std::string::npos);
  CHECK_FALSE(fs::exists(dir.path / "quiet.h5"));
}

TEST_CASE("engram run --duration limits the simulated time", "[cli]") {
  TempDir dir;
  const CliResult r = engram_cli(dir, "run " + quote(kChain.string()) + " -o x.h5 -q --duration 5");
  INFO(describe(r));
  REQUIRE(r.status == 0);
  const SonataReader reader(dir.path / "x.h5");
  REQUIRE(reader.duration());
  CHECK(*reader.duration() == Approx(5.0));
  CHECK(max_timestamp(reader) < 5.0);
  const CliResult info = engram_cli(dir, "info x.h5");
  CHECK_THAT(info.out, Catch::Contains("5 ms simulated"));
}

TEST_CASE("engram run --duration 12 keeps the spikes before 12 ms only", "[cli]") {
  TempDir dir;
  const CliResult r =
      engram_cli(dir, "run " + quote(kChain.string()) + " -o x.h5 -q --duration 12");
  INFO(describe(r));
  REQUIRE(r.status == 0);
  const SonataReader reader(dir.path / "x.h5");
  const auto source = reader.spikes("source");
  REQUIRE(source.timestamps.size() == 1);  // of 10, 30 and 50 ms
  CHECK(source.timestamps[0] == Approx(10.0));
  CHECK(max_timestamp(reader) < 12.0);
}

TEST_CASE("engram run into a directory that does not exist exits 2 naming the path", "[cli]") {
  TempDir dir;
  const CliResult r = engram_cli(dir, "run " + quote(kChain.string()) + " -o no/such/dir/x.h5 -q");
  INFO(describe(r));
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Catch::Contains("no/such/dir/x.h5"));
}
