#include "models/sparsey/readout.hpp"

#include <bit>
#include <cassert>
#include <stdexcept>

namespace engram::models::sparsey {

ClassReadout::ClassReadout(std::uint32_t cells, std::uint32_t classes)
    : cells_(cells), classes_(classes), weights_(static_cast<std::size_t>(cells) * classes, 0) {}

void ClassReadout::learn(std::span<const std::uint32_t> cells, std::uint32_t label) {
  assert(label < classes_);
  std::uint32_t* row = &weights_[static_cast<std::size_t>(label) * cells_];
  for (std::uint32_t c : cells) ++row[c];
}

std::uint32_t ClassReadout::classify(std::span<const std::uint32_t> cells) const {
  std::uint32_t best = 0;
  std::uint64_t best_sum = 0;
  for (std::uint32_t k = 0; k < classes_; ++k) {
    const std::uint32_t* row = &weights_[static_cast<std::size_t>(k) * cells_];
    std::uint64_t sum = 0;
    for (std::uint32_t c : cells) sum += row[c];
    if (k == 0 || sum > best_sum) best = k, best_sum = sum;
  }
  return best;
}

NearestCode::NearestCode(std::uint32_t cells) : cells_(cells), stride_((cells + 63) / 64) {}

std::vector<std::uint64_t> NearestCode::bits(std::span<const std::uint32_t> cells) const {
  std::vector<std::uint64_t> out(stride_, 0);
  for (std::uint32_t c : cells) out[c / 64] |= std::uint64_t{1} << (c % 64);
  return out;
}

void NearestCode::store(std::span<const std::uint32_t> cells, std::uint32_t label) {
  const auto b = bits(cells);
  codes_.insert(codes_.end(), b.begin(), b.end());
  labels_.push_back(label);
}

NearestCode::Match NearestCode::nearest(std::span<const std::uint32_t> cells) const {
  if (labels_.empty()) throw std::logic_error("nearest-code readout: no stored codes");
  const auto b = bits(cells);
  Match best;
  for (std::size_t i = 0; i < labels_.size(); ++i) {
    const std::uint64_t* code = &codes_[i * stride_];
    std::uint32_t overlap = 0;
    for (std::uint32_t w = 0; w < stride_; ++w)
      overlap += static_cast<std::uint32_t>(std::popcount(code[w] & b[w]));
    if (i == 0 || overlap > best.overlap) best = {i, labels_[i], overlap};
  }
  return best;
}

void NearestCode::assign(std::vector<std::uint64_t> codes, std::vector<std::uint32_t> labels) {
  assert(codes.size() == labels.size() * stride_);
  codes_ = std::move(codes);
  labels_ = std::move(labels);
}

}  // namespace engram::models::sparsey
