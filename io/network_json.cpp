// Reading JSON descriptions into NetworkSpec, collecting every problem with its pointer.
#include "io/network_json.hpp"

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/compile.hpp"
#include "engine/error.hpp"

namespace engram::io {

using nlohmann::json;

namespace {

std::string type_name(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return fmt::format("boolean {}", j.get<bool>());
    case json::value_t::string: {
      std::string s = j.get<std::string>();
      if (s.size() > 40) s = s.substr(0, 37) + "...";
      return fmt::format("string \"{}\"", s);
    }
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return fmt::format("number {}", j.dump());
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    default:
      return "a value";
  }
}

// Reads values out of a document, recording a diagnostic for every problem and returning
// a harmless default so that reading can go on and report the rest.
class Reader {
 public:
  Diagnostics& diagnostics() { return out_; }

  void error(const std::string& at, std::string message) { out_.add(at, std::move(message)); }

  // Every key of `object` must be one of `allowed`.
  void keys(const json& object, const std::string& at, const std::vector<std::string>& allowed) {
    for (const auto& [key, value] : object.items()) {
      (void)value;
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
        error(at + "/" + pointer_token(key),
              fmt::format("found unknown key \"{}\", expected one of {}{}", key,
                          fmt::join(allowed, ", "), did_you_mean(key, allowed)));
    }
  }

  bool object(const json& j, const std::string& at, std::string_view what) {
    if (j.is_object()) return true;
    error(at, fmt::format("found {}, expected {} (an object)", type_name(j), what));
    return false;
  }

  bool array(const json& j, const std::string& at, std::string_view what) {
    if (j.is_array()) return true;
    error(at, fmt::format("found {}, expected {} (an array)", type_name(j), what));
    return false;
  }

  double number(const json& j, const std::string& at, std::string_view unit) {
    if (j.is_number()) return j.get<double>();
    error(at, fmt::format("found {}, expected a number{}", type_name(j),
                          unit.empty() ? "" : fmt::format(" in {}", unit)));
    return std::numeric_limits<double>::quiet_NaN();
  }

  std::uint64_t integer(const json& j, const std::string& at, std::string_view what) {
    if (j.is_number_unsigned()) return j.get<std::uint64_t>();
    if (j.is_number_integer() && j.get<std::int64_t>() >= 0) return j.get<std::uint64_t>();
    if (j.is_number_float()) {
      const double x = j.get<double>();
      if (x >= 0 && x == std::floor(x) && x < 1.8e19) return static_cast<std::uint64_t>(x);
    }
    error(at, fmt::format("found {}, expected {} (a non-negative integer)", type_name(j), what));
    return 0;
  }

  bool boolean(const json& j, const std::string& at) {
    if (j.is_boolean()) return j.get<bool>();
    error(at, fmt::format("found {}, expected true or false", type_name(j)));
    return false;
  }

  std::string string(const json& j, const std::string& at, std::string_view what) {
    if (j.is_string()) return j.get<std::string>();
    error(at, fmt::format("found {}, expected {} (a string)", type_name(j), what));
    return {};
  }

  // A constant or {"distribution": ..., parameters}.
  Value value(const json& j, const std::string& at, std::string_view unit) {
    if (j.is_number()) return Value::constant(j.get<double>());
    if (!j.is_object()) {
      error(at, fmt::format("found {}, expected a number{} or a distribution object", type_name(j),
                            unit.empty() ? "" : fmt::format(" in {}", unit)));
      return Value::constant(std::numeric_limits<double>::quiet_NaN());
    }
    static const std::vector<std::string> kinds = {"uniform", "normal", "normal_clipped"};
    auto it = j.find("distribution");
    if (it == j.end()) {
      error(at,
            "found an object without \"distribution\", expected one of uniform, normal, "
            "normal_clipped");
      return Value::constant(std::numeric_limits<double>::quiet_NaN());
    }
    const std::string kind = string(*it, at + "/distribution", "a distribution name");
    auto field = [&](const char* name) {
      auto f = j.find(name);
      if (f == j.end()) {
        error(at + "/" + name, fmt::format("missing, expected a number{} for a {} distribution",
                                           unit.empty() ? "" : fmt::format(" in {}", unit), kind));
        return std::numeric_limits<double>::quiet_NaN();
      }
      return number(*f, at + "/" + name, unit);
    };
    if (kind == "uniform") {
      keys(j, at, {"distribution", "low", "high"});
      return Value::uniform(field("low"), field("high"));
    }
    if (kind == "normal") {
      keys(j, at, {"distribution", "mu", "sigma"});
      return Value::normal(field("mu"), field("sigma"));
    }
    if (kind == "normal_clipped") {
      keys(j, at, {"distribution", "mu", "sigma", "low", "high"});
      const double mu = field("mu"), sigma = field("sigma");
      return Value::normal_clipped(mu, sigma, field("low"), field("high"));
    }
    if (it->is_string())
      error(at + "/distribution",
            fmt::format("found unknown distribution \"{}\", expected one of "
                        "{}{}",
                        kind, fmt::join(kinds, ", "), did_you_mean(kind, kinds)));
    return Value::constant(std::numeric_limits<double>::quiet_NaN());
  }

  PopulationSlice slice(const json& j, const std::string& at) {
    const std::string text = string(j, at, "a population name or slice such as \"exc[0:10]\"");
    if (text.empty()) return PopulationSlice::whole("");
    auto s = PopulationSlice::parse(text);
    if (!s) {
      error(at, fmt::format("found \"{}\", expected a population name or a slice such as "
                            "\"exc[0:10]\"",
                            text));
      return PopulationSlice::whole("");
    }
    return *s;
  }

  Receptor receptor(const json& j, const std::string& at) {
    const std::string r = string(j, at, "a receptor");
    if (r == "excitatory") return Receptor::excitatory;
    if (r == "inhibitory") return Receptor::inhibitory;
    if (j.is_string())
      error(at, fmt::format("found \"{}\", expected excitatory or inhibitory{}", r,
                            did_you_mean(r, {"excitatory", "inhibitory"})));
    return Receptor::excitatory;
  }

 private:
  Diagnostics out_;
};

std::vector<double> number_list(Reader& r, const json& j, const std::string& at,
                                std::string_view unit) {
  std::vector<double> out;
  if (!r.array(j, at, "a list of numbers")) return out;
  for (std::size_t i = 0; i < j.size(); ++i)
    out.push_back(r.number(j[i], fmt::format("{}/{}", at, i), unit));
  return out;
}

PopulationSpec read_population(Reader& r, const json& j, const std::string& at) {
  PopulationSpec p;
  if (!r.object(j, at, "a population")) return p;
  r.keys(j, at,
         {"name", "size", "model", "parameters", "initial", "integration", "spike_times", "record",
          "description"});
  if (auto it = j.find("name"); it != j.end())
    p.name = r.string(*it, at + "/name", "a population name");
  else
    r.error(at + "/name", "missing, expected a population name");
  if (auto it = j.find("size"); it != j.end())
    p.size = r.integer(*it, at + "/size", "a number of neurons");
  else
    r.error(at + "/size", "missing, expected the number of neurons");
  if (auto it = j.find("model"); it != j.end())
    p.model = r.string(*it, at + "/model", "a neuron model name");
  else
    r.error(at + "/model",
            fmt::format("missing, expected one of {}", fmt::join(neuron_model_names(), ", ")));
  const ModelInfo* model = find_neuron_model(p.model);
  if (auto it = j.find("parameters");
      it != j.end() && r.object(*it, at + "/parameters", "parameters")) {
    for (const auto& [key, value] : it->items()) {
      const ParamSpec* ps = model ? model->find_parameter(key) : nullptr;
      p.parameters[key] =
          r.value(value, at + "/parameters/" + pointer_token(key), ps ? ps->unit : "");
    }
  }
  if (auto it = j.find("initial");
      it != j.end() && r.object(*it, at + "/initial", "initial values")) {
    for (const auto& [key, value] : it->items()) {
      const StateSpec* ss = model ? model->find_state(key) : nullptr;
      p.initial[key] = r.value(value, at + "/initial/" + pointer_token(key), ss ? ss->unit : "");
    }
  }
  if (auto it = j.find("integration"); it != j.end())
    p.integration = r.string(*it, at + "/integration", "an integration scheme");
  if (auto it = j.find("spike_times");
      it != j.end() && r.array(*it, at + "/spike_times", "spike times")) {
    // Either one list shared by all neurons, or one list per neuron.
    const bool nested = !it->empty() && (*it)[0].is_array();
    if (nested) {
      for (std::size_t i = 0; i < it->size(); ++i)
        p.spike_times.push_back(
            number_list(r, (*it)[i], fmt::format("{}/spike_times/{}", at, i), "ms"));
    } else {
      p.spike_times.push_back(number_list(r, *it, at + "/spike_times", "ms"));
    }
  }
  if (auto it = j.find("record"); it != j.end()) {
    const std::string ra = at + "/record";
    if (it->is_boolean()) {
      p.record.spikes = it->get<bool>();
    } else if (r.object(*it, ra, "what to record")) {
      r.keys(*it, ra, {"spikes", "variables", "neurons", "interval"});
      if (auto s = it->find("spikes"); s != it->end())
        p.record.spikes = r.boolean(*s, ra + "/spikes");
      if (auto v = it->find("variables");
          v != it->end() && r.array(*v, ra + "/variables", "state variable names"))
        for (std::size_t i = 0; i < v->size(); ++i)
          p.record.variables.push_back(
              r.string((*v)[i], fmt::format("{}/variables/{}", ra, i), "a state variable name"));
      if (auto n = it->find("neurons");
          n != it->end() && r.array(*n, ra + "/neurons", "neuron ids")) {
        p.record.neurons.emplace();
        for (std::size_t i = 0; i < n->size(); ++i)
          p.record.neurons->push_back(
              r.integer((*n)[i], fmt::format("{}/neurons/{}", ra, i), "a neuron id"));
      }
      if (auto iv = it->find("interval"); iv != it->end())
        p.record.interval = r.number(*iv, ra + "/interval", "ms");
    }
  }
  return p;
}

Connector read_connector(Reader& r, const json& j, const std::string& at) {
  static const std::vector<std::string> types = {"AllToAll", "OneToOne", "FixedProbability",
                                                 "FixedNumberPre", "FromList"};
  if (!r.object(j, at, "a connector")) return AllToAll{};
  const auto t = j.find("type");
  const std::string type =
      t == j.end() ? std::string() : r.string(*t, at + "/type", "a connector type");
  auto flag = [&](const char* name, bool fallback) {
    auto f = j.find(name);
    return f == j.end() ? fallback : r.boolean(*f, at + "/" + name);
  };
  if (type == "AllToAll") {
    r.keys(j, at, {"type", "allow_self_connections"});
    return AllToAll{flag("allow_self_connections", true)};
  }
  if (type == "OneToOne") {
    r.keys(j, at, {"type"});
    return OneToOne{};
  }
  if (type == "FixedProbability") {
    r.keys(j, at, {"type", "p", "allow_self_connections"});
    FixedProbability c;
    if (auto p = j.find("p"); p != j.end())
      c.p = r.number(*p, at + "/p", "");
    else
      r.error(at + "/p", "missing, expected a connection probability in [0, 1]");
    c.allow_self_connections = flag("allow_self_connections", true);
    return c;
  }
  if (type == "FixedNumberPre") {
    r.keys(j, at, {"type", "n", "allow_self_connections", "with_replacement"});
    FixedNumberPre c;
    if (auto n = j.find("n"); n != j.end())
      c.n = r.integer(*n, at + "/n", "a number of presynaptic neurons");
    else
      r.error(at + "/n", "missing, expected the number of presynaptic neurons per neuron");
    c.allow_self_connections = flag("allow_self_connections", true);
    c.with_replacement = flag("with_replacement", false);
    return c;
  }
  if (type == "FromList") {
    r.keys(j, at, {"type", "connections"});
    FromList c;
    auto list = j.find("connections");
    if (list == j.end()) {
      r.error(at + "/connections",
              "missing, expected a list of [pre, post] or [pre, post, weight, delay]");
      return c;
    }
    if (!r.array(*list, at + "/connections", "a list of connections")) return c;
    for (std::size_t i = 0; i < list->size(); ++i) {
      const json& e = (*list)[i];
      const std::string ea = fmt::format("{}/connections/{}", at, i);
      if (!e.is_array() || e.size() < 2 || e.size() > 4) {
        r.error(ea, fmt::format("found {}, expected [pre, post], [pre, post, weight] or [pre, "
                                "post, weight, delay]",
                                type_name(e)));
        continue;
      }
      FromList::Connection con;
      con.pre = r.integer(e[0], ea + "/0", "a presynaptic index");
      con.post = r.integer(e[1], ea + "/1", "a postsynaptic index");
      // null stands for "the synapse's weight", so that an entry can give only a delay.
      if (e.size() > 2 && !e[2].is_null()) con.weight = r.number(e[2], ea + "/2", "");
      if (e.size() > 3) con.delay = r.number(e[3], ea + "/3", "ms");
      c.connections.push_back(con);
    }
    return c;
  }
  if (t == j.end())
    r.error(at + "/type", fmt::format("missing, expected one of {}", fmt::join(types, ", ")));
  else if (t->is_string())
    r.error(at + "/type", fmt::format("found unknown connector \"{}\", expected one of {}{}", type,
                                      fmt::join(types, ", "), did_you_mean(type, types)));
  return AllToAll{};
}

// `weights_given`: every connection already has its own weight (a FromList that lists them),
// so the synapse's weight is optional.
SynapseSpec read_synapse(Reader& r, const json& j, const std::string& at, bool weights_given) {
  SynapseSpec s;
  if (!r.object(j, at, "a synapse")) return s;
  std::string type = "static";
  if (auto t = j.find("type"); t != j.end()) type = r.string(*t, at + "/type", "a synapse type");
  if (type != "static" && type != "STDP" && type != "OneShot") {
    r.error(at + "/type",
            fmt::format("found unknown synapse type \"{}\", expected static, STDP or OneShot{}",
                        type, did_you_mean(type, {"static", "STDP", "OneShot"})));
    type = "static";
  }
  if (type == "static")
    r.keys(j, at, {"type", "weight", "delay", "receptor"});
  else if (type == "OneShot")
    r.keys(j, at, {"type", "weight", "delay", "receptor", "learned_weight", "until"});
  else
    r.keys(j, at, {"type", "weight", "delay", "receptor", "timing", "weight_dependence"});
  if (auto w = j.find("weight"); w != j.end())
    s.weight = r.value(*w, at + "/weight", "nA or uS");
  else if (!weights_given)
    r.error(at + "/weight",
            "missing, expected a weight (nA for current-based, uS for "
            "conductance-based targets)");
  if (auto d = j.find("delay"); d != j.end()) s.delay = r.value(*d, at + "/delay", "ms");
  if (auto rc = j.find("receptor"); rc != j.end()) s.receptor = r.receptor(*rc, at + "/receptor");
  if (type == "OneShot") {
    OneShotSpec rule;
    if (auto f = j.find("learned_weight"); f != j.end())
      rule.learned_weight = r.number(*f, at + "/learned_weight", "nA or uS");
    if (auto f = j.find("until"); f != j.end()) rule.until = r.number(*f, at + "/until", "ms");
    s.one_shot = rule;
  }
  if (type == "STDP") {
    StdpSpec stdp;
    const std::string ta = at + "/timing";
    if (auto t = j.find("timing"); t == j.end()) {
      r.error(ta,
              "missing, expected {\"type\": \"SpikePair\", \"tau_plus\", \"tau_minus\", "
              "\"A_plus\", \"A_minus\"}");
    } else if (r.object(*t, ta, "a timing rule")) {
      r.keys(*t, ta, {"type", "tau_plus", "tau_minus", "A_plus", "A_minus"});
      if (auto ty = t->find("type"); ty != t->end()) {
        const std::string name = r.string(*ty, ta + "/type", "a timing rule");
        if (name != "SpikePair" && ty->is_string())
          r.error(ta + "/type",
                  fmt::format("found unknown timing rule \"{}\", expected SpikePair{}", name,
                              did_you_mean(name, {"SpikePair"})));
      }
      auto field = [&](const char* name, double& out, std::string_view unit) {
        if (auto f = t->find(name); f != t->end()) out = r.number(*f, ta + "/" + name, unit);
      };
      field("tau_plus", stdp.timing.tau_plus, "ms");
      field("tau_minus", stdp.timing.tau_minus, "ms");
      field("A_plus", stdp.timing.A_plus, "");
      field("A_minus", stdp.timing.A_minus, "");
    }
    const std::string wa = at + "/weight_dependence";
    if (auto w = j.find("weight_dependence"); w == j.end()) {
      r.error(wa,
              "missing, expected {\"type\": \"Additive\" or \"Multiplicative\", \"w_min\", "
              "\"w_max\"}");
    } else if (r.object(*w, wa, "a weight dependence")) {
      r.keys(*w, wa, {"type", "w_min", "w_max"});
      if (auto ty = w->find("type"); ty != w->end()) {
        const std::string name = r.string(*ty, wa + "/type", "a weight dependence");
        if (name == "Additive")
          stdp.weight_dependence.kind = WeightDependence::Kind::additive;
        else if (name == "Multiplicative")
          stdp.weight_dependence.kind = WeightDependence::Kind::multiplicative;
        else if (ty->is_string())
          r.error(wa + "/type",
                  fmt::format("found unknown weight dependence \"{}\", expected Additive or "
                              "Multiplicative{}",
                              name, did_you_mean(name, {"Additive", "Multiplicative"})));
      }
      if (auto f = w->find("w_min"); f != w->end())
        stdp.weight_dependence.w_min = r.number(*f, wa + "/w_min", "");
      if (auto f = w->find("w_max"); f != w->end())
        stdp.weight_dependence.w_max = r.number(*f, wa + "/w_max", "");
    }
    s.stdp = stdp;
  }
  return s;
}

ProjectionSpec read_projection(Reader& r, const json& j, const std::string& at) {
  ProjectionSpec p;
  if (!r.object(j, at, "a projection")) return p;
  r.keys(j, at, {"name", "pre", "post", "connector", "synapse", "description"});
  if (auto n = j.find("name"); n != j.end()) p.name = r.string(*n, at + "/name", "a label");
  for (const char* side : {"pre", "post"}) {
    auto s = j.find(side);
    PopulationSlice& target = std::string(side) == "pre" ? p.pre : p.post;
    if (s == j.end())
      r.error(at + "/" + side, "missing, expected a population name or slice");
    else
      target = r.slice(*s, at + "/" + side);
  }
  if (auto c = j.find("connector"); c != j.end())
    p.connector = read_connector(r, *c, at + "/connector");
  else
    r.error(at + "/connector", "missing, expected a connector such as {\"type\": \"AllToAll\"}");
  const auto* list = std::get_if<FromList>(&p.connector);
  const bool weights_given =
      list && !list->connections.empty() &&
      std::all_of(list->connections.begin(), list->connections.end(),
                  [](const FromList::Connection& c) { return c.weight.has_value(); });
  if (auto s = j.find("synapse"); s != j.end())
    p.synapse = read_synapse(r, *s, at + "/synapse", weights_given);
  else
    r.error(at + "/synapse", "missing, expected a synapse with a weight");
  return p;
}

StimulusSpec read_stimulus(Reader& r, const json& j, const std::string& at) {
  static const std::vector<std::string> types = {"DCSource", "StepCurrentSource", "PoissonInput"};
  StimulusSpec s{PopulationSlice::whole(""), DCSource{}};
  if (!r.object(j, at, "a stimulus")) return s;
  if (auto t = j.find("target"); t != j.end())
    s.target = r.slice(*t, at + "/target");
  else
    r.error(at + "/target", "missing, expected a population name or slice");
  const auto t = j.find("type");
  const std::string type =
      t == j.end() ? std::string() : r.string(*t, at + "/type", "a stimulus type");
  auto num = [&](const char* name, double fallback, std::string_view unit) {
    auto f = j.find(name);
    return f == j.end() ? fallback : r.number(*f, at + "/" + name, unit);
  };
  if (type == "DCSource") {
    r.keys(j, at, {"type", "target", "amplitude", "start", "stop", "description"});
    DCSource d;
    d.amplitude = num("amplitude", 1.0, "nA");
    d.start = num("start", 0.0, "ms");
    if (j.contains("stop")) d.stop = num("stop", 0.0, "ms");
    s.kind = d;
  } else if (type == "StepCurrentSource") {
    r.keys(j, at, {"type", "target", "times", "amplitudes", "description"});
    StepCurrentSource c;
    if (auto f = j.find("times"); f != j.end())
      c.times = number_list(r, *f, at + "/times", "ms");
    else
      r.error(at + "/times", "missing, expected a list of times in ms");
    if (auto f = j.find("amplitudes"); f != j.end())
      c.amplitudes = number_list(r, *f, at + "/amplitudes", "nA");
    else
      r.error(at + "/amplitudes", "missing, expected a list of amplitudes in nA");
    s.kind = c;
  } else if (type == "PoissonInput") {
    r.keys(j, at, {"type", "target", "rate", "number", "weight", "receptor", "description"});
    PoissonInput p;
    p.rate = num("rate", 0.0, "Hz");
    if (auto f = j.find("number"); f != j.end())
      p.number = r.integer(*f, at + "/number", "a number of sources");
    p.weight = num("weight", 0.0, "nA, uS or mV (as the target's synapses)");
    if (auto f = j.find("receptor"); f != j.end()) p.receptor = r.receptor(*f, at + "/receptor");
    s.kind = p;
  } else if (t == j.end()) {
    r.error(at + "/type", fmt::format("missing, expected one of {}", fmt::join(types, ", ")));
  } else if (t->is_string()) {
    r.error(at + "/type", fmt::format("found unknown stimulus \"{}\", expected one of {}{}", type,
                                      fmt::join(types, ", "), did_you_mean(type, types)));
  }
  return s;
}

// True when `inner` is `outer` or lies below it.
bool within_pointer(const std::string& inner, const std::string& outer) {
  return inner == outer ||
         (inner.size() > outer.size() && inner.compare(0, outer.size(), outer) == 0 &&
          inner[outer.size()] == '/');
}

}  // namespace

NetworkSpec parse_network(const json& doc) {
  Reader r;
  NetworkSpec spec;
  if (!r.object(doc, "", "a network description")) r.diagnostics().throw_if_any();
  r.keys(doc, "",
         {"$schema", "name", "description", "dt", "duration", "seed", "populations", "projections",
          "stimuli"});
  if (auto it = doc.find("name"); it != doc.end())
    spec.name = r.string(*it, "/name", "a network name");
  if (auto it = doc.find("dt"); it != doc.end()) spec.dt = r.number(*it, "/dt", "ms");
  if (auto it = doc.find("duration"); it != doc.end())
    spec.duration = r.number(*it, "/duration", "ms");
  if (auto it = doc.find("seed"); it != doc.end()) spec.seed = r.integer(*it, "/seed", "a seed");
  if (auto it = doc.find("populations"); it == doc.end()) {
    r.error("/populations", "missing, expected a list of populations");
  } else if (r.array(*it, "/populations", "a list of populations")) {
    for (std::size_t i = 0; i < it->size(); ++i)
      spec.populations.push_back(read_population(r, (*it)[i], fmt::format("/populations/{}", i)));
  }
  if (auto it = doc.find("projections");
      it != doc.end() && r.array(*it, "/projections", "a list of projections"))
    for (std::size_t i = 0; i < it->size(); ++i)
      spec.projections.push_back(read_projection(r, (*it)[i], fmt::format("/projections/{}", i)));
  if (auto it = doc.find("stimuli");
      it != doc.end() && r.array(*it, "/stimuli", "a list of stimuli"))
    for (std::size_t i = 0; i < it->size(); ++i)
      spec.stimuli.push_back(read_stimulus(r, (*it)[i], fmt::format("/stimuli/{}", i)));

  // Semantic checks run on what could be read; a value already reported as malformed is not
  // reported a second time, as a consequence, by them.
  std::vector<Diagnostic> all = r.diagnostics().list();
  for (const Diagnostic& d : validate(spec)) {
    const bool shadowed = std::any_of(
        all.begin(), all.begin() + static_cast<std::ptrdiff_t>(r.diagnostics().size()),
        [&](const Diagnostic& e) {
          return within_pointer(d.pointer, e.pointer) || within_pointer(e.pointer, d.pointer);
        });
    if (!shadowed) all.push_back(d);
  }
  if (!all.empty()) throw InputError(std::move(all));
  return spec;
}

NetworkSpec parse_network_text(const std::string& text) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    // Syntax errors carry a byte offset; a number too large for a double (out_of_range)
    // does not, so locate it by its text.
    std::size_t byte = 0;
    std::string what = e.what();
    if (const auto* pe = dynamic_cast<const json::parse_error*>(&e)) {
      byte = pe->byte;
    } else if (auto q = what.find('\''); q != std::string::npos) {
      const auto q2 = what.find('\'', q + 1);
      if (q2 != std::string::npos) byte = text.find(what.substr(q + 1, q2 - q - 1)) + 1;
    }
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i + 1 < byte && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    if (auto pos = what.find("] "); pos != std::string::npos) what = what.substr(pos + 2);
    // nlohmann repeats the location ("parse error at line 3, column 36: "); keep one.
    if (auto pos = what.find(": "); what.rfind("parse error", 0) == 0 && pos != std::string::npos)
      what = what.substr(pos + 2);
    throw InputError("", fmt::format("invalid JSON at line {}, column {}: {}", line, column, what));
  }
  return parse_network(doc);
}

namespace {

std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw InputError(
        "", fmt::format("cannot read \"{}\": no such file or not readable", path.string()));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

NetworkSpec load_network(const std::filesystem::path& path) {
  return parse_network_text(read_text_file(path));
}

json read_json_file(const std::filesystem::path& path) {
  const std::string text = read_text_file(path);
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw InputError("", fmt::format("invalid JSON in \"{}\": {}", path.string(), e.what()));
  }
}

namespace {

json value_json(const Value& v) {
  switch (v.kind) {
    case Value::Kind::constant:
      return v.a;
    case Value::Kind::uniform:
      return {{"distribution", "uniform"}, {"low", v.a}, {"high", v.b}};
    case Value::Kind::normal:
      return {{"distribution", "normal"}, {"mu", v.a}, {"sigma", v.b}};
    case Value::Kind::normal_clipped:
      return {{"distribution", "normal_clipped"},
              {"mu", v.a},
              {"sigma", v.b},
              {"low", v.low},
              {"high", v.high}};
  }
  return v.a;
}

const char* receptor_name(Receptor r) {
  return r == Receptor::excitatory ? "excitatory" : "inhibitory";
}

}  // namespace

json to_json(const NetworkSpec& spec) {
  json doc;
  doc["name"] = spec.name;
  doc["dt"] = spec.dt;
  doc["duration"] = spec.duration;
  doc["seed"] = spec.seed;
  doc["populations"] = json::array();
  for (const auto& p : spec.populations) {
    json j{{"name", p.name}, {"size", p.size}, {"model", p.model}};
    if (!p.parameters.empty()) {
      j["parameters"] = json::object();
      for (const auto& [k, v] : p.parameters) j["parameters"][k] = value_json(v);
    }
    if (!p.initial.empty()) {
      j["initial"] = json::object();
      for (const auto& [k, v] : p.initial) j["initial"][k] = value_json(v);
    }
    if (p.integration != "exact") j["integration"] = p.integration;
    if (!p.spike_times.empty()) {
      if (p.spike_times.size() == 1 && p.size != 1)
        j["spike_times"] = p.spike_times[0];
      else
        j["spike_times"] = p.spike_times;
    }
    json rec{{"spikes", p.record.spikes}};
    if (!p.record.variables.empty()) rec["variables"] = p.record.variables;
    if (p.record.neurons) rec["neurons"] = *p.record.neurons;
    if (p.record.interval) rec["interval"] = *p.record.interval;
    j["record"] = rec;
    doc["populations"].push_back(j);
  }
  doc["projections"] = json::array();
  for (const auto& pr : spec.projections) {
    json j;
    if (!pr.name.empty()) j["name"] = pr.name;
    j["pre"] = pr.pre.str();
    j["post"] = pr.post.str();
    j["connector"] = std::visit(
        [](const auto& k) -> json {
          using K = std::decay_t<decltype(k)>;
          if constexpr (std::is_same_v<K, AllToAll>)
            return {{"type", "AllToAll"}, {"allow_self_connections", k.allow_self_connections}};
          if constexpr (std::is_same_v<K, OneToOne>) return {{"type", "OneToOne"}};
          if constexpr (std::is_same_v<K, FixedProbability>)
            return {{"type", "FixedProbability"},
                    {"p", k.p},
                    {"allow_self_connections", k.allow_self_connections}};
          if constexpr (std::is_same_v<K, FixedNumberPre>)
            return {{"type", "FixedNumberPre"},
                    {"n", k.n},
                    {"allow_self_connections", k.allow_self_connections},
                    {"with_replacement", k.with_replacement}};
          if constexpr (std::is_same_v<K, FromList>) {
            json list = json::array();
            for (const auto& c : k.connections) {
              json e = {c.pre, c.post};
              if (c.weight || c.delay) e.push_back(c.weight ? json(*c.weight) : json(nullptr));
              if (c.delay) e.push_back(*c.delay);
              list.push_back(e);
            }
            return {{"type", "FromList"}, {"connections", list}};
          }
          return {};
        },
        pr.connector);
    json syn{{"type", pr.synapse.stdp       ? "STDP"
                      : pr.synapse.one_shot ? "OneShot"
                                            : "static"},
             {"weight", value_json(pr.synapse.weight)},
             {"receptor", receptor_name(pr.synapse.receptor)}};
    if (pr.synapse.delay) syn["delay"] = value_json(*pr.synapse.delay);
    if (const auto& rule = pr.synapse.one_shot) {
      syn["learned_weight"] = rule->learned_weight;
      if (rule->until) syn["until"] = *rule->until;
    }
    if (pr.synapse.stdp) {
      const auto& t = pr.synapse.stdp->timing;
      const auto& w = pr.synapse.stdp->weight_dependence;
      syn["timing"] = {{"type", "SpikePair"},
                       {"tau_plus", t.tau_plus},
                       {"tau_minus", t.tau_minus},
                       {"A_plus", t.A_plus},
                       {"A_minus", t.A_minus}};
      syn["weight_dependence"] = {
          {"type", w.kind == WeightDependence::Kind::additive ? "Additive" : "Multiplicative"},
          {"w_min", w.w_min},
          {"w_max", w.w_max}};
    }
    j["synapse"] = syn;
    doc["projections"].push_back(j);
  }
  if (!spec.stimuli.empty()) {
    doc["stimuli"] = json::array();
    for (const auto& s : spec.stimuli) {
      json j = std::visit(
          [](const auto& k) -> json {
            using K = std::decay_t<decltype(k)>;
            if constexpr (std::is_same_v<K, DCSource>) {
              json d{{"type", "DCSource"}, {"amplitude", k.amplitude}, {"start", k.start}};
              if (k.stop) d["stop"] = *k.stop;
              return d;
            }
            if constexpr (std::is_same_v<K, StepCurrentSource>)
              return {
                  {"type", "StepCurrentSource"}, {"times", k.times}, {"amplitudes", k.amplitudes}};
            if constexpr (std::is_same_v<K, PoissonInput>)
              return {{"type", "PoissonInput"},
                      {"rate", k.rate},
                      {"number", k.number},
                      {"weight", k.weight},
                      {"receptor", receptor_name(k.receptor)}};
            return {};
          },
          s.kind);
      j["target"] = s.target.str();
      doc["stimuli"].push_back(j);
    }
  }
  return doc;
}

}  // namespace engram::io
