#include "test/support.hpp"

#include <unistd.h>

#include <random>
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

}  // namespace engram::test
