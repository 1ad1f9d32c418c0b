// Sparsey (shared/models/sparsey.md): the CSA arithmetic, the properties a faithful mac
// shows (single-trial recall, similar inputs to similar codes, idempotent relearning, novel
// inputs unfamiliar), hierarchies, readouts, data readers, model files, the CLI, and the
// hosted mac against the C++ API.
#include <sys/wait.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <numeric>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/backend.hpp"
#include "engine/error.hpp"
#include "engine/neurons/sparsey_mac.hpp"
#include "hardware/spinnaker_backend.hpp"
#include "models/sparsey/data.hpp"
#include "models/sparsey/hierarchy.hpp"
#include "models/sparsey/mac.hpp"
#include "models/sparsey/model.hpp"
#include "test/support.hpp"

namespace {

using namespace engram;
using namespace engram::models::sparsey;
namespace csa = engram::sparsey;
using engram::test::TempDir;

// `count` distinct random features from [first, first + range), ascending.
std::vector<std::uint32_t> random_input(Stream& s, std::uint32_t first, std::uint32_t range,
                                        std::uint32_t count) {
  std::set<std::uint32_t> picked;
  while (picked.size() < count) picked.insert(first + static_cast<std::uint32_t>(s.below(range)));
  return {picked.begin(), picked.end()};
}

Inputs bottom_up(const std::vector<std::uint32_t>& u) {
  Inputs in;
  in.u = u;
  return in;
}

std::uint32_t overlap(const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b) {
  std::uint32_t n = 0;
  for (std::size_t i = 0; i < a.size(); ++i) n += a[i] == b[i];
  return n;
}

TEST_CASE("CSA arithmetic: η, μ and ρ", "[sparsey]") {
  const csa::CsaParams p;
  CHECK(csa::expansivity(0.0, 8, p) == 1.0);
  CHECK(csa::expansivity(p.g_minus, 8, p) == 1.0);  // at and below G⁻ the code is random
  CHECK(csa::expansivity(1.0, 8, p) == Approx(801.0).epsilon(1e-12));
  CHECK(csa::expansivity(0.55, 8, p) == Approx(1.0 + 0.25 * 800.0).epsilon(1e-12));

  // G = 0: η = 1, so μ = 1 and ρ is uniform whatever V.
  const std::vector<double> v = {0.0, 0.3, 0.9, 1.0, 0.5, 0.2, 0.0, 0.7};
  std::vector<double> rho(8);
  csa::probabilities(v, csa::expansivity(0.0, 8, p), p, rho);
  for (double r : rho) CHECK(r == Approx(1.0 / 8).epsilon(1e-12));

  // ρ sums to 1 for any η, and μ rises with V (from 1 towards η).
  for (double eta : {1.0, 5.0, 801.0}) {
    csa::probabilities(v, eta, p, rho);
    CHECK(std::accumulate(rho.begin(), rho.end(), 0.0) == Approx(1.0).epsilon(1e-12));
  }
  double last = 0.0;
  for (int i = 0; i <= 20; ++i) {
    const double mu = csa::sigmoid_mu(i / 20.0, 801.0, p);
    CHECK(mu > last);
    CHECK(mu >= 1.0);
    CHECK(mu <= 801.0);
    last = mu;
  }
  CHECK(csa::sigmoid_mu(1.0, 801.0, p) == Approx(1.0 + 800.0 / (1.0 + 1e-8)).epsilon(1e-12));

  // G is the mean of the CMs' maxima.
  const std::vector<double> two = {0.2, 1.0, 0.5, 0.25};
  CHECK(csa::familiarity(two, 2, 2) == Approx(0.75));
}

TEST_CASE("single-trial recall: 200 stored inputs give G = 1 and their exact codes", "[sparsey]") {
  MacParams params;  // Q 10, K 8
  Mac mac(params, 2000, 0, 0, 7, 3);
  Stream s(11, Purpose::test, 0, 0, 0);
  std::vector<std::vector<std::uint32_t>> inputs, codes;
  for (int i = 0; i < 200; ++i) {
    inputs.push_back(random_input(s, 0, 1900, 20));  // features 1900.. are never used
    const Frame f = mac.learn(bottom_up(inputs.back()));
    REQUIRE(f.active);
    codes.push_back(f.code);
  }
  CHECK_FALSE(mac.frozen());
  for (int i = 0; i < 200; ++i) {
    const Frame f = mac.recognise(bottom_up(inputs[i]));
    INFO("item " << i);
    CHECK(f.g == 1.0);
    CHECK(f.code == codes[i]);
    CHECK(f.weights_changed == 0);
  }
  // An input that overlaps nothing stored.
  const auto novel = random_input(s, 1900, 100, 20);
  CHECK(mac.familiarity(bottom_up(novel)) == 0.0);
  CHECK(mac.recognise(bottom_up(novel)).g == 0.0);
}

TEST_CASE("a novel input gets a uniformly random code", "[sparsey]") {
  // G = 0 gives uniform ρ: over many novel inputs every cell of a CM wins about 1/K of the time.
  MacParams params;
  params.q = 4;
  Mac mac(params, 100000, 0, 0, 3, 0);
  std::vector<int> wins(params.cells(), 0);
  const int n = 4000;
  for (int i = 0; i < n; ++i) {
    // Each input uses features no earlier input used, so G = 0 every time.
    std::vector<std::uint32_t> u(20);
    std::iota(u.begin(), u.end(), static_cast<std::uint32_t>(20 * i));
    const Frame f = mac.learn(bottom_up(u));
    CHECK(f.g == 0.0);
    for (std::uint32_t c : f.cells(params.k)) ++wins[c];
  }
  for (int w : wins) CHECK(std::abs(w - n / 8) < 5 * std::sqrt(n / 8.0));  // 5 σ
}

TEST_CASE("similar inputs get similar codes", "[sparsey]") {
  // Mean code overlap (CMs with the same winner as the stored item's code) against the number
  // of features a probe shares with a stored item, over 6 levels, averaged over macs with
  // different seeds. Each probe is learned by a copy of the mac, so probes do not interact.
  // The sigmoid turns the draw from chance to the stored code between 6 and 10 shared features.
  const std::vector<std::uint32_t> shared_levels = {0, 6, 7, 8, 9, 20};
  std::vector<double> mean(shared_levels.size(), 0.0);
  int trials = 0;
  for (std::uint32_t seed = 1; seed <= 8; ++seed) {
    Mac mac(MacParams{}, 3000, 0, 0, seed, 0);
    Stream s(seed, Purpose::test, 1, 0, 0);
    std::vector<std::vector<std::uint32_t>> items, codes;
    for (int i = 0; i < 40; ++i) {
      items.push_back(random_input(s, 0, 1000, 20));
      codes.push_back(mac.learn(bottom_up(items.back())).code);
    }
    for (int b = 0; b < 10; ++b) {
      const auto fresh = random_input(s, 1000, 2000, 20);  // features no item uses
      for (std::size_t level = 0; level < shared_levels.size(); ++level) {
        std::vector<std::uint32_t> probe(items[b].begin(), items[b].begin() + shared_levels[level]);
        probe.insert(probe.end(), fresh.begin() + shared_levels[level], fresh.end());
        std::sort(probe.begin(), probe.end());
        Mac copy = mac;
        mean[level] += overlap(copy.learn(bottom_up(probe)).code, codes[b]);
      }
      ++trials;
    }
  }
  for (double& m : mean) m /= trials;
  INFO("mean overlaps " << mean[0] << " " << mean[1] << " " << mean[2] << " " << mean[3] << " "
                        << mean[4] << " " << mean[5]);
  for (std::size_t i = 1; i < mean.size(); ++i) CHECK(mean[i] > mean[i - 1]);
  CHECK(mean.front() < 2.5);  // chance: Q/K = 1.25
  CHECK(mean.back() > 9.0);   // nearly the whole code
}

TEST_CASE("relearning a stored input changes no weight", "[sparsey]") {
  // Items stored with the defaults; relearned by a mac with the same weights whose ρ is sharp
  // enough (a steep sigmoid and large χ, so that only cells with V close to 1 have weight) to
  // reinstate the stored code for certain: the same code, nothing set.
  Mac mac(MacParams{}, 2000, 0, 0, 9, 0);
  Stream s(2, Purpose::test, 0, 0, 0);
  std::vector<std::vector<std::uint32_t>> items, codes;
  for (int i = 0; i < 100; ++i) {
    items.push_back(random_input(s, 0, 2000, 20));
    codes.push_back(mac.learn(bottom_up(items.back())).code);
  }
  MacParams sharp;
  sharp.csa.chi = 1e9;
  sharp.csa.sigma2 = 60.0;
  Mac relearner(sharp, 2000, 0, 0, 9, 0);
  std::copy(mac.weights_u().words().begin(), mac.weights_u().words().end(),
            relearner.weights_u().words().begin());
  relearner.restore(mac.frames(), false);
  for (int i = 0; i < 100; ++i) {
    const Frame f = relearner.learn(bottom_up(items[i]));
    CHECK(f.g == 1.0);
    CHECK(f.code == codes[i]);
    CHECK(f.weights_changed == 0);
  }
  CHECK(std::equal(mac.weights_u().words().begin(), mac.weights_u().words().end(),
                   relearner.weights_u().words().begin()));

  // With the default χ (η = 801), each CM reinstates its cell with probability
  // 801 / (801 + Σ μ of the other cells) ≈ 0.99 in an uncrowded mac, and a weight changes
  // exactly when a CM picks another cell.
  std::uint32_t kept = 0;
  for (int i = 0; i < 20; ++i) {
    const Frame f = mac.learn(bottom_up(items[i]));
    kept += overlap(f.code, codes[i]);
    CHECK((f.weights_changed == 0) == (f.code == codes[i]));
  }
  CHECK(kept >= 190);  // of 200 CMs
}

TEST_CASE("a mac outside its activity band stays silent, and a saturated mac freezes",
          "[sparsey]") {
  MacParams params;
  params.band_min = 5;
  params.band_max = 10;
  params.freeze = 0.05;
  Mac mac(params, 200, 0, 0, 1, 0);
  const std::vector<std::uint32_t> few = {1, 2, 3}, many = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  CHECK_FALSE(mac.learn(bottom_up(few)).active);
  CHECK_FALSE(mac.learn(bottom_up(many)).active);
  CHECK(mac.frames() == 0);
  std::uint32_t next = 0;
  while (!mac.frozen()) {
    std::vector<std::uint32_t> u(8);
    std::iota(u.begin(), u.end(), next);
    next = (next + 8) % 192;
    REQUIRE(mac.learn(bottom_up(u)).active);
  }
  CHECK(mac.saturation() >= 0.05);
  const std::vector<std::uint32_t> fresh = {192, 193, 194, 195, 196, 197};
  const Frame f = mac.learn(bottom_up(fresh));
  CHECK(f.active);
  CHECK(f.weights_changed == 0);
  CHECK_THROWS_AS(mac.learn(bottom_up({3, 2, 1, 0, 5})), InputError);
  CHECK_THROWS_AS(mac.learn(bottom_up({1, 2, 3, 4, 999})), InputError);
}

TEST_CASE("sequences: horizontal input separates the same frame in different contexts",
          "[sparsey]") {
  // Frame B after A and B after C: with H input the two B codes differ, and each sequence is
  // recalled frame by frame.
  MacParams params;
  params.csa.chi = 1e9;  // learning reinstates stored codes for certain
  Mac mac(params, 300, params.cells(), 0, 4, 0);
  Stream s(8, Purpose::test, 0, 0, 0);
  const auto a = random_input(s, 0, 100, 10), b = random_input(s, 100, 100, 10),
             c = random_input(s, 200, 100, 10);
  auto run = [&](const std::vector<std::uint32_t>& first, Mode mode) {
    Inputs in = bottom_up(first);
    const Frame f1 = mac.present(in, mode);
    const auto h = f1.cells(params.k);
    Inputs next = bottom_up(b);
    next.h = h;
    next.has_h = true;
    return std::pair{f1, mac.present(next, mode)};
  };
  const auto [a1, ab] = run(a, Mode::learn);
  const auto [c1, cb] = run(c, Mode::learn);
  CHECK(overlap(ab.code, cb.code) < 6);  // different contexts, mostly different codes
  const auto [ra, rab] = run(a, Mode::recognise);
  const auto [rc, rcb] = run(c, Mode::recognise);
  CHECK(rab.code == ab.code);
  CHECK(rcb.code == cb.code);
  CHECK(rab.g == 1.0);
}

// An 8×8 image data set of two classes: horizontal and vertical bars at random positions,
// written as idx files (gzip-compressed images, plain labels).
void write_bars(const std::filesystem::path& images, const std::filesystem::path& labels, int n,
                std::uint32_t seed) {
  Stream s(seed, Purpose::test, 2, 0, 0);
  std::vector<std::uint8_t> img = {0, 0, 8, 3, 0, 0, 0, static_cast<std::uint8_t>(n),
                                   0, 0, 0, 8, 0, 0, 0, 8};
  std::vector<std::uint8_t> lab = {0, 0, 8, 1, 0, 0, 0, static_cast<std::uint8_t>(n)};
  for (int i = 0; i < n; ++i) {
    const int label = i % 2;
    const auto at = static_cast<int>(s.below(6)) + 1;
    for (int y = 0; y < 8; ++y)
      for (int x = 0; x < 8; ++x) {
        const bool on = label == 0 ? (y == at || y == at + 1) : (x == at || x == at + 1);
        img.push_back(on ? 200 : static_cast<std::uint8_t>(s.below(40)));
      }
    lab.push_back(static_cast<std::uint8_t>(label));
  }
  gzFile f = gzopen(images.c_str(), "wb");
  gzwrite(f, img.data(), static_cast<unsigned>(img.size()));
  gzclose(f);
  std::ofstream(labels, std::ios::binary)
      .write(reinterpret_cast<const char*>(lab.data()), static_cast<std::streamsize>(lab.size()));
}

TEST_CASE("data readers: idx files and the sklearn digits CSV", "[sparsey]") {
  TempDir dir;
  write_bars(dir.path / "img.gz", dir.path / "lab", 20, 1);
  const Images bars = read_idx((dir.path / "img.gz").string(), (dir.path / "lab").string());
  CHECK(bars.size() == 20);
  CHECK(bars.width == 8);
  CHECK(bars.height == 8);
  CHECK(bars.labels[1] == 1);
  CHECK(select_items(bars, 0, 100, 3).size() == 6);
  CHECK(select_items(bars, 4, 10, 0) == std::vector<std::size_t>{4, 5, 6, 7, 8, 9});

  // Bad files: wrong magic, truncated data, mismatched counts, missing file.
  std::ofstream(dir.path / "bad", std::ios::binary) << "not idx";
  CHECK_THROWS_AS(read_idx((dir.path / "bad").string(), (dir.path / "lab").string()), InputError);
  const std::vector<char> short_idx = {0, 0, 8, 1, 0, 0, 0, 5, 1, 2};
  std::ofstream(dir.path / "short", std::ios::binary).write(short_idx.data(), 10);
  CHECK_THROWS_WITH(read_idx((dir.path / "img.gz").string(), (dir.path / "short").string()),
                    Catch::Contains("found 2 bytes of data, expected 5"));
  CHECK_THROWS_AS(read_idx((dir.path / "none").string(), (dir.path / "lab").string()), InputError);

  // Two digits as sklearn ships them: 64 intensities 0..16 and the label per line, gzip.
  std::string csv;
  for (int d = 0; d < 2; ++d) {
    for (int i = 0; i < 64; ++i) csv += std::to_string((i * (d + 3)) % 17) + ",";
    csv += std::to_string(d + 4) + "\n";
  }
  gzFile f = gzopen((dir.path / "digits.csv.gz").c_str(), "wb");
  gzwrite(f, csv.data(), static_cast<unsigned>(csv.size()));
  gzclose(f);
  const Images digits = read_sklearn_digits((dir.path / "digits.csv.gz").string());
  CHECK(digits.size() == 2);
  CHECK(digits.max_value == 16.0);
  CHECK(digits.labels == std::vector<std::uint32_t>{4, 5});
  CHECK(digits.image(1)[5] == (5 * 4) % 17);
  std::ofstream(dir.path / "bad.csv") << "1,2,3\n";
  CHECK_THROWS_WITH(read_sklearn_digits((dir.path / "bad.csv").string()),
                    Catch::Contains("line 1: found 3 values"));
}

TEST_CASE("preprocessing: rescale, threshold and skeleton", "[sparsey]") {
  // Area averaging: 4×4 to 2×2 takes the mean of each 2×2 block; 3 to 2 weighs the middle half.
  std::vector<double> img(16, 0.0);
  img[0] = img[1] = img[4] = 1.0;  // three of the top-left block
  img[15] = 1.0;
  const auto small = rescale(img, 4, 4, 2, 2);
  CHECK(small == std::vector<double>{0.75, 0.0, 0.0, 0.25});
  const auto row = rescale(std::vector<double>{0.0, 1.0, 0.0}, 3, 1, 2, 1);
  CHECK(row[0] == Approx(1.0 / 3));
  CHECK(row[1] == Approx(1.0 / 3));

  // A bar three pixels thick thins to a line one pixel thick.
  std::vector<std::uint8_t> bar(12 * 7, 0);
  for (int y = 2; y <= 4; ++y)
    for (int x = 1; x <= 10; ++x) bar[y * 12 + x] = 1;
  skeletonize(bar, 12, 7);
  int on = 0;
  for (int x = 0; x < 12; ++x) {
    int column = 0;
    for (int y = 0; y < 7; ++y) column += bar[y * 12 + x];
    CHECK(column <= 1);
    on += column;
  }
  CHECK(on >= 6);

  Images one;
  one.width = 4, one.height = 1, one.max_value = 16.0;
  one.pixels = {0, 7, 8, 16};
  one.labels = {0};
  Preprocess p;
  CHECK(binarize(one, 0, p) == std::vector<std::uint32_t>{2, 3});
  p.threshold = 0.9;
  CHECK(binarize(one, 0, p) == std::vector<std::uint32_t>{3});
}

nlohmann::json bars_config(const std::filesystem::path& dir) {
  const std::string img = (dir / "img.gz").string(), lab = (dir / "lab").string();
  return {{"model", (dir / "model.h5").string()},
          {"seed", 3},
          {"train", {{"format", "idx"}, {"images", img}, {"labels", lab}, {"end", 40}}},
          {"test", {{"format", "idx"}, {"images", img}, {"labels", lab}, {"begin", 40}}},
          {"preprocess", {{"threshold", 0.5}}},
          {"csa", {{"sigma", {0.1, 40, 1, 8}}}},  // a steep sigmoid: distinct codes for bars
          {"levels",
           {{{"rf", {4, 4}}, {"stride", {2, 2}}, {"Q", 4}, {"K", 8}, {"band", {1, 16}}},
            {{"rf", {3, 3}}, {"Q", 8}, {"K", 16}}}}};
}

TEST_CASE("a two-level hierarchy classifies bars, and its model file round-trips", "[sparsey]") {
  TempDir dir;
  write_bars(dir.path / "img.gz", dir.path / "lab", 60, 4);
  const Config config = parse_config(bars_config(dir.path));
  PassStats trained;
  Model model = train(config, trained);
  CHECK(trained.items == 40);
  CHECK(model.hierarchy.levels() == 2);
  CHECK(model.hierarchy.macs_x(0) == 3);
  CHECK(model.hierarchy.macs(1).size() == 1);
  CHECK(model.classes == 2);

  // Training items are recognised with G = 1 at the top and their stored codes.
  Dataset train_data = load_data(*config.train);
  const auto pixels = binarize(train_data.images, 0, config.preprocess);
  const Codes codes = model.hierarchy.present(pixels, Mode::recognise);
  CHECK(codes.back()[0].g > 0.9);  // level-0 ties may move a few of its input cells
  CHECK(model.nearest.nearest(model.hierarchy.top_cells(codes)).index == 0);

  save_model(model, config.model);
  Model loaded = load_model(config.model);
  const PassStats a = evaluate(model, config);
  const PassStats b = evaluate(loaded, config);
  CHECK(a.items == 20);
  CHECK(a.class_correct >= 16);
  CHECK(a.nearest_correct >= 16);
  CHECK(b.class_correct == a.class_correct);
  CHECK(b.nearest_correct == a.nearest_correct);
  CHECK(b.top_g == a.top_g);

  std::ofstream(dir.path / "junk.h5") << "junk";
  CHECK_THROWS_AS(load_model((dir.path / "junk.h5").string()), InputError);

  // Readouts over the union of the level-0 codes: sized for level 0, stored in the model file.
  nlohmann::json low = bars_config(dir.path);
  low["readout_level"] = 0;
  const Config low_config = parse_config(low);
  PassStats low_trained;
  Model low_model = train(low_config, low_trained);
  CHECK(low_model.readout_level == 0);
  CHECK(low_model.class_readout.cells() == low_model.hierarchy.cell_count(0));
  CHECK(low_model.class_readout.cells() != low_model.hierarchy.top_cell_count());
  save_model(low_model, low_config.model);
  Model low_loaded = load_model(low_config.model);
  CHECK(low_loaded.readout_level == 0);
  const PassStats c = evaluate(low_model, low_config);
  CHECK(c.class_correct >= 16);
  CHECK(c.nearest_correct >= 16);
  CHECK(evaluate(low_loaded, low_config).nearest_correct == c.nearest_correct);
}

TEST_CASE("configurations report every problem with its pointer", "[sparsey]") {
  nlohmann::json bad = bars_config("/tmp");
  bad["levels"][0]["Q"] = 0;
  bad["levels"][1]["rff"] = 1;
  bad["train"]["format"] = "idxx";
  bad["readout"] = "nearst";
  bad["readout_level"] = 2;
  try {
    parse_config(bad);
    FAIL("no error");
  } catch (const InputError& e) {
    std::set<std::string> pointers;
    for (const auto& d : e.diagnostics()) pointers.insert(d.pointer);
    CHECK(pointers == std::set<std::string>{"/levels/0/Q", "/levels/1/rff", "/train/format",
                                            "/readout", "/readout_level"});
    CHECK_THAT(format_diagnostics(e.diagnostics()), Catch::Contains("did you mean \"idx\""));
  }
  nlohmann::json wide = bars_config("/tmp");
  wide["levels"][0]["rf"] = {9, 4};
  const Config c = parse_config(wide);
  Architecture arch{8, 8, c.levels, 1};
  CHECK_THROWS_WITH(Hierarchy(arch), Catch::Contains("9×4"));
}

using test::CliResult;
using test::engram_cli;

TEST_CASE("engram sparsey train and eval", "[sparsey]") {
  TempDir dir;
  write_bars(dir.path / "img.gz", dir.path / "lab", 60, 4);
  std::ofstream(dir.path / "bars.json") << bars_config(dir.path).dump(2);
  const CliResult t = engram_cli(dir, "sparsey train bars.json");
  INFO(t.out << t.err);
  REQUIRE(t.status == 0);
  CHECK_THAT(t.out, Catch::Contains("40 training items"));
  CHECK(std::filesystem::exists(dir.path / "model.h5"));
  const CliResult e = engram_cli(dir, "sparsey eval bars.json");
  INFO(e.out << e.err);
  REQUIRE(e.status == 0);
  CHECK_THAT(e.out, Catch::Contains("accuracy    class nodes"));
  CHECK_THAT(e.out, Catch::Contains("accuracy    nearest code"));
  CHECK_THAT(e.out, Catch::Contains("ms per item"));

  nlohmann::json bad = bars_config(dir.path);
  bad["levels"][1]["K"] = "six";
  std::ofstream(dir.path / "bad.json") << bad.dump();
  const CliResult b = engram_cli(dir, "sparsey train bad.json");
  CHECK(b.status == 2);
  CHECK_THAT(b.err, Catch::Contains("error: /levels/1/K: found \"six\""));
  const CliResult missing = engram_cli(dir, "sparsey eval nothing.json");
  CHECK(missing.status == 2);
}

}  // namespace

namespace {

// The hosted mac (a SparseyMac population fed by a SpikeSourceArray through an all-to-all
// OneShot projection, with π_U on cell 0's inhibitory receptor) stores N inputs, one per
// step, then recognises them; its codes must equal those of the C++ Mac with the same seed and
// id (the population index), on serial, on two threads and on the emulated SpiNNaker machine.
TEST_CASE("the hosted mac chooses the C++ API's codes on every backend", "[sparsey]") {
  constexpr std::uint32_t kInputs = 120, kItems = 30, kQ = 6, kK = 5;
  Stream s(21, Purpose::test, 3, 0, 0);
  std::vector<std::vector<std::uint32_t>> items;
  for (std::uint32_t i = 0; i < kItems; ++i)
    items.push_back(random_input(s, 0, kInputs, i == 7 ? 2 : 12));  // item 7: below the band

  NetworkSpec spec;
  spec.name = "sparsey_mac";
  spec.dt = 1.0;
  spec.seed = 5;
  spec.duration = 2.0 * kItems + 2.0;
  PopulationSpec input;
  input.name = "input";
  input.size = kInputs;
  input.model = "SpikeSourceArray";
  input.spike_times.assign(kInputs, {});
  for (std::uint32_t phase = 0; phase < 2; ++phase)  // learn, then recognise
    for (std::uint32_t i = 0; i < kItems; ++i)
      for (std::uint32_t j : items[i])
        input.spike_times[j].push_back(static_cast<double>(phase * kItems + i));
  PopulationSpec mac;
  mac.name = "mac";
  mac.size = kQ * kK;
  mac.model = "SparseyMac";
  const double learn_until = kItems + 1.0;  // frame i arrives at step i + 1
  mac.parameters = {{"Q", Value::constant(kQ)},
                    {"K", Value::constant(kK)},
                    {"band_min", Value::constant(3)},
                    {"learn_until", Value::constant(learn_until)}};
  spec.populations = {input, mac};
  ProjectionSpec weights;
  weights.pre = PopulationSlice::whole("input");
  weights.post = PopulationSlice::whole("mac");
  weights.connector = AllToAll{};
  weights.synapse.weight = Value::constant(0.0);
  weights.synapse.delay = Value::constant(1.0);
  weights.synapse.one_shot = OneShotSpec{1.0, learn_until};
  ProjectionSpec count;
  count.pre = PopulationSlice::whole("input");
  count.post = *PopulationSlice::parse("mac[0:1]");
  count.connector = AllToAll{};
  count.synapse.weight = Value::constant(1.0);
  count.synapse.delay = Value::constant(1.0);
  count.synapse.receptor = Receptor::inhibitory;
  spec.projections = {weights, count};

  // The C++ API: the mac is population 1 of the network.
  MacParams params;
  params.q = kQ;
  params.k = kK;
  params.band_min = 3;
  params.freeze = 1.0;
  Mac api(params, kInputs, 0, 0, spec.seed, 1);
  std::map<Step, std::vector<std::uint32_t>> expected;
  for (std::uint32_t phase = 0; phase < 2; ++phase)
    for (std::uint32_t i = 0; i < kItems; ++i) {
      const Frame f = api.present(bottom_up(items[i]), phase == 0 ? Mode::learn : Mode::recognise);
      if (f.active) expected[phase * kItems + i + 1] = f.cells(kK);
    }
  REQUIRE(expected.size() == 2 * (kItems - 1));
  std::uint32_t reinstated = 0;
  for (std::uint32_t i = 0; i < kItems; ++i)
    if (i != 7) reinstated += expected[i + 1] == expected[kItems + i + 1];
  CHECK(reinstated >= kItems / 2);  // a crowded mac: some codes lose CMs to ties

  for (const auto& [backend, threads] : {std::pair{"serial", 1u}, std::pair{"threads", 2u}}) {
    INFO(backend);
    const auto run = test::simulate(spec, backend, threads);
    std::map<Step, std::vector<std::uint32_t>> hosted;
    for (const auto& [step, id] : run.of("mac")) hosted[step].push_back(id);
    CHECK(hosted == expected);
  }
  // The emulated SpiNNaker machine: the mac stays whole on one core.
  auto machine = hw::make_spinnaker_backend(spec, hw::parse_machine("2x2"));
  test::MemoryObserver run;
  machine->attach(run);
  machine->run(machine->runtime().default_steps);
  std::map<Step, std::vector<std::uint32_t>> hosted;
  for (const auto& [step, id] : run.of("mac")) hosted[step].push_back(id);
  CHECK(hosted == expected);
}

}  // namespace
