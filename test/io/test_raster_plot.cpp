// Raster plots: the three output formats, marks where the spikes are and nowhere else, and the
// errors of bad options, bad bands and unwritable paths. Positions are checked against the
// figure itself: spikes at the window's corners show where time and neuron ids land, so the
// tests do not depend on the margins chosen by the layout.
#include <cairo.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "engine/error.hpp"
#include "io/raster_plot.hpp"
#include "test/support.hpp"

namespace fs = std::filesystem;
using engram::io::plot_raster;
using engram::io::RasterBand;
using engram::io::RasterOptions;

namespace {

using engram::test::TempDir;

// A PNG read back as grey levels (0 black … 255 white).
struct Image {
  int width = 0, height = 0;
  std::vector<int> grey;
  int at(int x, int y) const { return grey[static_cast<std::size_t>(y) * width + x]; }
  bool dark(int x, int y) const { return at(x, y) < 96; }
};

Image read_png(const fs::path& path) {
  std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> surface(
      cairo_image_surface_create_from_png(path.c_str()), &cairo_surface_destroy);
  REQUIRE(cairo_surface_status(surface.get()) == CAIRO_STATUS_SUCCESS);
  const cairo_format_t format = cairo_image_surface_get_format(surface.get());
  REQUIRE((format == CAIRO_FORMAT_RGB24 || format == CAIRO_FORMAT_ARGB32));
  Image image;
  image.width = cairo_image_surface_get_width(surface.get());
  image.height = cairo_image_surface_get_height(surface.get());
  const int stride = cairo_image_surface_get_stride(surface.get());
  const unsigned char* data = cairo_image_surface_get_data(surface.get());
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x) {
      std::uint32_t pixel;
      std::memcpy(&pixel, data + static_cast<std::size_t>(y) * stride + 4 * x, 4);
      const int r = (pixel >> 16) & 0xff, g = (pixel >> 8) & 0xff, b = pixel & 0xff;
      image.grey.push_back((r * 299 + g * 587 + b * 114) / 1000);
    }
  return image;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Connected groups (8-neighbourhood) of the pixels where `with` is dark and `without` is not:
// the marks, one group per isolated spike.
struct Mark {
  double x = 0, y = 0;  // centroid
  int pixels = 0;
};

std::vector<Mark> marks(const Image& with, const Image& without, int* light_changes) {
  const int w = with.width, h = with.height;
  std::vector<char> changed(static_cast<std::size_t>(w) * h, 0);
  *light_changes = 0;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      if (with.at(x, y) == without.at(x, y)) continue;
      if (with.dark(x, y))
        changed[static_cast<std::size_t>(y) * w + x] = 1;
      else
        ++*light_changes;
    }
  std::vector<Mark> found;
  for (int y0 = 0; y0 < h; ++y0)
    for (int x0 = 0; x0 < w; ++x0) {
      if (!changed[static_cast<std::size_t>(y0) * w + x0]) continue;
      Mark m;
      std::vector<std::pair<int, int>> stack{{x0, y0}};
      changed[static_cast<std::size_t>(y0) * w + x0] = 0;
      while (!stack.empty()) {
        const auto [x, y] = stack.back();
        stack.pop_back();
        m.x += x;
        m.y += y;
        ++m.pixels;
        for (int dy = -1; dy <= 1; ++dy)
          for (int dx = -1; dx <= 1; ++dx) {
            const int nx = x + dx, ny = y + dy;
            if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
            char& c = changed[static_cast<std::size_t>(ny) * w + nx];
            if (c) {
              c = 0;
              stack.emplace_back(nx, ny);
            }
          }
      }
      m.x /= m.pixels;
      m.y /= m.pixels;
      found.push_back(m);
    }
  std::sort(found.begin(), found.end(), [](const Mark& a, const Mark& b) { return a.x < b.x; });
  return found;
}

std::vector<RasterBand> two_bands() {
  // exc: spikes at the window's corners (t 0, neuron 0; t 100, neuron 19) and two inside;
  // one: a single neuron, which must stay visible beside 20.
  return {{"exc", 20, {0.0, 30.0, 60.0, 100.0}, {0, 5, 12, 19}}, {"one", 1, {50.0}, {0}}};
}

std::vector<RasterBand> without_spikes(std::vector<RasterBand> bands) {
  for (auto& b : bands) {
    b.times.clear();
    b.ids.clear();
  }
  return bands;
}

RasterOptions window(double from, double to) {
  RasterOptions o;
  o.from = from;
  o.to = to;
  o.width = 800;
  o.height = 500;
  return o;
}

}  // namespace

TEST_CASE("a raster PNG has the requested size and a mark at each spike, nowhere else", "[plot]") {
  TempDir dir;
  RasterOptions options = window(0.0, 100.0);
  options.title = "two populations";
  const fs::path with = dir.path / "with.png", without = dir.path / "without.png";
  plot_raster(two_bands(), with, options);
  plot_raster(without_spikes(two_bands()), without, options);
  REQUIRE(fs::file_size(with) > 0);

  const Image a = read_png(with), b = read_png(without);
  CHECK(a.width == 800);
  CHECK(a.height == 500);
  CHECK(a.at(0, 0) == 255);  // white background

  int light_changes = 0;
  const std::vector<Mark> m = marks(a, b, &light_changes);
  CHECK(light_changes == 0);  // marks are black; nothing else differs
  REQUIRE(m.size() == 5);  // in time order: exc 0 @0, exc 5 @30, one 0 @50, exc 12 @60, exc 19 @100

  // The corner spikes give the axes' scales; the others must lie on them.
  const double x0 = m[0].x, x100 = m[4].x;
  const double y_id0 = m[0].y, y_id19 = m[4].y;
  CHECK(x100 - x0 > 600);  // the plot area takes most of the width
  CHECK(y_id19 < y_id0);   // neuron 0 at the bottom of its band
  auto x_at = [&](double t) { return x0 + t / 100.0 * (x100 - x0); };
  auto y_at = [&](double id) { return y_id0 + id / 19.0 * (y_id19 - y_id0); };
  CHECK(m[1].x == Approx(x_at(30)).margin(1.5));
  CHECK(m[1].y == Approx(y_at(5)).margin(1.5));
  CHECK(m[3].x == Approx(x_at(60)).margin(1.5));
  CHECK(m[3].y == Approx(y_at(12)).margin(1.5));
  CHECK(m[2].x == Approx(x_at(50)).margin(1.5));
  CHECK(m[2].y > y_id0 + 5);  // the 1-neuron band lies below the 20-neuron one
  for (const Mark& mark : m) CHECK(mark.pixels >= 2);

  // Where no spike is: the middle of the exc band at 80 ms is white.
  CHECK(a.at(static_cast<int>(x_at(80)), static_cast<int>(y_at(9))) > 200);
  CHECK(a.dark(static_cast<int>(std::lround(m[1].x)), static_cast<int>(std::lround(m[1].y))));
}

TEST_CASE("a dense raster draws 1-pixel marks in the spike's column only", "[plot]") {
  TempDir dir;
  // 2000 neurons in a few hundred pixels, each firing at 10, 30, 50, 70 and 90 ms: five
  // columns dark from the top of the band to its bottom. Single spikes at 0 and 100 ms give
  // the time scale.
  RasterBand dense{"dense", 2000, {}, {}};
  for (double t : {10.0, 30.0, 50.0, 70.0, 90.0})
    for (std::uint64_t id = 0; id < 2000; ++id) {
      dense.times.push_back(t);
      dense.ids.push_back(id);
    }
  dense.times.insert(dense.times.end(), {0.0, 100.0});
  dense.ids.insert(dense.ids.end(), {1000, 1000});
  const RasterOptions options = window(0.0, 100.0);
  plot_raster({dense}, dir.path / "dense.png", options);
  plot_raster(without_spikes({dense}), dir.path / "empty.png", options);
  const Image a = read_png(dir.path / "dense.png"), b = read_png(dir.path / "empty.png");
  int light_changes = 0;
  const std::vector<Mark> m = marks(a, b, &light_changes);
  CHECK(light_changes == 0);
  REQUIRE(m.size() == 7);
  CHECK(m[0].pixels == 1);  // one spike, one pixel
  CHECK(m[6].pixels == 1);
  const int column = static_cast<int>(std::lround(m[3].x));  // 50 ms
  CHECK(column == static_cast<int>(std::lround((m[0].x + m[6].x) / 2)));
  CHECK(m[3].pixels > 300);  // the band's full height, one pixel wide
  for (int y = 0; y < a.height; ++y)
    if (a.dark(column, y) && !b.dark(column, y)) {
      CHECK(!a.dark(column - 1, y));
      CHECK(!a.dark(column + 1, y));
    }
}

TEST_CASE("raster plots are written as SVG and PDF too, from the extension", "[plot]") {
  TempDir dir;
  const RasterOptions options = window(0.0, 100.0);
  for (const char* name : {"r.svg", "r.pdf", "r.PNG"}) {
    INFO(name);
    const fs::path out = dir.path / name;
    plot_raster(two_bands(), out, options);
    REQUIRE(fs::exists(out));
    CHECK(fs::file_size(out) > 0);
  }
  CHECK(read_bytes(dir.path / "r.svg").find("<svg") != std::string::npos);
  CHECK(read_bytes(dir.path / "r.pdf").rfind("%PDF", 0) == 0);
  CHECK(read_bytes(dir.path / "r.PNG").substr(1, 3) == "PNG");
  CHECK(read_png(dir.path / "r.PNG").width == 800);
}

TEST_CASE("a raster without spikes still draws its axes", "[plot]") {
  TempDir dir;
  const fs::path out = dir.path / "empty.png";
  plot_raster(without_spikes(two_bands()), out, window(0.0, 100.0));
  const Image a = read_png(out);
  int dark = 0;
  for (int v : a.grey) dark += v < 96;
  CHECK(dark > 500);  // axes, ticks and labels
}

TEST_CASE("the window and the populations select what is drawn", "[plot]") {
  TempDir dir;
  RasterOptions options = window(0.0, 100.0);
  options.populations = {"one"};
  plot_raster(two_bands(), dir.path / "one.png", options);
  plot_raster(without_spikes(two_bands()), dir.path / "one_empty.png", options);
  int light_changes = 0;
  CHECK(marks(read_png(dir.path / "one.png"), read_png(dir.path / "one_empty.png"), &light_changes)
            .size() == 1);

  // 40–70 ms holds the spikes at 50 and 60 ms only.
  options = window(40.0, 70.0);
  plot_raster(two_bands(), dir.path / "w.png", options);
  plot_raster(without_spikes(two_bands()), dir.path / "w_empty.png", options);
  CHECK(marks(read_png(dir.path / "w.png"), read_png(dir.path / "w_empty.png"), &light_changes)
            .size() == 2);
}

TEST_CASE("bad raster options throw InputError and write nothing", "[plot]") {
  TempDir dir;
  const fs::path out = dir.path / "bad.png";

  RasterOptions options = window(0.0, 100.0);
  options.populations = {"exc", "onee"};
  try {
    plot_raster(two_bands(), out, options);
    FAIL("an unknown population was accepted");
  } catch (const engram::InputError& e) {
    CHECK_THAT(e.diagnostics().at(0).message,
               Catch::Contains("\"onee\"") && Catch::Contains("did you mean \"one\""));
  }
  options.populations = {"exc", "exc"};
  CHECK_THROWS_AS(plot_raster(two_bands(), out, options), engram::InputError);

  CHECK_THROWS_AS(plot_raster(two_bands(), out, window(50.0, 50.0)), engram::InputError);
  CHECK_THROWS_AS(plot_raster(two_bands(), out, window(60.0, 10.0)), engram::InputError);
  options = {};  // no end given and no spike to end at
  CHECK_THROWS_AS(plot_raster(without_spikes(two_bands()), out, options), engram::InputError);
  options = window(0.0, 100.0);
  options.width = 10;
  CHECK_THROWS_AS(plot_raster(two_bands(), out, options), engram::InputError);
  CHECK_THROWS_AS(plot_raster(two_bands(), dir.path / "bad.jpg", window(0, 100)),
                  engram::InputError);
  CHECK_THROWS_AS(plot_raster(two_bands(), dir.path / "bad", window(0, 100)), engram::InputError);

  std::vector<RasterBand> bands = two_bands();
  bands[0].ids[1] = 20;  // not below the size
  CHECK_THROWS_AS(plot_raster(bands, out, window(0, 100)), engram::InputError);
  bands = two_bands();
  bands[1].ids.push_back(0);  // more ids than times
  CHECK_THROWS_AS(plot_raster(bands, out, window(0, 100)), engram::InputError);

  // More bands than the height can show at their minimum height.
  std::vector<RasterBand> many;
  for (int i = 0; i < 60; ++i)
    many.push_back({std::string(1, 'p').append(std::to_string(i)), 1, {}, {}});
  CHECK_THROWS_AS(plot_raster(many, out, window(0, 100)), engram::InputError);

  CHECK(!fs::exists(out));
  CHECK(!fs::exists(dir.path / "bad.jpg"));
}

TEST_CASE("a raster plot that cannot be written throws IoError", "[plot]") {
  TempDir dir;
  for (const char* name : {"missing/r.png", "missing/r.svg", "missing/r.pdf"}) {
    INFO(name);
    CHECK_THROWS_AS(plot_raster(two_bands(), dir.path / name, window(0, 100)), engram::IoError);
  }
  fs::create_directories(dir.path / "dir.png");  // a directory in the way
  CHECK_THROWS_AS(plot_raster(two_bands(), dir.path / "dir.png", window(0, 100)), engram::IoError);
}

namespace {

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs `engram <arguments>` in `dir`; returns the exit status, stderr in *err.
int engram_cli(const TempDir& dir, const std::string& arguments, std::string* err) {
  const fs::path err_file = dir.path / "stderr.txt";
  const std::string command = "cd " + quote(dir.path.string()) + " && " + quote(ENGRAM_CLI) + " " +
                              arguments + " >/dev/null 2>" + quote(err_file.string()) +
                              " </dev/null";
  const int raw = std::system(command.c_str());
  *err = read_bytes(err_file);
  return raw != -1 && WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
}

}  // namespace

TEST_CASE("engram plot draws a spike file and refuses bad requests with status 2", "[plot]") {
  TempDir dir;
  const std::string chain =
      quote((fs::path(ENGRAM_SOURCE_DIR) / "examples" / "small_chain.json").string());
  std::string err;
  REQUIRE(engram_cli(dir, "run -q " + chain + " -o chain.h5", &err) == 0);

  CHECK(engram_cli(dir, "plot chain.h5 -o chain.png --title 'small chain'", &err) == 0);
  CHECK(fs::file_size(dir.path / "chain.png") > 0);
  CHECK(engram_cli(dir, "plot chain.h5 -o part.svg --populations stopper,chain --from 5 --to 60",
                   &err) == 0);
  CHECK(fs::file_size(dir.path / "part.svg") > 0);

  CHECK(engram_cli(dir, "plot chain.h5 -o x.png --populations chian", &err) == 2);
  CHECK_THAT(err, Catch::Contains("did you mean \"chain\""));
  CHECK(engram_cli(dir, "plot chain.h5 -o x.png --from 60 --to 10", &err) == 2);
  CHECK(engram_cli(dir, "plot chain.h5 -o x.png --from 80", &err) == 2);  // at the end
  CHECK(engram_cli(dir, "plot chain.h5 -o x.gif", &err) == 2);
  CHECK(engram_cli(dir, "plot missing.h5 -o x.png", &err) == 2);
  CHECK(engram_cli(dir, "plot chain.h5 -o no/such/dir/x.png", &err) == 2);
  CHECK(!fs::exists(dir.path / "x.png"));

  // The source fires first at 10 ms: 5 ms of the chain hold no spike at all.
  REQUIRE(engram_cli(dir, "run -q " + chain + " --duration 5 -o quiet.h5", &err) == 0);
  CHECK(engram_cli(dir, "plot quiet.h5 -o quiet.pdf", &err) == 0);
  CHECK(fs::file_size(dir.path / "quiet.pdf") > 0);
}
