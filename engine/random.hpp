// Counter-based random streams (Random123 Philox4x32-10).
//
// Every random number in a simulation is a pure function of (seed, purpose, object, a, b,
// draw index), so no result depends on which thread or core computes it, or in which
// order. `object` is a population or projection index; `a` and `b` name the neuron,
// synapse or step. Each Stream yields an unbounded sequence for its key.
#pragma once

#include <Random123/philox.h>

#include <math.h>

#include <cmath>
#include <cstdint>
#include <numbers>

#include "engine/fast_math.hpp"

namespace engram {

enum class Purpose : std::uint32_t {
  connectivity = 1,
  weight = 2,
  delay = 3,
  initial_value = 4,
  poisson_source = 5,
  poisson_input = 6,
  sparsey_code = 7,
  test = 255,
};

// Uniform on [0, 1) with 53 random bits from two consecutive words of a stream: 27 bits of
// the first, 26 of the second. (The bits are converted as a signed integer, the same value
// below 2^53, because vector units convert signed integers to double, not unsigned ones.)
inline double uniform_from_words(std::uint32_t first, std::uint32_t second) {
  const std::uint64_t hi = first >> 5;
  const std::uint64_t lo = second >> 6;
  return static_cast<double>(static_cast<std::int64_t>((hi << 26) | lo)) * 0x1.0p-53;
}

class Stream {
 public:
  Stream(std::uint64_t seed, Purpose purpose, std::uint32_t object, std::uint32_t a,
         std::uint32_t b)
      : key_{{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}},
        counter_{{(static_cast<std::uint32_t>(purpose) << 24) ^ object, a, b, 0}} {}

  std::uint32_t next_u32() {
    if (used_ == 4) refill();
    return block_.v[used_++];
  }

  // Uniform on [0, 1) with 53 random bits.
  double uniform() {
    const std::uint32_t first = next_u32();
    return uniform_from_words(first, next_u32());
  }

  // Uniform on (0, 1): safe for logarithms.
  double uniform_open() {
    double u;
    do u = uniform();
    while (u == 0.0);
    return u;
  }

  // Standard normal by the Box–Muller transform (one of the pair is used).
  double normal() {
    const double u1 = uniform_open();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

  // Uniform integer in [0, n), without modulo bias (Lemire's method).
  std::uint64_t below(std::uint64_t n) {
    if (n <= 0xFFFFFFFFull) {
      const auto n32 = static_cast<std::uint32_t>(n);
      std::uint64_t m = static_cast<std::uint64_t>(next_u32()) * n32;
      auto low = static_cast<std::uint32_t>(m);
      if (low < n32) {
        const std::uint32_t threshold = static_cast<std::uint32_t>(-n32) % n32;
        while (low < threshold) {
          m = static_cast<std::uint64_t>(next_u32()) * n32;
          low = static_cast<std::uint32_t>(m);
        }
      }
      return m >> 32;
    }
    // Rare path for huge ranges: rejection on 64-bit words.
    const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % n);
    std::uint64_t x;
    do x = (static_cast<std::uint64_t>(next_u32()) << 32) | next_u32();
    while (x >= limit);
    return x % n;
  }

  // Number of failures before the first success of Bernoulli(p) trials, 0 < p <= 1.
  std::uint64_t geometric(double p) {
    if (p >= 1.0) return 0;
    const double g = std::floor(std::log(uniform_open()) / std::log1p(-p));
    return g >= 1.8e19 ? ~std::uint64_t{0} : static_cast<std::uint64_t>(g);
  }

  // Poisson-distributed count with the given mean: exact inversion for small means,
  // Hörmann's transformed rejection (PTRS) for large ones.
  std::uint32_t poisson(double mean);

 private:
  void refill() {
    block_ = r123::Philox4x32()(counter_, key_);
    ++counter_.v[3];
    used_ = 0;
  }

  r123::Philox4x32::key_type key_;
  r123::Philox4x32::ctr_type counter_;
  r123::Philox4x32::ctr_type block_{};
  unsigned used_ = 4;
};

// log(k!) without the global state that std::lgamma may write (it is not thread-safe).
inline double log_factorial(double k) {
  int sign = 0;
  return ::lgamma_r(k + 1.0, &sign);
}

// The first block (four words) of Stream(seed, purpose, object, a + j, b) for j in [0, n):
// word w of block j goes to words[w][j]. These are the numbers the first four next_u32()
// of those streams return — Philox4x32-10 written out (Salmon et al., SC 2011: ten rounds
// of two 32×32→64-bit products, the key bumped by the Weyl constants between rounds) — but
// computed for many counters at once, in a loop that vectorizes.
ENGRAM_VECTOR_CLONES inline void philox_first_blocks(
    std::uint64_t seed, Purpose purpose, std::uint32_t object, std::uint32_t a, std::uint32_t b,
    std::uint32_t n, std::uint32_t* __restrict w0, std::uint32_t* __restrict w1,
    std::uint32_t* __restrict w2, std::uint32_t* __restrict w3) {
  constexpr std::uint64_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;  // round multipliers
  constexpr std::uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;  // key bumps
  const auto key0 = static_cast<std::uint32_t>(seed);
  const auto key1 = static_cast<std::uint32_t>(seed >> 32);
  const std::uint32_t first = (static_cast<std::uint32_t>(purpose) << 24) ^ object;
  for (std::uint32_t j = 0; j < n; ++j) {
    std::uint32_t c0 = first, c1 = a + j, c2 = b, c3 = 0, k0 = key0, k1 = key1;
    for (int round = 0; round < 10; ++round) {
      const std::uint64_t p0 = kM0 * c0, p1 = kM1 * c2;
      c0 = static_cast<std::uint32_t>(p1 >> 32) ^ c1 ^ k0;
      c1 = static_cast<std::uint32_t>(p1);
      c2 = static_cast<std::uint32_t>(p0 >> 32) ^ c3 ^ k1;
      c3 = static_cast<std::uint32_t>(p0);
      k0 += kW0;
      k1 += kW1;
    }
    w0[j] = c0;
    w1[j] = c1;
    w2[j] = c2;
    w3[j] = c3;
  }
}

inline std::uint32_t Stream::poisson(double mean) {
  if (mean <= 0.0) return 0;
  if (mean < 10.0) {
    // Inversion by sequential search: the expected number of iterations is mean + 1.
    double p = std::exp(-mean);
    double cumulative = p;
    const double u = uniform();
    std::uint32_t k = 0;
    while (u >= cumulative && k < 1000) {
      ++k;
      p *= mean / k;
      cumulative += p;
    }
    return k;
  }
  // PTRS: W. Hörmann, "The transformed rejection method for generating Poisson random
  // variables", Insurance: Mathematics and Economics 12 (1993).
  const double slam = std::sqrt(mean);
  const double loglam = std::log(mean);
  const double b = 0.931 + 2.53 * slam;
  const double a = -0.059 + 0.02483 * b;
  const double invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const double vr = 0.9277 - 3.6224 / (b - 2.0);
  for (;;) {
    const double u = uniform() - 0.5;
    const double v = uniform_open();
    const double us = 0.5 - std::fabs(u);
    const double k = std::floor((2.0 * a / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return static_cast<std::uint32_t>(k);
    if (k < 0.0 || (us < 0.013 && v > us)) continue;
    if (std::log(v) + std::log(invalpha) - std::log(a / (us * us) + b) <=
        -mean + k * loglam - log_factorial(k))
      return static_cast<std::uint32_t>(k);
  }
}

}  // namespace engram
