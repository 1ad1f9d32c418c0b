// The subcommands of `engram`. Each registers its options on the CLI11 app and returns the
// function that carries it out; exit status: 0 success, 2 bad input or usage, 1 failure.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace engram::apps {

using Command = std::function<int()>;

Command add_run(CLI::App& app);
Command add_validate(CLI::App& app);
Command add_info(CLI::App& app);
Command add_plot(CLI::App& app);
Command add_cam(CLI::App& app);
Command add_sparsey(CLI::App& app);
Command add_map(CLI::App& app);

}  // namespace engram::apps
