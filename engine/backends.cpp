// The CPU backends: `serial`, the reference, and `threads` (oneTBB).
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <cassert>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "engine/backend.hpp"
#include "engine/compile.hpp"
#include "engine/step.hpp"

namespace engram {

Backend::Backend(std::unique_ptr<Runtime> runtime)
    : runtime_(std::move(runtime)), spike_counts_(runtime_->populations.size(), 0) {}

void Backend::attach(Observer& observer) {
  observers_.push_back(&observer);
  observer.begin(runtime_->plan);
}

std::uint64_t Backend::stdp_history_overflows() const {
  std::uint64_t n = 0;
  for (const auto& pr : runtime_->projections)
    if (pr.stdp)
      for (auto o : pr.stdp->overflows) n += o;
  return n;
}

void Backend::schedule_spike(std::uint32_t population, std::uint32_t neuron, Step step) {
  PopulationRuntime& p = runtime_->populations.at(population);
  if (neuron >= p.size)
    throw InputError("", fmt::format("neuron {} is outside population \"{}\" of {} neurons", neuron,
                                     p.name, p.size));
  if (step < now_)
    throw InputError("", fmt::format("cannot schedule a spike at step {}: the simulation is "
                                     "already at step {}",
                                     step, now_));
  if (!p.group->add_spike(neuron, step))
    throw InputError("", fmt::format("population \"{}\" is a {}, which cannot be given spikes",
                                     p.name, p.model->name));
}

void Backend::report_spikes(Step step, std::uint32_t population,
                            std::span<const std::uint32_t> ids) {
  if (ids.empty()) return;
  spike_counts_[population] += ids.size();
  if (!runtime_->populations[population].record_spikes) return;
  for (Observer* o : observers_) o->spikes(step, population, ids);
}

void Backend::report_samples(Step step, std::uint32_t index, std::span<const double> values) {
  for (Observer* o : observers_) o->samples(step, index, values);
}

void Backend::report_advanced() {
  for (Observer* o : observers_) o->advanced(now_);
}

namespace {

using Clock = std::chrono::steady_clock;

// Adds the seconds since `mark` to `total` and moves `mark` to now: one lap of a phase timer.
void lap(Clock::time_point& mark, double& total) {
  const Clock::time_point now = Clock::now();
  total += std::chrono::duration<double>(now - mark).count();
  mark = now;
}

// The reference: one step at a time, every population whole, spikes delivered at once.
class SerialBackend final : public Backend {
 public:
  explicit SerialBackend(std::unique_ptr<Runtime> runtime) : Backend(std::move(runtime)) {
    for (const auto& p : runtime_->populations) spikes_.emplace_back(p.size);
    for (const auto& r : runtime_->recordings) samples_.emplace_back(r.neurons.size());
  }
  std::string_view name() const override { return "serial"; }
  bool enable_phase_timers() override { return timers_ = true; }

  void run(Step steps) override {
    Runtime& rt = *runtime_;
    const auto n_pops = static_cast<std::uint32_t>(rt.populations.size());
    Clock::time_point mark;
    for (Step end = now_ + steps; now_ < end; ++now_) {
      const Step t = now_;
      if (timers_) mark = Clock::now();
      for (std::uint32_t p = 0; p < n_pops; ++p) {
        const Range all{0, static_cast<std::uint32_t>(rt.populations[p].size)};
        counts_[p] = update_population(rt, p, t, all, spikes_[p].data());
        record_post_spikes(rt, p, t, {spikes_[p].data(), counts_[p]});
      }
      if (timers_) lap(mark, phase_times_.update);
      for (std::uint32_t p = 0; p < n_pops; ++p)
        for (std::uint32_t j : rt.outgoing[p])
          deliver(rt, j, 0, t, {spikes_[p].data(), counts_[p]});
      if (timers_) lap(mark, phase_times_.delivery);
      for (std::uint32_t p = 0; p < n_pops; ++p)
        report_spikes(t, p, {spikes_[p].data(), counts_[p]});
      for (std::uint32_t v = 0; v < rt.recordings.size(); ++v) {
        const RecordingRuntime& rec = rt.recordings[v];
        if (t % rec.interval != 0) continue;
        sample(rt, rec, {0, static_cast<std::uint32_t>(rt.populations[rec.population].size)},
               samples_[v].data());
        report_samples(t, v, samples_[v]);
      }
      if (timers_) lap(mark, phase_times_.reporting);
    }
    report_advanced();
  }

 private:
  bool timers_ = false;
  std::vector<std::vector<std::uint32_t>> spikes_;
  std::vector<std::uint32_t> counts_ = std::vector<std::uint32_t>(runtime_->populations.size());
  std::vector<std::vector<double>> samples_;
};

// oneTBB: partition p of every population is owned by one task. Each exchange interval of
// min-delay steps runs in two parallel phases — update (each partition advances its neurons
// through every step of the interval) and delivery (each partition reads every partition's
// spikes and adds them to the inputs it owns) — and one serial phase that reports the
// interval's spikes in canonical order. A spike of the interval is due at least min-delay
// steps later, so it never reaches a slot read within the same interval. When the steps'
// deliveries write disjoint slots (steps_deliver_independently), a partition's delivery is
// a loop over steps whose iterations an idle thread may take over.
class ThreadsBackend final : public Backend {
 public:
  ThreadsBackend(std::unique_ptr<Runtime> runtime, unsigned threads)
      : Backend(std::move(runtime)), arena_(static_cast<int>(threads)), threads_(threads) {
    Runtime& rt = *runtime_;
    parts_ = rt.partitions;
    interval_ = rt.min_delay;
    const std::size_t n_pops = rt.populations.size();
    spikes_.resize(parts_);
    counts_.assign(parts_, std::vector<std::uint32_t>(n_pops * interval_, 0));
    for (std::uint32_t q = 0; q < parts_; ++q)
      for (std::uint32_t p = 0; p < n_pops; ++p)
        spikes_[q].emplace_back(owned(p, q).size() * static_cast<std::size_t>(interval_));
    for (const auto& p : rt.populations) merged_.emplace_back(p.size);
    for (const auto& r : rt.recordings)
      samples_.emplace_back(r.neurons.size() * static_cast<std::size_t>(interval_));
    steps_independent_ = steps_deliver_independently(rt);
  }
  std::string_view name() const override { return "threads"; }
  bool enable_phase_timers() override {
    if (!timers_) phase_times_.busy.assign(threads_, 0.0);
    return timers_ = true;
  }

  void run(Step steps) override {
    Runtime& rt = *runtime_;
    const auto n_pops = static_cast<std::uint32_t>(rt.populations.size());
    const Step end = now_ + steps;
    while (now_ < end) {
      const Step t0 = now_;
      const Step len = std::min<Step>(interval_, end - t0);
      Clock::time_point mark;
      if (timers_) mark = Clock::now();
      arena_.execute([&] {
        tbb::parallel_for(
            std::uint32_t{0}, parts_,
            [&](std::uint32_t q) {
              Clock::time_point start;
              if (timers_) start = Clock::now();
              for (Step s = 0; s < len; ++s) {
                const Step t = t0 + s;
                for (std::uint32_t p = 0; p < n_pops; ++p) {
                  const Range r = owned(p, q);
                  if (r.size() == 0) continue;
                  std::uint32_t* ids =
                      spikes_[q][p].data() + static_cast<std::size_t>(s) * r.size();
                  const std::uint32_t n = update_population(rt, p, t, r, ids);
                  counts_[q][p * interval_ + s] = n;
                  record_post_spikes(rt, p, t, {ids, n});
                }
                for (std::uint32_t v = 0; v < rt.recordings.size(); ++v) {
                  const RecordingRuntime& rec = rt.recordings[v];
                  if (t % rec.interval != 0) continue;
                  const Range r = owned(rec.population, q);
                  sample(rt, rec, r, samples_[v].data() + s * rec.neurons.size());
                }
              }
              if (timers_) lap(start, thread_busy());
            },
            tbb::static_partitioner());
        if (timers_) lap(mark, phase_times_.update);
        tbb::parallel_for(
            std::uint32_t{0}, parts_,
            [&](std::uint32_t q) {
              // Timed step by step: a thread waiting for its steps taken over by another
              // may run other tasks meanwhile, which time themselves.
              const auto deliver_step = [&](Step s) {
                Clock::time_point start;
                if (timers_) start = Clock::now();
                for (std::uint32_t p = 0; p < n_pops; ++p)
                  for (std::uint32_t j : rt.outgoing[p])
                    for (std::uint32_t src = 0; src < parts_; ++src)
                      deliver(rt, j, q, t0 + s, spikes_of(src, p, s));
                if (timers_) lap(start, thread_busy());
              };
              // Independent steps are tasks that a thread done with its own partition takes
              // over from a slower one (oneTBB work stealing); the owner keeps the rest.
              if (steps_independent_ && parts_ > 1)
                tbb::parallel_for(Step{0}, len, deliver_step);
              else
                for (Step s = 0; s < len; ++s) deliver_step(s);
            },
            tbb::static_partitioner());
      });
      if (timers_) lap(mark, phase_times_.delivery);
      for (Step s = 0; s < len; ++s) {
        const Step t = t0 + s;
        for (std::uint32_t p = 0; p < n_pops; ++p) {
          std::uint32_t n = 0;
          for (std::uint32_t src = 0; src < parts_; ++src) {
            const auto ids = spikes_of(src, p, s);
            std::copy(ids.begin(), ids.end(), merged_[p].data() + n);
            n += static_cast<std::uint32_t>(ids.size());
          }
          report_spikes(t, p, {merged_[p].data(), n});
        }
        for (std::uint32_t v = 0; v < rt.recordings.size(); ++v) {
          const RecordingRuntime& rec = rt.recordings[v];
          if (t % rec.interval != 0) continue;
          report_samples(t, v, {samples_[v].data() + s * rec.neurons.size(), rec.neurons.size()});
        }
      }
      if (timers_) lap(mark, phase_times_.reporting);
      now_ += len;
    }
    report_advanced();
  }

 private:
  // The busy time of the calling thread, by its slot in the arena: each thread adds only
  // to its own.
  double& thread_busy() {
    const int slot = tbb::this_task_arena::current_thread_index();
    assert(slot >= 0 && static_cast<std::size_t>(slot) < phase_times_.busy.size());
    return phase_times_.busy[static_cast<std::size_t>(slot)];
  }

  std::span<const std::uint32_t> spikes_of(std::uint32_t part, std::uint32_t pop, Step s) const {
    const std::size_t width = owned(pop, part).size();
    return {spikes_[part][pop].data() + static_cast<std::size_t>(s) * width,
            counts_[part][pop * interval_ + s]};
  }

  // The neurons of population `pop` that partition `part` updates: its partition range, or
  // for a whole-population model everything in partition 0 and nothing elsewhere.
  Range owned(std::uint32_t pop, std::uint32_t part) const {
    const PopulationRuntime& p = runtime_->populations[pop];
    if (!p.model->whole_population) return partition_range(p.size, part, parts_);
    return part == 0 ? Range{0, static_cast<std::uint32_t>(p.size)} : Range{0, 0};
  }

  tbb::task_arena arena_;
  unsigned threads_;
  bool steps_independent_ = false;
  bool timers_ = false;
  std::uint32_t parts_ = 1;
  Step interval_ = 1;
  // [partition][population]: spike ids of each step of the interval, `width` apart.
  std::vector<std::vector<std::vector<std::uint32_t>>> spikes_;
  std::vector<std::vector<std::uint32_t>> counts_;  // [partition][population * interval + s]
  std::vector<std::vector<std::uint32_t>> merged_;
  std::vector<std::vector<double>> samples_;  // [recording][s * neurons + k]
};

}  // namespace

std::unique_ptr<Backend> make_serial_backend(std::unique_ptr<Runtime> runtime) {
  return std::make_unique<SerialBackend>(std::move(runtime));
}

std::unique_ptr<Backend> make_threads_backend(std::unique_ptr<Runtime> runtime, unsigned threads) {
  return std::make_unique<ThreadsBackend>(std::move(runtime), threads);
}

std::unique_ptr<Backend> make_cpu_backend(const NetworkSpec& spec, const BackendOptions& options) {
  if (options.kind == "serial") return make_serial_backend(compile(spec));
  if (options.kind == "threads") {
    const unsigned threads =
        options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
    CompileOptions co;
    co.partitions = threads;
    return make_threads_backend(compile(spec, co), threads);
  }
  throw InputError("/backend",
                   fmt::format("found \"{}\", expected serial or threads{}", options.kind,
                               did_you_mean(options.kind, {"serial", "threads"})));
}

}  // namespace engram
