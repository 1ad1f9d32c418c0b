// engram plot: a raster plot of an output file.
#include <memory>

#include <fmt/format.h>

#include "apps/commands.hpp"
#include "io/raster_plot.hpp"
#include "io/sonata.hpp"

namespace engram::apps {

Command add_plot(CLI::App& app) {
  struct Options {
    std::string input, output;
    io::RasterOptions raster;
  };
  auto o = std::make_shared<Options>();
  app.add_option("file", o->input, "HDF5 file written by engram run")->required();
  app.add_option("-o,--output", o->output, "figure to write: .png, .svg or .pdf")->required();
  app.add_option("--populations", o->raster.populations,
                 "populations to draw, top to bottom (default: all, in file order)")
      ->delimiter(',');
  app.add_option("--from", o->raster.from, "start of the time window in ms (default: 0)");
  app.add_option("--to", o->raster.to, "end of the time window in ms (default: the duration)");
  app.add_option("--width", o->raster.width, "figure width: pixels (PNG) or points (SVG, PDF)")
      ->capture_default_str();
  app.add_option("--height", o->raster.height, "figure height: pixels (PNG) or points (SVG, PDF)")
      ->capture_default_str();
  app.add_option("--title", o->raster.title, "title above the plot (default: none)");
  return [o]() {
    // Checked before the input is opened, so a mistyped output name is reported first.
    io::plot_format(o->output);
    const io::SonataReader reader(o->input);
    io::plot_raster(reader, o->output, o->raster);
    fmt::print("raster plot written to {}\n", o->output);
    return 0;
  };
}

}  // namespace engram::apps
