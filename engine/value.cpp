#include "engine/value.hpp"

#include <cassert>
#include <limits>

#include <fmt/format.h>

namespace engram {

double Value::min() const {
  switch (kind) {
    case Kind::constant:
    case Kind::uniform:
      return a;
    case Kind::normal:
      return b == 0.0 ? a : -std::numeric_limits<double>::infinity();
    case Kind::normal_clipped:
      return low;
  }
  return a;
}

double Value::max() const {
  switch (kind) {
    case Kind::constant:
      return a;
    case Kind::uniform:
      return b;
    case Kind::normal:
      return b == 0.0 ? a : std::numeric_limits<double>::infinity();
    case Kind::normal_clipped:
      return high;
  }
  return a;
}

double Value::typical() const {
  switch (kind) {
    case Kind::uniform:
      return 0.5 * (a + b);
    case Kind::normal_clipped:
      return std::clamp(a, low, high);
    default:
      return a;
  }
}

double Value::draw(Stream& stream) const {
  switch (kind) {
    case Kind::constant:
      return a;
    case Kind::uniform:
      return a + (b - a) * stream.uniform();
    case Kind::normal:
      return a + b * stream.normal();
    case Kind::normal_clipped:
      // Validation guarantees that [low, high] holds a reasonable share of the mass.
      for (;;) {
        const double x = a + b * stream.normal();
        if (x >= low && x <= high) return x;
      }
  }
  assert(false && "unknown value kind");
  return a;
}

std::string Value::describe() const {
  switch (kind) {
    case Kind::constant:
      return fmt::format("{}", a);
    case Kind::uniform:
      return fmt::format("uniform({}, {})", a, b);
    case Kind::normal:
      return fmt::format("normal({}, {})", a, b);
    case Kind::normal_clipped:
      return fmt::format("normal_clipped({}, {}, {}, {})", a, b, low, high);
  }
  return "?";
}

}  // namespace engram
