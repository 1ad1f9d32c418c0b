#include "models/sparsey/data.hpp"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "engine/error.hpp"

namespace engram::models::sparsey {

namespace {

// The whole content of a file, decompressed when it is gzip (zlib reads plain files as is).
std::vector<std::uint8_t> read_file(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file)
    throw InputError("", fmt::format("cannot read \"{}\": no such file or not readable", path));
  std::vector<std::uint8_t> data;
  std::uint8_t buffer[1 << 16];
  for (;;) {
    const int n = gzread(file, buffer, sizeof buffer);
    if (n < 0) {
      int code = 0;
      const std::string reason = gzerror(file, &code);
      gzclose(file);
      throw InputError("", fmt::format("cannot read \"{}\": {}", path, reason));
    }
    if (n == 0) break;
    data.insert(data.end(), buffer, buffer + n);
  }
  gzclose(file);
  return data;
}

std::uint32_t big_endian(const std::vector<std::uint8_t>& d, std::size_t at) {
  return (std::uint32_t{d[at]} << 24) | (std::uint32_t{d[at + 1]} << 16) |
         (std::uint32_t{d[at + 2]} << 8) | d[at + 3];
}

// The dimensions of an idx file of unsigned bytes with `rank` dimensions.
std::vector<std::uint32_t> idx_header(const std::vector<std::uint8_t>& d, std::uint32_t rank,
                                      const std::string& path) {
  if (d.size() < 4 + 4 * rank || d[0] != 0 || d[1] != 0 || d[2] != 0x08 || d[3] != rank)
    throw InputError("", fmt::format("\"{}\": not an idx file of unsigned bytes with {} "
                                     "dimension{} (expected the magic 00 00 08 {:02x})",
                                     path, rank, rank == 1 ? "" : "s", rank));
  std::vector<std::uint32_t> dims;
  std::uint64_t total = 1;
  for (std::uint32_t i = 0; i < rank; ++i) {
    dims.push_back(big_endian(d, 4 + 4 * i));
    total *= dims.back();
  }
  if (d.size() != 4 + 4 * rank + total)
    throw InputError("", fmt::format("\"{}\": found {} bytes of data, expected {} for dimensions "
                                     "{}",
                                     path, d.size() - 4 - 4 * rank, total, fmt::join(dims, "×")));
  return dims;
}

}  // namespace

Images read_idx(const std::string& images_path, const std::string& labels_path) {
  const std::vector<std::uint8_t> img = read_file(images_path);
  const std::vector<std::uint8_t> lab = read_file(labels_path);
  const auto dims = idx_header(img, 3, images_path);
  const auto ldims = idx_header(lab, 1, labels_path);
  if (dims[0] != ldims[0])
    throw InputError("", fmt::format("\"{}\" holds {} images but \"{}\" {} labels", images_path,
                                     dims[0], labels_path, ldims[0]));
  Images out;
  out.height = dims[1];
  out.width = dims[2];
  out.max_value = 255.0;
  out.pixels.assign(img.begin() + 16, img.end());
  out.labels.assign(lab.begin() + 8, lab.end());
  return out;
}

Images read_sklearn_digits(const std::string& path) {
  const std::vector<std::uint8_t> data = read_file(path);
  Images out;
  out.width = out.height = 8;
  out.max_value = 16.0;
  std::size_t line = 1;
  const char* p = reinterpret_cast<const char*>(data.data());
  const char* end = p + data.size();
  while (p < end) {
    const char* eol = std::find(p, end, '\n');
    if (eol != p && !(eol - p == 1 && *p == '\r')) {
      std::vector<unsigned> values;
      const char* q = p;
      while (q < eol) {
        unsigned v = 0;
        const auto [next, ec] = std::from_chars(q, eol, v);
        if (ec != std::errc() || v > 255)
          throw InputError("", fmt::format("\"{}\" line {}: expected comma-separated whole "
                                           "numbers",
                                           path, line));
        values.push_back(v);
        q = next;
        if (q < eol && (*q == ',' || *q == '\r')) ++q;
      }
      if (values.size() != 65)
        throw InputError("", fmt::format("\"{}\" line {}: found {} values, expected 64 "
                                         "intensities and a label",
                                         path, line, values.size()));
      for (int i = 0; i < 64; ++i) {
        if (values[i] > 16)
          throw InputError("", fmt::format("\"{}\" line {}: found intensity {}, expected 0 to 16",
                                           path, line, values[i]));
        out.pixels.push_back(static_cast<std::uint8_t>(values[i]));
      }
      out.labels.push_back(values[64]);
    }
    p = eol + (eol < end ? 1 : 0);
    ++line;
  }
  if (out.labels.empty()) throw InputError("", fmt::format("\"{}\": no digits found", path));
  return out;
}

std::vector<std::size_t> select_items(const Images& images, std::size_t begin, std::size_t end,
                                      std::size_t per_class) {
  std::vector<std::size_t> out;
  std::map<std::uint32_t, std::size_t> taken;
  for (std::size_t i = begin; i < std::min(end, images.size()); ++i)
    if (per_class == 0 || taken[images.labels[i]]++ < per_class) out.push_back(i);
  return out;
}

std::pair<std::uint32_t, std::uint32_t> output_size(const Images& images, const Preprocess& p) {
  if (p.width && p.height) return {p.width, p.height};
  return {images.width, images.height};
}

// Length of the intersection of [a0, a1) and [b0, b1).
static double overlap(double a0, double a1, double b0, double b1) {
  return std::max(0.0, std::min(a1, b1) - std::max(a0, b0));
}

std::vector<double> rescale(std::span<const double> image, std::uint32_t w, std::uint32_t h,
                            std::uint32_t out_w, std::uint32_t out_h) {
  // Output pixel (X, Y) covers source [X·w/out_w, (X+1)·w/out_w) × likewise in y; its value
  // is the mean of the source over that rectangle.
  std::vector<double> out(static_cast<std::size_t>(out_w) * out_h, 0.0);
  const double sx = static_cast<double>(w) / out_w, sy = static_cast<double>(h) / out_h;
  for (std::uint32_t Y = 0; Y < out_h; ++Y) {
    const double y0 = Y * sy, y1 = (Y + 1) * sy;
    for (std::uint32_t X = 0; X < out_w; ++X) {
      const double x0 = X * sx, x1 = (X + 1) * sx;
      double sum = 0.0;
      for (auto y = static_cast<std::uint32_t>(y0); y < h && y < y1; ++y) {
        const double fy = overlap(y0, y1, y, y + 1.0);
        for (auto x = static_cast<std::uint32_t>(x0); x < w && x < x1; ++x)
          sum += image[static_cast<std::size_t>(y) * w + x] * fy * overlap(x0, x1, x, x + 1.0);
      }
      out[static_cast<std::size_t>(Y) * out_w + X] = sum / (sx * sy);
    }
  }
  return out;
}

void skeletonize(std::vector<std::uint8_t>& image, std::uint32_t w, std::uint32_t h) {
  auto at = [&](std::int64_t x, std::int64_t y) -> int {
    if (x < 0 || y < 0 || x >= w || y >= h) return 0;
    return image[static_cast<std::size_t>(y) * w + static_cast<std::size_t>(x)] ? 1 : 0;
  };
  std::vector<std::size_t> remove;
  for (bool changed = true; changed;) {
    changed = false;
    for (int pass = 0; pass < 2; ++pass) {
      remove.clear();
      for (std::int64_t y = 0; y < h; ++y)
        for (std::int64_t x = 0; x < w; ++x) {
          if (!at(x, y)) continue;
          // Neighbours clockwise from north: P2 .. P9.
          const int n[8] = {at(x, y - 1), at(x + 1, y - 1), at(x + 1, y), at(x + 1, y + 1),
                            at(x, y + 1), at(x - 1, y + 1), at(x - 1, y), at(x - 1, y - 1)};
          int b = 0, a = 0;
          for (int i = 0; i < 8; ++i) {
            b += n[i];
            a += n[i] == 0 && n[(i + 1) % 8] == 1;
          }
          if (b < 2 || b > 6 || a != 1) continue;
          const bool keep = pass == 0 ? (n[0] && n[2] && n[4]) || (n[2] && n[4] && n[6])
                                      : (n[0] && n[2] && n[6]) || (n[0] && n[4] && n[6]);
          if (!keep)
            remove.push_back(static_cast<std::size_t>(y) * w + static_cast<std::size_t>(x));
        }
      for (std::size_t i : remove) image[i] = 0;
      changed |= !remove.empty();
    }
  }
}

std::vector<std::uint32_t> binarize(const Images& images, std::size_t i, const Preprocess& p) {
  const auto src = images.image(i);
  std::vector<double> values(src.size());
  for (std::size_t k = 0; k < src.size(); ++k) values[k] = src[k] / images.max_value;
  const auto [w, h] = output_size(images, p);
  if (w != images.width || h != images.height)
    values = rescale(values, images.width, images.height, w, h);
  std::vector<std::uint8_t> on(values.size());
  for (std::size_t k = 0; k < values.size(); ++k) on[k] = values[k] >= p.threshold ? 1 : 0;
  if (p.skeleton) skeletonize(on, w, h);
  std::vector<std::uint32_t> out;
  for (std::size_t k = 0; k < on.size(); ++k)
    if (on[k]) out.push_back(static_cast<std::uint32_t>(k));
  return out;
}

}  // namespace engram::models::sparsey
