// The machine: which chips exist and how their links connect them.
#include <charconv>

#include <fmt/format.h>

#include "engine/error.hpp"
#include "hardware/machine_map.hpp"

namespace engram::hw {

namespace {

// Chip coordinates are 8 bits each on SpiNNaker (a key of the P2P routing tables).
constexpr std::uint32_t kMaxSide = 256;

std::optional<std::uint32_t> parse_side(std::string_view text) {
  std::uint32_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || value < 1 || value > kMaxSide) return std::nullopt;
  return value;
}

// The SpiNN-5 board: 48 chips in a hexagon inside an 8×8 grid. Row y holds the chips
// max(0, y - 3) <= x <= min(7, y + 4), so 5, 6, 7, 8, 7, 6, 5, 4 chips from row 0 up.
std::vector<bool> spinn5_chips() {
  std::vector<bool> present(64, false);
  for (std::uint32_t y = 0; y < 8; ++y)
    for (std::uint32_t x = 0; x < 8; ++x) present[y * 8 + x] = x <= y + 4 && y <= x + 3;
  return present;
}

}  // namespace

MachineSpec parse_machine(std::string_view text) {
  MachineSpec spec;
  spec.name = std::string(text);
  if (text == "48") {
    spec.width = spec.height = 8;
    spec.present = spinn5_chips();
    return spec;
  }
  std::string_view body = text;
  if (!body.empty() && body.back() == 't') {
    spec.torus = true;
    body.remove_suffix(1);
  }
  const std::size_t cross = body.find('x');
  std::optional<std::uint32_t> w, h;
  if (cross != std::string_view::npos) {
    w = parse_side(body.substr(0, cross));
    h = parse_side(body.substr(cross + 1));
  }
  if (!w || !h)
    throw InputError(
        "--machine",
        fmt::format("found \"{}\", expected \"2x2\" (a 4-chip board), \"48\" (a 48-chip "
                    "board), or WxH with 1 <= W, H <= {} chips, optionally followed "
                    "by \"t\" for a torus (\"8x8t\")",
                    text, kMaxSide));
  spec.width = *w;
  spec.height = *h;
  return spec;
}

Machine::Machine(MachineSpec spec) : spec_(std::move(spec)) {
  if (!spec_.present.empty() && spec_.present.size() != std::size_t{spec_.width} * spec_.height)
    throw InputError("--machine", fmt::format("the chip list holds {} chips, expected {}x{} = {}",
                                              spec_.present.size(), spec_.width, spec_.height,
                                              spec_.width * spec_.height));
  if (spec_.cores_per_chip < 2 || spec_.cores_per_chip > 18)
    throw InputError("--machine", fmt::format("found {} cores per chip, expected 2 to 18 (one "
                                              "is the monitor; route words have 18 core bits)",
                                              spec_.cores_per_chip));
  if (spec_.app_cores < 1 || spec_.app_cores >= spec_.cores_per_chip)
    throw InputError("--app-cores",
                     fmt::format("found {} application cores per chip, expected 1 to {} (core 0 "
                                 "of the {} is the monitor)",
                                 spec_.app_cores, spec_.cores_per_chip - 1, spec_.cores_per_chip));
  if (spec_.router_entries < 1)
    throw InputError("--router-entries", "found 0 router entries, expected at least 1");
  if (spec_.neurons_per_core < 1)
    throw InputError("--neurons-per-core", "found 0 neurons per core, expected at least 1");
}

std::uint32_t Machine::chip_count() const {
  if (spec_.present.empty()) return spec_.width * spec_.height;
  std::uint32_t n = 0;
  for (bool p : spec_.present) n += p ? 1 : 0;
  return n;
}

bool Machine::exists(std::uint32_t chip) const {
  if (chip >= spec_.width * spec_.height) return false;
  return spec_.present.empty() || spec_.present[chip];
}

std::optional<std::uint32_t> Machine::neighbour(std::uint32_t chip, Link l) const {
  if (!exists(chip)) return std::nullopt;
  static constexpr int dx[kLinks] = {1, 1, 0, -1, -1, 0};
  static constexpr int dy[kLinks] = {0, 1, 1, 0, -1, -1};
  const ChipCoord c = coord(chip);
  const auto w = static_cast<std::int64_t>(spec_.width),
             h = static_cast<std::int64_t>(spec_.height);
  std::int64_t x = std::int64_t{c.x} + dx[l], y = std::int64_t{c.y} + dy[l];
  if (spec_.torus) {
    x = (x + w) % w;
    y = (y + h) % h;
  } else if (x < 0 || y < 0 || x >= w || y >= h) {
    return std::nullopt;
  }
  const std::uint32_t other = index({static_cast<std::uint32_t>(x), static_cast<std::uint32_t>(y)});
  if (!exists(other)) return std::nullopt;
  return other;
}

std::vector<std::uint32_t> Machine::chips() const {
  std::vector<std::uint32_t> out;
  for (std::uint32_t c = 0; c < spec_.width * spec_.height; ++c)
    if (exists(c)) out.push_back(c);
  return out;
}

std::string Machine::describe() const {
  std::string shape;
  if (spec_.name == "48")
    shape = "a 48-chip board (SpiNN-5 hexagon in an 8x8 grid)";
  else if (spec_.width == 2 && spec_.height == 2 && !spec_.torus)
    shape = "a 4-chip board (2x2)";
  else
    shape = fmt::format("{}x{} chips{}", spec_.width, spec_.height, spec_.torus ? ", torus" : "");
  return fmt::format("{}: {}, {} application cores per chip ({} in all)", spec_.name, shape,
                     spec_.app_cores, chip_count() * spec_.app_cores);
}

}  // namespace engram::hw
