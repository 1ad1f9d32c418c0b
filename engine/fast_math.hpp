// Elementary functions written so that loops over state arrays vectorize: no branches, no
// calls, only operations whose results IEEE arithmetic fixes (so a value never depends on
// whether a lane of a vector or a scalar computed it, nor on the machine's libm).
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

// Hot kernels are compiled three times on x86-64 — for AVX-512 (x86-64-v4: 32 vector
// registers and mask registers, which the kernels need to run without spilling), for AVX2
// with FMA (x86-64-v3) and for the baseline — and the loader picks one for the machine (GCC
// function multiversioning). All perform the same IEEE operations in the same order, so
// results do not depend on the pick: the build turns FMA contraction off, and where a kernel
// wants a fused multiply-add it asks for one with std::fma, which is exactly rounded
// wherever it runs (one instruction in the v3 and v4 clones; glibc's fma, slow but with the
// same bits, in the baseline clone, i.e. on x86-64 processors older than about 2013).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__AVX2__)
#define ENGRAM_VECTOR_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define ENGRAM_VECTOR_CLONES
#endif

// For the helpers that kernels call per element (exp_vec, the neurons' step functions): a
// call left out of line stops the loop from vectorizing, and GCC's inlining heuristics
// depend on the size of the whole translation unit, so an unrelated addition elsewhere can
// turn a kernel back into scalar code (the AdEx kernel went from 12 to 88 ns per neuron and
// step that way). Forcing the inlining keeps every kernel vectorized.
// ENGRAM_LAMBDA_INLINE does the same for a lambda that is a kernel's loop body (written
// after its parameter list).
#if defined(__GNUC__)
#define ENGRAM_KERNEL_INLINE inline __attribute__((always_inline))
#define ENGRAM_LAMBDA_INLINE __attribute__((always_inline))
#else
#define ENGRAM_KERNEL_INLINE inline
#define ENGRAM_LAMBDA_INLINE
#endif

namespace engram {

// e^x, relative error below 5e-16 (about 2 ulp) on [-708, 708] (clamped outside).
// Cody–Waite reduction x = k·ln2 + r with |r| <= ln2/2, a degree-13 Taylor polynomial for
// e^r (truncation error below 5e-18) evaluated by Estrin's scheme with fused multiply-adds
// (12 of them in place of 12 multiplications and 12 additions), and 2^k assembled in the
// exponent bits.
ENGRAM_KERNEL_INLINE double exp_vec(double x) {
  constexpr double kLog2e = 1.4426950408889634;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // ln 2, top 32 bits
  constexpr double kLn2Lo = 1.90821492927058770002e-10;  // ln 2 - kLn2Hi
  constexpr double kShift = 0x1.8p52;                    // adding it rounds to an integer
  x = std::min(std::max(x, -708.0), 708.0);
  const double shifted = std::fma(x, kLog2e, kShift);
  const double k = shifted - kShift;  // round(x / ln 2)
  const double r = std::fma(-k, kLn2Lo, std::fma(-k, kLn2Hi, x));
  // Estrin's scheme: the same polynomial as Horner's rule with a dependency chain of four
  // multiply-adds instead of thirteen, so that a vectorized loop is not latency-bound.
  const double r2 = r * r;
  const double r4 = r2 * r2;
  const double r8 = r4 * r4;
  const double q0 = 1.0 + r;
  const double q1 = std::fma(r, 1.0 / 6.0, 0.5);
  const double q2 = std::fma(r, 1.0 / 120.0, 1.0 / 24.0);
  const double q3 = std::fma(r, 1.0 / 5040.0, 1.0 / 720.0);
  const double q4 = std::fma(r, 1.0 / 362880.0, 1.0 / 40320.0);
  const double q5 = std::fma(r, 1.0 / 39916800.0, 1.0 / 3628800.0);
  const double q6 = std::fma(r, 1.0 / 6227020800.0, 1.0 / 479001600.0);
  const double s0 = std::fma(r2, q1, q0);
  const double s1 = std::fma(r2, q3, q2);
  const double s2 = std::fma(r2, q5, q4);
  const double p = std::fma(r8, std::fma(r4, q6, s2), std::fma(r4, s1, s0));
  // The low bits of `shifted` hold k (two's complement): 2^k = (k + 1023) << 52.
  const std::uint64_t k_bits =
      std::bit_cast<std::uint64_t>(shifted) - std::bit_cast<std::uint64_t>(kShift);
  const double scale = std::bit_cast<double>((k_bits + 1023u) << 52);
  return p * scale;
}

}  // namespace engram
