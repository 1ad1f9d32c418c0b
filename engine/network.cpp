#include "engine/network.hpp"

#include <charconv>

#include <fmt/format.h>

#include "engine/runtime.hpp"

namespace engram {

namespace {
std::optional<std::uint64_t> parse_index(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}
}  // namespace

std::optional<PopulationSlice> PopulationSlice::parse(const std::string& text) {
  const auto open = text.find('[');
  if (open == std::string::npos) {
    if (text.empty() || text.find_first_of("]:") != std::string::npos) return std::nullopt;
    return whole(text);
  }
  if (open == 0 || text.back() != ']') return std::nullopt;
  const std::string inside = text.substr(open + 1, text.size() - open - 2);
  const auto colon = inside.find(':');
  PopulationSlice s{text.substr(0, open), 0, std::nullopt};
  if (colon == std::string::npos) {
    // "pop[i]": the single neuron i.
    auto i = parse_index(inside);
    if (!i) return std::nullopt;
    s.begin = *i;
    s.end = *i + 1;
    return s;
  }
  const std::string_view first(inside.data(), colon);
  const std::string_view second(inside.data() + colon + 1, inside.size() - colon - 1);
  if (!first.empty()) {
    auto b = parse_index(first);
    if (!b) return std::nullopt;
    s.begin = *b;
  }
  if (!second.empty()) {
    auto e = parse_index(second);
    if (!e) return std::nullopt;
    s.end = *e;
  }
  return s;
}

std::string PopulationSlice::str() const {
  if (begin == 0 && !end) return population;
  return fmt::format("{}[{}:{}]", population, begin, end ? fmt::format("{}", *end) : "");
}

const PopulationSpec* NetworkSpec::find_population(const std::string& n) const {
  for (const auto& p : populations)
    if (p.name == n) return &p;
  return nullptr;
}

double CurrentSchedule::at(Step s) const {
  double amplitude = 0.0;
  for (std::size_t i = 0; i < steps.size() && steps[i] <= s; ++i) amplitude = amplitudes[i];
  return amplitude;
}

std::uint64_t ProjectionRuntime::synapse_count() const {
  std::uint64_t n = 0;
  for (const auto& t : tables) n += t.size();
  return n;
}

std::uint64_t Runtime::neuron_count() const {
  std::uint64_t n = 0;
  for (const auto& p : populations) n += p.size;
  return n;
}

std::uint64_t Runtime::synapse_count() const {
  std::uint64_t n = 0;
  for (const auto& p : projections) n += p.synapse_count();
  return n;
}

std::size_t Runtime::synapse_bytes(std::size_t i) const {
  std::size_t bytes = 0;
  for (const auto& t : projections[i].tables)
    bytes += t.offsets.capacity() * sizeof(std::uint64_t) +
             t.narrow.capacity() * sizeof(std::uint16_t) +
             t.targets.capacity() * sizeof(std::uint32_t) + t.weights.capacity() * sizeof(float) +
             t.plastic.capacity() * sizeof(double);
  return bytes;
}

}  // namespace engram
