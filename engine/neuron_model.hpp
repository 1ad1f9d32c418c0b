// Neuron models: their parameter tables, state columns, and the runtime group that
// advances a population of one model as plain loops over state arrays.
//
// A model is one header in engine/neurons/ with (1) a parameter table (name, unit, default,
// valid range, doc), (2) its state columns, (3) constants derived once from the parameters
// and dt, and (4) an update kernel over an index range. It is registered in one list in
// neuron_models.cpp. The docs/ model pages are checked against these tables by a test.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/observer.hpp"

namespace engram {

struct ParamSpec {
  std::string_view name;
  std::string_view unit;
  double default_value;
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;  // true: the valid range is (min, max]
  std::string_view doc;
};

struct StateSpec {
  std::string_view name;
  std::string_view unit;
  double initial;  // default initial value (parameters such as v_rest are substituted
                   // by the model where PyNN does so; see initial_from)
  std::string_view doc;
  std::string_view initial_from = {};  // name of a parameter whose value is the default
};

// The input of one population in one step: the ring-buffer slot due now, [receptor][neuron].
struct StepInput {
  Step step = 0;
  double* exc = nullptr;  // summed excitatory weights arriving now (cleared by the kernel)
  double* inh = nullptr;  // summed inhibitory weights (positive magnitudes)
  const double* injected = nullptr;  // stimulus current per neuron, nA
  // Whether a current stimulus targets the population: without one `injected` is all zero,
  // and a kernel may skip reading it (neurons::stimulus).
  bool currents = true;
};

// Where a kernel writes the ids of the neurons that spike (ascending, as it loops upwards).
struct SpikeOut {
  std::uint32_t* ids = nullptr;
  std::uint32_t count = 0;
  void push(std::uint32_t id) { ids[count++] = id; }
};

// Values a group needs beyond its parameters.
struct GroupContext {
  double dt = 0.1;  // ms
  std::uint64_t seed = 1;
  std::uint32_t population = 0;  // index, used to key random streams
  std::string integration = "exact";
  std::vector<std::vector<Step>> spike_steps;  // SpikeSourceArray: sorted steps per neuron
};

// The runtime state of one population: state columns as arrays, one virtual call per step
// and index range.
class NeuronGroup {
 public:
  virtual ~NeuronGroup() = default;
  virtual void update(const StepInput& in, std::uint32_t begin, std::uint32_t end,
                      SpikeOut& out) = 0;
  // The column of a state variable (length = population size); nullopt-like empty span when
  // the model has no such column.
  virtual std::span<double> column(std::string_view name) = 0;
  virtual std::uint64_t size() const = 0;
  // Bytes of state held per neuron (for memory estimates and reports).
  virtual std::size_t bytes_per_neuron() const = 0;
  // Schedules a spike of neuron `i` at `step` for models whose spikes are given
  // (SpikeSourceArray); false for models that cannot take one. Not for the run loop.
  virtual bool add_spike(std::uint32_t i, Step step) {
    (void)i, (void)step;
    return false;
  }
};

struct ModelInfo {
  std::string_view name;
  std::string_view summary;
  std::span<const ParamSpec> parameters;
  std::span<const StateSpec> state;  // recordable columns, with units
  bool is_source = false;            // spike sources take no synaptic input
  bool conductance_based = false;    // weights in µS rather than nA
  // The kernel needs every neuron of the population in one update call (it computes
  // population-wide quantities, like a Sparsey mac's familiarity): backends never split the
  // population across threads or cores. A model declares it with
  // `static constexpr bool whole_population = true;`.
  bool whole_population = false;
  std::vector<std::string_view> integrations = {"exact"};
  // Creates a group of n neurons; `params` holds one value per entry of `parameters`, in
  // table order, already validated.
  std::unique_ptr<NeuronGroup> (*create)(std::uint64_t n, const std::vector<double>& params,
                                         const GroupContext& context) = nullptr;
  // Relations between parameters that single ranges cannot express (v_reset < v_thresh);
  // returns a message, or "" when the parameters are consistent.
  std::string (*check)(const std::vector<double>& params) = nullptr;

  const ParamSpec* find_parameter(std::string_view name) const;
  const StateSpec* find_state(std::string_view name) const;
  std::vector<std::string> parameter_names() const;
  std::vector<std::string> state_names() const;
};

// Every model, in a fixed order.
std::span<const ModelInfo* const> neuron_models();
const ModelInfo* find_neuron_model(std::string_view name);
std::vector<std::string> neuron_model_names();

}  // namespace engram
