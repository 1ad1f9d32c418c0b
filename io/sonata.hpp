// Spikes and recorded state in one HDF5 file, laid out as SONATA output.
//
// Layout written by SonataWriter (and expected by SonataReader):
//   /                          attrs magic (u32 0x0A7A), version (u32[2] {0, 1}),
//                                    engram_complete (u8: 0 while running, 1 after close()),
//                                    engram_duration (f64, ms simulated, updated at each flush)
//   /spikes                    attr  dt (f64, ms)
//   /spikes/<population>       attrs sorting (enum u8 {none, by_id, by_time} = by_time),
//                                    n_nodes (u64, population size; engram's, not SONATA's)
//     timestamps               f64[n], attr units = "ms"
//     node_ids                 u64[n]
//   /report/<population>/<variable>
//     data                     f64[n_samples][n_neurons], attr units
//     mapping/node_ids         u64[n_neurons]
//     mapping/time             f64[3] = {start, stop, step} in ms; samples lie at
//                              start + k·step for k < (stop − start) / step (stop exclusive)
//
// Durability schedule: data reaches the file in appends — when a population's buffer holds
// chunk_spikes spikes (or a variable's ~1 MiB or chunk_spikes samples), and for every buffer
// whenever flush_seconds of wall time have passed since the last full flush (checked on every
// observer call). Each append ends with H5Fflush, so a killed process leaves a readable file
// holding everything up to its last append, with engram_complete = 0. The file uses the
// earliest library format (no SWMR), so any HDF5 1.8+ tool can open it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/observer.hpp"

namespace engram::io {

class SonataWriter : public engram::Observer {
 public:
  struct Options {
    std::size_t chunk_spikes = 1 << 16;  // spikes buffered per population before an append
    double flush_seconds = 1.0;          // longest wall time data may stay only in memory
  };

  explicit SonataWriter(std::filesystem::path path);
  SonataWriter(std::filesystem::path path, Options options);
  // Without close() (e.g. unwinding after an error) only releases handles: buffered data is
  // dropped and engram_complete stays 0. Never throws.
  ~SonataWriter() override;
  SonataWriter(const SonataWriter&) = delete;
  SonataWriter& operator=(const SonataWriter&) = delete;

  // Creates (truncates) the file; throws IoError naming the path and the HDF5 failure.
  void begin(const RecordingPlan& plan) override;
  void spikes(Step step, std::uint32_t population, std::span<const std::uint32_t> ids) override;
  void samples(Step step, std::uint32_t index, std::span<const double> values) override;
  void advanced(Step steps_done) override;

  // Writes what is buffered, marks the file complete and closes it. Idempotent.
  void close();

  const std::filesystem::path& path() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class SonataReader {
 public:
  struct Spikes {
    std::vector<double> timestamps;       // ms
    std::vector<std::uint64_t> node_ids;  // same length as timestamps
    std::string sorting;                  // "none", "by_id", "by_time" or "" if absent
    std::string units;                    // of timestamps
  };

  struct Variable {
    std::string population;
    std::string variable;
    std::string unit;
    std::vector<std::uint64_t> node_ids;         // the columns of samples()
    double start = 0.0, stop = 0.0, step = 0.0;  // ms, as in mapping/time
    std::uint64_t n_samples = 0;
  };

  struct Samples {
    std::vector<double> values;  // row-major [rows][columns]
    std::size_t rows = 0;        // one per sample time
    std::size_t columns = 0;     // one per recorded neuron
    double at(std::size_t row, std::size_t column) const { return values[row * columns + column]; }
  };

  // Throws IoError if the file is missing, not HDF5, or has no magic attribute or /spikes group.
  explicit SonataReader(const std::filesystem::path& path);
  static SonataReader open(const std::filesystem::path& path) { return SonataReader(path); }
  ~SonataReader();
  SonataReader(SonataReader&&) noexcept;
  SonataReader& operator=(SonataReader&&) noexcept;

  // Names of the /spikes/* groups, in HDF5 name order.
  std::vector<std::string> populations() const;
  // Reads only the length of one population's datasets.
  std::uint64_t spike_count(const std::string& population) const;
  // Throws IoError for an unknown population.
  Spikes spikes(const std::string& population) const;
  // False when the writer never reached close() (or the file was not written by engram).
  bool complete() const;
  // Earliest and latest spike time of a population (nullopt without spikes), read without
  // loading its spikes.
  std::optional<std::pair<double, double>> time_range(const std::string& population) const;
  std::optional<double> dt() const;
  // Simulated time the file covers, ms (engram's attribute; nullopt for other writers).
  std::optional<double> duration() const;
  // Number of neurons of a population (engram's n_nodes attribute), when present.
  std::optional<std::uint64_t> population_size(const std::string& population) const;
  // Metadata of every /report/<population>/<variable>; reads no sample data.
  std::vector<Variable> variables() const;
  Samples samples(const std::string& population, const std::string& variable) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace engram::io
