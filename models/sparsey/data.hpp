// Image data sets for Sparsey and their preprocessing to binary images.
//
// Readers: the idx files of Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist,
// gzip-compressed or plain) and the 8×8 digits of Debian's python3-sklearn
// (sklearn/datasets/data/digits.csv.gz: 64 intensities 0–16 then the label, per line).
// Preprocessing (docs/models/sparsey.md): optional rescale by area averaging, threshold,
// optional skeleton (Zhang–Suen thinning).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace engram::models::sparsey {

struct Images {
  std::uint32_t width = 0, height = 0;
  double max_value = 255.0;          // the intensity of a full pixel
  std::vector<std::uint8_t> pixels;  // [item][y][x]
  std::vector<std::uint32_t> labels;
  std::size_t size() const { return labels.size(); }
  std::span<const std::uint8_t> image(std::size_t i) const {
    const std::size_t n = static_cast<std::size_t>(width) * height;
    return {pixels.data() + i * n, n};
  }
};

// Throws InputError naming the file for a missing or malformed file.
Images read_idx(const std::string& images_path, const std::string& labels_path);
Images read_sklearn_digits(const std::string& path);

// Indices of items [begin, end) (end clipped to the data set), keeping only the first
// `per_class` of each class when per_class > 0.
std::vector<std::size_t> select_items(const Images& images, std::size_t begin, std::size_t end,
                                      std::size_t per_class);

struct Preprocess {
  std::uint32_t width = 0, height = 0;  // rescale to this size; 0: keep the data set's size
  double threshold = 0.5;               // a pixel is on at or above this fraction of max_value
  bool skeleton = false;                // thin the binary image to one-pixel-wide strokes
};

// The size of the preprocessed images.
std::pair<std::uint32_t, std::uint32_t> output_size(const Images& images, const Preprocess& p);

// The on pixels of image i after preprocessing: ascending row-major indices.
std::vector<std::uint32_t> binarize(const Images& images, std::size_t i, const Preprocess& p);

// Area-averaged resampling of a w×h image of intensities to out_w×out_h.
std::vector<double> rescale(std::span<const double> image, std::uint32_t w, std::uint32_t h,
                            std::uint32_t out_w, std::uint32_t out_h);

// Zhang–Suen thinning of a binary image (1 = on), in place.
void skeletonize(std::vector<std::uint8_t>& image, std::uint32_t w, std::uint32_t h);

}  // namespace engram::models::sparsey
