// Readouts of a Sparsey hierarchy's top-level codes: class nodes with supervised
// co-activation weights, and the nearest stored code.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace engram::models::sparsey {

// One node per class; the weight from code cell i to class node c counts the training items
// of class c whose code held i. A code is classified as the class whose node receives the
// largest summed weight (ties: the lowest class).
class ClassReadout {
 public:
  ClassReadout() = default;
  ClassReadout(std::uint32_t cells, std::uint32_t classes);
  void learn(std::span<const std::uint32_t> cells, std::uint32_t label);
  std::uint32_t classify(std::span<const std::uint32_t> cells) const;
  std::uint32_t cells() const { return cells_; }
  std::uint32_t classes() const { return classes_; }
  // [class][cell]
  std::span<const std::uint32_t> weights() const { return weights_; }
  std::span<std::uint32_t> weights() { return weights_; }

 private:
  std::uint32_t cells_ = 0, classes_ = 0;
  std::vector<std::uint32_t> weights_;
};

// The training codes with their labels; a code is answered with the stored code that shares
// the most cells with it (ties: the earliest stored). Unlike learning, this readout searches
// the stored items.
class NearestCode {
 public:
  NearestCode() = default;
  explicit NearestCode(std::uint32_t cells);
  void store(std::span<const std::uint32_t> cells, std::uint32_t label);
  struct Match {
    std::size_t index = 0;
    std::uint32_t label = 0;
    std::uint32_t overlap = 0;
  };
  // Throws std::logic_error when nothing is stored.
  Match nearest(std::span<const std::uint32_t> cells) const;
  std::size_t size() const { return labels_.size(); }
  std::uint32_t cells() const { return cells_; }
  std::uint32_t words_per_code() const { return stride_; }
  // [item][word] bitsets, and one label per item.
  std::span<const std::uint64_t> codes() const { return codes_; }
  std::span<const std::uint32_t> labels() const { return labels_; }
  void assign(std::vector<std::uint64_t> codes, std::vector<std::uint32_t> labels);

 private:
  std::vector<std::uint64_t> bits(std::span<const std::uint32_t> cells) const;
  std::uint32_t cells_ = 0, stride_ = 0;
  std::vector<std::uint64_t> codes_;
  std::vector<std::uint32_t> labels_;
};

}  // namespace engram::models::sparsey
