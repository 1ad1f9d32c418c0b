// Validation of a NetworkSpec: every check that compile() relies on, reported all at once.
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "engine/compile.hpp"

namespace engram {

namespace {

constexpr std::uint64_t kMaxNeurons = 0xFFFFFFFFull;  // neuron ids are 32-bit
constexpr double kMaxDelayMs = 1e5;

std::string fmt_number(double x) {
  return fmt::format("{}", x);
}

std::uint64_t physical_memory() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<std::uint64_t>(pages) * page : (1ull << 34);
}

std::string gib(double bytes) {
  return fmt::format("{:.1f} GiB", bytes / (1024.0 * 1024 * 1024));
}

std::vector<std::pair<std::string, double>> memory_items(const NetworkSpec& spec);

class Validator {
 public:
  explicit Validator(const NetworkSpec& spec) : spec_(spec) {}

  std::vector<Diagnostic> run() {
    network();
    for (std::size_t i = 0; i < spec_.populations.size(); ++i) population(i);
    for (std::size_t i = 0; i < spec_.projections.size(); ++i) projection(i);
    for (std::size_t i = 0; i < spec_.stimuli.size(); ++i) stimulus(i);
    if (out_.empty()) memory();
    return out_.list();
  }

 private:
  void add(const std::string& pointer, std::string message) {
    out_.add(pointer, std::move(message));
  }

  // A finite number within [min, max] (min exclusive when asked).
  bool number(const std::string& at, double x, std::string_view unit, double min, double max,
              bool min_exclusive = false) {
    const std::string u = unit.empty() ? "" : " " + std::string(unit);
    if (!std::isfinite(x)) {
      add(at, fmt::format("found {}, expected a finite number{}", fmt_number(x),
                          unit.empty() ? "" : " in" + u));
      return false;
    }
    const bool low = min_exclusive ? !(x > min) : x < min;
    if (low || x > max) {
      std::string range;
      if (std::isinf(max))
        range = fmt::format("{} {}{}", min_exclusive ? ">" : ">=", fmt_number(min), u);
      else if (std::isinf(min))
        range = fmt::format("<= {}{}", fmt_number(max), u);
      else
        range = fmt::format("in {}{}, {}]{}", min_exclusive ? "(" : "[", fmt_number(min),
                            fmt_number(max), u);
      add(at, fmt::format("found {}{}, expected a value {}", fmt_number(x), u, range));
      return false;
    }
    return true;
  }

  // A value (constant or distribution) whose every draw lies in [min, max].
  void value(const std::string& at, const Value& v, std::string_view unit, double min, double max,
             bool min_exclusive = false) {
    if (v.is_constant()) {
      number(at, v.a, unit, min, max, min_exclusive);
      return;
    }
    const std::string u = unit.empty() ? "" : " " + std::string(unit);
    switch (v.kind) {
      case Value::Kind::uniform:
        if (!std::isfinite(v.a) || !std::isfinite(v.b) || v.a > v.b) {
          add(at, fmt::format("found uniform({}, {}), expected finite bounds with low <= high", v.a,
                              v.b));
          return;
        }
        break;
      case Value::Kind::normal:
        if (!std::isfinite(v.a) || !std::isfinite(v.b) || v.b < 0) {
          add(at,
              fmt::format("found normal({}, {}), expected a finite mu and sigma >= 0", v.a, v.b));
          return;
        }
        break;
      case Value::Kind::normal_clipped:
        if (!std::isfinite(v.a) || !std::isfinite(v.b) || v.b < 0 || !std::isfinite(v.low) ||
            !std::isfinite(v.high) || v.low > v.high) {
          add(at, fmt::format("found {}, expected finite mu, sigma >= 0 and low <= high",
                              v.describe()));
          return;
        }
        // The truncated normal redraws until a value falls in [low, high]: refuse windows
        // that hold almost none of the mass, where that would take forever.
        if (v.b > 0 && (std::erfc((v.low - v.a) / (v.b * std::sqrt(2.0))) -
                        std::erfc((v.high - v.a) / (v.b * std::sqrt(2.0)))) /
                               2.0 <
                           1e-6) {
          add(at, fmt::format("found {}: [low, high] holds less than 1e-6 of the normal's mass",
                              v.describe()));
          return;
        }
        break;
      case Value::Kind::constant:
        break;
    }
    const double lo = v.min(), hi = v.max();
    const bool low = min_exclusive ? !(lo > min) : lo < min;
    if (low || hi > max) {
      std::string range = std::isinf(max)
                              ? fmt::format("{} {}{}", min_exclusive ? ">" : ">=", min, u)
                              : fmt::format("in [{}, {}]{}", min, max, u);
      std::string hint = v.kind == Value::Kind::normal
                             ? "; an unbounded normal can fall outside, use normal_clipped"
                             : "";
      add(at, fmt::format("found {}, whose draws can reach [{}, {}]{}, expected every draw {}{}",
                          v.describe(), lo, hi, u, range, hint));
    }
  }

  // The unit of weights onto a model: a voltage jump, a conductance or a current.
  static std::string weight_unit(const ModelInfo* model) {
    if (!model) return "nA";
    if (model->name == "Izhikevich" || model->name == "IF_curr_delta") return "mV";
    return model->conductance_based ? "uS" : "nA";
  }

  // Delays are whole steps of at least one: every draw must be >= dt (up to rounding).
  void delay(const std::string& at, const Value& d) {
    const double tolerance = spec_.dt * 1e-9;
    if (d.is_constant() && std::isfinite(d.a) && d.a < spec_.dt - tolerance) {
      add(at, fmt::format("found {} ms, expected a delay of at least dt = {} ms", d.a, spec_.dt));
      return;
    }
    if (!d.is_constant() && std::isfinite(d.min()) && d.min() < spec_.dt - tolerance &&
        d.kind != Value::Kind::normal) {
      add(at, fmt::format("found {}, whose draws can fall below dt = {} ms, expected every delay "
                          ">= dt",
                          d.describe(), spec_.dt));
      return;
    }
    value(at, d, "ms", spec_.dt - tolerance, kMaxDelayMs);
  }

  void network() {
    number("/dt", spec_.dt, "ms", 0.0, 1000.0, true);
    number("/duration", spec_.duration, "ms", 0.0, 1e12);
    if (spec_.populations.empty())
      add("/populations", "found no populations, expected at least one");
    std::set<std::string> seen;
    for (std::size_t i = 0; i < spec_.populations.size(); ++i) {
      const auto& name = spec_.populations[i].name;
      if (!seen.insert(name).second)
        add(fmt::format("/populations/{}/name", i),
            fmt::format("found \"{}\" again, expected population names to be unique", name));
    }
  }

  void population(std::size_t i) {
    const PopulationSpec& p = spec_.populations[i];
    const std::string at = fmt::format("/populations/{}", i);
    if (p.name.empty() || p.name.find_first_of("[]:/ \t\n") != std::string::npos)
      add(at + "/name", fmt::format("found \"{}\", expected a non-empty name without spaces, "
                                    "'/', ':', '[' or ']'",
                                    p.name));
    if (p.size == 0) add(at + "/size", "found 0, expected at least 1 neuron");
    if (p.size > kMaxNeurons)
      add(at + "/size",
          fmt::format("found {}, expected at most {} neurons per population", p.size, kMaxNeurons));
    const ModelInfo* model = find_neuron_model(p.model);
    if (!model) {
      add(at + "/model", fmt::format("found unknown model \"{}\", expected one of {}{}", p.model,
                                     fmt::join(neuron_model_names(), ", "),
                                     did_you_mean(p.model, neuron_model_names())));
      return;
    }
    std::vector<double> values;
    bool params_ok = true;
    for (const auto& [name, v] : p.parameters) {
      const ParamSpec* ps = model->find_parameter(name);
      const std::string pat = at + "/parameters/" + pointer_token(name);
      if (!ps) {
        const auto names = model->parameter_names();
        add(pat,
            fmt::format("found unknown parameter \"{}\" for {}, expected one of {}{}", name,
                        p.model, names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", ")),
                        did_you_mean(name, names)));
        params_ok = false;
        continue;
      }
      if (!v.is_constant()) {
        add(pat, fmt::format("found {}, expected a constant: parameters are shared by a "
                             "population (split it to vary them; initial values may be "
                             "distributions)",
                             v.describe()));
        params_ok = false;
        continue;
      }
      params_ok &= number(pat, v.a, ps->unit, ps->min, ps->max, ps->min_exclusive);
    }
    if (params_ok && model->check) {
      for (const auto& ps : model->parameters) {
        auto it = p.parameters.find(std::string(ps.name));
        values.push_back(it == p.parameters.end() ? ps.default_value : it->second.a);
      }
      const std::string problem = model->check(values);
      if (!problem.empty()) add(at + "/parameters", problem);
    }
    if (params_ok && model->name == "SpikeSourcePoisson") {
      auto it = p.parameters.find("rate");
      const double rate = it == p.parameters.end() ? 1.0 : it->second.a;
      if (rate * spec_.dt * 1e-3 > 1.0)
        add(at + "/parameters/rate",
            fmt::format("found {} Hz, expected at most 1/dt = {} Hz: a SpikeSourcePoisson fires at "
                        "most once per step (use a PoissonInput stimulus for higher total rates)",
                        rate, 1e3 / spec_.dt));
    }
    for (const auto& [name, v] : p.initial) {
      const StateSpec* ss = model->find_state(name);
      if (!ss) {
        const auto names = model->state_names();
        add(at + "/initial/" + pointer_token(name),
            fmt::format("found unknown state variable \"{}\" for {}, expected one of {}{}", name,
                        p.model, names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", ")),
                        did_you_mean(name, names)));
        continue;
      }
      value(at + "/initial/" + pointer_token(name), v, ss->unit,
            -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity());
    }
    if (std::find(model->integrations.begin(), model->integrations.end(), p.integration) ==
        model->integrations.end())
      add(at + "/integration",
          fmt::format(
              "found \"{}\", expected one of {} for {}{}", p.integration,
              fmt::join(model->integrations, ", "), p.model,
              did_you_mean(p.integration, std::vector<std::string>(model->integrations.begin(),
                                                                   model->integrations.end()))));
    if (!p.spike_times.empty()) {
      if (model->name != "SpikeSourceArray")
        add(at + "/spike_times", fmt::format("found spike times on a population of model {}, "
                                             "expected them only on a SpikeSourceArray",
                                             p.model));
      else if (p.spike_times.size() != 1 && p.spike_times.size() != p.size)
        add(at + "/spike_times",
            fmt::format("found {} lists, expected 1 (shared by all neurons) or one per neuron ({})",
                        p.spike_times.size(), p.size));
      for (std::size_t n = 0; n < p.spike_times.size(); ++n)
        for (std::size_t k = 0; k < p.spike_times[n].size(); ++k)
          if (!number(fmt::format("{}/spike_times/{}/{}", at, n, k), p.spike_times[n][k], "ms", 0.0,
                      1e12))
            break;
    }
    record(at, p, *model);
  }

  void record(const std::string& at, const PopulationSpec& p, const ModelInfo& model) {
    const RecordSpec& r = p.record;
    for (std::size_t k = 0; k < r.variables.size(); ++k) {
      if (!model.find_state(r.variables[k])) {
        const auto names = model.state_names();
        add(fmt::format("{}/record/variables/{}", at, k),
            fmt::format("found \"{}\", expected a state variable of {}: {}{}", r.variables[k],
                        p.model, names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", ")),
                        did_you_mean(r.variables[k], names)));
      }
    }
    if (r.neurons) {
      for (std::size_t k = 0; k < r.neurons->size(); ++k)
        if ((*r.neurons)[k] >= p.size) {
          add(fmt::format("{}/record/neurons/{}", at, k),
              fmt::format("found neuron {}, expected an id below the population size {}",
                          (*r.neurons)[k], p.size));
          break;
        }
    }
    if (r.interval && number(at + "/record/interval", *r.interval, "ms", spec_.dt, 1e12)) {
      const double ratio = *r.interval / spec_.dt;
      if (std::fabs(ratio - std::round(ratio)) > 1e-9 * ratio)
        add(at + "/record/interval",
            fmt::format("found {} ms, expected a multiple of dt = {} ms", *r.interval, spec_.dt));
    }
  }

  // Resolves a slice against the populations; returns the population or nullptr.
  const PopulationSpec* slice(const std::string& at, const PopulationSlice& s, Range* range) {
    const PopulationSpec* p = spec_.find_population(s.population);
    if (!p) {
      std::vector<std::string> names;
      for (const auto& q : spec_.populations) names.push_back(q.name);
      add(at, fmt::format("found unknown population \"{}\", expected one of {}{}", s.population,
                          fmt::join(names, ", "), did_you_mean(s.population, names)));
      return nullptr;
    }
    const std::uint64_t end = s.end.value_or(p->size);
    if (s.begin >= end || end > p->size) {
      add(at, fmt::format("found slice \"{}\", expected a non-empty range within [0:{}] of "
                          "population \"{}\"",
                          s.str(), p->size, p->name));
      return nullptr;
    }
    if (range) *range = {static_cast<std::uint32_t>(s.begin), static_cast<std::uint32_t>(end)};
    return p;
  }

  void projection(std::size_t i) {
    const ProjectionSpec& pr = spec_.projections[i];
    const std::string at = fmt::format("/projections/{}", i);
    Range pre_range, post_range;
    const PopulationSpec* pre = slice(at + "/pre", pr.pre, &pre_range);
    const PopulationSpec* post = slice(at + "/post", pr.post, &post_range);
    // The target's model decides the weight unit even when the slice itself is bad.
    const PopulationSpec* post_population = spec_.find_population(pr.post.population);
    const ModelInfo* post_model =
        post_population ? find_neuron_model(post_population->model) : nullptr;
    if (post && post_model && post_model->is_source)
      add(at + "/post", fmt::format("found \"{}\", a {}, expected a population that receives "
                                    "input (spike sources take none)",
                                    post->name, post->model));
    const std::string unit = weight_unit(post_model);
    const SynapseSpec& syn = pr.synapse;
    value(at + "/synapse/weight", syn.weight, unit, 0.0, 1e9);
    if (syn.delay) delay(at + "/synapse/delay", *syn.delay);
    if (syn.stdp) {
      const auto& t = syn.stdp->timing;
      const auto& w = syn.stdp->weight_dependence;
      number(at + "/synapse/timing/tau_plus", t.tau_plus, "ms", 0.0, 1e9, true);
      number(at + "/synapse/timing/tau_minus", t.tau_minus, "ms", 0.0, 1e9, true);
      number(at + "/synapse/timing/A_plus", t.A_plus, unit, 0.0, 1e9);
      number(at + "/synapse/timing/A_minus", t.A_minus, unit, 0.0, 1e9);
      number(at + "/synapse/weight_dependence/w_min", w.w_min, unit, 0.0, 1e9);
      if (number(at + "/synapse/weight_dependence/w_max", w.w_max, unit, 0.0, 1e9) &&
          w.w_max < w.w_min)
        add(at + "/synapse/weight_dependence/w_max",
            fmt::format("found {}, expected w_max >= w_min = {}", w.w_max, w.w_min));
    }
    if (syn.one_shot) {
      if (syn.stdp)
        add(at + "/synapse/type",
            "found both STDP and OneShot rules, expected one plasticity rule");
      number(at + "/synapse/learned_weight", syn.one_shot->learned_weight, unit, 0.0, 1e9);
      if (syn.one_shot->until) number(at + "/synapse/until", *syn.one_shot->until, "ms", 0.0, 1e12);
    }
    // Connector values are checked even when a slice is bad; sizes only when both resolve.
    const bool sized = pre && post;
    const std::uint64_t n_pre = pre_range.size(), n_post = post_range.size();
    const std::string c = at + "/connector";
    std::visit(
        [&](const auto& k) {
          using K = std::decay_t<decltype(k)>;
          if constexpr (std::is_same_v<K, OneToOne>) {
            if (sized && n_pre != n_post)
              add(c, fmt::format("found pre size {} and post size {}, expected equal sizes for "
                                 "OneToOne",
                                 n_pre, n_post));
          } else if constexpr (std::is_same_v<K, FixedProbability>) {
            number(c + "/p", k.p, "", 0.0, 1.0);
          } else if constexpr (std::is_same_v<K, FixedNumberPre>) {
            // A neuron that lies in both slices cannot pick itself when self-connections are
            // not allowed, so its pool is one smaller.
            const bool overlap = pr.pre.population == pr.post.population &&
                                 pre_range.begin < post_range.end &&
                                 post_range.begin < pre_range.end;
            const std::uint64_t available =
                (!k.allow_self_connections && overlap) ? n_pre - 1 : n_pre;
            if (sized && !k.with_replacement && k.n > available)
              add(c + "/n",
                  fmt::format("found {}, expected at most {} distinct presynaptic neurons "
                              "without replacement",
                              k.n, available));
            if (sized && k.with_replacement && k.n > 0 && available == 0)
              add(c + "/n", "found no presynaptic neuron to draw from");
          } else if constexpr (std::is_same_v<K, FromList>) {
            for (std::size_t j = 0; j < k.connections.size(); ++j) {
              const auto& e = k.connections[j];
              const std::string ej = fmt::format("{}/connections/{}", c, j);
              if (sized && (e.pre >= n_pre || e.post >= n_post)) {
                add(ej, fmt::format("found ({}, {}), expected pre < {} and post < {}", e.pre,
                                    e.post, n_pre, n_post));
                continue;
              }
              // Entries are [pre, post, weight, delay]: the pointers index the array.
              if (e.weight) number(ej + "/2", *e.weight, unit, 0.0, 1e9);
              if (e.delay) delay(ej + "/3", Value::constant(*e.delay));
            }
          }
        },
        pr.connector);
    // Target index and delay share one 32-bit word.
    if (!sized || !delays_valid(pr)) return;
    const DelaySteps steps = delay_steps(pr, spec_.dt);
    const auto span = static_cast<std::uint64_t>(steps.max - steps.min);
    const int delay_bits = span == 0 ? 0 : std::bit_width(span);
    const int target_bits = std::bit_width(post->size > 0 ? post->size - 1 : 0);
    if (delay_bits + target_bits > 32)
      add(at + "/synapse/delay",
          fmt::format("found delays spanning {} steps onto {} neurons: target index and delay "
                      "do not fit one 32-bit synapse word; narrow the delay range",
                      span, post->size));
  }

  // Every delay of the projection is finite and within range (else it was reported).
  bool delays_valid(const ProjectionSpec& pr) const {
    auto ok = [&](double lo, double hi) {
      return std::isfinite(lo) && std::isfinite(hi) && lo <= hi && hi <= kMaxDelayMs;
    };
    if (pr.synapse.delay && !ok(pr.synapse.delay->min(), pr.synapse.delay->max())) return false;
    if (const auto* list = std::get_if<FromList>(&pr.connector))
      for (const auto& e : list->connections)
        if (e.delay && !ok(*e.delay, *e.delay)) return false;
    return true;
  }

  void stimulus(std::size_t i) {
    const StimulusSpec& s = spec_.stimuli[i];
    const std::string at = fmt::format("/stimuli/{}", i);
    const PopulationSpec* p = slice(at + "/target", s.target, nullptr);
    const ModelInfo* model = p ? find_neuron_model(p->model) : nullptr;
    if (model && model->is_source)
      add(at + "/target", fmt::format("found \"{}\", a {}, expected a population that receives "
                                      "input",
                                      p->name, p->model));
    std::visit(
        [&](const auto& k) {
          using K = std::decay_t<decltype(k)>;
          if constexpr (std::is_same_v<K, DCSource>) {
            number(at + "/amplitude", k.amplitude, "nA", -1e9, 1e9);
            number(at + "/start", k.start, "ms", 0.0, 1e12);
            if (k.stop && number(at + "/stop", *k.stop, "ms", 0.0, 1e12) && *k.stop < k.start)
              add(at + "/stop",
                  fmt::format("found {} ms, expected stop >= start = {} ms", *k.stop, k.start));
          } else if constexpr (std::is_same_v<K, StepCurrentSource>) {
            if (k.times.size() != k.amplitudes.size())
              add(at + "/amplitudes", fmt::format("found {} amplitudes for {} times, expected one "
                                                  "amplitude per time",
                                                  k.amplitudes.size(), k.times.size()));
            for (std::size_t j = 0; j < k.times.size(); ++j) {
              if (!number(fmt::format("{}/times/{}", at, j), k.times[j], "ms", 0.0, 1e12)) break;
              if (j > 0 && !(k.times[j] > k.times[j - 1])) {
                add(fmt::format("{}/times/{}", at, j),
                    fmt::format("found {} ms after {} ms, expected increasing times", k.times[j],
                                k.times[j - 1]));
                break;
              }
            }
            for (std::size_t j = 0; j < k.amplitudes.size(); ++j)
              if (!number(fmt::format("{}/amplitudes/{}", at, j), k.amplitudes[j], "nA", -1e9, 1e9))
                break;
          } else if constexpr (std::is_same_v<K, PoissonInput>) {
            number(at + "/rate", k.rate, "Hz", 0.0, 1e9);
            if (k.number == 0) add(at + "/number", "found 0, expected at least 1 source");
            const PopulationSpec* target = spec_.find_population(s.target.population);
            number(at + "/weight", k.weight,
                   weight_unit(target ? find_neuron_model(target->model) : nullptr), 0.0, 1e9);
          }
        },
        s.kind);
  }

  void memory() {
    const std::uint64_t need = estimate_memory(spec_);
    const std::uint64_t have = physical_memory();
    if (need > have) {
      // Name the largest contributor so the user knows what to shrink.
      const auto items = memory_items(spec_);
      const auto largest =
          std::max_element(items.begin(), items.end(),
                           [](const auto& a, const auto& b) { return a.second < b.second; });
      add(largest == items.end() ? std::string() : largest->first,
          fmt::format("the network needs about {} of memory, expected at most the {} this "
                      "machine has",
                      gib(static_cast<double>(need)), gib(static_cast<double>(have))));
    }
  }

  const NetworkSpec& spec_;
  Diagnostics out_;
};

}  // namespace

std::vector<Diagnostic> validate(const NetworkSpec& spec) {
  return Validator(spec).run();
}

Step steps_of(double ms, double dt) {
  return static_cast<Step>(std::llround(ms / dt));
}

namespace {

// Estimated bytes per part of the network, each with the pointer of what sizes it.
std::vector<std::pair<std::string, double>> memory_items(const NetworkSpec& spec) {
  std::vector<std::pair<std::string, double>> items;
  // Input rings, sized as compile() sizes them (delays capped: absurd ones are reported
  // by the delay checks, not here).
  std::vector<Step> max_in(spec.populations.size(), 1);
  for (const auto& pr : spec.projections) {
    const PopulationSpec* post = spec.find_population(pr.post.population);
    if (!post) continue;
    const DelaySteps d = delay_steps(pr, spec.dt);
    const Step cap = static_cast<Step>(kMaxDelayMs / spec.dt) + 1;
    const auto index = static_cast<std::size_t>(post - spec.populations.data());
    max_in[index] = std::max(max_in[index], std::min(d.max, cap));
  }
  for (std::size_t i = 0; i < spec.populations.size(); ++i) {
    const PopulationSpec& p = spec.populations[i];
    const ModelInfo* m = find_neuron_model(p.model);
    const double columns = m ? static_cast<double>(m->state.size()) : 4.0;
    const double n = static_cast<double>(p.size);
    const double slots = static_cast<double>(ring_slots(max_in[i]));
    items.emplace_back(fmt::format("/populations/{}/size", i),
                       n * (columns * 8 + 4 + 8 + 8) + n * 2 * sizeof(double) * slots);
  }
  double build_buffers = 0.0;
  for (std::size_t j = 0; j < spec.projections.size(); ++j) {
    const ProjectionSpec& pr = spec.projections[j];
    const PopulationSpec* pre = spec.find_population(pr.pre.population);
    const PopulationSpec* post = spec.find_population(pr.post.population);
    if (!pre || !post) continue;
    const double n_pre = static_cast<double>(pr.pre.end.value_or(pre->size) - pr.pre.begin);
    const double n_post = static_cast<double>(pr.post.end.value_or(post->size) - pr.post.begin);
    const double synapses = std::visit(
        [&](const auto& k) -> double {
          using K = std::decay_t<decltype(k)>;
          if constexpr (std::is_same_v<K, AllToAll>) return n_pre * n_post;
          if constexpr (std::is_same_v<K, OneToOne>) return n_post;
          if constexpr (std::is_same_v<K, FixedProbability>) return k.p * n_pre * n_post;
          if constexpr (std::is_same_v<K, FixedNumberPre>) return static_cast<double>(k.n) * n_post;
          if constexpr (std::is_same_v<K, FromList>)
            return static_cast<double>(k.connections.size());
          return 0.0;
        },
        pr.connector);
    const double table = synapses * (pr.synapse.plastic() ? 12.0 : 8.0);
    items.emplace_back(fmt::format("/projections/{}/connector", j), table + n_pre * 8.0);
    // compile() writes tables above CompileOptions::batch_writes_above through two batch
    // buffers of up to 8 M synapses of 24 bytes each, one projection at a time
    // (build_projection in compile.cpp).
    if (table > static_cast<double>(CompileOptions{}.batch_writes_above))
      build_buffers = std::max(build_buffers, 2 * 24.0 * std::clamp(8 * n_pre, 65536.0, 8388608.0));
  }
  if (build_buffers > 0) items.emplace_back("/projections", build_buffers);
  return items;
}

}  // namespace

std::uint64_t estimate_memory(const NetworkSpec& spec) {
  double bytes = 0.0;
  for (const auto& item : memory_items(spec)) bytes += item.second;
  return bytes > 1.8e19 ? ~std::uint64_t{0} : static_cast<std::uint64_t>(bytes);
}

}  // namespace engram
