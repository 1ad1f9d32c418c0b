// What a run reports to the outside world: spikes and recorded state, as they happen.
//
// A backend calls an Observer in canonical order — by step, then population index, then
// (within a call) ascending neuron id — whatever its thread count or machine, so writers
// and checksums never depend on how the run was executed. Observers live outside the
// engine (io/ writes HDF5, tests keep spikes in memory); the engine only knows this seam.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace engram {

using Step = std::int64_t;

struct RecordedVariable {
  std::uint32_t population = 0;
  std::string variable;                // state column name, e.g. "v"
  std::string unit;                    // e.g. "mV"
  std::vector<std::uint64_t> neurons;  // recorded neuron ids, ascending
  Step interval = 1;                   // steps between samples
};

// Everything a writer needs to lay out its output before the first step.
struct RecordingPlan {
  double dt = 0.1;  // ms
  std::vector<std::string> population_names;
  std::vector<std::uint64_t> population_sizes;
  std::vector<bool> record_spikes;  // per population
  std::vector<RecordedVariable> variables;
};

class Observer {
 public:
  virtual ~Observer() = default;
  virtual void begin(const RecordingPlan& plan) { (void)plan; }
  // The spikes of one population in one step, ascending ids; only for populations whose
  // spikes are recorded, and only when there is at least one spike.
  virtual void spikes(Step step, std::uint32_t population, std::span<const std::uint32_t> ids) = 0;
  // One sample of recorded variable `index` (into RecordingPlan::variables): its values for
  // the recorded neurons, taken at the end of `step` (the state at time (step + 1)·dt).
  virtual void samples(Step step, std::uint32_t index, std::span<const double> values) {
    (void)step, (void)index, (void)values;
  }
  // Called when a run() call returns: a writer may flush here.
  virtual void advanced(Step steps_done) { (void)steps_done; }
};

}  // namespace engram
