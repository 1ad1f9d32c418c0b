// Elementary functions written so that loops over state arrays vectorize: no branches, no
// calls, only operations whose results IEEE arithmetic fixes (so a value never depends on
// whether a lane of a vector or a scalar computed it, nor on the machine's libm).
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>

namespace engram {

// e^x, relative error below 2e-16 on [-708, 708] (clamped outside). Cody–Waite reduction
// x = k·ln2 + r with |r| <= ln2/2, a degree-13 Taylor polynomial for e^r (truncation error
// below 5e-18), and 2^k assembled in the exponent bits.
inline double exp_vec(double x) {
  constexpr double kLog2e = 1.4426950408889634;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // ln 2, top 32 bits
  constexpr double kLn2Lo = 1.90821492927058770002e-10;  // ln 2 - kLn2Hi
  constexpr double kShift = 0x1.8p52;                    // adding it rounds to an integer
  x = std::min(std::max(x, -708.0), 708.0);
  const double shifted = x * kLog2e + kShift;
  const double k = shifted - kShift;  // round(x / ln 2)
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;
  double p = 1.0 / 6227020800.0;  // 1/13!
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  // The low bits of `shifted` hold k (two's complement): 2^k = (k + 1023) << 52.
  const std::uint64_t k_bits =
      std::bit_cast<std::uint64_t>(shifted) - std::bit_cast<std::uint64_t>(kShift);
  const double scale = std::bit_cast<double>((k_bits + 1023u) << 52);
  return p * scale;
}

}  // namespace engram
