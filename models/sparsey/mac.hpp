// One Sparsey mac as a C++ object: Q competitive modules of K binary cells, binary afferent
// weights stored as bit rows, the code selection algorithm of engine/neurons/sparsey_mac.hpp
// and single-trial learning (shared/models/sparsey.md).
//
// Cost: a frame reads one bit row per active input and writes at most one bit per active input
// and CM, so a learn or recognise step takes the same time however many items are stored.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "engine/neurons/sparsey_mac.hpp"

namespace engram::models::sparsey {

using engram::sparsey::CsaParams;
using engram::sparsey::Mode;

struct MacParams {
  std::uint32_t q = 10;  // competitive modules
  std::uint32_t k = 8;   // cells per module
  CsaParams csa;
  // The mac is active only when the number of active bottom-up inputs lies in this band.
  std::uint32_t band_min = 1;
  std::uint32_t band_max = std::numeric_limits<std::uint32_t>::max();
  // Fraction of the bottom-up weights set at which the mac freezes: it stops learning and
  // chooses its codes as in recognition. 1 never freezes.
  double freeze = 0.5;
  std::uint32_t cells() const { return q * k; }
};

// A binary matrix stored as one bit row per input (row r, column c is bit c of row r).
class BitRows {
 public:
  BitRows() = default;
  BitRows(std::uint32_t rows, std::uint32_t cols);
  bool get(std::uint32_t r, std::uint32_t c) const {
    return (words_[r * stride_ + c / 64] >> (c % 64)) & 1u;
  }
  // Sets bit (r, c); true when it was 0.
  bool set(std::uint32_t r, std::uint32_t c) {
    std::uint64_t& w = words_[r * stride_ + c / 64];
    const std::uint64_t bit = std::uint64_t{1} << (c % 64);
    const bool fresh = (w & bit) == 0;
    w |= bit;
    return fresh;
  }
  // counts[c] += bit (r, c) for every column: a loop over every column whatever the bits,
  // so its cost does not depend on how many are set.
  void accumulate(std::uint32_t r, std::uint32_t* counts) const;
  std::uint32_t rows() const { return rows_; }
  std::uint32_t cols() const { return cols_; }
  std::span<const std::uint64_t> words() const { return words_; }
  std::span<std::uint64_t> words() { return words_; }
  std::uint64_t count() const;  // bits set

 private:
  std::uint32_t rows_ = 0, cols_ = 0, stride_ = 0;
  std::vector<std::uint64_t> words_;
};

// The active inputs of one frame, as ascending indices: bottom-up (u), horizontal (h, the
// previous frame's code) and top-down (d). h and d count only when present (a sequence past
// its first frame); absent, V = U.
struct Inputs {
  std::span<const std::uint32_t> u;
  std::span<const std::uint32_t> h;
  std::span<const std::uint32_t> d;
  bool has_h = false;
  bool has_d = false;
};

// What a frame did.
struct Frame {
  bool active = false;                // the bottom-up input lay in the band
  double g = 0.0;                     // global familiarity G
  std::vector<std::uint32_t> code;    // the winner of each CM (index within the CM)
  std::uint64_t weights_changed = 0;  // weights this frame set from 0 to 1
  // Ids of the active cells (m·K + winner), ascending.
  std::vector<std::uint32_t> cells(std::uint32_t k) const;
};

class Mac {
 public:
  // A mac with `u_inputs` bottom-up, `h_inputs` horizontal and `d_inputs` top-down input
  // features. `seed` and `id` key its random streams (a hosted mac's id is its population
  // index). Throws InputError for parameters out of range.
  Mac(const MacParams& params, std::uint32_t u_inputs, std::uint32_t h_inputs = 0,
      std::uint32_t d_inputs = 0, std::uint64_t seed = 1, std::uint32_t id = 0);

  // CSA draw and one-shot learning (a frozen mac recognises instead and learns nothing).
  Frame learn(const Inputs& in) { return present(in, Mode::learn); }
  // Max-V code; no weight changes.
  Frame recognise(const Inputs& in) { return present(in, Mode::recognise); }
  Frame present(const Inputs& in, Mode mode);
  // V of every cell for this input (Q·K values, CM-major), and G; nothing changes.
  std::vector<double> support(const Inputs& in) const;
  double familiarity(const Inputs& in) const;

  const MacParams& params() const { return params_; }
  std::uint32_t id() const { return id_; }
  // Fraction of the bottom-up weights set.
  double saturation() const;
  bool frozen() const { return frozen_; }
  // Active frames so far (they key the draws).
  std::uint32_t frames() const { return frames_; }

  // The weights and counters, for model files.
  BitRows& weights_u() { return u_; }
  BitRows& weights_h() { return h_; }
  BitRows& weights_d() { return d_; }
  const BitRows& weights_u() const { return u_; }
  const BitRows& weights_h() const { return h_; }
  const BitRows& weights_d() const { return d_; }
  // Restores the counters after the weights were loaded (the count of set U bits is
  // recomputed).
  void restore(std::uint32_t frames, bool frozen);

 private:
  void check(const Inputs& in) const;
  void compute_support(const Inputs& in, std::vector<std::uint32_t>& counts,
                       std::vector<double>& v) const;

  MacParams params_;
  std::uint64_t seed_;
  std::uint32_t id_;
  BitRows u_, h_, d_;
  std::uint64_t u_set_ = 0;
  std::uint32_t frames_ = 0;
  bool frozen_ = false;
  std::vector<std::uint32_t> counts_;  // scratch of present()
  std::vector<double> v_, scratch_;
};

}  // namespace engram::models::sparsey
