// A Sparsey hierarchy: levels of macs, each mac's receptive field a rectangle of the level
// below (pixels at the bottom). Spatial items are one-frame presentations; sequences add each
// mac's own previous code as horizontal input (H) and the previous codes of the macs above
// whose receptive fields hold it as top-down input (D).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "models/sparsey/mac.hpp"

namespace engram::models::sparsey {

struct LevelSpec {
  // Receptive field and stride, in units of the level below (pixels, or macs).
  std::uint32_t rf_w = 1, rf_h = 1;
  std::uint32_t stride_x = 1, stride_y = 1;
  MacParams mac;
  bool horizontal = false;  // sequences: H input from the mac's own previous code
  bool top_down = false;    // sequences: D input from the previous codes of the macs above
};

struct Architecture {
  std::uint32_t width = 0, height = 0;  // the input image, pixels
  std::vector<LevelSpec> levels;
  std::uint64_t seed = 1;
};

// The frames of every mac of one presentation: [level][mac].
using Codes = std::vector<std::vector<Frame>>;

class Hierarchy {
 public:
  // Throws InputError (pointers /levels/<l>/...) for a receptive field that does not fit.
  explicit Hierarchy(const Architecture& architecture);

  const Architecture& architecture() const { return arch_; }
  std::size_t levels() const { return macs_.size(); }
  // The grid of macs of level l.
  std::uint32_t macs_x(std::size_t l) const { return grid_[l].first; }
  std::uint32_t macs_y(std::size_t l) const { return grid_[l].second; }
  std::vector<Mac>& macs(std::size_t l) { return macs_[l]; }
  const std::vector<Mac>& macs(std::size_t l) const { return macs_[l]; }

  // One spatial item: a sequence of one frame. `pixels`: active pixel indices (row-major,
  // ascending).
  Codes present(std::span<const std::uint32_t> pixels, Mode mode);
  // Sequences: reset() before the first frame, then step() per frame.
  void reset();
  Codes step(std::span<const std::uint32_t> pixels, Mode mode);

  // The active cells of level l, numbered across its macs (mac · Q·K + cell): the union of
  // the codes of its macs, itself a sparse code of the whole input.
  std::vector<std::uint32_t> cells(const Codes& codes, std::size_t l) const;
  std::uint32_t cell_count(std::size_t l) const;
  std::vector<std::uint32_t> top_cells(const Codes& codes) const {
    return cells(codes, levels() - 1);
  }
  std::uint32_t top_cell_count() const { return cell_count(levels() - 1); }

 private:
  Architecture arch_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> grid_;  // per level: macs in x, y
  std::vector<std::vector<Mac>> macs_;
  // [level][mac]: the units of the level below in its receptive field, in field order
  // (pixel indices at level 0, mac indices above).
  std::vector<std::vector<std::vector<std::uint32_t>>> field_;
  // [level][mac]: the macs of level + 1 whose fields hold it (for D input).
  std::vector<std::vector<std::vector<std::uint32_t>>> parents_;
  Codes previous_;
  bool has_previous_ = false;
  std::vector<std::uint8_t> image_;  // scratch: the current frame as a dense bitmap
};

}  // namespace engram::models::sparsey
