// A value of a description that is either a constant or a distribution to draw from.
#pragma once

#include <string>

#include "engine/random.hpp"

namespace engram {

struct Value {
  enum class Kind { constant, uniform, normal, normal_clipped };
  Kind kind = Kind::constant;
  double a = 0.0;                // constant value; uniform low; normal mu
  double b = 0.0;                // uniform high; normal sigma
  double low = 0.0, high = 0.0;  // normal_clipped bounds

  static Value constant(double v) { return {Kind::constant, v, 0.0, 0.0, 0.0}; }
  static Value uniform(double low, double high) { return {Kind::uniform, low, high, 0.0, 0.0}; }
  static Value normal(double mu, double sigma) { return {Kind::normal, mu, sigma, 0.0, 0.0}; }
  static Value normal_clipped(double mu, double sigma, double low, double high) {
    return {Kind::normal_clipped, mu, sigma, low, high};
  }

  bool is_constant() const { return kind == Kind::constant; }
  // The smallest and largest value a draw can take (±infinity for an unbounded normal).
  double min() const;
  double max() const;
  // The value for constants; the mean of a distribution otherwise (for size estimates).
  double typical() const;
  // One draw. A clipped normal redraws until the value falls in [low, high] (PyNN's
  // "normal_clipped"), so it is a truncated normal, not one with mass piled on the bounds.
  double draw(Stream& stream) const;
  std::string describe() const;
};

}  // namespace engram
