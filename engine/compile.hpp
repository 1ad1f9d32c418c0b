// From a description to runtime arrays: validate everything, then build. Compiling either
// succeeds completely or throws InputError listing every problem, and changes nothing.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/error.hpp"
#include "engine/network.hpp"
#include "engine/runtime.hpp"

namespace engram {

// Every problem of a description, each with the path of the offending value (the paths of
// the JSON format) and what was found and expected. Empty when the description is valid.
std::vector<Diagnostic> validate(const NetworkSpec& spec);

struct CompileOptions {
  std::uint32_t partitions = 1;  // neuron ranges per population (threads of `threads`)
  // Refuse networks whose estimated memory exceeds this many bytes (0: physical memory).
  std::uint64_t memory_limit = 0;
  // A projection whose synapse tables exceed this many bytes is written in batches ordered
  // by block of rows, which is faster once the tables outgrow the last-level cache (a
  // 640,000-neuron Brunel network built in 46 s instead of 65); the tables are the same
  // either way (tests set 0 to batch every projection).
  std::uint64_t batch_writes_above = std::uint64_t{256} << 20;
};

// Validates, then builds. Throws InputError when the description is invalid.
std::unique_ptr<Runtime> compile(const NetworkSpec& spec, const CompileOptions& options = {});

// Estimated bytes a compiled network needs (state, input rings, synapses); used to refuse
// networks that cannot fit before allocating anything.
std::uint64_t estimate_memory(const NetworkSpec& spec);

// Number of steps in `ms` at step `dt` (rounded to the nearest step).
Step steps_of(double ms, double dt);

// The shortest and longest delay of a projection in steps, over its default delay (or
// distribution) and any per-connection delays of a FromList; at least one step each.
struct DelaySteps {
  Step min = 1, max = 1;
};
DelaySteps delay_steps(const ProjectionSpec& projection, double dt);

// Slots of a population's input ring: its longest incoming delay D, rounded up to a power
// of two. D slots suffice for every backend: when spikes of the steps up to t have been
// delivered, input is pending only for steps t + 1 to t + D (a backend that delivers an
// interval of steps together, as `threads` does, keeps the interval within the shortest
// delay, so its inputs fall in that window too), and the slot of step t, which step t + D
// reuses, was emptied when step t consumed it. Fewer slots keep the slot that delivery
// writes in cache: with D slots it is the one the previous step consumed.
Step ring_slots(Step max_incoming_delay);

}  // namespace engram
