#include "models/sparsey/hierarchy.hpp"

#include <fmt/format.h>

#include "engine/error.hpp"

namespace engram::models::sparsey {

Hierarchy::Hierarchy(const Architecture& architecture) : arch_(architecture) {
  Diagnostics d;
  if (arch_.width == 0 || arch_.height == 0)
    d.add("/input", fmt::format("found an input of {}×{} pixels, expected at least 1×1",
                                arch_.width, arch_.height));
  if (arch_.levels.empty()) d.add("/levels", "found no levels, expected at least one");
  d.throw_if_any();
  std::uint32_t below_w = arch_.width, below_h = arch_.height;
  std::uint32_t id = 0;
  for (std::size_t l = 0; l < arch_.levels.size(); ++l) {
    const LevelSpec& s = arch_.levels[l];
    const std::string at = fmt::format("/levels/{}", l);
    if (s.rf_w == 0 || s.rf_h == 0 || s.rf_w > below_w || s.rf_h > below_h)
      d.add(at + "/rf", fmt::format("found a receptive field of {}×{}, expected at least 1×1 "
                                    "and at most the {}×{} units of the level below",
                                    s.rf_w, s.rf_h, below_w, below_h));
    if (s.stride_x == 0 || s.stride_y == 0)
      d.add(at + "/stride",
            fmt::format("found {}×{}, expected at least 1×1", s.stride_x, s.stride_y));
    d.throw_if_any();
    const std::uint32_t nx = (below_w - s.rf_w) / s.stride_x + 1;
    const std::uint32_t ny = (below_h - s.rf_h) / s.stride_y + 1;
    grid_.emplace_back(nx, ny);
    field_.emplace_back();
    for (std::uint32_t y = 0; y < ny; ++y)
      for (std::uint32_t x = 0; x < nx; ++x) {
        std::vector<std::uint32_t> field;
        for (std::uint32_t dy = 0; dy < s.rf_h; ++dy)
          for (std::uint32_t dx = 0; dx < s.rf_w; ++dx)
            field.push_back((y * s.stride_y + dy) * below_w + x * s.stride_x + dx);
        field_.back().push_back(std::move(field));
      }
    below_w = nx;
    below_h = ny;
  }
  // Parents, then the macs (their input counts need the fields of both neighbours).
  for (std::size_t l = 0; l < field_.size(); ++l) {
    parents_.emplace_back(field_[l].size());
    if (l + 1 < field_.size())
      for (std::uint32_t p = 0; p < field_[l + 1].size(); ++p)
        for (std::uint32_t child : field_[l + 1][p]) parents_[l][child].push_back(p);
  }
  for (std::size_t l = 0; l < field_.size(); ++l) {
    const LevelSpec& s = arch_.levels[l];
    const std::uint32_t unit = l == 0 ? 1 : arch_.levels[l - 1].mac.cells();
    const std::uint32_t above = l + 1 < field_.size() ? arch_.levels[l + 1].mac.cells() : 0;
    macs_.emplace_back();
    for (std::uint32_t m = 0; m < field_[l].size(); ++m) {
      const auto u_inputs = static_cast<std::uint32_t>(field_[l][m].size()) * unit;
      const std::uint32_t h_inputs = s.horizontal ? s.mac.cells() : 0;
      const std::uint32_t d_inputs =
          s.top_down ? static_cast<std::uint32_t>(parents_[l][m].size()) * above : 0;
      try {
        macs_[l].emplace_back(s.mac, u_inputs, h_inputs, d_inputs, arch_.seed, id++);
      } catch (const InputError& e) {
        for (const Diagnostic& diag : e.diagnostics())
          d.add(fmt::format("/levels/{}{}", l, diag.pointer), diag.message);
        d.throw_if_any();
      }
    }
  }
  image_.assign(static_cast<std::size_t>(arch_.width) * arch_.height, 0);
}

void Hierarchy::reset() {
  previous_.clear();
  has_previous_ = false;
}

Codes Hierarchy::present(std::span<const std::uint32_t> pixels, Mode mode) {
  reset();
  Codes codes = step(pixels, mode);
  reset();
  return codes;
}

Codes Hierarchy::step(std::span<const std::uint32_t> pixels, Mode mode) {
  const std::size_t n_pixels = image_.size();
  for (std::size_t i = 0; i < pixels.size(); ++i)
    if (pixels[i] >= n_pixels)
      throw InputError("", fmt::format("pixel {} is outside the {}×{} input", pixels[i],
                                       arch_.width, arch_.height));
  std::fill(image_.begin(), image_.end(), std::uint8_t{0});
  for (std::uint32_t p : pixels) image_[p] = 1;

  Codes codes(macs_.size());
  std::vector<std::uint32_t> u, h, d;
  for (std::size_t l = 0; l < macs_.size(); ++l) {
    const LevelSpec& s = arch_.levels[l];
    const std::uint32_t unit = l == 0 ? 1 : arch_.levels[l - 1].mac.cells();
    const std::uint32_t k_below = l == 0 ? 1 : arch_.levels[l - 1].mac.k;
    const std::uint32_t above = l + 1 < macs_.size() ? arch_.levels[l + 1].mac.cells() : 0;
    const std::uint32_t k_above = l + 1 < macs_.size() ? arch_.levels[l + 1].mac.k : 0;
    codes[l].reserve(macs_[l].size());
    for (std::uint32_t m = 0; m < macs_[l].size(); ++m) {
      u.clear();
      const std::vector<std::uint32_t>& field = field_[l][m];
      for (std::uint32_t f = 0; f < field.size(); ++f) {
        if (l == 0) {
          if (image_[field[f]]) u.push_back(f);
        } else {
          const Frame& child = codes[l - 1][field[f]];
          if (child.active)
            for (std::uint32_t c : child.cells(k_below)) u.push_back(f * unit + c);
        }
      }
      Inputs in;
      in.u = u;
      if (s.horizontal && has_previous_) {
        h.clear();
        const Frame& own = previous_[l][m];
        if (own.active) h = own.cells(s.mac.k);
        in.h = h;
        in.has_h = true;
      }
      if (s.top_down && has_previous_ && above > 0) {
        d.clear();
        const std::vector<std::uint32_t>& parents = parents_[l][m];
        for (std::uint32_t r = 0; r < parents.size(); ++r) {
          const Frame& parent = previous_[l + 1][parents[r]];
          if (parent.active)
            for (std::uint32_t c : parent.cells(k_above)) d.push_back(r * above + c);
        }
        in.d = d;
        in.has_d = true;
      }
      codes[l].push_back(macs_[l][m].present(in, mode));
    }
  }
  previous_ = codes;
  has_previous_ = true;
  return codes;
}

std::vector<std::uint32_t> Hierarchy::cells(const Codes& codes, std::size_t l) const {
  const std::uint32_t cells = arch_.levels[l].mac.cells();
  const std::uint32_t k = arch_.levels[l].mac.k;
  std::vector<std::uint32_t> out;
  for (std::uint32_t m = 0; m < codes[l].size(); ++m)
    if (codes[l][m].active)
      for (std::uint32_t c : codes[l][m].cells(k)) out.push_back(m * cells + c);
  return out;
}

std::uint32_t Hierarchy::cell_count(std::size_t l) const {
  return static_cast<std::uint32_t>(macs_[l].size()) * arch_.levels[l].mac.cells();
}

}  // namespace engram::models::sparsey
