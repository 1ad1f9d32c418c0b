#include "models/ca3_cam/ca3_cam.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/compile.hpp"
#include "engine/error.hpp"
#include "io/network_json.hpp"

namespace engram::models::ca3 {

using nlohmann::json;

namespace {

constexpr std::uint32_t kMaxSize = 4096;  // per side; the memory grows as cue_size²

// Neuron parameters of shared/models/ca3_cam.md.
struct Cell {
  double cm, tau_m, v_thresh;
};
constexpr Cell kTypeA{0.27, 3.0, -57.0};
constexpr Cell kTypeB{0.14, 0.5, -57.0};
constexpr Cell kOutput{0.27, 3.0, -57.5};

PopulationSpec lif(const char* name, std::uint64_t size, Cell cell) {
  PopulationSpec p;
  p.name = name;
  p.size = size;
  p.model = "IF_curr_exp";
  p.integration = "spinnaker";
  p.parameters = {
      {"cm", Value::constant(cell.cm)},     {"tau_m", Value::constant(cell.tau_m)},
      {"tau_refrac", Value::constant(1.0)}, {"tau_syn_E", Value::constant(0.3)},
      {"tau_syn_I", Value::constant(0.3)},  {"v_rest", Value::constant(-60.0)},
      {"v_reset", Value::constant(-60.0)},  {"v_thresh", Value::constant(cell.v_thresh)},
      {"i_offset", Value::constant(0.0)}};
  p.initial = {{"v", Value::constant(-60.0)}};
  return p;
}

ProjectionSpec link(const std::string& pre, const std::string& post, Connector connector,
                    double weight, double delay, Receptor receptor = Receptor::excitatory) {
  ProjectionSpec p;
  p.name = pre + "->" + post;
  p.pre = *PopulationSlice::parse(pre);
  p.post = *PopulationSlice::parse(post);
  p.connector = std::move(connector);
  p.synapse.weight = Value::constant(weight);
  p.synapse.delay = Value::constant(delay);
  p.synapse.receptor = receptor;
  return p;
}

// All pairs (i, j) with i != j between two populations of n neurons.
FromList all_but_self(std::uint32_t n) {
  FromList list;
  for (std::uint32_t i = 0; i < n; ++i)
    for (std::uint32_t j = 0; j < n; ++j)
      if (i != j) list.connections.push_back({i, j, std::nullopt, std::nullopt});
  return list;
}

StdpSpec stdp_rule() {
  StdpSpec s;
  s.timing = {3.0, 3.0, 6.0, 6.0};
  s.weight_dependence = {WeightDependence::Kind::additive, 0.0, 6.0};
  return s;
}

// The input spikes of one operation: (input neuron, time) pairs.
std::vector<std::pair<std::uint32_t, double>> input_spikes(const Operation& op,
                                                           std::uint32_t cue_size) {
  std::vector<std::pair<std::uint32_t, double>> out;
  switch (op.kind) {
    case OpKind::learn:
      for (int k = 0; k < 3; ++k) {
        out.emplace_back(op.cue, op.t + k);
        for (auto bit : op.content) out.emplace_back(cue_size + bit, op.t + k);
      }
      break;
    case OpKind::recall_cue:
      out.emplace_back(op.cue, op.t);
      break;
    case OpKind::recall_content:
      for (auto bit : op.content) out.emplace_back(cue_size + bit, op.t);
      break;
  }
  return out;
}

// The steps after an operation at t in which its answer appears at the output: the echo at
// t + 5, the answer at t + 6. Earlier operations' outputs end at t (a learn 7 ms before), and
// later ones start at t + 11 at the earliest.
constexpr Step kAnswerFirst = 1, kAnswerEnd = 8;

}  // namespace

const char* op_name(OpKind kind) {
  switch (kind) {
    case OpKind::learn:
      return "learn";
    case OpKind::recall_cue:
      return "recall_cue";
    case OpKind::recall_content:
      return "recall_content";
  }
  return "?";
}

double Experiment::run_duration() const {
  if (duration) return *duration;
  return operations.empty() ? 10.0 : operations.back().t + 10.0;
}

void validate(const Experiment& e) {
  Diagnostics d;
  if (e.cue_size == 0 || e.cue_size > kMaxSize)
    d.add("/cue_size", fmt::format("found {}, expected 1 to {} cues", e.cue_size, kMaxSize));
  if (e.content_size == 0 || e.content_size > kMaxSize)
    d.add("/content_size",
          fmt::format("found {}, expected 1 to {} content bits", e.content_size, kMaxSize));
  for (std::size_t i = 0; i < e.operations.size(); ++i) {
    const Operation& op = e.operations[i];
    const std::string at = fmt::format("/operations/{}", i);
    if (!std::isfinite(op.t) || op.t < 0 || op.t != std::floor(op.t))
      d.add(at + "/t", fmt::format("found {}, expected a whole, non-negative number of ms", op.t));
    if (i > 0) {
      const Operation& prev = e.operations[i - 1];
      const double spacing = prev.kind == OpKind::learn ? kSpacingAfterLearn : kSpacingAfterRecall;
      if (op.t <= prev.t)
        d.add(at + "/t", fmt::format("found {} ms after an operation at {} ms, expected "
                                     "increasing times",
                                     op.t, prev.t));
      else if (op.t - prev.t < spacing)
        d.add(at + "/t", fmt::format("found {} ms, {} ms after the {} at {} ms, expected at "
                                     "least {} ms after a {}",
                                     op.t, op.t - prev.t, op_name(prev.kind), prev.t, spacing,
                                     prev.kind == OpKind::learn ? "learn" : "recall"));
    }
    if (op.kind != OpKind::recall_content && op.cue >= e.cue_size)
      d.add(at + "/cue",
            fmt::format("found cue {}, expected a cue below cue_size = {}", op.cue, e.cue_size));
    if (op.kind != OpKind::recall_cue) {
      if (op.content.empty())
        d.add(at + "/content", fmt::format("found no bits, expected at least one content bit "
                                           "for a {}",
                                           op_name(op.kind)));
      std::set<std::uint32_t> seen;
      for (std::size_t k = 0; k < op.content.size(); ++k) {
        if (op.content[k] >= e.content_size)
          d.add(fmt::format("{}/content/{}", at, k),
                fmt::format("found bit {}, expected a bit below content_size = {}", op.content[k],
                            e.content_size));
        else if (!seen.insert(op.content[k]).second)
          d.add(fmt::format("{}/content/{}", at, k),
                fmt::format("found bit {} twice, expected each bit once", op.content[k]));
      }
    }
  }
  if (e.duration &&
      (!std::isfinite(*e.duration) || *e.duration <= 0 || *e.duration != std::floor(*e.duration)))
    d.add("/duration",
          fmt::format("found {}, expected a whole, positive number of ms", *e.duration));
  d.throw_if_any();
}

Experiment parse_experiment(const json& doc) {
  Diagnostics d;
  Experiment e;
  if (!doc.is_object()) throw InputError("", "found no object, expected an operations document");
  static const std::vector<std::string> keys = {"cue_size", "content_size", "duration",
                                                "operations", "description"};
  for (const auto& [key, value] : doc.items()) {
    (void)value;
    if (std::find(keys.begin(), keys.end(), key) == keys.end())
      d.add("/" + pointer_token(key),
            fmt::format("found unknown key \"{}\", expected one of {}{}", key,
                        fmt::join(keys, ", "), did_you_mean(key, keys)));
  }
  auto count = [&](const char* key) -> std::uint32_t {
    auto it = doc.find(key);
    if (it == doc.end()) {
      d.add(std::string("/") + key, "missing, expected a positive integer");
      return 0;
    }
    if (!it->is_number_unsigned() || it->get<std::uint64_t>() > kMaxSize) {
      d.add(std::string("/") + key,
            fmt::format("found {}, expected an integer from 1 to {}", it->dump(), kMaxSize));
      return 0;
    }
    return it->get<std::uint32_t>();
  };
  e.cue_size = count("cue_size");
  e.content_size = count("content_size");
  if (auto it = doc.find("duration"); it != doc.end()) {
    if (it->is_number())
      e.duration = it->get<double>();
    else
      d.add("/duration", fmt::format("found {}, expected a number of ms", it->dump()));
  }
  auto ops = doc.find("operations");
  if (ops == doc.end() || !ops->is_array()) {
    d.add("/operations", "missing or not a list, expected a list of operations");
  } else {
    static const std::vector<std::string> names = {"learn", "recall_cue", "recall_content"};
    for (std::size_t i = 0; i < ops->size(); ++i) {
      const json& o = (*ops)[i];
      const std::string at = fmt::format("/operations/{}", i);
      Operation op;
      if (!o.is_object()) {
        d.add(at, fmt::format("found {}, expected an operation object", o.dump()));
        continue;
      }
      for (const auto& [key, value] : o.items()) {
        (void)value;
        static const std::vector<std::string> op_keys = {"t", "op", "cue", "content"};
        if (std::find(op_keys.begin(), op_keys.end(), key) == op_keys.end())
          d.add(at + "/" + pointer_token(key),
                fmt::format("found unknown key \"{}\", expected one of t, op, cue, content{}", key,
                            did_you_mean(key, op_keys)));
      }
      if (auto t = o.find("t"); t != o.end() && t->is_number())
        op.t = t->get<double>();
      else
        d.add(at + "/t", "missing or not a number, expected the time of the operation in ms");
      const std::string name =
          o.contains("op") && o["op"].is_string() ? o["op"].get<std::string>() : "";
      if (name == "learn") {
        op.kind = OpKind::learn;
      } else if (name == "recall_cue") {
        op.kind = OpKind::recall_cue;
      } else if (name == "recall_content") {
        op.kind = OpKind::recall_content;
      } else {
        d.add(
            at + "/op",
            fmt::format("found {}, expected one of learn, recall_cue, recall_content{}",
                        o.contains("op") ? o["op"].dump() : "nothing", did_you_mean(name, names)));
        continue;
      }
      if (op.kind != OpKind::recall_content) {
        auto c = o.find("cue");
        if (c == o.end() || !c->is_number_unsigned())
          d.add(at + "/cue", fmt::format("found {}, expected a cue index",
                                         c == o.end() ? "nothing" : c->dump()));
        else
          op.cue =
              static_cast<std::uint32_t>(std::min<std::uint64_t>(c->get<std::uint64_t>(), ~0u));
      } else if (o.contains("cue")) {
        d.add(at + "/cue", "found a cue on a recall_content, expected only content bits");
      }
      if (op.kind != OpKind::recall_cue) {
        auto c = o.find("content");
        if (c == o.end() || !c->is_array()) {
          d.add(at + "/content", fmt::format("found {}, expected a list of content bits",
                                             c == o.end() ? "nothing" : c->dump()));
        } else {
          for (std::size_t k = 0; k < c->size(); ++k) {
            if (!(*c)[k].is_number_unsigned())
              d.add(fmt::format("{}/content/{}", at, k),
                    fmt::format("found {}, expected a bit index", (*c)[k].dump()));
            else
              op.content.push_back(static_cast<std::uint32_t>(
                  std::min<std::uint64_t>((*c)[k].get<std::uint64_t>(), ~0u)));
          }
        }
      } else if (o.contains("content")) {
        d.add(at + "/content", "found content on a recall_cue, expected only a cue");
      }
      e.operations.push_back(op);
    }
  }
  d.throw_if_any();
  validate(e);
  return e;
}

Experiment load_experiment(const std::string& path) {
  return parse_experiment(io::read_json_file(path));
}

NetworkSpec build_network(const Experiment& e) {
  validate(e);
  const std::uint32_t C = e.cue_size, N = e.content_size;
  NetworkSpec spec;
  spec.name = fmt::format("ca3_cam_{}x{}", C, N);
  spec.dt = 1.0;
  spec.duration = e.run_duration();
  spec.seed = 1;

  PopulationSpec input;
  input.name = "input";
  input.size = C + N;
  input.model = "SpikeSourceArray";
  input.spike_times.assign(C + N, {});
  for (const Operation& op : e.operations)
    for (const auto& [neuron, t] : input_spikes(op, C)) input.spike_times[neuron].push_back(t);
  spec.populations = {input,
                      lif("cue_cue", C, kTypeA),
                      lif("cue_cont", C, kTypeB),
                      lif("cont_cue", N, kTypeA),
                      lif("cont_cont", N, kTypeA),
                      lif("cond", N, kTypeB),
                      lif("cond_int", 1, kTypeB),
                      lif("merge_cue", C, kTypeA),
                      lif("merge_cont", N, kTypeA),
                      lif("output", C + N, kOutput)};

  const std::string cues = fmt::format("input[0:{}]", C), contents = fmt::format("input[{}:]", C);
  const double block = 6.0 * N;  // inhibition strong enough to veto a whole content
  const auto inh = Receptor::inhibitory;
  auto& p = spec.projections;
  p.push_back(link(cues, "cue_cue", OneToOne{}, 6, 1));
  p.push_back(link(contents, "cont_cue", OneToOne{}, 6, 1));
  p.push_back(link("cue_cue", "cue_cont", OneToOne{}, 6, 2));
  p.push_back(link("cue_cue", "cue_cont", all_but_self(C), block, 3, inh));
  p.push_back(link("cue_cue", "cond", AllToAll{}, 6, 2, inh));
  p.push_back(link("cont_cue", "cond", OneToOne{}, 9, 1));
  p.push_back(link("cond", "cont_cont", OneToOne{}, 6, 1));
  p.push_back(link("cont_cue", "cond_int", AllToAll{}, 6, 1));
  p.push_back(link("cond_int", "cond", AllToAll{}, 2, 1));
  ProjectionSpec cue_to_content = link("cue_cue", "cont_cue", AllToAll{}, 0, 1);
  cue_to_content.synapse.stdp = stdp_rule();
  p.push_back(cue_to_content);
  ProjectionSpec content_to_cue = link("cont_cont", "cue_cont", AllToAll{}, 0, 1);
  content_to_cue.synapse.stdp = stdp_rule();
  p.push_back(content_to_cue);
  p.push_back(link("cue_cont", "cue_cont", AllToAll{false}, block, 2, inh));
  p.push_back(link("cue_cue", "merge_cue", OneToOne{}, 6, 3));
  p.push_back(link("cue_cont", "merge_cue", OneToOne{}, 6, 1));
  p.push_back(link("cont_cue", "merge_cont", OneToOne{}, 6, 3));
  p.push_back(link("cont_cont", "merge_cont", OneToOne{}, 6, 1));
  p.push_back(link("merge_cue", fmt::format("output[0:{}]", C), OneToOne{}, 6, 1));
  p.push_back(link("merge_cont", fmt::format("output[{}:]", C), OneToOne{}, 6, 1));
  return spec;
}

std::vector<RecallResult> decode(const Experiment& e,
                                 const std::vector<std::pair<Step, std::uint32_t>>& output) {
  std::vector<RecallResult> results;
  for (const Operation& op : e.operations) {
    if (op.kind == OpKind::learn) continue;
    const auto t = static_cast<Step>(op.t);
    std::set<std::uint32_t> cues, bits;
    for (const auto& [step, neuron] : output) {
      if (step < t + kAnswerFirst || step >= t + kAnswerEnd) continue;
      if (neuron < e.cue_size)
        cues.insert(neuron);
      else
        bits.insert(neuron - e.cue_size);
    }
    RecallResult r;
    r.t = op.t;
    r.kind = op.kind;
    if (op.kind == OpKind::recall_cue)
      r.content.assign(bits.begin(), bits.end());
    else
      r.cues.assign(cues.begin(), cues.end());
    results.push_back(std::move(r));
  }
  return results;
}

nlohmann::ordered_json to_json(const RecallResult& r) {
  nlohmann::ordered_json j;
  // Operation times are whole milliseconds: print them as integers.
  j["t"] = static_cast<std::int64_t>(r.t);
  j["op"] = op_name(r.kind);
  if (r.kind == OpKind::recall_content)
    j["cues"] = r.cues;
  else
    j["content"] = r.content;
  return j;
}

// Collects the output population's spikes of the operation being run.
struct Memory::Window : Observer {
  std::uint32_t output = 0;
  void begin(const RecordingPlan& plan) override {
    output = static_cast<std::uint32_t>(
        std::find(plan.population_names.begin(), plan.population_names.end(), "output") -
        plan.population_names.begin());
  }
  void spikes(Step step, std::uint32_t population, std::span<const std::uint32_t> ids) override {
    if (population != output) return;
    for (auto id : ids) collected.emplace_back(step, id);
  }
  std::vector<std::pair<Step, std::uint32_t>> collected;
};

Memory::Memory(std::uint32_t cue_size, std::uint32_t content_size, const BackendOptions& options)
    : cue_size_(cue_size), content_size_(content_size), window_(std::make_unique<Window>()) {
  Experiment empty{cue_size, content_size, std::nullopt, {}};
  backend_ = make_cpu_backend(build_network(empty), options);
  backend_->attach(*window_);
}

Memory::~Memory() = default;

double Memory::now() const {
  return static_cast<double>(backend_->now());
}

std::vector<std::uint32_t> Memory::run_operation(const Operation& op) {
  Experiment one{cue_size_, content_size_, std::nullopt, {op}};
  validate(one);
  for (const auto& [neuron, t] : input_spikes(op, cue_size_))
    backend_->schedule_spike(0, neuron, static_cast<Step>(t));
  window_->collected.clear();
  // Through the answer at t + 6, and far enough for the next operation's spacing.
  backend_->run(static_cast<Step>(kSpacingAfterLearn));
  if (op.kind == OpKind::learn) return {};
  const auto results = decode(one, window_->collected);
  return op.kind == OpKind::recall_cue ? results.front().content : results.front().cues;
}

void Memory::store(std::uint32_t cue, const std::vector<std::uint32_t>& content) {
  run_operation({now(), OpKind::learn, cue, content});
}

std::vector<std::uint32_t> Memory::recall_by_cue(std::uint32_t cue) {
  return run_operation({now(), OpKind::recall_cue, cue, {}});
}

std::vector<std::uint32_t> Memory::recall_by_content(const std::vector<std::uint32_t>& fragment) {
  return run_operation({now(), OpKind::recall_content, 0, fragment});
}

}  // namespace engram::models::ca3
