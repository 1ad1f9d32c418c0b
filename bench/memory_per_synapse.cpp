// Bytes per synapse, measured: compiles the same two populations three times — without a
// projection, with the projection reduced to a single synapse, and with the whole
// projection — and reports what the synapses cost, three ways:
//
//   rss        resident set size of the process (/proc/self/statm) after compile(); freed
//              build temporaries are returned to the system first (malloc_trim), so this is
//              what the compiled network keeps;
//   heap       bytes the allocator hands out (mallinfo2: arena + mmapped);
//   arrays     Runtime::synapse_bytes: the capacity of the synapse tables (targets, weights,
//              row offsets), what `engram run` prints.
//
// "rss" and "heap" are (whole projection - single synapse) / synapses: everything that grows
// with the number of synapses (targets, weights, delays, row offsets, plastic weights).
// "rss all" is (whole projection - no projection) / synapses: it adds what the projection
// costs per neuron — input-ring slots for its delays, the STDP pre traces and post-spike
// histories — which depends on the in-degree, hence the cases at in-degree 1000 and 100.
//
//   memory_per_synapse [--synapses N] [--json]
#include <malloc.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "engine/compile.hpp"

namespace {

using namespace engram;

std::uint64_t rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long size = 0, resident = 0;
  const int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return n == 2 ? resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE)) : 0;
}

std::uint64_t heap_bytes() {
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

struct Case {
  std::string name;
  std::uint64_t n_pre, n_post, in_degree;
  SynapseSpec synapse;
};

// The network of a case; `kind` 0: no projection; 1: the projection with a single synapse
// (same rings and per-neuron plastic state as the full projection); 2: the full projection.
NetworkSpec network(const Case& c, int kind) {
  NetworkSpec spec;
  spec.name = c.name;
  PopulationSpec pre, post;
  pre.name = "pre";
  pre.size = c.n_pre;
  pre.model = "IF_curr_exp";
  post = pre;
  post.name = "post";
  post.size = c.n_post;
  spec.populations = {pre, post};
  if (kind > 0) {
    ProjectionSpec pr;
    pr.pre = PopulationSlice::whole("pre");
    pr.post = PopulationSlice::whole("post");
    if (kind == 1)
      pr.connector = FromList{{FromList::Connection{0, 0, std::nullopt, std::nullopt}}};
    else
      pr.connector = FixedNumberPre{c.in_degree, true, false};
    pr.synapse = c.synapse;
    spec.projections.push_back(pr);
  }
  return spec;
}

struct Footprint {
  std::uint64_t rss = 0, heap = 0, arrays = 0, synapses = 0;
};

Footprint measure(const NetworkSpec& spec) {
  malloc_trim(0);
  const std::uint64_t rss0 = rss_bytes(), heap0 = heap_bytes();
  std::unique_ptr<Runtime> rt = compile(spec);
  malloc_trim(0);  // give back what compile() freed, keep what the runtime holds
  Footprint f;
  f.rss = rss_bytes() - rss0;
  f.heap = heap_bytes() - heap0;
  for (std::size_t j = 0; j < rt->projections.size(); ++j) f.arrays += rt->synapse_bytes(j);
  f.synapses = rt->synapse_count();
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t synapses = 10'000'000;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--json")) {
      json = true;
    } else if (!std::strcmp(argv[i], "--synapses") && i + 1 < argc) {
      synapses = std::strtoull(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: memory_per_synapse [--synapses N] [--json]\n");
      return 2;
    }
  }
  const auto stdp = [] {
    StdpSpec s;
    s.weight_dependence = {WeightDependence::Kind::additive, 0.0, 1.0};
    return s;
  };
  SynapseSpec one_weight{Value::constant(0.1), Value::constant(1.5), Receptor::excitatory, {}};
  SynapseSpec weights{Value::uniform(0.05, 0.15), Value::constant(1.5), Receptor::excitatory, {}};
  SynapseSpec weights_delays{
      Value::uniform(0.05, 0.15), Value::uniform(1.0, 5.0), Receptor::excitatory, {}};
  SynapseSpec plastic{Value::uniform(0.2, 0.8), Value::constant(1.5), Receptor::excitatory, stdp()};
  const std::uint64_t n1000 = std::max<std::uint64_t>(synapses / 1000, 1000);
  const std::uint64_t n100 = std::max<std::uint64_t>(synapses / 100, 100);
  const std::vector<Case> cases = {
      {"static, one weight and delay (in-degree 1000)", n1000, n1000, 1000, one_weight},
      {"static, weight per synapse (in-degree 1000)", n1000, n1000, 1000, weights},
      {"static, weight and delay per synapse (in-degree 1000)", n1000, n1000, 1000, weights_delays},
      {"static, one weight and delay (in-degree 100)", n100, n100, 100, one_weight},
      {"STDP (in-degree 1000)", n1000, n1000, 1000, plastic},
      {"STDP (in-degree 100)", n100, n100, 100, plastic},
  };
  if (json)
    std::printf("[\n");
  else
    std::printf("%-55s %11s %9s %9s %9s %9s\n", "projection", "synapses", "rss", "heap", "arrays",
                "rss all");
  for (std::size_t k = 0; k < cases.size(); ++k) {
    const Case& c = cases[k];
    const Footprint none = measure(network(c, 0));
    const Footprint one = measure(network(c, 1));
    const Footprint full = measure(network(c, 2));
    const double n = static_cast<double>(full.synapses - one.synapses);
    const auto per = [n](std::uint64_t a, std::uint64_t b) {
      return (static_cast<double>(a) - static_cast<double>(b)) / n;
    };
    const double rss = per(full.rss, one.rss), heap = per(full.heap, one.heap);
    const double arrays = static_cast<double>(full.arrays) / static_cast<double>(full.synapses);
    const double rss_all = per(full.rss, none.rss), heap_all = per(full.heap, none.heap);
    if (json)
      std::printf(
          "  {\"case\": \"%s\", \"plastic\": %s, \"in_degree\": %llu, \"synapses\": %llu, "
          "\"rss_bytes_per_synapse\": %.3f, \"heap_bytes_per_synapse\": %.3f, "
          "\"array_bytes_per_synapse\": %.3f, \"rss_bytes_per_synapse_all\": %.3f, "
          "\"heap_bytes_per_synapse_all\": %.3f}%s\n",
          c.name.c_str(), c.synapse.stdp ? "true" : "false",
          static_cast<unsigned long long>(c.in_degree),
          static_cast<unsigned long long>(full.synapses), rss, heap, arrays, rss_all, heap_all,
          k + 1 < cases.size() ? "," : "");
    else
      std::printf("%-55s %11llu %9.2f %9.2f %9.2f %9.2f\n", c.name.c_str(),
                  static_cast<unsigned long long>(full.synapses), rss, heap, arrays, rss_all);
  }
  if (json) std::printf("]\n");
  return 0;
}
