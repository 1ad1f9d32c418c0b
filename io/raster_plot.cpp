// Raster plots drawn with cairo; the figure's layout is described in raster_plot.hpp.
//
// Coordinates are figure units (pixels for PNG, points for SVG/PDF). Every edge of the layout
// is rounded to a whole unit and lines are placed on half units when their width is odd, so
// the PNG has crisp axes and 1-pixel marks fall on exact pixels.
#include "io/raster_plot.hpp"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>
#include <span>
#include <utility>

#include "engine/error.hpp"

namespace engram::io {

namespace {

namespace fs = std::filesystem;

constexpr int kMinSide = 100, kMaxSide = 20000;

struct SurfaceDeleter {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct ContextDeleter {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
};
using SurfacePtr = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;
using ContextPtr = std::unique_ptr<cairo_t, ContextDeleter>;

cairo_status_t append_bytes(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

struct BandHeader {
  std::string name;
  std::uint64_t size = 0;
};

struct Window {
  double from = 0.0, to = 0.0;
};

// The smallest of 1, 2, 5 × 10^k not below raw (> 0).
double nice_step(double raw) {
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / magnitude;
  const double nice = f <= 1.0 + 1e-9 ? 1.0 : f <= 2.0 + 1e-9 ? 2.0 : f <= 5.0 + 1e-9 ? 5.0 : 10.0;
  return nice * magnitude;
}

// The largest of 1, 2, 5 × 10^k not above raw (>= 1).
double nice_step_below(double raw) {
  const double up = nice_step(raw);
  if (up <= raw * (1 + 1e-9)) return up;
  const double magnitude = std::pow(10.0, std::floor(std::log10(up) + 1e-9));
  const double lead = std::round(up / magnitude);  // 1, 2 or 5
  return lead == 1.0 ? magnitude / 2 : lead == 2.0 ? magnitude : 2 * magnitude;
}

// As many decimals as the step needs: 0.5 → "2.5", 50 → "250".
std::string tick_label(double value, double step) {
  const int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
  return fmt::format("{:.{}f}", value + 0.0, decimals);  // + 0.0 turns -0 into 0
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

void check_options(const RasterOptions& options) {
  Diagnostics problems;
  auto side = [&](const char* what, int value) {
    if (value < kMinSide || value > kMaxSide)
      problems.add("", fmt::format("figure {} {} is out of range: expected {} to {}", what, value,
                                   kMinSide, kMaxSide));
  };
  side("width", options.width);
  side("height", options.height);
  if (options.from && !std::isfinite(*options.from))
    problems.add("", fmt::format("time window start {} ms is not a finite number", *options.from));
  if (options.to && !std::isfinite(*options.to))
    problems.add("", fmt::format("time window end {} ms is not a finite number", *options.to));
  problems.throw_if_any();
}

// The populations to draw, in band order: all of `available`, or those asked for.
std::vector<std::string> select_populations(const std::vector<std::string>& available,
                                            const std::vector<std::string>& asked) {
  if (asked.empty()) return available;
  Diagnostics problems;
  for (std::size_t i = 0; i < asked.size(); ++i) {
    const std::string& name = asked[i];
    if (std::find(available.begin(), available.end(), name) == available.end())
      problems.add("", fmt::format("unknown population \"{}\"{}; there are: {}", name,
                                   did_you_mean(name, available), join(available)));
    else if (std::find(asked.begin(), asked.begin() + i, name) != asked.begin() + i)
      problems.add("", fmt::format("population \"{}\" is asked for twice", name));
  }
  problems.throw_if_any();
  return asked;
}

// `to` defaults to the end of the recording (`end`, when known).
Window make_window(const RasterOptions& options, std::optional<double> end) {
  Window w;
  w.from = options.from.value_or(0.0);
  if (options.to) {
    w.to = *options.to;
    if (w.to <= w.from)
      throw InputError("", fmt::format("the time window from {:g} ms to {:g} ms is empty: its "
                                       "start must come before its end",
                                       w.from, w.to));
    return w;
  }
  if (!end)
    throw InputError("", "there is no spike to end the time window at: give its end explicitly");
  w.to = *end;
  if (w.to <= w.from)
    throw InputError("", fmt::format("the time window from {:g} ms to the end of the recording at "
                                     "{:g} ms is empty: give its end explicitly",
                                     w.from, w.to));
  return w;
}

class Figure {
 public:
  Figure(std::vector<BandHeader> bands, Window window, const RasterOptions& options,
         PlotFormat format);
  Figure(const Figure&) = delete;
  Figure& operator=(const Figure&) = delete;

  // Checks every id against the band's size, then draws the spikes that fall in the window.
  void draw_spikes(std::size_t band, std::span<const double> times,
                   std::span<const std::uint64_t> ids);
  // Writes the figure to `out` in one go; IoError if that fails (no partial file is left).
  void write(const fs::path& out);

 private:
  struct Band {
    BandHeader header;
    int top = 0, height = 0;    // figure units
    std::vector<double> ticks;  // neuron ids
    double tick_step = 1.0;
  };

  void set_font(double size, bool bold = false);
  double text_width(const std::string& s);
  // Draws s with its left (align 0), centre (0.5) or right (1) end at x and the middle of a
  // digit's height at y, so labels line up with the ticks they name.
  void text(const std::string& s, double x, double y, double align);
  void layout();
  void draw_frame();
  double x_of(double t) const {
    return left_ + (t - window_.from) / (window_.to - window_.from) * (right_ - left_);
  }
  double crisp(double v) const { return line_ % 2 ? std::floor(v) + 0.5 : std::round(v); }

  std::vector<Band> bands_;
  Window window_;
  RasterOptions options_;
  PlotFormat format_;
  std::string vector_bytes_;  // SVG/PDF output, filled by cairo as it goes
  SurfacePtr surface_;
  ContextPtr cr_;

  double font_ = 12.0;                               // base font size
  double digit_ = 9.0;                               // height of a digit at the base size
  int line_ = 1;                                     // axis line width
  double tick_len_ = 4;                              // outward tick length
  int gap_ = 0;                                      // between bands
  int left_ = 0, right_ = 0, top_ = 0, bottom_ = 0;  // plot area
  double name_right_ = 0, tick_label_right_ = 0;
  std::vector<double> x_ticks_;
  double x_step_ = 1.0;
};

Figure::Figure(std::vector<BandHeader> bands, Window window, const RasterOptions& options,
               PlotFormat format)
    : window_(window), options_(options), format_(format) {
  const int w = options.width, h = options.height;
  switch (format) {
    case PlotFormat::png:
      surface_.reset(cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h));
      break;
    case PlotFormat::svg:
      surface_.reset(cairo_svg_surface_create_for_stream(append_bytes, &vector_bytes_, w, h));
      break;
    case PlotFormat::pdf:
      surface_.reset(cairo_pdf_surface_create_for_stream(append_bytes, &vector_bytes_, w, h));
      break;
  }
  cr_.reset(cairo_create(surface_.get()));
  if (cairo_status(cr_.get()) != CAIRO_STATUS_SUCCESS)
    throw IoError(fmt::format("cannot create a {}×{} figure: {}", w, h,
                              cairo_status_to_string(cairo_status(cr_.get()))));
  for (auto& b : bands) bands_.push_back(Band{std::move(b)});
  layout();
  draw_frame();
}

void Figure::set_font(double size, bool bold) {
  cairo_select_font_face(cr_.get(), "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr_.get(), size);
}

double Figure::text_width(const std::string& s) {
  cairo_text_extents_t e;
  cairo_text_extents(cr_.get(), s.c_str(), &e);
  return e.x_advance;
}

void Figure::text(const std::string& s, double x, double y, double align) {
  cairo_text_extents_t e, digit;
  cairo_text_extents(cr_.get(), s.c_str(), &e);
  cairo_text_extents(cr_.get(), "0", &digit);
  cairo_move_to(cr_.get(), x - align * e.x_advance, y + digit.height / 2);
  cairo_show_text(cr_.get(), s.c_str());
}

void Figure::layout() {
  const double w = options_.width, h = options_.height;
  font_ = std::clamp(std::min(w, h) / 55.0, 9.0, 28.0);
  set_font(font_);
  cairo_text_extents_t e;
  cairo_text_extents(cr_.get(), "0", &e);
  digit_ = e.height;
  line_ = std::max(1, static_cast<int>(std::lround(font_ / 14.0)));
  tick_len_ = std::round(font_ * 0.35);
  const double pad = font_;

  // Vertical: title, bands, time axis with its tick labels and name.
  double top = pad * 0.8;
  if (!options_.title.empty()) top += font_ * 1.25 + font_ * 0.8;
  const double bottom = tick_len_ + font_ * 0.45 + digit_ + font_ * 0.8 + font_ + pad * 0.6;
  top_ = static_cast<int>(std::lround(top));
  bottom_ = static_cast<int>(std::lround(h - bottom));

  const std::size_t n = bands_.size();
  gap_ = n > 1 ? static_cast<int>(std::lround(font_ * 0.9)) : 0;
  const double min_band = std::round(font_ * 1.3);
  const double room = bottom_ - top_ - gap_ * static_cast<double>(n ? n - 1 : 0);
  if (n > 0 && room < n * min_band)
    throw InputError(
        "", fmt::format("{} populations do not fit in a figure {} high: give a "
                        "height of at least {}",
                        n, options_.height,
                        options_.height + static_cast<int>(std::ceil(n * min_band - room))));

  // Heights proportional to size; a band below the minimum is held at it and the rest share
  // what remains, until no band is below.
  std::vector<double> height(n, 0.0);
  std::vector<bool> held(n, false);
  for (bool changed = true; changed;) {
    changed = false;
    double free_room = room, weight = 0.0;
    std::size_t free_bands = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (held[i]) {
        free_room -= min_band;
      } else {
        weight += static_cast<double>(bands_[i].header.size);
        ++free_bands;
      }
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (held[i]) {
        height[i] = min_band;
        continue;
      }
      height[i] = weight > 0 ? free_room * static_cast<double>(bands_[i].header.size) / weight
                             : free_room / static_cast<double>(free_bands);
      if (height[i] < min_band) held[i] = changed = true;
    }
  }
  // Whole units, with the rounding error given to the last band so the bands fill the area.
  double y = top_;
  for (std::size_t i = 0; i < n; ++i) {
    Band& b = bands_[i];
    b.top = static_cast<int>(std::lround(y));
    const double end = y + height[i];
    b.height = i + 1 == n ? bottom_ - b.top : static_cast<int>(std::lround(end)) - b.top;
    y = end + gap_;
  }

  // Neuron-id ticks: at most one per three lines of text, only where the label stays within
  // the band and half the gap around it.
  double tick_label_width = 0.0, name_width = 0.0;
  for (Band& b : bands_) {
    name_width = std::max(name_width, text_width(b.header.name));
    const std::uint64_t size = b.header.size;
    if (size == 0) continue;
    const int max_ticks =
        std::clamp(static_cast<int>(std::floor(b.height / (font_ * 3.0))) + 1, 1, 6);
    // A nice step, or the next smaller one when the nice step would leave 0 alone.
    const double last = static_cast<double>(size - 1);
    if (max_ticks < 2 || size == 1) {
      b.tick_step = static_cast<double>(size);
    } else {
      b.tick_step = nice_step(last / (max_ticks - 1));
      if (b.tick_step > last) b.tick_step = nice_step_below(last);
      b.tick_step = std::max(1.0, std::ceil(b.tick_step));
    }
    const double row = static_cast<double>(b.height) / static_cast<double>(size);
    for (double id = 0; id < static_cast<double>(size); id += b.tick_step) {
      const double ty = b.top + b.height - (id + 0.5) * row;
      if (ty - digit_ / 2 < b.top - gap_ / 2.0 || ty + digit_ / 2 > b.top + b.height + gap_ / 2.0)
        continue;
      b.ticks.push_back(id);
      tick_label_width = std::max(tick_label_width, text_width(tick_label(id, 1.0)));
    }
  }

  // Horizontal: band names, tick labels, plot area, room for half the last time label.
  tick_label_right_ = pad * 0.8 + name_width + font_ * 0.8 + tick_label_width;
  name_right_ = pad * 0.8 + name_width;
  left_ = static_cast<int>(std::lround(tick_label_right_ + font_ * 0.35 + tick_len_));
  const double span = window_.to - window_.from;
  auto x_ticks_for = [&](double plot_width) {
    const double sample = text_width(tick_label(window_.to, nice_step(span / 6.0)));
    const double target = std::clamp(std::floor(plot_width / (sample + font_ * 5.0)), 2.0, 8.0);
    x_step_ = nice_step(span / target);
    x_ticks_.clear();
    for (double k = std::ceil(window_.from / x_step_ - 1e-9);
         k * x_step_ <= window_.to + span * 1e-9; k += 1.0)
      x_ticks_.push_back(k * x_step_);
  };
  x_ticks_for(w - left_ - pad * 2);
  double last_label = 0.0;
  for (double t : x_ticks_) last_label = std::max(last_label, text_width(tick_label(t, x_step_)));
  right_ = static_cast<int>(std::lround(w - std::max(pad, last_label / 2 + pad * 0.5)));
  if (right_ - left_ < std::max(50.0, font_ * 6.0))
    throw InputError(
        "", fmt::format("a figure {} wide leaves no room to plot beside the "
                        "population names: give a width of at least {}",
                        options_.width,
                        options_.width + static_cast<int>(std::ceil(std::max(50.0, font_ * 6.0) -
                                                                    (right_ - left_)))));
  x_ticks_for(right_ - left_);
}

void Figure::draw_frame() {
  cairo_t* cr = cr_.get();
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_set_line_width(cr, line_);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);

  if (!options_.title.empty()) {
    cairo_set_source_rgb(cr, 0, 0, 0);
    set_font(font_ * 1.25, true);
    text(options_.title, (left_ + right_) / 2.0, font_ * 0.8 + font_ * 0.5, 0.5);
    set_font(font_);
  }

  // Thin grey rules in the middle of the gaps between bands.
  cairo_set_source_rgb(cr, 0.72, 0.72, 0.72);
  for (std::size_t i = 1; i < bands_.size(); ++i) {
    const double y = crisp((bands_[i - 1].top + bands_[i - 1].height + bands_[i].top) / 2.0);
    cairo_move_to(cr, left_, y);
    cairo_line_to(cr, right_, y);
  }
  cairo_stroke(cr);

  cairo_set_source_rgb(cr, 0, 0, 0);
  const double spine = left_ - line_ / 2.0;  // just left of the plot area
  for (const Band& b : bands_) {
    cairo_move_to(cr, spine, b.top);
    cairo_line_to(cr, spine, b.top + b.height);
    const double row = static_cast<double>(b.height) / static_cast<double>(b.header.size);
    for (double id : b.ticks) {
      const double y = crisp(b.top + b.height - (id + 0.5) * row);
      cairo_move_to(cr, left_ - line_, y);
      cairo_line_to(cr, left_ - line_ - tick_len_, y);
      text(tick_label(id, 1.0), tick_label_right_, y, 1.0);
    }
    text(b.header.name, name_right_, b.top + b.height / 2.0, 1.0);
  }
  // Time axis just below the last band.
  const double axis = bottom_ + line_ / 2.0;
  cairo_move_to(cr, left_ - line_, axis);
  cairo_line_to(cr, right_, axis);
  const double label_y = bottom_ + line_ + tick_len_ + font_ * 0.45 + digit_ / 2;
  for (double t : x_ticks_) {
    const double x = crisp(std::min(x_of(t), right_ - line_ / 2.0));
    cairo_move_to(cr, x, bottom_ + line_);
    cairo_line_to(cr, x, bottom_ + line_ + tick_len_);
    text(tick_label(t, x_step_), x, label_y, 0.5);
  }
  cairo_stroke(cr);
  text("time (ms)", (left_ + right_) / 2.0, label_y + digit_ / 2 + font_ * 0.8 + digit_ / 2, 0.5);
}

void Figure::draw_spikes(std::size_t index, std::span<const double> times,
                         std::span<const std::uint64_t> ids) {
  const Band& b = bands_.at(index);
  const std::uint64_t size = b.header.size;
  if (times.size() != ids.size())
    throw InputError("", fmt::format("population \"{}\" has {} spike times but {} neuron ids",
                                     b.header.name, times.size(), ids.size()));
  std::size_t in_window = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] >= size)
      throw InputError("", fmt::format("population \"{}\" has a spike of neuron {}, but only {} "
                                       "neurons",
                                       b.header.name, ids[i], size));
    if (times[i] >= window_.from && times[i] <= window_.to) ++in_window;
  }
  if (in_window == 0) return;

  cairo_t* cr = cr_.get();
  cairo_set_source_rgb(cr, 0, 0, 0);
  const double row = static_cast<double>(b.height) / static_cast<double>(size);
  const double plot_width = right_ - left_;
  const double tick_width = std::max(1.0, std::round(font_ * 0.12));
  // Ticks where rows are tall enough to tell apart and, on average, a row's ticks stand
  // several tick widths apart.
  const bool sparse = row >= 2.5 && static_cast<double>(in_window) / static_cast<double>(size) *
                                            (tick_width + 2.0) * 2.0 <
                                        plot_width;
  const double bottom = b.top + b.height;
  if (sparse) {
    const double mark = std::round(std::clamp(row * 0.8, 2.0, font_ * 1.2));
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (times[i] < window_.from || times[i] > window_.to) continue;
      const double x = std::clamp(std::round(x_of(times[i]) - tick_width / 2), double(left_),
                                  right_ - tick_width);
      const double y = std::round(bottom - (static_cast<double>(ids[i]) + 0.5) * row - mark / 2);
      cairo_rectangle(cr, x, y, tick_width, mark);
    }
    cairo_fill(cr);
    return;
  }
  // Otherwise marks on whole units, one per occupied cell: many spikes share a cell in a dense
  // band, and drawing each cell once (joined into runs along a row) keeps SVG and PDF small.
  // 2×2 dots while they would cover under 5 % of the band, else 1 unit wide, and 1 unit tall
  // where rows are that thin.
  const double area = static_cast<double>(b.height) * plot_width;
  const int mark_width = static_cast<double>(in_window) * 4.0 < 0.05 * area ? 2 : 1;
  const int mark_height = std::max(mark_width, static_cast<int>(std::floor(row * 0.8)));
  const auto columns = static_cast<std::uint64_t>(right_ - left_);
  std::vector<std::uint64_t> cells;
  cells.reserve(in_window);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (times[i] < window_.from || times[i] > window_.to) continue;
    const double x = std::floor(x_of(times[i]) - (mark_width - 1) / 2.0) - left_;
    const double y =
        std::floor(bottom - (static_cast<double>(ids[i]) + 0.5) * row - (mark_height - 1) / 2.0) -
        b.top;
    const auto column =
        static_cast<std::uint64_t>(std::clamp(x, 0.0, static_cast<double>(columns) - mark_width));
    const auto line =
        static_cast<std::uint64_t>(std::clamp(y, 0.0, static_cast<double>(b.height - mark_height)));
    cells.push_back(line * columns + column);
  }
  std::sort(cells.begin(), cells.end());
  cells.erase(std::unique(cells.begin(), cells.end()), cells.end());
  for (std::size_t i = 0; i < cells.size();) {
    std::size_t j = i + 1;
    while (j < cells.size() && cells[j] == cells[j - 1] + 1 && cells[j] % columns != 0) ++j;
    cairo_rectangle(cr, left_ + static_cast<double>(cells[i] % columns),
                    b.top + static_cast<double>(cells[i] / columns),
                    static_cast<double>(j - i + mark_width - 1), mark_height);
    i = j;
  }
  cairo_fill(cr);
}

void Figure::write(const fs::path& out) {
  std::string png_bytes;
  const std::string* bytes = &vector_bytes_;
  cairo_status_t status;
  if (format_ == PlotFormat::png) {
    cairo_surface_flush(surface_.get());
    status = cairo_surface_write_to_png_stream(surface_.get(), append_bytes, &png_bytes);
    bytes = &png_bytes;
  } else {
    cr_.reset();
    cairo_surface_finish(surface_.get());
    status = cairo_surface_status(surface_.get());
  }
  if (status != CAIRO_STATUS_SUCCESS)
    throw IoError(fmt::format("cannot draw {}: {}", out.string(), cairo_status_to_string(status)));

  std::ofstream file(out, std::ios::binary | std::ios::trunc);
  if (!file) throw IoError(fmt::format("cannot write {}: {}", out.string(), std::strerror(errno)));
  file.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
  file.close();
  if (!file) {
    const std::string reason = std::strerror(errno);
    std::error_code ignored;
    fs::remove(out, ignored);
    throw IoError(fmt::format("cannot write {}: {}", out.string(), reason));
  }
}

}  // namespace

PlotFormat plot_format(const fs::path& out) {
  std::string ext = out.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".png") return PlotFormat::png;
  if (ext == ".svg") return PlotFormat::svg;
  if (ext == ".pdf") return PlotFormat::pdf;
  throw InputError("", fmt::format("cannot tell the format of \"{}\" from its extension{}: "
                                   "expected .png, .svg or .pdf",
                                   out.string(), ext.empty() ? "" : " \"" + ext + "\""));
}

void plot_raster(const SonataReader& reader, const fs::path& out, const RasterOptions& options) {
  const PlotFormat format = plot_format(out);
  check_options(options);
  const std::vector<std::string> names =
      select_populations(reader.populations(), options.populations);

  // Sizes come from the file's n_nodes and the window's end from its duration; a file without
  // them costs one extra pass over the selected populations, still one population at a time.
  std::vector<BandHeader> headers;
  bool sizes_known = true;
  for (const auto& name : names) {
    const auto size = reader.population_size(name);
    headers.push_back({name, size.value_or(0)});
    sizes_known = sizes_known && size.has_value();
  }
  std::optional<double> end = reader.duration();
  if (!sizes_known || (!end && !options.to)) {
    for (auto& header : headers) {
      const auto spikes = reader.spikes(header.name);
      if (!reader.population_size(header.name) && !spikes.node_ids.empty())
        header.size = *std::max_element(spikes.node_ids.begin(), spikes.node_ids.end()) + 1;
      if (!spikes.timestamps.empty()) {
        const double last = *std::max_element(spikes.timestamps.begin(), spikes.timestamps.end());
        if (!reader.duration()) end = std::max(end.value_or(last), last);
      }
    }
  }
  Figure figure(std::move(headers), make_window(options, end), options, format);
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto spikes = reader.spikes(names[i]);
    figure.draw_spikes(i, spikes.timestamps, spikes.node_ids);
  }
  figure.write(out);
}

void plot_raster(const std::vector<RasterBand>& bands, const fs::path& out,
                 const RasterOptions& options) {
  const PlotFormat format = plot_format(out);
  check_options(options);
  std::vector<std::string> available;
  for (const auto& b : bands) available.push_back(b.name);
  const std::vector<std::string> names = select_populations(available, options.populations);

  std::vector<const RasterBand*> chosen;
  std::vector<BandHeader> headers;
  std::optional<double> end;
  for (std::size_t i = 0; i < names.size(); ++i) {
    // With no selection every band is drawn, even two of the same name.
    const RasterBand& b = options.populations.empty()
                              ? bands[i]
                              : *std::find_if(bands.begin(), bands.end(), [&](const RasterBand& r) {
                                  return r.name == names[i];
                                });
    chosen.push_back(&b);
    headers.push_back({b.name, b.size});
    if (!b.times.empty()) {
      const double last = *std::max_element(b.times.begin(), b.times.end());
      end = std::max(end.value_or(last), last);
    }
  }
  // Validate every band before drawing any.
  Diagnostics problems;
  for (const RasterBand* b : chosen) {
    if (b->times.size() != b->ids.size())
      problems.add("", fmt::format("population \"{}\" has {} spike times but {} neuron ids",
                                   b->name, b->times.size(), b->ids.size()));
    const auto bad =
        std::find_if(b->ids.begin(), b->ids.end(), [&](std::uint64_t id) { return id >= b->size; });
    if (bad != b->ids.end())
      problems.add("", fmt::format("population \"{}\" has a spike of neuron {}, but only {} "
                                   "neurons",
                                   b->name, *bad, b->size));
  }
  problems.throw_if_any();

  Figure figure(std::move(headers), make_window(options, end), options, format);
  for (std::size_t i = 0; i < chosen.size(); ++i)
    figure.draw_spikes(i, chosen[i]->times, chosen[i]->ids);
  figure.write(out);
}

}  // namespace engram::io
