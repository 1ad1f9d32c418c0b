// The network model: what a network is, independent of where and how it runs.
//
// A NetworkSpec is plain data in the user's units (ms, mV, nA, µS, nF, Hz). It is checked
// and converted once, by compile() (engine/compile.hpp), into the runtime arrays that the
// backends advance. Paths in diagnostics mirror this structure ("/populations/2/parameters/
// tau_m"), which is also the layout of the JSON format of io/, so a diagnostic names the
// same place whether the network came from a file or was built in C++.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "engine/value.hpp"

namespace engram {

// Which neurons of a population a projection or stimulus addresses: [begin, end).
// `end` is nullopt for "to the end of the population".
struct PopulationSlice {
  std::string population;
  std::uint64_t begin = 0;
  std::optional<std::uint64_t> end;

  static PopulationSlice whole(std::string name) { return {std::move(name), 0, std::nullopt}; }
  // Parses "name" or "name[a:b]" (either bound may be omitted); nullopt when malformed.
  static std::optional<PopulationSlice> parse(const std::string& text);
  std::string str() const;
};

struct RecordSpec {
  bool spikes = true;
  std::vector<std::string> variables;                 // state columns such as "v", "gsyn_exc"
  std::optional<std::vector<std::uint64_t>> neurons;  // nullopt: every neuron
  std::optional<double> interval;                     // ms; nullopt: every step
};

struct PopulationSpec {
  std::string name;
  std::uint64_t size = 0;
  std::string model;                             // PyNN name, e.g. "IF_curr_exp"
  std::map<std::string, Value> parameters;       // missing ones take the model's defaults
  std::map<std::string, Value> initial;          // initial values of state columns
  std::string integration = "exact";             // "spinnaker" (IF_curr_exp), "euler" (IF_cond_exp)
  std::vector<std::vector<double>> spike_times;  // SpikeSourceArray, ms: one list per neuron,
                                                 // or a single list shared by all neurons
  RecordSpec record;
};

enum class Receptor : std::uint8_t { excitatory = 0, inhibitory = 1 };

struct AllToAll {
  bool allow_self_connections = true;
};
struct OneToOne {};
struct FixedProbability {
  double p = 0.0;
  bool allow_self_connections = true;
};
struct FixedNumberPre {
  std::uint64_t n = 0;
  bool allow_self_connections = true;
  bool with_replacement = false;
};
struct FromList {
  struct Connection {
    std::uint64_t pre = 0, post = 0;
    std::optional<double> weight, delay;  // default to the synapse's weight and delay
  };
  std::vector<Connection> connections;
};
using Connector = std::variant<AllToAll, OneToOne, FixedProbability, FixedNumberPre, FromList>;

struct SpikePairRule {
  double tau_plus = 20.0;   // ms
  double tau_minus = 20.0;  // ms
  double A_plus = 0.01;     // weight units (nA or µS), used as given
  double A_minus = 0.01;
};
struct WeightDependence {
  enum class Kind { additive, multiplicative };
  Kind kind = Kind::additive;
  double w_min = 0.0;
  double w_max = 1.0;
};
struct StdpSpec {
  SpikePairRule timing;
  WeightDependence weight_dependence;
};

// One-shot binary learning (Sparsey's rule): a synapse from pre j to post i takes the learned
// weight for good when i fires in the very step a spike of j arrives (delay d after it), until
// `until`. The rule is evaluated at j's next spike, before that spike is delivered, so what a
// synapse delivers is exact provided j's spikes are at least d steps apart.
struct OneShotSpec {
  double learned_weight = 1.0;  // nA or µS
  std::optional<double> until;  // ms; co-activations from this time on teach nothing
};

struct SynapseSpec {
  Value weight = Value::constant(0.0);  // nA (current-based) or µS (conductance-based)
  std::optional<Value> delay;           // ms; nullopt: dt, the shortest delay (PyNN's default)
  Receptor receptor = Receptor::excitatory;
  std::optional<StdpSpec> stdp;         // spike-pair STDP (at most one rule per synapse)
  std::optional<OneShotSpec> one_shot;  // one-shot binary learning
  bool plastic() const { return stdp || one_shot; }
};

struct ProjectionSpec {
  std::string name;  // optional label
  PopulationSlice pre, post;
  Connector connector;
  SynapseSpec synapse;
};

// Stimuli injected into a population slice.
struct DCSource {
  double amplitude = 1.0;  // nA
  double start = 0.0;      // ms
  std::optional<double> stop;
};
struct StepCurrentSource {
  std::vector<double> times;       // ms, increasing
  std::vector<double> amplitudes;  // nA, held from each time to the next
};
// Poisson-distributed input counts per neuron and step from `number` independent sources of
// `rate` each, added to the receptor with `weight` (Brian2's PoissonInput, NEST's
// poisson_generator): the way to drive a population with thousands of external inputs.
struct PoissonInput {
  double rate = 0.0;  // Hz, per source
  std::uint64_t number = 1;
  double weight = 0.0;
  Receptor receptor = Receptor::excitatory;
};
using StimulusKind = std::variant<DCSource, StepCurrentSource, PoissonInput>;

struct StimulusSpec {
  PopulationSlice target;
  StimulusKind kind;
};

struct NetworkSpec {
  std::string name = "network";
  double dt = 0.1;           // ms
  double duration = 1000.0;  // ms, the default length of a run
  std::uint64_t seed = 1;
  std::vector<PopulationSpec> populations;
  std::vector<ProjectionSpec> projections;
  std::vector<StimulusSpec> stimuli;

  const PopulationSpec* find_population(const std::string& name) const;
};

}  // namespace engram
