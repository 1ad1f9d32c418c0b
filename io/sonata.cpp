#include "io/sonata.hpp"

#include <hdf5.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <chrono>
#include <limits>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "engine/error.hpp"
#include "io/hdf5.hpp"

namespace engram::io {

namespace {

using hdf5::Handle;
using hdf5::QuietErrors;

constexpr std::uint32_t kMagic = 0x0A7A;
constexpr std::array<std::uint32_t, 2> kVersion = {0, 1};
constexpr std::uint8_t kSortingByTime = 2;
// 8192 doubles = 64 KiB: chunks in HDF5's recommended range, small enough that a file with
// many sparsely spiking populations does not fill up with mostly empty chunks.
constexpr hsize_t kChunkElements = 8192;
constexpr std::size_t kStateBufferBytes = std::size_t{1} << 20;

// The API-level description and the innermost cause, e.g. "unable to create file (unable to
// open file: name = '...', errno = 2, error message = 'No such file or directory', ...)".
std::string hdf5_reason() {
  struct Ends {
    std::string outer, inner;
  } ends;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned, const H5E_error2_t* error, void* data) -> herr_t {
        auto& found = *static_cast<Ends*>(data);
        if (error->desc == nullptr || *error->desc == '\0') return 0;
        if (found.outer.empty()) found.outer = error->desc;
        found.inner = error->desc;
        return 0;
      },
      &ends);
  H5Eclear2(H5E_DEFAULT);
  if (ends.outer.empty()) return "unknown HDF5 error";
  if (ends.inner == ends.outer) return ends.outer;
  return fmt::format("{} ({})", ends.outer, ends.inner);
}

[[noreturn]] void fail(const std::string& path, std::string_view what) {
  throw IoError(fmt::format("{}: {}: {}", path, what, hdf5_reason()));
}

void check(herr_t status, const std::string& path, std::string_view what) {
  if (status < 0) fail(path, what);
}

Handle own(hid_t id, Handle::Closer closer, const std::string& path, std::string_view what) {
  if (id < 0) fail(path, what);
  return Handle(id, closer);
}

// count == 0 makes a scalar attribute, otherwise a 1-D array of count elements.
void write_attribute(hid_t object, const char* name, hid_t file_type, hid_t memory_type,
                     const void* value, hsize_t count, const std::string& path) {
  const std::string what = fmt::format("cannot write attribute {}", name);
  Handle space = count == 0 ? own(H5Screate(H5S_SCALAR), H5Sclose, path, what)
                            : own(H5Screate_simple(1, &count, nullptr), H5Sclose, path, what);
  Handle attribute = own(H5Acreate2(object, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                         H5Aclose, path, what);
  check(H5Awrite(attribute.get(), memory_type, value), path, what);
}

// Fixed-length, null-terminated: readable by every tool, and no heap objects in the file.
void write_string_attribute(hid_t object, const char* name, const std::string& value,
                            const std::string& path) {
  Handle type = own(H5Tcopy(H5T_C_S1), H5Tclose, path, "cannot create string type");
  check(H5Tset_size(type.get(), value.size() + 1), path, "cannot size string type");
  check(H5Tset_strpad(type.get(), H5T_STR_NULLTERM), path, "cannot pad string type");
  write_attribute(object, name, type.get(), type.get(), value.c_str(), 0, path);
}

Handle create_group(hid_t location, const std::string& name, const std::string& path,
                    std::string_view where) {
  return own(H5Gcreate2(location, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
             path, fmt::format("cannot create group {}/{}", where, name));
}

// A dataset that grows along its first dimension: rank 1 (columns ignored) or rank 2.
Handle create_growing(hid_t location, const char* name, hid_t type, int rank, hsize_t columns,
                      hsize_t chunk_rows, const std::string& path, std::string_view where) {
  const std::string what = fmt::format("cannot create dataset {}/{}", where, name);
  const hsize_t dims[2] = {0, columns};
  const hsize_t max_dims[2] = {H5S_UNLIMITED, columns == 0 ? H5S_UNLIMITED : columns};
  const hsize_t chunk[2] = {chunk_rows, std::clamp<hsize_t>(columns, 1, kChunkElements)};
  Handle space = own(H5Screate_simple(rank, dims, max_dims), H5Sclose, path, what);
  Handle properties = own(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, path, what);
  check(H5Pset_chunk(properties.get(), rank, chunk), path, what);
  return own(
      H5Dcreate2(location, name, type, space.get(), H5P_DEFAULT, properties.get(), H5P_DEFAULT),
      H5Dclose, path, what);
}

// A fixed-size 1-D dataset written once (or rewritten whole).
Handle create_fixed(hid_t location, const char* name, hid_t file_type, hid_t memory_type,
                    const void* data, hsize_t count, const std::string& path,
                    std::string_view where) {
  const std::string what = fmt::format("cannot write dataset {}/{}", where, name);
  Handle space = own(H5Screate_simple(1, &count, nullptr), H5Sclose, path, what);
  Handle dataset =
      own(H5Dcreate2(location, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
          H5Dclose, path, what);
  if (count > 0) {
    check(H5Dwrite(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), path, what);
  }
  return dataset;
}

// Appends rows [first_row, first_row + rows) of a growing dataset.
void append_rows(hid_t dataset, hid_t memory_type, const void* data, hsize_t first_row,
                 hsize_t rows, int rank, hsize_t columns, const std::string& path,
                 std::string_view what) {
  const hsize_t extent[2] = {first_row + rows, columns};
  check(H5Dset_extent(dataset, extent), path, what);
  if (rows == 0 || (rank == 2 && columns == 0)) return;
  Handle file_space = own(H5Dget_space(dataset), H5Sclose, path, what);
  const hsize_t start[2] = {first_row, 0};
  const hsize_t count[2] = {rows, columns};
  check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr), path,
        what);
  Handle memory_space = own(H5Screate_simple(rank, count, nullptr), H5Sclose, path, what);
  check(H5Dwrite(dataset, memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT, data),
        path, what);
}

struct SpikeStream {
  bool recorded = false;
  std::string name;  // "/spikes/<population>", for messages
  Handle timestamps, node_ids;
  // Invariant: times.size() == ids.size() < chunk_spikes between observer calls.
  std::vector<double> times;
  std::vector<std::uint64_t> ids;
  hsize_t written = 0;
};

struct StateStream {
  std::string name;  // "/report/<population>/<variable>"
  Handle data, time;
  hsize_t columns = 0;
  std::size_t max_rows = 1;  // samples buffered before an append
  std::vector<double> buffer;
  hsize_t received = 0, written = 0;  // samples; buffer holds received - written of them
  Step interval = 1;
  Step first = 0, last = 0;  // steps of the first and latest sample
};

}  // namespace

struct SonataWriter::Impl {
  std::filesystem::path path;
  std::string path_text;
  Options options;
  double dt = 0.0;
  Step steps_done = 0;  // simulated so far, written as engram_duration at every flush
  Step last_step = -1;  // latest step of a spike or sample received
  Handle file;          // declared before the streams, so closed after everything inside it
  std::vector<SpikeStream> spikes;
  std::vector<StateStream> states;
  std::chrono::steady_clock::time_point last_flush;
  bool begun = false, closed = false;

  ~Impl() {
    QuietErrors quiet;
    states.clear();
    spikes.clear();
    file.reset();
  }

  std::size_t chunk_spikes() const { return std::max<std::size_t>(1, options.chunk_spikes); }

  void create(const RecordingPlan& plan) {
    dt = plan.dt;
    file = own(H5Fcreate(path_text.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose,
               path_text, "cannot create file");
    const hid_t root = file.get();
    const std::uint8_t incomplete = 0;
    write_attribute(root, "magic", H5T_STD_U32LE, H5T_NATIVE_UINT32, &kMagic, 0, path_text);
    write_attribute(root, "version", H5T_STD_U32LE, H5T_NATIVE_UINT32, kVersion.data(),
                    kVersion.size(), path_text);
    write_attribute(root, "engram_complete", H5T_STD_U8LE, H5T_NATIVE_UINT8, &incomplete, 0,
                    path_text);
    const double no_time = 0.0;
    write_attribute(root, "engram_duration", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &no_time, 0,
                    path_text);

    Handle spikes_group = create_group(root, "spikes", path_text, "");
    write_attribute(spikes_group.get(), "dt", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &dt, 0, path_text);
    Handle sorting = own(H5Tenum_create(H5T_STD_U8LE), H5Tclose, path_text, "cannot create enum");
    for (const auto& [label, value] :
         {std::pair<const char*, std::uint8_t>{"none", 0}, {"by_id", 1}, {"by_time", 2}}) {
      check(H5Tenum_insert(sorting.get(), label, &value), path_text, "cannot create enum");
    }

    assert(plan.record_spikes.size() == plan.population_names.size());
    const hsize_t spike_chunk = std::min<hsize_t>(chunk_spikes(), kChunkElements);
    spikes.resize(plan.population_names.size());
    for (std::size_t p = 0; p < spikes.size(); ++p) {
      if (!plan.record_spikes[p]) continue;
      SpikeStream& stream = spikes[p];
      stream.recorded = true;
      stream.name = "/spikes/" + plan.population_names[p];
      Handle group =
          create_group(spikes_group.get(), plan.population_names[p], path_text, "/spikes");
      write_attribute(group.get(), "sorting", sorting.get(), sorting.get(), &kSortingByTime, 0,
                      path_text);
      // Not part of SONATA: the population's size, so that readers can compute rates.
      const std::uint64_t size = plan.population_sizes[p];
      write_attribute(group.get(), "n_nodes", H5T_STD_U64LE, H5T_NATIVE_UINT64, &size, 0,
                      path_text);
      stream.timestamps = create_growing(group.get(), "timestamps", H5T_IEEE_F64LE, 1, 0,
                                         spike_chunk, path_text, stream.name);
      write_string_attribute(stream.timestamps.get(), "units", "ms", path_text);
      stream.node_ids = create_growing(group.get(), "node_ids", H5T_STD_U64LE, 1, 0, spike_chunk,
                                       path_text, stream.name);
    }

    if (!plan.variables.empty()) create_reports(plan);
    last_flush = std::chrono::steady_clock::now();
    flush_file();
  }

  void create_reports(const RecordingPlan& plan) {
    Handle report = create_group(file.get(), "report", path_text, "");
    states.resize(plan.variables.size());
    for (std::size_t i = 0; i < states.size(); ++i) {
      const RecordedVariable& variable = plan.variables[i];
      assert(variable.population < plan.population_names.size());
      const std::string& population = plan.population_names[variable.population];
      const std::string where = "/report/" + population;
      const htri_t exists = H5Lexists(report.get(), population.c_str(), H5P_DEFAULT);
      Handle population_group = exists > 0
                                    ? own(H5Gopen2(report.get(), population.c_str(), H5P_DEFAULT),
                                          H5Gclose, path_text, "cannot open group " + where)
                                    : create_group(report.get(), population, path_text, "/report");
      Handle group = create_group(population_group.get(), variable.variable, path_text, where);

      StateStream& stream = states[i];
      stream.name = where + "/" + variable.variable;
      stream.columns = variable.neurons.size();
      stream.interval = std::max<Step>(1, variable.interval);
      const std::size_t row_bytes = sizeof(double) * std::max<std::size_t>(1, stream.columns);
      stream.max_rows = std::clamp<std::size_t>(kStateBufferBytes / row_bytes, 1, chunk_spikes());
      const hsize_t chunk_rows = std::max<hsize_t>(
          1, kChunkElements / std::clamp<hsize_t>(stream.columns, 1, kChunkElements));
      stream.data = create_growing(group.get(), "data", H5T_IEEE_F64LE, 2, stream.columns,
                                   chunk_rows, path_text, stream.name);
      write_string_attribute(stream.data.get(), "units", variable.unit, path_text);

      Handle mapping = create_group(group.get(), "mapping", path_text, stream.name);
      create_fixed(mapping.get(), "node_ids", H5T_STD_U64LE, H5T_NATIVE_UINT64,
                   variable.neurons.data(), stream.columns, path_text, stream.name + "/mapping");
      const std::array<double, 3> time = time_mapping(stream);
      stream.time = create_fixed(mapping.get(), "time", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                                 time.data(), time.size(), path_text, stream.name + "/mapping");
    }
  }

  std::array<double, 3> time_mapping(const StateStream& stream) const {
    const double step = static_cast<double>(stream.interval) * dt;
    if (stream.received == 0) return {0.0, 0.0, step};
    // A sample taken at the end of step s is the state at time (s + 1)·dt.
    return {static_cast<double>(stream.first + 1) * dt,
            static_cast<double>(stream.last + 1 + stream.interval) * dt, step};
  }

  void append_spikes(SpikeStream& stream) {
    const hsize_t count = stream.times.size();
    if (count == 0) return;
    const std::string what = "cannot append to " + stream.name;
    append_rows(stream.timestamps.get(), H5T_NATIVE_DOUBLE, stream.times.data(), stream.written,
                count, 1, 0, path_text, what);
    append_rows(stream.node_ids.get(), H5T_NATIVE_UINT64, stream.ids.data(), stream.written, count,
                1, 0, path_text, what);
    stream.written += count;
    stream.times.clear();
    stream.ids.clear();
  }

  void append_samples(StateStream& stream) {
    const hsize_t rows = stream.received - stream.written;
    if (rows == 0) return;
    const std::string what = "cannot append to " + stream.name;
    append_rows(stream.data.get(), H5T_NATIVE_DOUBLE, stream.buffer.data(), stream.written, rows, 2,
                stream.columns, path_text, what);
    stream.written = stream.received;
    stream.buffer.clear();
    const std::array<double, 3> time = time_mapping(stream);
    check(
        H5Dwrite(stream.time.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, time.data()),
        path_text, what);
  }

  void flush_file() { check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), path_text, "cannot flush"); }

  void flush_all() {
    for (SpikeStream& stream : spikes) {
      if (stream.recorded) append_spikes(stream);
    }
    for (StateStream& stream : states) append_samples(stream);
    {
      Handle attribute = own(H5Aopen(file.get(), "engram_duration", H5P_DEFAULT), H5Aclose,
                             path_text, "cannot update duration");
      // Spikes can be flushed before the run() call that made them returns.
      const double duration = static_cast<double>(std::max(steps_done, last_step + 1)) * dt;
      check(H5Awrite(attribute.get(), H5T_NATIVE_DOUBLE, &duration), path_text,
            "cannot update duration");
    }
    flush_file();
    last_flush = std::chrono::steady_clock::now();
  }

  void flush_if_due() {
    const std::chrono::duration<double> since = std::chrono::steady_clock::now() - last_flush;
    if (since.count() < options.flush_seconds) return;
    QuietErrors quiet;
    flush_all();
  }
};

SonataWriter::SonataWriter(std::filesystem::path path) : SonataWriter(std::move(path), Options{}) {}

SonataWriter::SonataWriter(std::filesystem::path path, Options options)
    : impl_(std::make_unique<Impl>()) {
  impl_->path_text = path.string();
  impl_->path = std::move(path);
  impl_->options = options;
}

SonataWriter::~SonataWriter() = default;

const std::filesystem::path& SonataWriter::path() const {
  return impl_->path;
}

void SonataWriter::begin(const RecordingPlan& plan) {
  assert(!impl_->begun && "a SonataWriter records one run");
  QuietErrors quiet;
  impl_->create(plan);
  impl_->begun = true;
}

void SonataWriter::spikes(Step step, std::uint32_t population, std::span<const std::uint32_t> ids) {
  Impl& impl = *impl_;
  assert(impl.begun && !impl.closed);
  assert(population < impl.spikes.size() && impl.spikes[population].recorded);
  SpikeStream& stream = impl.spikes[population];
  impl.last_step = std::max(impl.last_step, step);
  stream.times.insert(stream.times.end(), ids.size(), static_cast<double>(step) * impl.dt);
  stream.ids.insert(stream.ids.end(), ids.begin(), ids.end());
  if (stream.times.size() >= impl.chunk_spikes()) {
    QuietErrors quiet;
    impl.append_spikes(stream);
    impl.flush_file();
  }
  impl.flush_if_due();
}

void SonataWriter::samples(Step step, std::uint32_t index, std::span<const double> values) {
  Impl& impl = *impl_;
  assert(impl.begun && !impl.closed);
  assert(index < impl.states.size());
  StateStream& stream = impl.states[index];
  assert(values.size() == stream.columns);
  // mapping/time describes samples as a regular grid; anything else would be a backend bug.
  assert(stream.received == 0 || step == stream.last + stream.interval);
  impl.last_step = std::max(impl.last_step, step);
  if (stream.received == 0) stream.first = step;
  stream.last = step;
  ++stream.received;
  stream.buffer.insert(stream.buffer.end(), values.begin(), values.end());
  if (stream.received - stream.written >= stream.max_rows) {
    QuietErrors quiet;
    impl.append_samples(stream);
    impl.flush_file();
  }
  impl.flush_if_due();
}

void SonataWriter::advanced(Step steps_done) {
  assert(impl_->begun && !impl_->closed);
  impl_->steps_done = steps_done;
  impl_->flush_if_due();
}

void SonataWriter::close() {
  Impl& impl = *impl_;
  if (!impl.begun || impl.closed) return;
  QuietErrors quiet;
  impl.flush_all();
  {
    Handle attribute = own(H5Aopen(impl.file.get(), "engram_complete", H5P_DEFAULT), H5Aclose,
                           impl.path_text, "cannot mark file complete");
    const std::uint8_t complete = 1;
    check(H5Awrite(attribute.get(), H5T_NATIVE_UINT8, &complete), impl.path_text,
          "cannot mark file complete");
  }
  impl.states.clear();
  impl.spikes.clear();
  check(H5Fclose(impl.file.release()), impl.path_text, "cannot close file");
  impl.closed = true;
}

// ---------------------------------------------------------------------------------------------

namespace {

bool has_link(hid_t location, const std::string& name) {
  return H5Lexists(location, name.c_str(), H5P_DEFAULT) > 0;
}

// Child names of a group in name order; SONATA keeps one population or variable per child.
std::vector<std::string> child_names(hid_t group, const std::string& path) {
  H5G_info_t info;
  check(H5Gget_info(group, &info), path, "cannot list group");
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t size =
        H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (size < 0) fail(path, "cannot list group");
    std::string name(static_cast<std::size_t>(size) + 1, '\0');
    H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(),
                       H5P_DEFAULT);
    name.resize(static_cast<std::size_t>(size));
    names.push_back(std::move(name));
  }
  return names;
}

Handle open_group(hid_t location, const std::string& name, const std::string& path) {
  return own(H5Gopen2(location, name.c_str(), H5P_DEFAULT), H5Gclose, path,
             "cannot open group " + name);
}

Handle open_dataset(hid_t location, const std::string& name, const std::string& path) {
  return own(H5Dopen2(location, name.c_str(), H5P_DEFAULT), H5Dclose, path,
             "cannot open dataset " + name);
}

std::vector<hsize_t> shape(hid_t dataset, const std::string& path) {
  Handle space = own(H5Dget_space(dataset), H5Sclose, path, "cannot read dataset shape");
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) fail(path, "cannot read dataset shape");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return dims;
}

template <class T>
std::vector<T> read_all(hid_t location, const std::string& name, hid_t memory_type,
                        const std::string& path) {
  Handle dataset = open_dataset(location, name, path);
  hsize_t count = 1;
  for (hsize_t d : shape(dataset.get(), path)) count *= d;
  std::vector<T> values(count);
  if (count > 0) {
    check(H5Dread(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), path,
          "cannot read dataset " + name);
  }
  return values;
}

template <class T>
std::optional<T> read_number_attribute(hid_t object, const char* name, hid_t memory_type,
                                       const std::string& path) {
  if (H5Aexists(object, name) <= 0) return std::nullopt;
  const std::string what = fmt::format("cannot read attribute {}", name);
  Handle attribute = own(H5Aopen(object, name, H5P_DEFAULT), H5Aclose, path, what);
  T value{};
  check(H5Aread(attribute.get(), memory_type, &value), path, what);
  return value;
}

// Accepts fixed-length and variable-length strings; other writers use either.
std::string read_string(hid_t attribute, hid_t type, const std::string& path) {
  if (H5Tis_variable_str(type) > 0) {
    Handle memory = own(H5Tcopy(H5T_C_S1), H5Tclose, path, "cannot read string");
    check(H5Tset_size(memory.get(), H5T_VARIABLE), path, "cannot read string");
    char* text = nullptr;
    check(H5Aread(attribute, memory.get(), &text), path, "cannot read string");
    std::string value = text != nullptr ? text : "";
    H5free_memory(text);
    return value;
  }
  std::string value(H5Tget_size(type), '\0');
  check(H5Aread(attribute, type, value.data()), path, "cannot read string");
  value.resize(std::min(value.size(), value.find('\0')));
  if (H5Tget_strpad(type) == H5T_STR_SPACEPAD) value.resize(value.find_last_not_of(' ') + 1);
  return value;
}

// "" when the attribute is absent or neither a string nor an enum.
std::string read_label_attribute(hid_t object, const char* name, const std::string& path) {
  if (H5Aexists(object, name) <= 0) return "";
  const std::string what = fmt::format("cannot read attribute {}", name);
  Handle attribute = own(H5Aopen(object, name, H5P_DEFAULT), H5Aclose, path, what);
  Handle type = own(H5Aget_type(attribute.get()), H5Tclose, path, what);
  switch (H5Tget_class(type.get())) {
    case H5T_STRING:
      return read_string(attribute.get(), type.get(), path);
    case H5T_ENUM: {
      std::array<unsigned char, 16> value{};
      std::array<char, 256> label{};
      if (H5Tget_size(type.get()) > value.size()) return "";
      check(H5Aread(attribute.get(), type.get(), value.data()), path, what);
      if (H5Tenum_nameof(type.get(), value.data(), label.data(), label.size()) < 0) {
        H5Eclear2(H5E_DEFAULT);
        return "";
      }
      return label.data();
    }
    default:
      return "";
  }
}

}  // namespace

struct SonataReader::Impl {
  std::string path;
  Handle file;

  // Opens a group the caller named, or says which names exist.
  Handle named_group(hid_t parent, const std::string& name, std::string_view kind) const {
    if (!has_link(parent, name)) {
      const std::vector<std::string> known = child_names(parent, path);
      throw IoError(fmt::format("{}: no {} \"{}\"{}", path, kind, name, did_you_mean(name, known)));
    }
    return open_group(parent, name, path);
  }
};

SonataReader::SonataReader(const std::filesystem::path& path) : impl_(std::make_unique<Impl>()) {
  QuietErrors quiet;
  Impl& impl = *impl_;
  impl.path = path.string();
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    throw IoError(fmt::format("{}: no such file", impl.path));
  }
  if (H5Fis_hdf5(impl.path.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw IoError(fmt::format("{}: not an HDF5 file", impl.path));
  }
  impl.file = own(H5Fopen(impl.path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, impl.path,
                  "cannot open file");
  if (H5Aexists(impl.file.get(), "magic") <= 0) {
    throw IoError(fmt::format("{}: not a SONATA file (no magic attribute)", impl.path));
  }
  if (!has_link(impl.file.get(), "spikes")) {
    throw IoError(fmt::format("{}: not a SONATA spike file (no /spikes group)", impl.path));
  }
}

SonataReader::~SonataReader() {
  if (impl_ == nullptr) return;
  QuietErrors quiet;
  impl_->file.reset();
}

SonataReader::SonataReader(SonataReader&&) noexcept = default;
SonataReader& SonataReader::operator=(SonataReader&&) noexcept = default;

std::vector<std::string> SonataReader::populations() const {
  QuietErrors quiet;
  Handle group = open_group(impl_->file.get(), "spikes", impl_->path);
  return child_names(group.get(), impl_->path);
}

std::uint64_t SonataReader::spike_count(const std::string& population) const {
  QuietErrors quiet;
  Handle spikes_group = open_group(impl_->file.get(), "spikes", impl_->path);
  Handle group = impl_->named_group(spikes_group.get(), population, "spike population");
  Handle dataset = open_dataset(group.get(), "timestamps", impl_->path);
  const std::vector<hsize_t> dims = shape(dataset.get(), impl_->path);
  return dims.empty() ? 0 : dims[0];
}

std::optional<std::pair<double, double>> SonataReader::time_range(
    const std::string& population) const {
  QuietErrors quiet;
  Handle spikes_group = open_group(impl_->file.get(), "spikes", impl_->path);
  Handle group = impl_->named_group(spikes_group.get(), population, "spike population");
  Handle dataset = open_dataset(group.get(), "timestamps", impl_->path);
  const std::vector<hsize_t> dims = shape(dataset.get(), impl_->path);
  if (dims.empty() || dims[0] == 0) return std::nullopt;
  const bool sorted = read_label_attribute(group.get(), "sorting", impl_->path) == "by_time";
  // Sorted by time: the first and the last element. Otherwise scan in blocks, so that memory
  // stays bounded however many spikes the file holds.
  const hsize_t n = dims[0];
  const hsize_t block = sorted ? 1 : std::min<hsize_t>(n, 1 << 20);
  std::vector<double> buffer(block);
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  Handle file_space = own(H5Dget_space(dataset.get()), H5Sclose, impl_->path, "cannot read spikes");
  auto read_block = [&](hsize_t start, hsize_t count) {
    check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr),
          impl_->path, "cannot read spikes");
    Handle memory =
        own(H5Screate_simple(1, &count, nullptr), H5Sclose, impl_->path, "cannot read spikes");
    check(H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, memory.get(), file_space.get(), H5P_DEFAULT,
                  buffer.data()),
          impl_->path, "cannot read spikes");
    for (hsize_t i = 0; i < count; ++i) {
      lo = std::min(lo, buffer[i]);
      hi = std::max(hi, buffer[i]);
    }
  };
  if (sorted) {
    read_block(0, 1);
    read_block(n - 1, 1);
  } else {
    for (hsize_t start = 0; start < n; start += block)
      read_block(start, std::min(block, n - start));
  }
  return std::make_pair(lo, hi);
}

SonataReader::Spikes SonataReader::spikes(const std::string& population) const {
  QuietErrors quiet;
  const std::string& path = impl_->path;
  Handle spikes_group = open_group(impl_->file.get(), "spikes", path);
  Handle group = impl_->named_group(spikes_group.get(), population, "spike population");
  Spikes result;
  result.timestamps = read_all<double>(group.get(), "timestamps", H5T_NATIVE_DOUBLE, path);
  result.node_ids = read_all<std::uint64_t>(group.get(), "node_ids", H5T_NATIVE_UINT64, path);
  if (result.timestamps.size() != result.node_ids.size()) {
    throw IoError(fmt::format("{}: /spikes/{} has {} timestamps but {} node_ids", path, population,
                              result.timestamps.size(), result.node_ids.size()));
  }
  result.sorting = read_label_attribute(group.get(), "sorting", path);
  Handle timestamps = open_dataset(group.get(), "timestamps", path);
  result.units = read_label_attribute(timestamps.get(), "units", path);
  return result;
}

bool SonataReader::complete() const {
  QuietErrors quiet;
  const auto flag = read_number_attribute<std::uint8_t>(impl_->file.get(), "engram_complete",
                                                        H5T_NATIVE_UINT8, impl_->path);
  return flag.value_or(0) != 0;
}

std::optional<double> SonataReader::dt() const {
  QuietErrors quiet;
  Handle group = open_group(impl_->file.get(), "spikes", impl_->path);
  return read_number_attribute<double>(group.get(), "dt", H5T_NATIVE_DOUBLE, impl_->path);
}

std::optional<double> SonataReader::duration() const {
  QuietErrors quiet;
  return read_number_attribute<double>(impl_->file.get(), "engram_duration", H5T_NATIVE_DOUBLE,
                                       impl_->path);
}

std::optional<std::uint64_t> SonataReader::population_size(const std::string& population) const {
  QuietErrors quiet;
  if (!has_link(impl_->file.get(), "spikes/" + population)) return std::nullopt;
  Handle group = open_group(impl_->file.get(), "spikes/" + population, impl_->path);
  return read_number_attribute<std::uint64_t>(group.get(), "n_nodes", H5T_NATIVE_UINT64,
                                              impl_->path);
}

std::vector<SonataReader::Variable> SonataReader::variables() const {
  QuietErrors quiet;
  const std::string& path = impl_->path;
  std::vector<Variable> result;
  if (!has_link(impl_->file.get(), "report")) return result;
  Handle report = open_group(impl_->file.get(), "report", path);
  for (const std::string& population : child_names(report.get(), path)) {
    Handle population_group = open_group(report.get(), population, path);
    for (const std::string& name : child_names(population_group.get(), path)) {
      Handle group = open_group(population_group.get(), name, path);
      Variable variable{.population = population, .variable = name};
      Handle data = open_dataset(group.get(), "data", path);
      const std::vector<hsize_t> dims = shape(data.get(), path);
      variable.n_samples = dims.empty() ? 0 : dims[0];
      variable.unit = read_label_attribute(data.get(), "units", path);
      variable.node_ids =
          read_all<std::uint64_t>(group.get(), "mapping/node_ids", H5T_NATIVE_UINT64, path);
      const auto time = read_all<double>(group.get(), "mapping/time", H5T_NATIVE_DOUBLE, path);
      if (time.size() == 3) {
        variable.start = time[0];
        variable.stop = time[1];
        variable.step = time[2];
      }
      result.push_back(std::move(variable));
    }
  }
  return result;
}

SonataReader::Samples SonataReader::samples(const std::string& population,
                                            const std::string& variable) const {
  QuietErrors quiet;
  const std::string& path = impl_->path;
  Handle report = impl_->named_group(impl_->file.get(), "report", "group");
  Handle population_group = impl_->named_group(report.get(), population, "report population");
  Handle group = impl_->named_group(population_group.get(), variable, "recorded variable");
  Handle data = open_dataset(group.get(), "data", path);
  const std::vector<hsize_t> dims = shape(data.get(), path);
  if (dims.size() != 2) {
    throw IoError(fmt::format("{}: /report/{}/{}/data has rank {}, expected 2", path, population,
                              variable, dims.size()));
  }
  Samples result{.rows = dims[0], .columns = dims[1]};
  result.values = read_all<double>(group.get(), "data", H5T_NATIVE_DOUBLE, path);
  return result;
}

}  // namespace engram::io
