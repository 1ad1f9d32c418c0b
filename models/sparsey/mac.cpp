#include "models/sparsey/mac.hpp"

#include <bit>
#include <cmath>

#include <fmt/format.h>

#include "engine/error.hpp"

namespace engram::models::sparsey {

BitRows::BitRows(std::uint32_t rows, std::uint32_t cols)
    : rows_(rows),
      cols_(cols),
      stride_((cols + 63) / 64),
      words_(static_cast<std::size_t>(rows) * stride_, 0) {}

void BitRows::accumulate(std::uint32_t r, std::uint32_t* counts) const {
  const std::uint64_t* row = &words_[static_cast<std::size_t>(r) * stride_];
  for (std::uint32_t w = 0; w < stride_; ++w) {
    const std::uint64_t bits = row[w];
    const std::uint32_t end = std::min<std::uint32_t>(64, cols_ - w * 64);
    std::uint32_t* c = counts + w * 64;
    for (std::uint32_t b = 0; b < end; ++b) c[b] += static_cast<std::uint32_t>((bits >> b) & 1u);
  }
}

std::uint64_t BitRows::count() const {
  std::uint64_t n = 0;
  for (std::uint64_t w : words_) n += static_cast<std::uint64_t>(std::popcount(w));
  return n;
}

std::vector<std::uint32_t> Frame::cells(std::uint32_t k) const {
  std::vector<std::uint32_t> out(code.size());
  for (std::size_t m = 0; m < code.size(); ++m)
    out[m] = static_cast<std::uint32_t>(m) * k + code[m];
  return out;
}

Mac::Mac(const MacParams& params, std::uint32_t u_inputs, std::uint32_t h_inputs,
         std::uint32_t d_inputs, std::uint64_t seed, std::uint32_t id)
    : params_(params), seed_(seed), id_(id) {
  Diagnostics d;
  if (params.q < 1 || params.q > 65535)
    d.add("/Q", fmt::format("found {}, expected 1 to 65535 modules", params.q));
  if (params.k < 1 || params.k > 65535)
    d.add("/K", fmt::format("found {}, expected 1 to 65535 cells per module", params.k));
  if (params.band_min < 1 || params.band_min > params.band_max)
    d.add("/band", fmt::format("found [{}, {}], expected 1 <= min <= max", params.band_min,
                               params.band_max));
  if (!(params.freeze > 0.0 && params.freeze <= 1.0))
    d.add("/freeze", fmt::format("found {}, expected a fraction in (0, 1]", params.freeze));
  const CsaParams& c = params.csa;
  if (!(c.g_minus >= 0.0 && c.g_minus < 1.0))
    d.add("/csa/G_minus", fmt::format("found {}, expected 0 <= G⁻ < 1", c.g_minus));
  if (!(c.gamma > 0.0)) d.add("/csa/gamma", fmt::format("found {}, expected > 0", c.gamma));
  if (!(c.chi >= 0.0)) d.add("/csa/chi", fmt::format("found {}, expected >= 0", c.chi));
  if (!(c.sigma1 > 0.0)) d.add("/csa/sigma1", fmt::format("found {}, expected > 0", c.sigma1));
  if (!(c.sigma4 > 0.0)) d.add("/csa/sigma4", fmt::format("found {}, expected > 0", c.sigma4));
  if (u_inputs == 0) d.add("/inputs", "found 0 bottom-up inputs, expected at least 1");
  d.throw_if_any();
  const std::uint32_t n = params.cells();
  u_ = BitRows(u_inputs, n);
  h_ = BitRows(h_inputs, n);
  d_ = BitRows(d_inputs, n);
  counts_.assign(3 * static_cast<std::size_t>(n), 0);
  v_.assign(n, 0.0);
  scratch_.assign(params.k, 0.0);
}

double Mac::saturation() const {
  return static_cast<double>(u_set_) / (static_cast<double>(u_.rows()) * u_.cols());
}

void Mac::restore(std::uint32_t frames, bool frozen) {
  frames_ = frames;
  frozen_ = frozen;
  u_set_ = u_.count();
}

void Mac::check(const Inputs& in) const {
  auto ascending = [](std::span<const std::uint32_t> ids, std::uint32_t rows, const char* kind) {
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] >= rows)
        throw InputError("", fmt::format("{} input {} is out of range: the mac has {} {} inputs",
                                         kind, ids[i], rows, kind));
      if (i > 0 && ids[i] <= ids[i - 1])
        throw InputError("", fmt::format("{} inputs must be ascending and distinct: found {} "
                                         "after {}",
                                         kind, ids[i], ids[i - 1]));
    }
  };
  ascending(in.u, u_.rows(), "bottom-up");
  if (in.has_h) ascending(in.h, h_.rows(), "horizontal");
  if (in.has_d) ascending(in.d, d_.rows(), "top-down");
}

// V of every cell: the raw sums u, h, d normalised by the number of active inputs of each
// kind, combined by local_support. An input kind with no active inputs counts as absent.
void Mac::compute_support(const Inputs& in, std::vector<std::uint32_t>& counts,
                          std::vector<double>& v) const {
  const std::uint32_t n = params_.cells();
  std::fill(counts.begin(), counts.end(), 0u);
  std::uint32_t* cu = counts.data();
  std::uint32_t* ch = cu + n;
  std::uint32_t* cd = ch + n;
  for (std::uint32_t j : in.u) u_.accumulate(j, cu);
  const bool has_h = in.has_h && !in.h.empty();
  const bool has_d = in.has_d && !in.d.empty();
  if (has_h)
    for (std::uint32_t j : in.h) h_.accumulate(j, ch);
  if (has_d)
    for (std::uint32_t j : in.d) d_.accumulate(j, cd);
  const double pu = static_cast<double>(in.u.size());
  const double ph = static_cast<double>(in.h.size());
  const double pd = static_cast<double>(in.d.size());
  for (std::uint32_t i = 0; i < n; ++i)
    v[i] = engram::sparsey::local_support(cu[i] / pu, has_h ? ch[i] / ph : 0.0,
                                          has_d ? cd[i] / pd : 0.0, has_h, has_d, params_.csa);
}

std::vector<double> Mac::support(const Inputs& in) const {
  check(in);
  std::vector<std::uint32_t> counts(3 * static_cast<std::size_t>(params_.cells()));
  std::vector<double> v(params_.cells(), 0.0);
  if (!in.u.empty()) compute_support(in, counts, v);
  return v;
}

double Mac::familiarity(const Inputs& in) const {
  return engram::sparsey::familiarity(support(in), params_.q, params_.k);
}

Frame Mac::present(const Inputs& in, Mode mode) {
  check(in);
  Frame f;
  const auto active = static_cast<std::uint32_t>(in.u.size());
  if (active < params_.band_min || active > params_.band_max) return f;
  f.active = true;
  compute_support(in, counts_, v_);
  const bool learning = mode == Mode::learn && !frozen_;
  f.code.assign(params_.q, 0);
  f.g = engram::sparsey::choose_code(v_, params_.q, params_.k, params_.csa,
                                     learning ? Mode::learn : Mode::recognise, seed_, id_,
                                     frames_++, f.code, scratch_);
  if (!learning) return f;
  const std::uint32_t k = params_.k;
  for (std::uint32_t m = 0; m < params_.q; ++m) {
    const std::uint32_t cell = m * k + f.code[m];
    for (std::uint32_t j : in.u) f.weights_changed += u_.set(j, cell);
  }
  u_set_ += f.weights_changed;
  if (in.has_h)
    for (std::uint32_t m = 0; m < params_.q; ++m)
      for (std::uint32_t j : in.h) f.weights_changed += h_.set(j, m * k + f.code[m]);
  if (in.has_d)
    for (std::uint32_t m = 0; m < params_.q; ++m)
      for (std::uint32_t j : in.d) f.weights_changed += d_.set(j, m * k + f.code[m]);
  if (saturation() >= params_.freeze) frozen_ = true;
  return f;
}

}  // namespace engram::models::sparsey
