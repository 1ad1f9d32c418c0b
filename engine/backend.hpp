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

// Wall-clock seconds run() spent in each of its phases, summed over calls, for `--timers`.
// Off unless asked for (the serial backend reads the clock several times a step).
struct PhaseTimes {
  double update = 0.0;     // advancing neurons: stimuli, kernels, STDP records (threads:
                           // and copying recorded values, which serial does in reporting)
  double delivery = 0.0;   // adding spikes to input rings through the synapse tables
  double reporting = 0.0;  // handing spikes and samples to observers (writing the file)
  // threads: seconds each thread spent working in the update and delivery phases, whichever
  // partition the work was for; the rest of those phases it waited. Empty for other
  // backends.
  std::vector<double> busy;
};

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
  // Starts timing the phases of later run() calls (again: no effect); false for a backend
  // that has no such phases (spinnaker, whose cost is the machine's, in its own counters).
  virtual bool enable_phase_timers() { return false; }
  const PhaseTimes& phase_times() const { return phase_times_; }

 protected:
  explicit Backend(std::unique_ptr<Runtime> runtime);
  // Hands one step's spikes of one population to every observer (and counts them).
  void report_spikes(Step step, std::uint32_t population, std::span<const std::uint32_t> ids);
  void report_samples(Step step, std::uint32_t index, std::span<const double> values);
  void report_advanced();

  std::unique_ptr<Runtime> runtime_;
  std::vector<Observer*> observers_;
  std::vector<std::uint64_t> spike_counts_;
  PhaseTimes phase_times_;
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
