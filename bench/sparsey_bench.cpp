// Sparsey benchmarks (docs/models/sparsey.md):
//
//   sparsey_bench fixed-time [--items N]
//       one mac (Q 10, K 8, 10,000 input features, 20 active) learns N random inputs (default
//       10,050), each learn step timed alone; prints the median step time around the 100th
//       and the 10,000th item (items 50–149 and 9,950–10,049), best of three runs, and their
//       ratio. A Sparsey learn step must not slow down as items accumulate.
//   sparsey_bench overlap [--csv FILE] [--png FILE]
//       similar inputs → similar codes: a mac stores 40 random inputs; probes sharing 0, 2,
//       ..., 20 of a stored input's 20 features (the rest new) are presented to copies of the
//       mac, under learning (CSA draw) and recognition (max V); prints the mean fraction of
//       the stored code each probe's code keeps, over 8 macs × 10 stored inputs, and draws it
//       (docs/figures/sparsey_overlap.png).
#include <cairo.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/random.hpp"
#include "models/sparsey/mac.hpp"

namespace {

using namespace engram;
using namespace engram::models::sparsey;

std::vector<std::uint32_t> random_input(Stream& s, std::uint32_t first, std::uint32_t range,
                                        std::uint32_t count) {
  std::set<std::uint32_t> picked;
  while (picked.size() < count) picked.insert(first + static_cast<std::uint32_t>(s.below(range)));
  return {picked.begin(), picked.end()};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int fixed_time(std::size_t items) {
  if (items < 10050) {
    std::fprintf(stderr, "fixed-time: --items must be at least 10050\n");
    return 2;
  }
  MacParams params;
  params.freeze = 1.0;  // keep learning whatever the saturation
  double best_early = 1e9, best_late = 1e9, saturation = 0.0;
  for (int run = 0; run < 3; ++run) {
    Mac mac(params, 10000, 0, 0, static_cast<std::uint64_t>(run + 1), 0);
    Stream s(static_cast<std::uint64_t>(run + 1), Purpose::test, 0, 0, 0);
    std::vector<std::vector<std::uint32_t>> inputs;
    for (std::size_t i = 0; i < items; ++i) inputs.push_back(random_input(s, 0, 10000, 20));
    std::vector<double> ns(items);
    for (std::size_t i = 0; i < items; ++i) {
      Inputs in;
      in.u = inputs[i];
      const auto t0 = std::chrono::steady_clock::now();
      const Frame f = mac.learn(in);
      const auto t1 = std::chrono::steady_clock::now();
      if (!f.active) return 1;
      ns[i] = std::chrono::duration<double, std::nano>(t1 - t0).count();
    }
    best_early = std::min(best_early, median({ns.begin() + 49, ns.begin() + 149}));
    best_late = std::min(best_late, median({ns.begin() + 9949, ns.begin() + 10049}));
    saturation = mac.saturation();
  }
  std::printf("learn step, item ~100:    %.0f ns (median of items 50-149, best of 3 runs)\n",
              best_early);
  std::printf("learn step, item ~10,000: %.0f ns (median of items 9,950-10,049)\n", best_late);
  std::printf("ratio late/early:         %.3f\n", best_late / best_early);
  std::printf("weights set at the end:   %.1f%%\n", 100.0 * saturation);
  return 0;
}

struct Curve {
  std::vector<double> shared;  // input overlap fraction
  std::vector<double> learn, recognise;
};

Curve measure_overlap() {
  Curve c;
  const std::uint32_t active = 20, q = MacParams{}.q;
  for (std::uint32_t k = 0; k <= active; k += 2) c.shared.push_back(double(k) / active);
  c.learn.assign(c.shared.size(), 0.0);
  c.recognise.assign(c.shared.size(), 0.0);
  int trials = 0;
  for (std::uint32_t seed = 1; seed <= 8; ++seed) {
    Mac mac(MacParams{}, 3000, 0, 0, seed, 0);
    Stream s(seed, Purpose::test, 1, 0, 0);
    std::vector<std::vector<std::uint32_t>> items, codes;
    for (int i = 0; i < 40; ++i) {
      items.push_back(random_input(s, 0, 1000, active));
      Inputs in;
      in.u = items.back();
      codes.push_back(mac.learn(in).code);
    }
    for (int b = 0; b < 10; ++b, ++trials) {
      const auto fresh = random_input(s, 1000, 2000, active);
      for (std::size_t level = 0; level < c.shared.size(); ++level) {
        const auto k = static_cast<std::ptrdiff_t>(2 * level);
        std::vector<std::uint32_t> probe(items[b].begin(), items[b].begin() + k);
        probe.insert(probe.end(), fresh.begin() + k, fresh.end());
        std::sort(probe.begin(), probe.end());
        Inputs in;
        in.u = probe;
        for (int mode = 0; mode < 2; ++mode) {
          Mac copy = mac;
          const Frame f = mode == 0 ? copy.learn(in) : copy.recognise(in);
          double same = 0.0;
          for (std::uint32_t m = 0; m < q; ++m) same += f.code[m] == codes[b][m];
          (mode == 0 ? c.learn : c.recognise)[level] += same / q;
        }
      }
    }
  }
  for (std::size_t i = 0; i < c.shared.size(); ++i) {
    c.learn[i] /= trials;
    c.recognise[i] /= trials;
  }
  return c;
}

// Code overlap against input overlap, both as fractions, with the chance level 1/K.
bool draw(const Curve& c, const std::string& path) {
  const int w = 640, h = 480;
  const double left = 80, right = 610, top = 40, bottom = 420;
  std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> surface(
      cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h), cairo_surface_destroy);
  std::unique_ptr<cairo_t, decltype(&cairo_destroy)> cr_owner(cairo_create(surface.get()),
                                                              cairo_destroy);
  cairo_t* cr = cr_owner.get();
  auto x_of = [&](double x) { return left + x * (right - left); };
  auto y_of = [&](double y) { return bottom - y * (bottom - top); };
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, 13);
  cairo_set_line_width(cr, 1);
  for (int i = 0; i <= 5; ++i) {  // grid and tick labels
    const double v = i / 5.0;
    cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
    cairo_move_to(cr, left, y_of(v));
    cairo_line_to(cr, right, y_of(v));
    cairo_move_to(cr, x_of(v), top);
    cairo_line_to(cr, x_of(v), bottom);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    char label[16];
    std::snprintf(label, sizeof label, "%.1f", v);
    cairo_move_to(cr, left - 30, y_of(v) + 4);
    cairo_show_text(cr, label);
    cairo_move_to(cr, x_of(v) - 9, bottom + 18);
    cairo_show_text(cr, label);
  }
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_rectangle(cr, left, top, right - left, bottom - top);
  cairo_stroke(cr);
  cairo_move_to(cr, left + 120, bottom + 44);
  cairo_show_text(cr, "input overlap (fraction of the stored input's features)");
  cairo_save(cr);
  cairo_move_to(cr, 24, bottom - 60);
  cairo_rotate(cr, -M_PI / 2);
  cairo_show_text(cr, "code overlap (fraction of the stored code's CMs)");
  cairo_restore(cr);
  cairo_move_to(cr, left, 24);
  cairo_show_text(cr, "Sparsey mac, Q = 10, K = 8: similar inputs get similar codes");

  const double chance = 1.0 / MacParams{}.k;
  cairo_set_source_rgb(cr, 0.5, 0.5, 0.5);
  const double dash[] = {5.0, 4.0};
  cairo_set_dash(cr, dash, 2, 0);
  cairo_move_to(cr, x_of(0), y_of(chance));
  cairo_line_to(cr, x_of(1), y_of(chance));
  cairo_stroke(cr);
  cairo_set_dash(cr, nullptr, 0, 0);
  cairo_move_to(cr, x_of(0.02), y_of(chance) - 6);
  cairo_show_text(cr, "chance (1/K)");

  auto series = [&](const std::vector<double>& y, double r, double g, double b, const char* name,
                    double legend_y) {
    cairo_set_source_rgb(cr, r, g, b);
    cairo_set_line_width(cr, 2);
    for (std::size_t i = 0; i < y.size(); ++i)
      (i ? cairo_line_to : cairo_move_to)(cr, x_of(c.shared[i]), y_of(y[i]));
    cairo_stroke(cr);
    for (std::size_t i = 0; i < y.size(); ++i) {
      cairo_arc(cr, x_of(c.shared[i]), y_of(y[i]), 3.5, 0, 2 * M_PI);
      cairo_fill(cr);
    }
    cairo_move_to(cr, left + 20, legend_y);
    cairo_line_to(cr, left + 45, legend_y);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_move_to(cr, left + 52, legend_y + 4);
    cairo_show_text(cr, name);
  };
  series(c.learn, 0.85, 0.33, 0.1, "learning (CSA draw from rho)", top + 22);
  series(c.recognise, 0.1, 0.35, 0.75, "recognition (max V per CM)", top + 42);
  return cairo_surface_write_to_png(surface.get(), path.c_str()) == CAIRO_STATUS_SUCCESS;
}

int overlap(const std::string& csv, const std::string& png) {
  const Curve c = measure_overlap();
  std::printf("input_overlap  code_overlap_learn  code_overlap_recognise\n");
  for (std::size_t i = 0; i < c.shared.size(); ++i)
    std::printf("%13.2f  %18.3f  %22.3f\n", c.shared[i], c.learn[i], c.recognise[i]);
  if (!csv.empty()) {
    std::ofstream out(csv);
    out << "input_overlap,code_overlap_learn,code_overlap_recognise\n";
    for (std::size_t i = 0; i < c.shared.size(); ++i)
      out << c.shared[i] << ',' << c.learn[i] << ',' << c.recognise[i] << '\n';
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", csv.c_str());
      return 1;
    }
  }
  if (!png.empty() && !draw(c, png)) {
    std::fprintf(stderr, "cannot write %s\n", png.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  std::size_t items = 10050;
  std::string csv, png;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--items") == 0)
      items = std::stoul(argv[i + 1]);
    else if (std::strcmp(argv[i], "--csv") == 0)
      csv = argv[i + 1];
    else if (std::strcmp(argv[i], "--png") == 0)
      png = argv[i + 1];
  }
  if (mode == "fixed-time") return fixed_time(items);
  if (mode == "overlap") return overlap(csv, png);
  std::fprintf(stderr,
               "usage: sparsey_bench fixed-time [--items N]\n"
               "       sparsey_bench overlap [--csv FILE] [--png FILE]\n");
  return 2;
}
