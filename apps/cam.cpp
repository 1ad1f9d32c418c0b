// engram cam: the CA3 content-addressable memory driven by a list of operations.
#include <fstream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "apps/commands.hpp"
#include "engine/error.hpp"
#include "io/network_json.hpp"
#include "io/raster_plot.hpp"
#include "io/sonata.hpp"
#include "models/ca3_cam/ca3_cam.hpp"

namespace engram::apps {

namespace {

// Keeps every spike of the run, for decoding and plotting (the memory is small).
struct Collector : Observer {
  RecordingPlan plan;
  std::vector<std::vector<std::pair<Step, std::uint32_t>>> spikes_by_population;
  void begin(const RecordingPlan& p) override {
    plan = p;
    spikes_by_population.assign(p.population_names.size(), {});
  }
  void spikes(Step step, std::uint32_t population, std::span<const std::uint32_t> ids) override {
    for (auto id : ids) spikes_by_population[population].emplace_back(step, id);
  }
};

}  // namespace

Command add_cam(CLI::App& app) {
  struct Options {
    std::string operations, backend = "serial", trace, export_path, plot;
    unsigned threads = 0;
  };
  auto o = std::make_shared<Options>();
  app.add_option("operations", o->operations, "operations document (JSON)")->required();
  app.add_option("--backend", o->backend, "serial or threads")
      ->check(CLI::IsMember({"serial", "threads"}));
  app.add_option("--threads", o->threads, "threads of the threads backend")
      ->check(CLI::Range(1u, 1024u));
  app.add_option("--trace", o->trace, "write every population's spikes to this HDF5 file");
  app.add_option("--export", o->export_path,
                 "write the network as a JSON description that `engram run` runs");
  app.add_option("--plot", o->plot, "draw a raster of the run (.png, .svg or .pdf)");
  return [o]() {
    using namespace models::ca3;
    const Experiment experiment = load_experiment(o->operations);
    const NetworkSpec spec = build_network(experiment);
    if (!o->plot.empty()) io::plot_format(o->plot);  // refuse a bad extension before running
    if (!o->export_path.empty()) {
      std::ofstream out(o->export_path);
      if (!out) throw IoError(fmt::format("cannot write \"{}\"", o->export_path));
      out << io::to_json(spec).dump(2) << '\n';
      if (!out) throw IoError(fmt::format("cannot write \"{}\"", o->export_path));
    }
    BackendOptions options;
    options.kind = o->threads && o->backend == "serial" ? "threads" : o->backend;
    options.threads = o->threads;
    auto backend = make_cpu_backend(spec, options);
    Collector collector;
    backend->attach(collector);
    std::unique_ptr<io::SonataWriter> writer;
    if (!o->trace.empty()) {
      writer = std::make_unique<io::SonataWriter>(o->trace);
      backend->attach(*writer);
    }
    backend->run(backend->runtime().default_steps);
    if (writer) writer->close();

    const auto& names = collector.plan.population_names;
    const auto output =
        static_cast<std::size_t>(std::find(names.begin(), names.end(), "output") - names.begin());
    nlohmann::ordered_json results = nlohmann::ordered_json::array();
    for (const auto& r : decode(experiment, collector.spikes_by_population[output]))
      results.push_back(to_json(r));
    fmt::print("[");
    for (std::size_t i = 0; i < results.size(); ++i)
      fmt::print("{}\n  {}", i ? "," : "", results[i].dump());
    fmt::print("{}]\n", results.empty() ? "" : "\n");

    if (!o->plot.empty()) {
      std::vector<io::RasterBand> bands;
      for (std::size_t p = 0; p < names.size(); ++p) {
        io::RasterBand band{names[p], collector.plan.population_sizes[p], {}, {}};
        for (const auto& [step, id] : collector.spikes_by_population[p]) {
          band.times.push_back(static_cast<double>(step) * spec.dt);
          band.ids.push_back(id);
        }
        bands.push_back(std::move(band));
      }
      io::RasterOptions ro;
      ro.from = 0.0;
      ro.to = spec.duration;
      ro.title = fmt::format("CA3 memory, {} cues x {} bits", experiment.cue_size,
                             experiment.content_size);
      io::plot_raster(bands, o->plot, ro);
    }
    return 0;
  };
}

}  // namespace engram::apps
