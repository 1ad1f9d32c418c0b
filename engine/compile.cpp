// Building the runtime arrays from a validated description.
#include "engine/compile.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "engine/connectors.hpp"
#include "engine/step.hpp"

namespace engram {

namespace {

std::uint32_t partition_of(std::uint64_t neuron, std::uint64_t n, std::uint32_t parts) {
  auto p = static_cast<std::uint32_t>(neuron * parts / n);
  while (partition_range(n, p, parts).end <= neuron) ++p;
  while (partition_range(n, p, parts).begin > neuron) --p;
  return p;
}

std::vector<double> parameter_values(const ModelInfo& model, const PopulationSpec& p) {
  std::vector<double> values;
  for (const auto& ps : model.parameters) {
    auto it = p.parameters.find(std::string(ps.name));
    values.push_back(it == p.parameters.end() ? ps.default_value : it->second.a);
  }
  return values;
}

void build_population(const NetworkSpec& spec, std::uint32_t index, PopulationRuntime& out) {
  const PopulationSpec& p = spec.populations[index];
  const ModelInfo& model = *find_neuron_model(p.model);
  const std::vector<double> params = parameter_values(model, p);
  GroupContext context;
  context.dt = spec.dt;
  context.seed = spec.seed;
  context.population = index;
  context.integration = p.integration;
  for (const auto& list : p.spike_times) {
    std::vector<Step> steps;
    for (double t : list) steps.push_back(steps_of(t, spec.dt));
    std::sort(steps.begin(), steps.end());
    steps.erase(std::unique(steps.begin(), steps.end()), steps.end());
    context.spike_steps.push_back(std::move(steps));
  }
  out.name = p.name;
  out.size = p.size;
  out.model = &model;
  out.group = model.create(p.size, params, context);
  out.injected.assign(p.size, 0.0);
  out.record_spikes = p.record.spikes;
  for (std::size_t c = 0; c < model.state.size(); ++c) {
    const StateSpec& s = model.state[c];
    Value v = Value::constant(s.initial);
    if (!s.initial_from.empty()) {
      const ParamSpec* from = model.find_parameter(s.initial_from);
      v = Value::constant(params[static_cast<std::size_t>(from - model.parameters.data())]);
    }
    if (auto it = p.initial.find(std::string(s.name)); it != p.initial.end()) v = it->second;
    std::span<double> column = out.group->column(s.name);
    for (std::uint64_t n = 0; n < p.size; ++n) {
      if (v.is_constant()) {
        column[n] = v.a;
      } else {
        Stream stream(spec.seed, Purpose::initial_value, index, static_cast<std::uint32_t>(n),
                      static_cast<std::uint32_t>(c));
        column[n] = v.draw(stream);
      }
    }
  }
}

// A synapse of pass 2 waiting to be written into row `row` of partition `part`.
struct PendingSynapse {
  double weight;
  std::uint32_t part, row, word;
};

void build_projection(const NetworkSpec& spec, std::uint32_t index, Runtime& rt,
                      ConnectorScratch& scratch, std::uint64_t batch_above) {
  const ProjectionSpec& pr = spec.projections[index];
  ProjectionRuntime& out = rt.projections[index];
  const auto pop_index = [&](const std::string& name) {
    for (std::uint32_t i = 0; i < spec.populations.size(); ++i)
      if (spec.populations[i].name == name) return i;
    assert(false && "validated population");
    return 0u;
  };
  out.label = pr.name.empty() ? fmt::format("{}->{}", pr.pre.str(), pr.post.str()) : pr.name;
  out.pre = pop_index(pr.pre.population);
  out.post = pop_index(pr.post.population);
  const std::uint64_t pre_size = spec.populations[out.pre].size;
  const std::uint64_t post_size = spec.populations[out.post].size;
  out.pre_range = {static_cast<std::uint32_t>(pr.pre.begin),
                   static_cast<std::uint32_t>(pr.pre.end.value_or(pre_size))};
  out.post_range = {static_cast<std::uint32_t>(pr.post.begin),
                    static_cast<std::uint32_t>(pr.post.end.value_or(post_size))};
  out.receptor = pr.synapse.receptor;
  const DelaySteps delays = delay_steps(pr, spec.dt);
  out.min_delay = delays.min;
  out.max_delay = delays.max;
  const auto span = static_cast<std::uint64_t>(delays.max - delays.min);
  const int delay_bits = span == 0 ? 0 : std::bit_width(span);
  const int target_bits = std::bit_width(post_size - 1);
  out.narrow = target_bits + delay_bits <= 16;
  const int word_bits = out.narrow ? 16 : 32;
  out.delay_shift = static_cast<std::uint32_t>(delay_bits == 0 ? 32 : word_bits - delay_bits);
  out.target_mask = delay_bits == 0 ? 0xFFFFFFFFu : ((1u << out.delay_shift) - 1u);

  const std::uint32_t parts = rt.partitions;
  const std::uint64_t n_pre = out.pre_range.size();
  ConnectorContext context;
  context.seed = spec.seed;
  context.projection = index;
  context.n_pre = n_pre;
  context.n_post = out.post_range.size();
  context.same_population = out.pre == out.post;
  context.pre_offset = out.pre_range.begin;
  context.post_offset = out.post_range.begin;

  out.tables.assign(parts, SynapseTable{});
  for (auto& t : out.tables) t.offsets.assign(n_pre + 1, 0);
  // Pass 1: count each partition's row lengths.
  for_each_connection(
      pr.connector, context,
      [&](std::uint64_t pre, std::uint64_t post, std::uint32_t, const FromList::Connection*) {
        const std::uint32_t p = partition_of(post + out.post_range.begin, post_size, parts);
        ++out.tables[p].offsets[pre + 1];
      },
      scratch);
  std::vector<std::vector<std::uint64_t>> cursor(parts);
  const bool plastic = pr.synapse.plastic();
  // A static projection whose synapses all share one weight stores it once.
  const auto* list = std::get_if<FromList>(&pr.connector);
  out.uniform_weight =
      !plastic && pr.synapse.weight.is_constant() &&
      (!list || std::none_of(list->connections.begin(), list->connections.end(),
                             [](const FromList::Connection& c) { return c.weight.has_value(); }));
  out.weight = static_cast<float>(pr.synapse.weight.a);
  for (std::uint32_t p = 0; p < parts; ++p) {
    auto& t = out.tables[p];
    std::partial_sum(t.offsets.begin(), t.offsets.end(), t.offsets.begin());
    if (out.narrow)
      t.narrow.resize(t.offsets.back());
    else
      t.targets.resize(t.offsets.back());
    if (plastic)
      t.plastic.resize(t.offsets.back());
    else if (!out.uniform_weight)
      t.weights.resize(t.offsets.back());
    cursor[p].assign(t.offsets.begin(), t.offsets.end() - 1);
  }
  // Pass 2: regenerate the same connections and fill the rows. Each row receives its
  // synapses in the order they are generated.
  const auto write = [&](std::uint32_t p, std::uint64_t row, std::uint32_t word, double w) {
    auto& t = out.tables[p];
    const std::uint64_t slot = cursor[p][row]++;
    if (out.narrow)
      t.narrow[slot] = static_cast<std::uint16_t>(word);
    else
      t.targets[slot] = word;
    if (plastic)
      t.plastic[slot] = w;
    else if (!out.uniform_weight)
      t.weights[slot] = static_cast<float>(w);
  };
  // Connectors generate the synapses of one post neuron after another, so consecutive
  // synapses go to rows far apart. Once the tables outgrow the caches, every write misses
  // (batching took a 640,000-neuron Brunel network's build from 65 s to 46 s). Large tables are
  // therefore written in batches: a batch is ordered by block of rows (a stable counting
  // sort, which keeps each row's synapses in generation order) and written block by block,
  // so that the writes of a block fall within about 1 MB of the tables. A batch holds
  // about 8 synapses per row (at most 8 M synapses, 192 MB, and as much again to sort them),
  // so that each row takes a few at a time.
  std::uint64_t total = 0;
  for (const auto& t : out.tables) total += t.offsets.back();
  const std::uint64_t weight_bytes = plastic ? 8 : out.uniform_weight ? 0 : 4;
  const std::uint64_t table_bytes = total * ((out.narrow ? 2 : 4) + weight_bytes);
  const bool batched = total > 0 && table_bytes > batch_above;
  const std::uint64_t rows = std::uint64_t{parts} * n_pre;
  // Rows per block: the power of two nearest below the number of rows that hold 1 MB.
  const std::uint64_t rows_per_mb =
      (std::uint64_t{1} << 20) * rows / std::max<std::uint64_t>(table_bytes, 1);
  const int block_shift = std::max(0, static_cast<int>(std::bit_width(rows_per_mb)) - 1);
  const std::uint64_t blocks = (rows >> block_shift) + 1;
  const std::size_t batch_size = std::clamp<std::uint64_t>(8 * rows, 1u << 16, 1u << 23);
  std::vector<PendingSynapse> batch, sorted;
  std::vector<std::uint64_t> block_start;
  if (batched) {
    batch.reserve(batch_size);
    sorted.resize(batch_size);
    block_start.resize(blocks + 1);
  }
  const auto flush = [&] {
    std::fill(block_start.begin(), block_start.end(), 0);
    const auto block_of = [&](const PendingSynapse& s) {
      return (std::uint64_t{s.part} * n_pre + s.row) >> block_shift;
    };
    for (const PendingSynapse& s : batch) ++block_start[block_of(s) + 1];
    std::partial_sum(block_start.begin(), block_start.end(), block_start.begin());
    for (const PendingSynapse& s : batch) sorted[block_start[block_of(s)]++] = s;
    for (std::size_t k = 0; k < batch.size(); ++k)
      write(sorted[k].part, sorted[k].row, sorted[k].word, sorted[k].weight);
    batch.clear();
  };
  const Value& weight = pr.synapse.weight;
  const Value delay = pr.synapse.delay.value_or(Value::constant(spec.dt));
  for_each_connection(
      pr.connector, context,
      [&](std::uint64_t pre, std::uint64_t post, std::uint32_t j, const FromList::Connection* e) {
        const std::uint64_t target = post + out.post_range.begin;
        const std::uint32_t p = partition_of(target, post_size, parts);
        double w = weight.a;
        if (e && e->weight) {
          w = *e->weight;
        } else if (!weight.is_constant()) {
          Stream stream(spec.seed, Purpose::weight, index, static_cast<std::uint32_t>(post), j);
          w = weight.draw(stream);
        }
        Step d = steps_of(delay.a, spec.dt);
        if (e && e->delay) {
          d = steps_of(*e->delay, spec.dt);
        } else if (!delay.is_constant()) {
          Stream stream(spec.seed, Purpose::delay, index, static_cast<std::uint32_t>(post), j);
          d = steps_of(delay.draw(stream), spec.dt);
        }
        d = std::clamp(std::max<Step>(d, 1), delays.min, delays.max);
        const auto offset = static_cast<std::uint32_t>(d - delays.min);
        const std::uint32_t word =
            static_cast<std::uint32_t>(target) | (delay_bits == 0 ? 0u : offset << out.delay_shift);
        if (!batched) return write(p, pre, word, w);
        batch.push_back({w, p, static_cast<std::uint32_t>(pre), word});
        if (batch.size() == batch_size) flush();
      },
      scratch);
  if (batched) flush();

  if (plastic) {
    auto stdp = std::make_unique<StdpRuntime>();
    if (pr.synapse.stdp) stdp->spec = *pr.synapse.stdp;
    stdp->dt = spec.dt;
    const std::uint64_t cap = StdpRuntime::capacity;
    stdp->post_step.assign(post_size * cap, 0);
    stdp->post_trace.assign(post_size * cap, 0.0);
    stdp->post_count.assign(post_size, 1);  // the placeholder (step 0, o = 0)
    stdp->pre_step.assign(parts, std::vector<Step>(n_pre, 0));
    stdp->pre_trace.assign(parts, std::vector<double>(n_pre, 0.0));
    stdp->overflows.assign(parts, 0);
    if (const auto& rule = pr.synapse.one_shot) {
      stdp->one_shot = true;
      stdp->learned_weight = rule->learned_weight;
      if (rule->until) stdp->learn_until = steps_of(*rule->until, spec.dt);
      for (auto& steps : stdp->pre_step) std::fill(steps.begin(), steps.end(), Step{-1});
    }
    out.stdp = std::move(stdp);
  }
}

void build_stimuli(const NetworkSpec& spec, Runtime& rt) {
  for (std::uint32_t i = 0; i < spec.stimuli.size(); ++i) {
    const StimulusSpec& s = spec.stimuli[i];
    std::uint32_t pop = 0;
    while (rt.populations[pop].name != s.target.population) ++pop;
    PopulationRuntime& p = rt.populations[pop];
    const Range target{static_cast<std::uint32_t>(s.target.begin),
                       static_cast<std::uint32_t>(s.target.end.value_or(p.size))};
    std::visit(
        [&](const auto& k) {
          using K = std::decay_t<decltype(k)>;
          if constexpr (std::is_same_v<K, DCSource>) {
            CurrentSchedule c{target, {steps_of(k.start, spec.dt)}, {k.amplitude}};
            if (k.stop) {
              c.steps.push_back(steps_of(*k.stop, spec.dt));
              c.amplitudes.push_back(0.0);
            }
            p.currents.push_back(std::move(c));
          } else if constexpr (std::is_same_v<K, StepCurrentSource>) {
            CurrentSchedule c{target, {}, k.amplitudes};
            for (double t : k.times) c.steps.push_back(steps_of(t, spec.dt));
            p.currents.push_back(std::move(c));
          } else if constexpr (std::is_same_v<K, PoissonInput>) {
            const double mean = static_cast<double>(k.number) * k.rate * spec.dt * 1e-3;
            p.poisson_inputs.push_back(
                {target, mean,
                 mean < kSmallPoissonMean ? poisson_thresholds(mean) : std::vector<std::uint32_t>{},
                 k.weight, k.receptor, i});
          }
        },
        s.kind);
  }
  for (auto& p : rt.populations) {
    for (const auto& c : p.currents)
      p.current_changes.insert(p.current_changes.end(), c.steps.begin(), c.steps.end());
    std::sort(p.current_changes.begin(), p.current_changes.end());
    p.current_changes.erase(std::unique(p.current_changes.begin(), p.current_changes.end()),
                            p.current_changes.end());
  }
}

void build_recordings(const NetworkSpec& spec, Runtime& rt) {
  RecordingPlan& plan = rt.plan;
  plan.dt = spec.dt;
  for (std::uint32_t i = 0; i < spec.populations.size(); ++i) {
    const PopulationSpec& p = spec.populations[i];
    plan.population_names.push_back(p.name);
    plan.population_sizes.push_back(p.size);
    plan.record_spikes.push_back(p.record.spikes);
    for (const auto& var : p.record.variables) {
      RecordingRuntime r;
      r.population = i;
      r.variable = var;
      if (p.record.neurons) {
        std::vector<std::uint64_t> ids = *p.record.neurons;
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        for (auto id : ids) r.neurons.push_back(static_cast<std::uint32_t>(id));
      } else {
        r.neurons.resize(p.size);
        std::iota(r.neurons.begin(), r.neurons.end(), 0u);
      }
      r.interval = p.record.interval ? std::max<Step>(1, steps_of(*p.record.interval, spec.dt)) : 1;
      RecordedVariable v;
      v.population = i;
      v.variable = var;
      v.unit = std::string(rt.populations[i].model->find_state(var)->unit);
      v.neurons.assign(r.neurons.begin(), r.neurons.end());
      v.interval = r.interval;
      plan.variables.push_back(std::move(v));
      rt.recordings.push_back(std::move(r));
    }
  }
}

}  // namespace

DelaySteps delay_steps(const ProjectionSpec& pr, double dt) {
  const Value delay = pr.synapse.delay.value_or(Value::constant(dt));
  auto steps = [dt](double ms) { return std::max<Step>(1, steps_of(ms, dt)); };
  DelaySteps r{steps(delay.min()), steps(delay.max())};
  if (const auto* list = std::get_if<FromList>(&pr.connector); list && !list->connections.empty()) {
    // The default delay counts only if some connection uses it.
    const bool uses_default = std::any_of(list->connections.begin(), list->connections.end(),
                                          [](const FromList::Connection& c) { return !c.delay; });
    if (!uses_default) r = {std::numeric_limits<Step>::max(), 1};
    for (const auto& c : list->connections)
      if (c.delay) {
        r.min = std::min(r.min, steps(*c.delay));
        r.max = std::max(r.max, steps(*c.delay));
      }
  }
  return r;
}

Step ring_slots(Step max_incoming_delay) {
  return static_cast<Step>(std::bit_ceil(static_cast<std::uint64_t>(max_incoming_delay)));
}

std::unique_ptr<Runtime> compile(const NetworkSpec& spec, const CompileOptions& options) {
  std::vector<Diagnostic> problems = validate(spec);
  if (problems.empty() && options.memory_limit > 0 && estimate_memory(spec) > options.memory_limit)
    problems.push_back({"", fmt::format("the network needs about {} bytes, over the limit of {}",
                                        estimate_memory(spec), options.memory_limit)});
  if (!problems.empty()) throw InputError(std::move(problems));
  assert(options.partitions >= 1);

  auto rt = std::make_unique<Runtime>();
  rt->name = spec.name;
  rt->dt = spec.dt;
  rt->default_steps = steps_of(spec.duration, spec.dt);
  rt->seed = spec.seed;
  rt->partitions = options.partitions;
  rt->populations.resize(spec.populations.size());
  for (std::uint32_t i = 0; i < spec.populations.size(); ++i)
    build_population(spec, i, rt->populations[i]);

  rt->projections.resize(spec.projections.size());
  rt->outgoing.resize(spec.populations.size());
  rt->plastic_in.resize(spec.populations.size());
  ConnectorScratch scratch;
  std::vector<Step> max_in(spec.populations.size(), 1);
  Step min_delay = std::numeric_limits<Step>::max();
  for (std::uint32_t j = 0; j < spec.projections.size(); ++j) {
    build_projection(spec, j, *rt, scratch, options.batch_writes_above);
    const ProjectionRuntime& pr = rt->projections[j];
    rt->outgoing[pr.pre].push_back(j);
    if (pr.stdp) rt->plastic_in[pr.post].push_back(j);
    max_in[pr.post] = std::max(max_in[pr.post], pr.max_delay);
    min_delay = std::min(min_delay, pr.min_delay);
  }
  rt->min_delay = spec.projections.empty() ? 1 : min_delay;
  for (std::uint32_t i = 0; i < rt->populations.size(); ++i) {
    PopulationRuntime& p = rt->populations[i];
    const auto slots = static_cast<std::uint64_t>(ring_slots(max_in[i]));
    p.ring.neurons = p.size;
    p.ring.mask = static_cast<std::uint32_t>(slots - 1);
    p.ring.data.assign(slots * 2 * p.size, 0.0);
  }
  build_stimuli(spec, *rt);
  build_recordings(spec, *rt);
  return rt;
}

}  // namespace engram
