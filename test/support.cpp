#include "test/support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace engram::test {

TempDir::TempDir() {
  std::random_device random;
  path = std::filesystem::temp_directory_path() /
         ("engram_test_" + std::to_string(::getpid()) + "_" + std::to_string(random()));
  std::filesystem::create_directories(path);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path, ignored);
}

const std::vector<std::pair<Step, std::uint32_t>>& MemoryObserver::of(
    const std::string& name) const {
  for (std::size_t i = 0; i < plan.population_names.size(); ++i)
    if (plan.population_names[i] == name) return spikes_by_population[i];
  throw std::out_of_range("no population " + name);
}

std::uint64_t MemoryObserver::checksum() const {
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&](std::uint64_t x) {
    for (int b = 0; b < 8; ++b) {
      h ^= (x >> (8 * b)) & 0xFF;
      h *= 1099511628211ull;
    }
  };
  for (std::size_t p = 0; p < spikes_by_population.size(); ++p)
    for (const auto& [step, id] : spikes_by_population[p]) {
      mix(p);
      mix(static_cast<std::uint64_t>(step));
      mix(id);
    }
  return h;
}

std::uint64_t MemoryObserver::total() const {
  std::uint64_t n = 0;
  for (const auto& p : spikes_by_population) n += p.size();
  return n;
}

MemoryObserver simulate(const NetworkSpec& spec, const std::string& backend, unsigned threads,
                        Step steps) {
  BackendOptions options;
  options.kind = backend;
  options.threads = threads;
  auto b = make_cpu_backend(spec, options);
  MemoryObserver observer;
  b->attach(observer);
  b->run(steps >= 0 ? steps : b->runtime().default_steps);
  return observer;
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

CliResult engram_cli(const TempDir& dir, const std::string& arguments) {
  const auto out = dir.path / "stdout.txt", err = dir.path / "stderr.txt";
  const std::string command = "cd " + quote(dir.path.string()) + " && " + quote(ENGRAM_CLI) + " " +
                              arguments + " >" + quote(out.string()) + " 2>" + quote(err.string()) +
                              " </dev/null";
  const int raw = std::system(command.c_str());
  CliResult r;
  if (raw != -1 && WIFEXITED(raw)) r.status = WEXITSTATUS(raw);
  r.out = read_text(out);
  r.err = read_text(err);
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return r;
}

}  // namespace engram::test
