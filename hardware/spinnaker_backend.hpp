// The `spinnaker` backend: a compiled network run on an emulated SpiNNaker-style machine.
//
// Each core owns one slice of a population (MachineMap). Schedule of tick t:
//   1. every core, in slice order, advances its neurons with the engine's kernels and turns
//      each spike into a multicast packet (key = slice key | neuron index);
//   2. packets travel router by router: each router looks the key up (first match wins),
//      copies the packet to links and local cores, default-routes unmatched packets that came
//      in by a link, and handles at most router_capacity packets per tick; each link carries
//      at most link_capacity per tick. A packet that cannot move waits; one that has waited
//      more than max_wait_ticks is dropped and counted;
//   3. every core sorts the packets it received by (source population, neuron id), finds
//      their rows through its master population table and adds them to its ring buffers,
//      projection by projection — the order in which `serial` adds them, so that with float
//      arithmetic and no late or dropped packets the spikes are bit-identical to serial's;
//   4. spikes and samples are reported per population in ascending id order.
// The cost model turns each core's work in a tick into ARM968 cycles (docs/emulator.md).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "engine/backend.hpp"
#include "hardware/machine_map.hpp"

namespace engram::hw {

// Cost model: cycles of a 200 MHz ARM968 core (docs/emulator.md, "Cost model", gives the
// sources; all are estimates of the published orders of magnitude, not measurements).
inline constexpr double kCyclesPerTick = 2000;       // timer interrupt, DMA and recording set-up
inline constexpr double kCyclesPerCurrentLif = 100;  // IF_curr_* neuron update (fixed point)
inline constexpr double kCyclesPerConductanceLif = 180;  // IF_cond_* neuron update
inline constexpr double kCyclesPerIzhikevich = 150;      // Izhikevich neuron update
inline constexpr double kCyclesPerAdex = 350;            // EIF_cond_exp_isfa_ista (exponential)
inline constexpr double kCyclesPerSourceNeuron = 40;     // spike source: draw or look up, send
inline constexpr double kCyclesPerPacketSent = 20;       // write the key to the comms controller
inline constexpr double kCyclesPerPacketReceived = 300;  // interrupt, table search, row DMA
inline constexpr double kCyclesPerStaticEvent = 24;      // one static synaptic word into the ring
inline constexpr double kCyclesPerPlasticEvent = 130;    // one STDP synapse: rule, write-back

// Default fabric capacities, packets per second (docs/emulator.md, "Routing capacity").
inline constexpr double kLinkPacketsPerSecond = 6.25e6;    // 250 Mbit/s link, 40-bit packets
inline constexpr double kRouterPacketsPerSecond = 25.0e6;  // pipelined router, ~1 per 8 cycles

// Capacities per tick of a machine for a network of time step dt (ms): the machine's own
// when set, else the default throughput over one tick.
std::uint32_t link_capacity_per_tick(const MachineSpec& spec, double dt);
std::uint32_t router_capacity_per_tick(const MachineSpec& spec, double dt);

struct CoreCounters {
  CoreId core;
  std::uint32_t slice = 0;
  std::uint64_t packets_sent = 0;      // one per spike of the slice
  std::uint64_t packets_received = 0;  // delivered by the router
  std::uint64_t table_misses = 0;      // received keys with no master population table entry
  std::uint64_t synaptic_events = 0;   // synaptic words processed
  std::uint64_t neuron_updates = 0;
  std::uint64_t saturations = 0;    // fixed point: ring additions clipped at the s16.15 range
  double cycles_total = 0.0;        // estimated, over every tick run
  double cycles_max = 0.0;          // in the busiest tick
  std::uint64_t overrun_ticks = 0;  // ticks whose cycles exceed the budget
};

struct RouterCounters {
  std::uint32_t chip = 0;
  std::uint64_t routed = 0;          // packets that matched an entry
  std::uint64_t default_routed = 0;  // unmatched packets passed on to the opposite link
  std::uint64_t dropped = 0;         // unroutable, or waited longer than max_wait_ticks
  std::uint64_t late = 0;            // packets that went on after waiting at least one tick
  std::uint64_t max_per_tick = 0;    // most packets handled in one tick
};

struct SpinnakerStats {
  std::vector<CoreCounters> cores;      // by slice
  std::vector<RouterCounters> routers;  // chips that exist, by index
  std::uint64_t ticks = 0;
  double cycle_budget = 0.0;  // cycles per tick: clock_hz × dt
  std::uint32_t link_capacity = 0, router_capacity = 0, max_wait_ticks = 0;
  // Largest ratio of a core's cycles in one tick to the budget: the factor by which the
  // machine would have to slow time down to keep up (≤ 1: real time).
  double time_scale_factor() const;
  std::uint64_t packets_sent() const;
  std::uint64_t packets_received() const;
  std::uint64_t synaptic_events() const;
  std::uint64_t routed() const;
  std::uint64_t default_routed() const;
  std::uint64_t dropped() const;
  std::uint64_t late() const;
  std::uint64_t overrun_ticks() const;
  std::uint64_t overrun_cores() const;  // cores with at least one overrun tick
};

class SpinnakerBackend final : public Backend {
 public:
  // `map` places `runtime` (compiled with one partition) on `map.machine`.
  SpinnakerBackend(std::unique_ptr<Runtime> runtime, MachineMap map);
  ~SpinnakerBackend() override;
  std::string_view name() const override { return "spinnaker"; }
  void run(Step steps) override;
  const SpinnakerStats& stats() const;
  const MachineMap& map() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Compiles `spec` with one partition, maps it onto `machine` and builds every core's master
// population table and synaptic matrix. Throws InputError when the description is invalid,
// the network does not fit, or a delay does not fit the synaptic word.
std::unique_ptr<SpinnakerBackend> make_spinnaker_backend(const NetworkSpec& spec,
                                                         const MachineSpec& machine);

}  // namespace engram::hw
