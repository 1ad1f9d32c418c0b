// engram: simulate spiking networks described in JSON.
#include <fmt/format.h>

#include <iostream>
#include <map>

#include "apps/commands.hpp"
#include "engine/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"engram: a spiking neural network simulator", "engram"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "engram 0.1.0");
  std::map<CLI::App*, engram::apps::Command> commands;
  auto add = [&](const char* name, const char* help, auto adder) {
    CLI::App* sub = app.add_subcommand(name, help);
    commands[sub] = adder(*sub);
  };
  add("run", "simulate a network and write its spikes to HDF5", engram::apps::add_run);
  add("validate", "check a network description and report every problem",
      engram::apps::add_validate);
  add("info", "describe what an output file holds", engram::apps::add_info);
  add("plot", "draw a raster plot of a spike file", engram::apps::add_plot);
  add("cam", "run the CA3 content-addressable memory on a list of operations",
      engram::apps::add_cam);
  add("sparsey", "train or evaluate a Sparsey sparse distributed memory on images",
      engram::apps::add_sparsey);
  add("map", "place a network on a SpiNNaker-style machine and report tables and traffic",
      engram::apps::add_map);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    for (CLI::App* sub : app.get_subcommands()) return commands.at(sub)();
  } catch (const engram::InputError& e) {
    for (const auto& d : e.diagnostics())
      fmt::print(stderr, "error: {}: {}\n", d.pointer.empty() ? "/" : d.pointer, d.message);
    if (e.diagnostics().size() > 1) fmt::print(stderr, "{} errors\n", e.diagnostics().size());
    return 2;
  } catch (const engram::IoError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "internal error: {}\n", e.what());
    return 1;
  }
  return 1;
}
