// Connectivity generation. Each connector enumerates its connections post-major: for every
// postsynaptic neuron in ascending order, its presynaptic partners, each with an index j
// counting that neuron's incoming connections. The random choices of a postsynaptic neuron
// come from its own counter-based stream, so the connections, and the weights and delays
// keyed by (projection, post, j), are the same however the work is divided — and can be
// regenerated, which lets compile() count rows in one pass and fill them in a second
// without holding a temporary list of every synapse.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "engine/network.hpp"
#include "engine/random.hpp"

namespace engram {

struct ConnectorContext {
  std::uint64_t seed = 1;
  std::uint32_t projection = 0;
  std::uint64_t n_pre = 0, n_post = 0;
  // Self-connections are pre == post in absolute terms: (pre + pre_offset == post +
  // post_offset) when both slices are of the same population.
  bool same_population = false;
  std::uint64_t pre_offset = 0, post_offset = 0;
  bool is_self(std::uint64_t pre, std::uint64_t post) const {
    return same_population && pre + pre_offset == post + post_offset;
  }
};

// Reusable buffers of connectivity generation.
struct ConnectorScratch {
  std::vector<std::uint64_t> chosen;
  std::vector<std::uint64_t> bits;  // membership bitset over presynaptic candidates
  bool test_and_set(std::uint64_t x) {
    std::uint64_t& word = bits[x >> 6];
    const std::uint64_t mask = std::uint64_t{1} << (x & 63);
    const bool was = (word & mask) != 0;
    word |= mask;
    return was;
  }
};

// emit(pre, post, j, const FromList::Connection* entry) — entry is non-null for FromList.
template <class Emit>
void for_each_connection(const Connector& connector, const ConnectorContext& c, Emit&& emit,
                         ConnectorScratch& scratch) {
  std::visit(
      [&](const auto& k) {
        using K = std::decay_t<decltype(k)>;
        if constexpr (std::is_same_v<K, AllToAll>) {
          for (std::uint64_t post = 0; post < c.n_post; ++post) {
            std::uint32_t j = 0;
            for (std::uint64_t pre = 0; pre < c.n_pre; ++pre)
              if (k.allow_self_connections || !c.is_self(pre, post)) emit(pre, post, j++, nullptr);
          }
        } else if constexpr (std::is_same_v<K, OneToOne>) {
          for (std::uint64_t i = 0; i < c.n_post; ++i) emit(i, i, 0u, nullptr);
        } else if constexpr (std::is_same_v<K, FixedProbability>) {
          if (k.p <= 0.0) return;
          for (std::uint64_t post = 0; post < c.n_post; ++post) {
            Stream stream(c.seed, Purpose::connectivity, c.projection,
                          static_cast<std::uint32_t>(post), 0);
            std::uint32_t j = 0;
            // Geometric skipping: the gap to the next chosen candidate is geometric(p).
            for (std::uint64_t pre = stream.geometric(k.p); pre < c.n_pre;
                 pre += 1 + stream.geometric(k.p))
              if (k.allow_self_connections || !c.is_self(pre, post)) emit(pre, post, j++, nullptr);
          }
        } else if constexpr (std::is_same_v<K, FixedNumberPre>) {
          // Candidates exclude the neuron itself when self-connections are not allowed: draw
          // from n_pre - 1 and skip over the self index.
          for (std::uint64_t post = 0; post < c.n_post; ++post) {
            Stream stream(c.seed, Purpose::connectivity, c.projection,
                          static_cast<std::uint32_t>(post), 1);
            std::uint64_t self = ~std::uint64_t{0};
            if (!k.allow_self_connections && c.same_population &&
                post + c.post_offset >= c.pre_offset &&
                post + c.post_offset - c.pre_offset < c.n_pre)
              self = post + c.post_offset - c.pre_offset;
            const std::uint64_t pool = c.n_pre - (self != ~std::uint64_t{0} ? 1 : 0);
            auto candidate = [&](std::uint64_t x) { return x >= self ? x + 1 : x; };
            auto& chosen = scratch.chosen;
            chosen.clear();
            if (k.with_replacement) {
              for (std::uint64_t m = 0; m < k.n; ++m)
                chosen.push_back(candidate(stream.below(pool)));
            } else {
              // Floyd's algorithm: k distinct values of [0, pool) with k draws.
              scratch.bits.resize((pool + 63) / 64);
              for (std::uint64_t r = pool - k.n; r < pool; ++r) {
                const std::uint64_t t = stream.below(r + 1);
                chosen.push_back(scratch.test_and_set(t) ? (scratch.test_and_set(r), r) : t);
              }
              for (auto& x : chosen) {
                scratch.bits[x >> 6] = 0;  // clear for the next neuron
                x = candidate(x);
              }
            }
            // The order within one neuron's partners does not matter for the synapse tables
            // (rows are by presynaptic neuron, filled in ascending post order), so no sort.
            std::uint32_t j = 0;
            for (std::uint64_t pre : chosen) emit(pre, post, j++, nullptr);
          }
        } else if constexpr (std::is_same_v<K, FromList>) {
          // j counts each post neuron's entries in list order.
          std::vector<std::uint32_t> seen(c.n_post, 0);
          for (const auto& e : k.connections) emit(e.pre, e.post, seen[e.post]++, &e);
        }
      },
      connector);
}

}  // namespace engram
