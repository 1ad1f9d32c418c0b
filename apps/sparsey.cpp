// engram sparsey: train a Sparsey hierarchy on an image data set in one pass and save it;
// evaluate a saved one (docs/cli.md, docs/models/sparsey.md).
#include <algorithm>
#include <memory>

#include <fmt/format.h>

#include "apps/commands.hpp"
#include "models/sparsey/model.hpp"

namespace engram::apps {

namespace {

using namespace models::sparsey;

void print_architecture(const Hierarchy& h) {
  for (std::size_t l = 0; l < h.levels(); ++l) {
    const LevelSpec& s = h.architecture().levels[l];
    fmt::print("level {}     {}×{} macs of Q {} × K {}, receptive field {}×{}, stride {}×{}\n", l,
               h.macs_x(l), h.macs_y(l), s.mac.q, s.mac.k, s.rf_w, s.rf_h, s.stride_x, s.stride_y);
  }
}

void print_familiarity(const PassStats& s) {
  for (std::size_t l = 0; l < s.mean_g.size(); ++l)
    fmt::print("level {}     mean G {:.3f} over active macs, {:.1f}% of macs active\n", l,
               s.mean_g[l], 100.0 * s.active_fraction[l]);
  std::vector<double> g = s.top_g;
  std::sort(g.begin(), g.end());
  if (!g.empty())
    fmt::print("top G       min {:.3f}, median {:.3f}, max {:.3f}\n", g.front(), g[g.size() / 2],
               g.back());
}

void print_time(const PassStats& s) {
  fmt::print("time        {:.3f} s for {} items, {:.3f} ms per item\n", s.seconds, s.items,
             1e3 * s.seconds / static_cast<double>(std::max<std::size_t>(s.items, 1)));
}

}  // namespace

Command add_sparsey(CLI::App& app) {
  app.require_subcommand(1);
  auto config = std::make_shared<std::string>();
  CLI::App* train_cmd = app.add_subcommand("train", "learn a data set in one pass, save the model");
  train_cmd->add_option("config", *config, "experiment configuration (JSON)")->required();
  CLI::App* eval_cmd =
      app.add_subcommand("eval", "recognition and classification accuracy of a saved model");
  eval_cmd->add_option("config", *config, "experiment configuration (JSON)")->required();
  return [config, train_cmd]() {
    const Config c = load_config(*config);
    if (train_cmd->parsed()) {
      PassStats stats;
      const Model model = train(c, stats);
      const Architecture& a = model.hierarchy.architecture();
      fmt::print("data        {} training items, {} classes, {}×{} binary pixels\n", stats.items,
                 model.classes, a.width, a.height);
      print_architecture(model.hierarchy);
      print_familiarity(stats);
      for (std::size_t l = 0; l < model.hierarchy.levels(); ++l) {
        double saturation = 0.0;
        std::size_t frozen = 0;
        for (const Mac& m : model.hierarchy.macs(l)) {
          saturation += m.saturation();
          frozen += m.frozen();
        }
        fmt::print("level {}     mean saturation {:.3f}, {} of {} macs frozen\n", l,
                   saturation / static_cast<double>(model.hierarchy.macs(l).size()), frozen,
                   model.hierarchy.macs(l).size());
      }
      print_time(stats);
      save_model(model, c.model);
      fmt::print("model saved to {}\n", c.model);
      return 0;
    }
    Model model = load_model(c.model);
    const PassStats stats = evaluate(model, c);
    fmt::print("model       {}\n", c.model);
    print_architecture(model.hierarchy);
    fmt::print("test        {} items\n", stats.items);
    const double n = static_cast<double>(stats.items);
    if (c.readout != ReadoutKind::nearest)
      fmt::print("accuracy    class nodes {:.2f}% ({}/{})\n", 100.0 * stats.class_correct / n,
                 stats.class_correct, stats.items);
    if (c.readout != ReadoutKind::class_nodes)
      fmt::print("accuracy    nearest code {:.2f}% ({}/{})\n", 100.0 * stats.nearest_correct / n,
                 stats.nearest_correct, stats.items);
    print_familiarity(stats);
    print_time(stats);
    return 0;
  };
}

}  // namespace engram::apps
