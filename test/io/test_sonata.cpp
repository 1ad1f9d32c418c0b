#include <hdf5.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "engine/error.hpp"
#include "io/sonata.hpp"
#include "test/support.hpp"

namespace fs = std::filesystem;
using engram::RecordingPlan;
using engram::Step;
using engram::io::SonataReader;
using engram::io::SonataWriter;

namespace {

using engram::test::TempDir;

// Raw HDF5 handle for the layout checks, which must see the file as other tools do.
struct Id {
  hid_t id;
  herr_t (*close)(hid_t);
  ~Id() {
    if (id >= 0) close(id);
  }
};

struct Fed {
  std::vector<double> timestamps;
  std::vector<std::uint64_t> node_ids;
};

// An irregular but deterministic pattern, ascending ids, some steps silent.
std::vector<std::uint32_t> pattern(Step step, std::uint32_t size) {
  std::vector<std::uint32_t> ids;
  for (std::uint32_t id = 0; id < size; ++id) {
    if ((id * 7 + static_cast<std::uint64_t>(step) * 3) % 11 < 2) ids.push_back(id);
  }
  return ids;
}

RecordingPlan three_populations() {
  RecordingPlan plan;
  plan.dt = 0.1;
  plan.population_names = {"exc", "inh", "stim"};
  plan.population_sizes = {20, 5, 3};
  plan.record_spikes = {true, true, false};
  return plan;
}

// Feeds population 0 for steps [from, to); returns what was fed and how many calls were made.
Fed feed(SonataWriter& writer, const RecordingPlan& plan, Step from, Step to,
         std::vector<std::size_t>* call_sizes = nullptr) {
  Fed fed;
  for (Step s = from; s < to; ++s) {
    const std::vector<std::uint32_t> ids = pattern(s, 20);
    if (ids.empty()) continue;
    writer.spikes(s, 0, ids);
    for (std::uint32_t id : ids) {
      fed.timestamps.push_back(static_cast<double>(s) * plan.dt);
      fed.node_ids.push_back(id);
    }
    if (call_sizes != nullptr) call_sizes->push_back(ids.size());
  }
  return fed;
}

std::string string_attribute(hid_t object, const char* name, bool* variable_length) {
  Id attribute{H5Aopen(object, name, H5P_DEFAULT), H5Aclose};
  Id type{H5Aget_type(attribute.id), H5Tclose};
  REQUIRE(H5Tget_class(type.id) == H5T_STRING);
  *variable_length = H5Tis_variable_str(type.id) > 0;
  if (*variable_length) return "";
  std::string value(H5Tget_size(type.id), '\0');
  REQUIRE(H5Aread(attribute.id, type.id, value.data()) >= 0);
  return value.substr(0, value.find('\0'));
}

hsize_t length(hid_t dataset) {
  Id space{H5Dget_space(dataset), H5Sclose};
  hsize_t dims = 0, max_dims = 0;
  REQUIRE(H5Sget_simple_extent_ndims(space.id) == 1);
  H5Sget_simple_extent_dims(space.id, &dims, &max_dims);
  CHECK(max_dims == H5S_UNLIMITED);
  return dims;
}

}  // namespace

TEST_CASE("SonataWriter writes the SONATA spike layout", "[io]") {
  TempDir dir;
  const fs::path path = dir.path / "spikes.h5";
  const RecordingPlan plan = three_populations();
  Fed fed;
  {
    SonataWriter writer(path, {.chunk_spikes = 7, .flush_seconds = 3600.0});
    writer.begin(plan);
    fed = feed(writer, plan, 0, 300);
    writer.advanced(300);
    writer.close();
  }
  REQUIRE(fed.timestamps.size() > 5 * 7);

  SECTION("layout and types as other SONATA tools expect them") {
    Id file{H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
    REQUIRE(file.id >= 0);

    Id magic{H5Aopen(file.id, "magic", H5P_DEFAULT), H5Aclose};
    Id magic_type{H5Aget_type(magic.id), H5Tclose};
    CHECK(H5Tequal(magic_type.id, H5T_STD_U32LE) > 0);
    std::uint32_t magic_value = 0;
    REQUIRE(H5Aread(magic.id, H5T_NATIVE_UINT32, &magic_value) >= 0);
    CHECK(magic_value == 0x0A7A);

    Id version{H5Aopen(file.id, "version", H5P_DEFAULT), H5Aclose};
    Id version_space{H5Aget_space(version.id), H5Sclose};
    CHECK(H5Sget_simple_extent_npoints(version_space.id) == 2);
    std::uint32_t version_value[2] = {9, 9};
    REQUIRE(H5Aread(version.id, H5T_NATIVE_UINT32, version_value) >= 0);
    CHECK(version_value[0] == 0);
    CHECK(version_value[1] == 1);

    CHECK(H5Lexists(file.id, "/spikes/exc", H5P_DEFAULT) > 0);
    CHECK(H5Lexists(file.id, "/spikes/inh", H5P_DEFAULT) > 0);
    CHECK(H5Lexists(file.id, "/spikes/stim", H5P_DEFAULT) == 0);

    Id group{H5Gopen2(file.id, "/spikes/exc", H5P_DEFAULT), H5Gclose};
    Id sorting{H5Aopen(group.id, "sorting", H5P_DEFAULT), H5Aclose};
    Id sorting_type{H5Aget_type(sorting.id), H5Tclose};
    REQUIRE(H5Tget_class(sorting_type.id) == H5T_ENUM);
    Id base{H5Tget_super(sorting_type.id), H5Tclose};
    CHECK(H5Tequal(base.id, H5T_STD_U8LE) > 0);
    REQUIRE(H5Tget_nmembers(sorting_type.id) == 3);
    const char* expected_names[] = {"none", "by_id", "by_time"};
    for (unsigned i = 0; i < 3; ++i) {
      char* name = H5Tget_member_name(sorting_type.id, i);
      std::uint8_t value = 99;
      H5Tget_member_value(sorting_type.id, i, &value);
      CHECK(std::string(name) == expected_names[i]);
      CHECK(value == i);
      H5free_memory(name);
    }
    std::uint8_t sorting_value = 0;
    REQUIRE(H5Aread(sorting.id, sorting_type.id, &sorting_value) >= 0);
    CHECK(sorting_value == 2);

    Id timestamps{H5Dopen2(group.id, "timestamps", H5P_DEFAULT), H5Dclose};
    Id timestamps_type{H5Dget_type(timestamps.id), H5Tclose};
    CHECK(H5Tequal(timestamps_type.id, H5T_IEEE_F64LE) > 0);
    Id plist{H5Dget_create_plist(timestamps.id), H5Pclose};
    CHECK(H5Pget_layout(plist.id) == H5D_CHUNKED);
    CHECK(length(timestamps.id) == fed.timestamps.size());
    bool variable_length = true;
    CHECK(string_attribute(timestamps.id, "units", &variable_length) == "ms");
    CHECK_FALSE(variable_length);

    Id node_ids{H5Dopen2(group.id, "node_ids", H5P_DEFAULT), H5Dclose};
    Id node_ids_type{H5Dget_type(node_ids.id), H5Tclose};
    CHECK(H5Tequal(node_ids_type.id, H5T_STD_U64LE) > 0);
    CHECK(length(node_ids.id) == fed.node_ids.size());

    Id empty_timestamps{H5Dopen2(file.id, "/spikes/inh/timestamps", H5P_DEFAULT), H5Dclose};
    Id empty_node_ids{H5Dopen2(file.id, "/spikes/inh/node_ids", H5P_DEFAULT), H5Dclose};
    CHECK(length(empty_timestamps.id) == 0);
    CHECK(length(empty_node_ids.id) == 0);
  }

  SECTION("SonataReader returns exactly what was fed, sorted by time") {
    const SonataReader reader(path);
    CHECK(reader.populations() == std::vector<std::string>{"exc", "inh"});
    CHECK(reader.complete());
    REQUIRE(reader.dt().has_value());
    CHECK(*reader.dt() == plan.dt);
    CHECK(reader.variables().empty());

    const SonataReader::Spikes exc = reader.spikes("exc");
    CHECK(exc.timestamps == fed.timestamps);
    CHECK(exc.node_ids == fed.node_ids);
    CHECK(exc.sorting == "by_time");
    CHECK(exc.units == "ms");
    CHECK(reader.spike_count("exc") == fed.timestamps.size());
    for (std::size_t i = 1; i < exc.timestamps.size(); ++i) {
      REQUIRE(exc.timestamps[i - 1] <= exc.timestamps[i]);
      if (exc.timestamps[i - 1] == exc.timestamps[i]) {
        REQUIRE(exc.node_ids[i - 1] < exc.node_ids[i]);
      }
    }

    const SonataReader::Spikes inh = reader.spikes("inh");
    CHECK(inh.timestamps.empty());
    CHECK(inh.node_ids.empty());
    CHECK(inh.sorting == "by_time");
    CHECK(reader.spike_count("inh") == 0);

    CHECK_THROWS_AS(reader.spikes("stim"), engram::IoError);
    CHECK_THROWS_WITH(reader.spikes("exx"), Catch::Contains("did you mean \"exc\""));
  }
}

TEST_CASE("SonataWriter records state variables", "[io]") {
  TempDir dir;
  const fs::path path = dir.path / "state.h5";
  RecordingPlan plan = three_populations();
  plan.dt = 0.25;
  plan.variables = {{0, "v", "mV", {1, 4, 7}, 2}, {1, "g_ex", "nS", {0, 1, 2, 3, 4}, 1}};
  auto value = [](Step step, std::size_t column) {
    return static_cast<double>(step) * 100.0 + static_cast<double>(column) + 0.5;
  };
  {
    SonataWriter writer(path, {.chunk_spikes = 7, .flush_seconds = 3600.0});
    writer.begin(plan);
    for (Step s = 0; s < 60; ++s) {
      if (s % 2 == 1) {
        const std::vector<double> v = {value(s, 0), value(s, 1), value(s, 2)};
        writer.samples(s, 0, v);
      }
      if (s >= 10) {
        std::vector<double> g;
        for (std::size_t c = 0; c < 5; ++c) g.push_back(-value(s, c));
        writer.samples(s, 1, g);
      }
    }
    writer.close();
  }

  const SonataReader reader(path);
  const std::vector<SonataReader::Variable> variables = reader.variables();
  REQUIRE(variables.size() == 2);
  const SonataReader::Variable& g = variables[0].population == "inh" ? variables[0] : variables[1];
  const SonataReader::Variable& v = variables[0].population == "exc" ? variables[0] : variables[1];

  CHECK(v.variable == "v");
  CHECK(v.unit == "mV");
  CHECK(v.node_ids == std::vector<std::uint64_t>{1, 4, 7});
  CHECK(v.n_samples == 30);
  // First sample at the end of step 1: time 2·dt.
  CHECK(v.start == Approx(0.5));
  CHECK(v.step == Approx(0.5));
  CHECK(v.stop == Approx(v.start + 30 * v.step));

  CHECK(g.variable == "g_ex");
  CHECK(g.unit == "nS");
  CHECK(g.node_ids == std::vector<std::uint64_t>{0, 1, 2, 3, 4});
  CHECK(g.n_samples == 50);
  CHECK(g.start == Approx(11 * 0.25));
  CHECK(g.step == Approx(0.25));
  CHECK(g.stop == Approx(61 * 0.25));

  const SonataReader::Samples v_data = reader.samples("exc", "v");
  REQUIRE(v_data.rows == 30);
  REQUIRE(v_data.columns == 3);
  for (std::size_t r = 0; r < v_data.rows; ++r) {
    for (std::size_t c = 0; c < 3; ++c) REQUIRE(v_data.at(r, c) == value(2 * r + 1, c));
  }
  const SonataReader::Samples g_data = reader.samples("inh", "g_ex");
  REQUIRE(g_data.rows == 50);
  REQUIRE(g_data.columns == 5);
  for (std::size_t r = 0; r < g_data.rows; ++r) {
    for (std::size_t c = 0; c < 5; ++c) REQUIRE(g_data.at(r, c) == -value(r + 10, c));
  }
  CHECK_THROWS_AS(reader.samples("exc", "u"), engram::IoError);

  Id file{H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
  Id data{H5Dopen2(file.id, "/report/exc/v/data", H5P_DEFAULT), H5Dclose};
  Id type{H5Dget_type(data.id), H5Tclose};
  CHECK(H5Tequal(type.id, H5T_IEEE_F64LE) > 0);
  bool variable_length = true;
  CHECK(string_attribute(data.id, "units", &variable_length) == "mV");
  Id mapping_ids{H5Dopen2(file.id, "/report/exc/v/mapping/node_ids", H5P_DEFAULT), H5Dclose};
  Id mapping_type{H5Dget_type(mapping_ids.id), H5Tclose};
  CHECK(H5Tequal(mapping_type.id, H5T_STD_U64LE) > 0);
}

TEST_CASE("SonataWriter destroyed without close() leaves an incomplete file", "[io]") {
  TempDir dir;
  const fs::path path = dir.path / "unclosed.h5";
  const RecordingPlan plan = three_populations();
  Fed fed;
  {
    SonataWriter writer(path, {.chunk_spikes = 1000, .flush_seconds = 0.0});
    writer.begin(plan);
    fed = feed(writer, plan, 0, 40);
    writer.advanced(40);
  }
  const SonataReader reader(path);
  CHECK_FALSE(reader.complete());
  CHECK(reader.spikes("exc").node_ids == fed.node_ids);
}

TEST_CASE("SonataWriter reports a file it cannot create", "[io]") {
  TempDir dir;
  const fs::path path = dir.path / "no_such_directory" / "out.h5";
  SonataWriter writer(path);
  CHECK_THROWS_AS(writer.begin(three_populations()), engram::IoError);
  SonataWriter again(path);
  CHECK_THROWS_WITH(again.begin(three_populations()), Catch::Contains(path.string()));
}

TEST_CASE("SonataReader rejects files that are not SONATA", "[io]") {
  TempDir dir;
  const fs::path text = dir.path / "notes.txt";
  std::ofstream(text) << "not HDF5 at all\n";
  CHECK_THROWS_AS(SonataReader(text), engram::IoError);
  CHECK_THROWS_WITH(SonataReader(text), Catch::Contains("not an HDF5 file"));
  CHECK_THROWS_WITH(SonataReader(text), Catch::Contains(text.string()));

  const fs::path missing = dir.path / "missing.h5";
  CHECK_THROWS_AS(SonataReader::open(missing), engram::IoError);

  const fs::path plain = dir.path / "plain.h5";
  {
    Id file{H5Fcreate(plain.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose};
    REQUIRE(file.id >= 0);
  }
  CHECK_THROWS_WITH(SonataReader(plain), Catch::Contains("not a SONATA file"));
}

TEST_CASE("A killed writer leaves every flushed spike readable", "[io]") {
  TempDir dir;
  const fs::path path = dir.path / "killed.h5";
  RecordingPlan plan = three_populations();
  plan.variables = {{0, "v", "mV", {2, 3}, 1}};

  // The child must never return into Catch: it ends with SIGKILL, or _exit on a failure.
  auto run_child = [&](SonataWriter::Options options, Step steps) {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      try {
        SonataWriter writer(path, options);
        writer.begin(plan);
        for (Step s = 0; s < steps; ++s) {
          const std::vector<std::uint32_t> ids = pattern(s, 20);
          if (!ids.empty()) writer.spikes(s, 0, ids);
          const std::vector<double> v = {static_cast<double>(s), -static_cast<double>(s)};
          writer.samples(s, 0, v);
        }
        writer.advanced(steps);
        ::kill(::getpid(), SIGKILL);
      } catch (...) {
      }
      ::_exit(3);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(WTERMSIG(status) == SIGKILL);
  };

  Fed fed;
  for (Step s = 0; s < 50; ++s) {
    for (std::uint32_t id : pattern(s, 20)) {
      fed.timestamps.push_back(static_cast<double>(s) * plan.dt);
      fed.node_ids.push_back(id);
    }
  }

  SECTION("flushed on time: everything up to advanced() survives") {
    run_child({.chunk_spikes = 1 << 16, .flush_seconds = 0.0}, 50);
    const SonataReader reader(path);
    CHECK_FALSE(reader.complete());
    const SonataReader::Spikes exc = reader.spikes("exc");
    CHECK(exc.timestamps == fed.timestamps);
    CHECK(exc.node_ids == fed.node_ids);
    CHECK(reader.spikes("inh").timestamps.empty());
    const SonataReader::Samples v = reader.samples("exc", "v");
    REQUIRE(v.rows == 50);
    CHECK(v.at(49, 1) == -49.0);
    const std::vector<SonataReader::Variable> variables = reader.variables();
    REQUIRE(variables.size() == 1);
    CHECK(variables[0].stop == Approx(51 * plan.dt));
  }

  SECTION("flushed by size only: the full chunks survive, the buffer is lost") {
    run_child({.chunk_spikes = 7, .flush_seconds = 3600.0}, 50);
    // The writer appends whenever its buffer reaches 7 spikes; replay that schedule.
    std::size_t fed_count = 0, appended = 0, buffered = 0;
    for (Step s = 0; s < 50; ++s) {
      const std::size_t n = pattern(s, 20).size();
      fed_count += n;
      buffered += n;
      if (buffered >= 7) {
        appended = fed_count;
        buffered = 0;
      }
    }
    REQUIRE(appended < fed_count);
    const SonataReader reader(path);
    CHECK_FALSE(reader.complete());
    const SonataReader::Spikes exc = reader.spikes("exc");
    REQUIRE(exc.timestamps.size() == appended);
    CHECK(std::equal(exc.timestamps.begin(), exc.timestamps.end(), fed.timestamps.begin()));
    CHECK(std::equal(exc.node_ids.begin(), exc.node_ids.end(), fed.node_ids.begin()));
  }
}
