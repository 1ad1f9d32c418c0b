// The list of neuron models. Adding a model = one header in engine/neurons/ and one entry
// here.
#include <fmt/format.h>
#include <array>

#include "engine/neuron_model.hpp"
#include "engine/neurons/adex.hpp"
#include "engine/neurons/if_alpha.hpp"
#include "engine/neurons/if_cond_exp.hpp"
#include "engine/neurons/if_curr_delta.hpp"
#include "engine/neurons/if_curr_exp.hpp"
#include "engine/neurons/izhikevich.hpp"
#include "engine/neurons/sources.hpp"
#include "engine/neurons/sparsey_mac.hpp"

namespace engram {

namespace {

using namespace neurons;

// Index of a parameter in a model's table, at compile time.
template <class Model>
constexpr std::size_t param_index(std::string_view name) {
  for (std::size_t i = 0; i < Model::parameters.size(); ++i)
    if (Model::parameters[i].name == name) return i;
  throw "no such parameter";
}

inline constexpr char kVThresh[] = "v_thresh";
inline constexpr char kVSpike[] = "v_spike";

// v_reset must lie below the potential at which the model fires (`Threshold`).
template <class Model, const char* Threshold = kVThresh>
std::string check_reset_below_threshold(const std::vector<double>& p) {
  const double reset = p[param_index<Model>("v_reset")];
  const double thresh = p[param_index<Model>(Threshold)];
  if (reset < thresh) return {};
  return fmt::format("v_reset ({} mV) must be below {} ({} mV)", reset, Threshold, thresh);
}

template <class Model>
ModelInfo info(std::string_view name, std::string_view summary, bool source, bool conductance,
               std::vector<std::string_view> integrations = {"exact"}) {
  ModelInfo m;
  m.name = name;
  m.summary = summary;
  m.parameters = Model::parameters;
  m.state = Model::state;
  m.is_source = source;
  m.conductance_based = conductance;
  if constexpr (requires { Model::whole_population; }) m.whole_population = Model::whole_population;
  m.integrations = std::move(integrations);
  m.create = &create_group<Model>;
  return m;
}

const std::vector<ModelInfo>& registry() {
  static const std::vector<ModelInfo> models = [] {
    std::vector<ModelInfo> m;
    m.push_back(info<IfCurrExp>("IF_curr_exp",
                                "leaky integrate-and-fire, exponential current synapses", false,
                                false, {"exact", "spinnaker"}));
    m.back().check = &check_reset_below_threshold<IfCurrExp>;
    m.push_back(info<IfCurrDelta>(
        "IF_curr_delta", "leaky integrate-and-fire, instantaneous (delta) synapses", false, false));
    m.back().check = &check_reset_below_threshold<IfCurrDelta>;
    m.push_back(info<IfCondExp>("IF_cond_exp",
                                "leaky integrate-and-fire, exponential conductance synapses", false,
                                true, {"exact", "euler"}));
    m.back().check = &check_reset_below_threshold<IfCondExp>;
    m.push_back(info<IfCurrAlpha>("IF_curr_alpha",
                                  "leaky integrate-and-fire, alpha-function current synapses",
                                  false, false));
    m.back().check = &check_reset_below_threshold<IfCurrAlpha>;
    m.push_back(info<IfCondAlpha>("IF_cond_alpha",
                                  "leaky integrate-and-fire, alpha-function conductance synapses",
                                  false, true));
    m.back().check = &check_reset_below_threshold<IfCondAlpha>;
    m.push_back(info<Izhikevich>("Izhikevich", "Izhikevich (2003) quadratic model, delta synapses",
                                 false, false));
    m.push_back(info<AdEx>("EIF_cond_exp_isfa_ista",
                           "adaptive exponential integrate-and-fire (AdEx), exponential "
                           "conductance synapses",
                           false, true));
    m.back().check = &check_reset_below_threshold<AdEx, kVSpike>;
    m.push_back(
        info<SpikeSourcePoisson>("SpikeSourcePoisson", "Poisson spike trains", true, false));
    m.push_back(info<SpikeSourceArray>("SpikeSourceArray", "spikes at given times", true, false));
    m.push_back(info<SparseyMac>("SparseyMac",
                                 "Sparsey mac: Q winner-take-all modules of K cells (one CSA "
                                 "frame per step)",
                                 false, false));
    m.back().check = &check_sparsey_mac;
    return m;
  }();
  return models;
}

}  // namespace

std::span<const ModelInfo* const> neuron_models() {
  static const std::vector<const ModelInfo*> pointers = [] {
    std::vector<const ModelInfo*> p;
    for (const auto& m : registry()) p.push_back(&m);
    return p;
  }();
  return pointers;
}

const ModelInfo* find_neuron_model(std::string_view name) {
  for (const ModelInfo* m : neuron_models())
    if (m->name == name) return m;
  return nullptr;
}

std::vector<std::string> neuron_model_names() {
  std::vector<std::string> names;
  for (const ModelInfo* m : neuron_models()) names.emplace_back(m->name);
  return names;
}

const ParamSpec* ModelInfo::find_parameter(std::string_view n) const {
  for (const auto& p : parameters)
    if (p.name == n) return &p;
  return nullptr;
}

const StateSpec* ModelInfo::find_state(std::string_view n) const {
  for (const auto& s : state)
    if (s.name == n) return &s;
  return nullptr;
}

std::vector<std::string> ModelInfo::parameter_names() const {
  std::vector<std::string> names;
  for (const auto& p : parameters) names.emplace_back(p.name);
  return names;
}

std::vector<std::string> ModelInfo::state_names() const {
  std::vector<std::string> names;
  for (const auto& s : state) names.emplace_back(s.name);
  return names;
}

}  // namespace engram
