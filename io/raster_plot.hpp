// Raster plots of spikes: one horizontal band per population, time on the x axis.
//
// Figure layout, top to bottom: optional title; the bands, in the order asked for, separated
// by a small gap with a thin grey rule in it; the shared time axis (ms) with ticks at
// 1, 2, 5 × 10^k. A band's height is proportional to its neuron count but never below the
// height of one line of text, so a 1-neuron population stays visible and labelled. Within a
// band neuron 0 is at the bottom; the band's name stands left of its neuron-id ticks.
//
// Marks adapt to density: where a band has room per neuron and few spikes per pixel each spike
// is a short vertical tick; otherwise each spike sets one pixel (one point in SVG/PDF), and
// coinciding spikes are drawn once, so dense output stays small in the vector formats.
//
// The output format follows the file's extension (.png, .svg, .pdf). The figure is composed in
// memory and the file is written only at the end: bad input leaves no file behind.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "io/sonata.hpp"

namespace engram::io {

// The spikes of one population, held in memory.
struct RasterBand {
  std::string name;
  std::uint64_t size = 0;          // neurons; every id must be below it
  std::vector<double> times;       // ms
  std::vector<std::uint64_t> ids;  // same length as times
};

struct RasterOptions {
  // Bands top to bottom; empty: every population, in the order given (file order for a file).
  std::vector<std::string> populations;
  // Time window in ms. Default: from 0 to the simulated duration of the file (for in-memory
  // bands, the last spike).
  std::optional<double> from, to;
  int width = 1200, height = 800;  // pixels for PNG, points for SVG and PDF
  std::string title;               // none when empty
};

enum class PlotFormat { png, svg, pdf };

// The format named by the file's extension (case-insensitive); InputError for any other.
PlotFormat plot_format(const std::filesystem::path& out);

// Reads one population at a time, so memory grows with the largest population's spikes, not
// with the file. Throws InputError for an unknown population (with a did-you-mean), an empty
// or inverted time window, a bad size or extension; IoError when the input cannot be read or
// the output cannot be written.
void plot_raster(const SonataReader& reader, const std::filesystem::path& out,
                 const RasterOptions& options);

// The same figure from bands already in memory (options.populations selects and orders them
// by name). Also throws InputError when a band's ids and times differ in length or an id is
// not below the band's size.
void plot_raster(const std::vector<RasterBand>& bands, const std::filesystem::path& out,
                 const RasterOptions& options);

}  // namespace engram::io
