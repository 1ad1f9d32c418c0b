// The seam between what a network is and where it runs.
//
// A Backend owns a compiled network and advances it by a number of steps, reporting spikes
// and samples to its observers in canonical order. All backends honour the determinism
// contract (DESIGN.md §4): for one description and seed, the same spikes, bit for bit.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/observer.hpp"
#include "engine/runtime.hpp"

namespace engram {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;
  // Registers an observer and hands it the recording plan. Call before the first run().
  void attach(Observer& observer);
  // Advances the network by `steps` steps.
  virtual void run(Step steps) = 0;
  Step now() const { return now_; }
  const Runtime& runtime() const { return *runtime_; }
  Runtime& runtime() { return *runtime_; }
  // Makes neuron `neuron` of a SpikeSourceArray population spike at `step` (>= now()).
  // Throws InputError when the population cannot take given spikes or the step has passed.
  void schedule_spike(std::uint32_t population, std::uint32_t neuron, Step step);
  // Spikes emitted so far, per population.
  const std::vector<std::uint64_t>& spike_counts() const { return spike_counts_; }
  // Potentiation events that may have been missed because an STDP history ring wrapped.
  std::uint64_t stdp_history_overflows() const;

 protected:
  explicit Backend(std::unique_ptr<Runtime> runtime);
  // Hands one step's spikes of one population to every observer (and counts them).
  void report_spikes(Step step, std::uint32_t population, std::span<const std::uint32_t> ids);
  void report_samples(Step step, std::uint32_t index, std::span<const double> values);
  void report_advanced();

  std::unique_ptr<Runtime> runtime_;
  std::vector<Observer*> observers_;
  std::vector<std::uint64_t> spike_counts_;
  Step now_ = 0;
};

struct BackendOptions {
  std::string kind = "serial";  // "serial" or "threads"
  unsigned threads = 0;         // threads backend: 0 = every core
};

// Backends of the engine itself ("serial", "threads"); compiles the description with the
// partitioning the backend needs. Throws InputError for a bad description or kind.
std::unique_ptr<Backend> make_cpu_backend(const NetworkSpec& spec, const BackendOptions& options);
std::unique_ptr<Backend> make_serial_backend(std::unique_ptr<Runtime> runtime);
std::unique_ptr<Backend> make_threads_backend(std::unique_ptr<Runtime> runtime, unsigned threads);

}  // namespace engram
