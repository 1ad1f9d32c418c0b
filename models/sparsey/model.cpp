#include "models/sparsey/model.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/error.hpp"
#include "io/network_json.hpp"

namespace engram::models::sparsey {

using nlohmann::json;

namespace {

// Reports the keys of `obj` that are not in `keys`.
void check_keys(const json& obj, const std::string& at, const std::vector<std::string>& keys,
                Diagnostics& d) {
  for (const auto& [key, value] : obj.items()) {
    (void)value;
    if (std::find(keys.begin(), keys.end(), key) == keys.end())
      d.add(at + "/" + pointer_token(key),
            fmt::format("found unknown key \"{}\", expected one of {}{}", key,
                        fmt::join(keys, ", "), did_you_mean(key, keys)));
  }
}

// A non-negative integer (documents built in C++ hold signed ones).
bool is_whole(const json& x) {
  return x.is_number_unsigned() || (x.is_number_integer() && x.get<std::int64_t>() >= 0);
}

// A whole number in [min, max] at obj[key]; `fallback` when absent.
std::uint64_t whole(const json& obj, const char* key, const std::string& at, Diagnostics& d,
                    std::uint64_t min, std::uint64_t max, std::uint64_t fallback) {
  auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  if (!is_whole(*it) || it->get<std::uint64_t>() < min || it->get<std::uint64_t>() > max) {
    d.add(at + "/" + key,
          fmt::format("found {}, expected a whole number from {} to {}", it->dump(), min, max));
    return fallback;
  }
  return it->get<std::uint64_t>();
}

double real(const json& obj, const char* key, const std::string& at, Diagnostics& d, double min,
            double max, bool min_exclusive, double fallback) {
  auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  const bool ok = it->is_number() &&
                  (min_exclusive ? it->get<double>() > min : it->get<double>() >= min) &&
                  it->get<double>() <= max;
  if (!ok) {
    d.add(at + "/" + key, fmt::format("found {}, expected a number in {}{}, {}]", it->dump(),
                                      min_exclusive ? "(" : "[", min, max));
    return fallback;
  }
  return it->get<double>();
}

bool boolean(const json& obj, const char* key, const std::string& at, Diagnostics& d,
             bool fallback) {
  auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  if (!it->is_boolean()) {
    d.add(at + "/" + key, fmt::format("found {}, expected true or false", it->dump()));
    return fallback;
  }
  return it->get<bool>();
}

// A list of `n` numbers at obj[key] (absent: `fallback`).
std::vector<double> numbers(const json& obj, const char* key, const std::string& at, Diagnostics& d,
                            std::size_t n, std::vector<double> fallback, bool whole_numbers,
                            const char* what) {
  auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  bool ok = it->is_array() && it->size() == n;
  if (ok)
    for (const json& x : *it)
      ok &= whole_numbers ? is_whole(x) && x.get<std::uint64_t>() <= 0xFFFFFFFFu : x.is_number();
  if (!ok) {
    d.add(at + "/" + key, fmt::format("found {}, expected {}", it->dump(), what));
    return fallback;
  }
  std::vector<double> out;
  for (const json& x : *it) out.push_back(x.get<double>());
  return out;
}

CsaParams parse_csa(const json& j, const std::string& at, Diagnostics& d, CsaParams c) {
  if (!j.is_object()) {
    d.add(at, fmt::format("found {}, expected an object of CSA parameters", j.dump()));
    return c;
  }
  check_keys(j, at, {"G_minus", "gamma", "chi", "sigma", "lambda"}, d);
  c.g_minus = real(j, "G_minus", at, d, 0.0, 0.99, false, c.g_minus);
  c.gamma = real(j, "gamma", at, d, 0.0, 1e9, true, c.gamma);
  c.chi = real(j, "chi", at, d, 0.0, 1e12, false, c.chi);
  const auto s = numbers(j, "sigma", at, d, 4, {c.sigma1, c.sigma2, c.sigma3, c.sigma4}, false,
                         "[σ1, σ2, σ3, σ4], four numbers");
  if (s[0] <= 0.0 || s[3] <= 0.0)
    d.add(at + "/sigma", fmt::format("found σ1 = {}, σ4 = {}, expected both > 0", s[0], s[3]));
  c.sigma1 = s[0], c.sigma2 = s[1], c.sigma3 = s[2], c.sigma4 = s[3];
  const auto l = numbers(j, "lambda", at, d, 3, {c.lambda_u, c.lambda_h, c.lambda_d}, false,
                         "[λU, λH, λD], three numbers");
  c.lambda_u = l[0], c.lambda_h = l[1], c.lambda_d = l[2];
  return c;
}

std::vector<LevelSpec> parse_levels(const json& j, const std::string& at, Diagnostics& d,
                                    const CsaParams& csa) {
  std::vector<LevelSpec> levels;
  if (!j.is_array() || j.empty()) {
    d.add(at, fmt::format("found {}, expected a list of levels", j.dump()));
    return levels;
  }
  for (std::size_t l = 0; l < j.size(); ++l) {
    const json& o = j[l];
    const std::string lat = fmt::format("{}/{}", at, l);
    LevelSpec s;
    if (!o.is_object()) {
      d.add(lat, fmt::format("found {}, expected a level object", o.dump()));
      continue;
    }
    check_keys(o, lat,
               {"rf", "stride", "Q", "K", "band", "freeze", "csa", "horizontal", "top_down"}, d);
    if (!o.contains("rf")) d.add(lat + "/rf", "missing, expected [width, height]");
    const auto rf = numbers(o, "rf", lat, d, 2, {1, 1}, true, "[width, height], whole numbers");
    s.rf_w = static_cast<std::uint32_t>(rf[0]), s.rf_h = static_cast<std::uint32_t>(rf[1]);
    const auto stride =
        numbers(o, "stride", lat, d, 2, rf, true, "[x, y], whole numbers (default: the rf)");
    s.stride_x = static_cast<std::uint32_t>(stride[0]);
    s.stride_y = static_cast<std::uint32_t>(stride[1]);
    s.mac.q = static_cast<std::uint32_t>(whole(o, "Q", lat, d, 1, 65535, s.mac.q));
    s.mac.k = static_cast<std::uint32_t>(whole(o, "K", lat, d, 1, 65535, s.mac.k));
    const auto band = numbers(o, "band", lat, d, 2, {1.0, double(s.mac.band_max)}, true,
                              "[min, max] active inputs, whole numbers");
    s.mac.band_min = static_cast<std::uint32_t>(band[0]);
    s.mac.band_max = static_cast<std::uint32_t>(band[1]);
    if (s.mac.band_min < 1 || s.mac.band_min > s.mac.band_max)
      d.add(lat + "/band", fmt::format("found [{}, {}], expected 1 <= min <= max", s.mac.band_min,
                                       s.mac.band_max));
    s.mac.freeze = real(o, "freeze", lat, d, 0.0, 1.0, true, s.mac.freeze);
    s.mac.csa = o.contains("csa") ? parse_csa(o["csa"], lat + "/csa", d, csa) : csa;
    s.horizontal = boolean(o, "horizontal", lat, d, false);
    s.top_down = boolean(o, "top_down", lat, d, false);
    levels.push_back(s);
  }
  return levels;
}

Preprocess parse_preprocess(const json& j, const std::string& at, Diagnostics& d) {
  Preprocess p;
  if (!j.is_object()) {
    d.add(at, fmt::format("found {}, expected an object", j.dump()));
    return p;
  }
  check_keys(j, at, {"rescale", "threshold", "skeleton"}, d);
  if (j.contains("rescale")) {
    const auto r = numbers(j, "rescale", at, d, 2, {0, 0}, true, "[width, height] in pixels");
    p.width = static_cast<std::uint32_t>(r[0]), p.height = static_cast<std::uint32_t>(r[1]);
    if ((p.width == 0) != (p.height == 0) || p.width > 4096 || p.height > 4096)
      d.add(at + "/rescale",
            fmt::format("found [{}, {}], expected 1 to 4096 pixels each", p.width, p.height));
  }
  p.threshold = real(j, "threshold", at, d, 0.0, 1.0, true, p.threshold);
  p.skeleton = boolean(j, "skeleton", at, d, false);
  return p;
}

DataSpec parse_data(const json& j, const std::string& at, Diagnostics& d) {
  DataSpec s;
  if (!j.is_object()) {
    d.add(at, fmt::format("found {}, expected a data set object", j.dump()));
    return s;
  }
  check_keys(j, at, {"format", "images", "labels", "path", "begin", "end", "per_class"}, d);
  auto text = [&](const char* key) -> std::string {
    auto it = j.find(key);
    if (it == j.end()) {
      d.add(at + "/" + key, "missing, expected a file name");
      return {};
    }
    if (!it->is_string()) {
      d.add(at + "/" + key, fmt::format("found {}, expected a file name", it->dump()));
      return {};
    }
    return it->get<std::string>();
  };
  const std::string format =
      j.contains("format") && j["format"].is_string() ? j["format"].get<std::string>() : "";
  static const std::vector<std::string> formats = {"idx", "sklearn_digits"};
  if (format == "idx") {
    s.format = DataSpec::Format::idx;
    s.images = text("images");
    s.labels = text("labels");
  } else if (format == "sklearn_digits") {
    s.format = DataSpec::Format::sklearn_digits;
    s.path = text("path");
  } else {
    d.add(at + "/format", fmt::format("found {}, expected idx or sklearn_digits{}",
                                      j.contains("format") ? j["format"].dump() : "nothing",
                                      did_you_mean(format, formats)));
  }
  const std::uint64_t big = std::numeric_limits<std::uint32_t>::max();
  s.begin = whole(j, "begin", at, d, 0, big, 0);
  s.end = whole(j, "end", at, d, 0, big, s.end);
  s.per_class = whole(j, "per_class", at, d, 0, big, 0);
  if (s.end <= s.begin)
    d.add(at + "/end", fmt::format("found {}, expected more than begin = {}", s.end, s.begin));
  return s;
}

json to_json(const CsaParams& c) {
  return {{"G_minus", c.g_minus},
          {"gamma", c.gamma},
          {"chi", c.chi},
          {"sigma", {c.sigma1, c.sigma2, c.sigma3, c.sigma4}},
          {"lambda", {c.lambda_u, c.lambda_h, c.lambda_d}}};
}

json to_json(const LevelSpec& s) {
  return {{"rf", {s.rf_w, s.rf_h}},
          {"stride", {s.stride_x, s.stride_y}},
          {"Q", s.mac.q},
          {"K", s.mac.k},
          {"band", {s.mac.band_min, s.mac.band_max}},
          {"freeze", s.mac.freeze},
          {"csa", to_json(s.mac.csa)},
          {"horizontal", s.horizontal},
          {"top_down", s.top_down}};
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Adds one presentation's familiarity to the per-level sums.
void tally(const Codes& codes, PassStats& s, std::vector<double>& g_sum,
           std::vector<double>& g_count) {
  for (std::size_t l = 0; l < codes.size(); ++l) {
    double active = 0.0, g = 0.0;
    for (const Frame& f : codes[l])
      if (f.active) active += 1.0, g += f.g;
    g_sum[l] += g;
    g_count[l] += active;
    s.active_fraction[l] += active / static_cast<double>(codes[l].size());
    if (l + 1 == codes.size()) s.top_g.push_back(active > 0.0 ? g / active : 0.0);
  }
}

void finish(PassStats& s, const std::vector<double>& g_sum, const std::vector<double>& g_count) {
  for (std::size_t l = 0; l < g_sum.size(); ++l) {
    s.mean_g[l] = g_count[l] > 0.0 ? g_sum[l] / g_count[l] : 0.0;
    s.active_fraction[l] /= static_cast<double>(std::max<std::size_t>(s.items, 1));
  }
}

}  // namespace

Config parse_config(const json& doc) {
  Diagnostics d;
  Config c;
  if (!doc.is_object()) throw InputError("", "found no object, expected a Sparsey configuration");
  check_keys(doc, "",
             {"description", "model", "seed", "train", "test", "preprocess", "levels", "csa",
              "readout", "readout_level"},
             d);
  if (auto it = doc.find("model"); it != doc.end() && it->is_string() && !it->empty())
    c.model = it->get<std::string>();
  else
    d.add("/model", fmt::format("found {}, expected the model file name",
                                it == doc.end() ? "nothing" : it->dump()));
  c.seed = whole(doc, "seed", "", d, 0, std::numeric_limits<std::uint64_t>::max(), 1);
  if (doc.contains("train")) c.train = parse_data(doc["train"], "/train", d);
  if (doc.contains("test")) c.test = parse_data(doc["test"], "/test", d);
  if (doc.contains("preprocess"))
    c.preprocess = parse_preprocess(doc["preprocess"], "/preprocess", d);
  const CsaParams csa = doc.contains("csa") ? parse_csa(doc["csa"], "/csa", d, {}) : CsaParams{};
  if (doc.contains("levels")) c.levels = parse_levels(doc["levels"], "/levels", d, csa);
  if (auto it = doc.find("readout"); it != doc.end()) {
    static const std::vector<std::string> kinds = {"class", "nearest", "both"};
    const std::string r = it->is_string() ? it->get<std::string>() : "";
    if (r == "class")
      c.readout = ReadoutKind::class_nodes;
    else if (r == "nearest")
      c.readout = ReadoutKind::nearest;
    else if (r == "both")
      c.readout = ReadoutKind::both;
    else
      d.add("/readout", fmt::format("found {}, expected class, nearest or both{}", it->dump(),
                                    did_you_mean(r, kinds)));
  }
  if (doc.contains("readout_level")) {
    c.readout_level = whole(doc, "readout_level", "", d, 0, 65535, 0);
    if (!c.levels.empty() && *c.readout_level >= c.levels.size())
      d.add("/readout_level", fmt::format("found {}, expected a level from 0 to {}",
                                          *c.readout_level, c.levels.size() - 1));
  }
  d.throw_if_any();
  return c;
}

Config load_config(const std::string& path) {
  return parse_config(io::read_json_file(path));
}

Dataset load_data(const DataSpec& spec) {
  Dataset data;
  data.images = spec.format == DataSpec::Format::idx ? read_idx(spec.images, spec.labels)
                                                     : read_sklearn_digits(spec.path);
  data.items = select_items(data.images, spec.begin, spec.end, spec.per_class);
  if (data.items.empty())
    throw InputError("", fmt::format("the data set selects no items (it holds {}; begin {})",
                                     data.images.size(), spec.begin));
  return data;
}

Model train(const Config& config, PassStats& stats) {
  Diagnostics d;
  if (!config.train) d.add("/train", "missing, expected the training data set");
  if (config.levels.empty()) d.add("/levels", "missing, expected a list of levels");
  d.throw_if_any();
  const Dataset data = load_data(*config.train);
  Architecture arch;
  std::tie(arch.width, arch.height) = output_size(data.images, config.preprocess);
  arch.levels = config.levels;
  arch.seed = config.seed;
  std::uint32_t classes = 0;
  for (std::size_t i : data.items) classes = std::max(classes, data.images.labels[i] + 1);
  const std::size_t level = config.readout_level.value_or(arch.levels.size() - 1);
  Model model{config.preprocess, Hierarchy(arch), classes, {}, {}, level};
  model.class_readout = ClassReadout(model.hierarchy.cell_count(level), classes);
  model.nearest = NearestCode(model.hierarchy.cell_count(level));

  const std::size_t levels = arch.levels.size();
  stats = PassStats{};
  stats.mean_g.assign(levels, 0.0);
  stats.active_fraction.assign(levels, 0.0);
  std::vector<double> g_sum(levels, 0.0), g_count(levels, 0.0);
  for (std::size_t i : data.items) {
    const std::vector<std::uint32_t> pixels = binarize(data.images, i, config.preprocess);
    const auto start = std::chrono::steady_clock::now();
    const Codes codes = model.hierarchy.present(pixels, Mode::learn);
    const std::vector<std::uint32_t> cells = model.hierarchy.cells(codes, level);
    model.class_readout.learn(cells, data.images.labels[i]);
    model.nearest.store(cells, data.images.labels[i]);
    stats.seconds += seconds_since(start);
    ++stats.items;
    tally(codes, stats, g_sum, g_count);
  }
  finish(stats, g_sum, g_count);
  return model;
}

PassStats evaluate(Model& model, const Config& config) {
  if (!config.test) throw InputError("/test", "missing, expected the test data set");
  const Dataset data = load_data(*config.test);
  const auto [w, h] = output_size(data.images, model.preprocess);
  const Architecture& arch = model.hierarchy.architecture();
  if (w != arch.width || h != arch.height)
    throw InputError("/test", fmt::format("the test images preprocess to {}×{} pixels, but the "
                                          "model was trained on {}×{}",
                                          w, h, arch.width, arch.height));
  const std::size_t levels = arch.levels.size();
  PassStats stats;
  stats.mean_g.assign(levels, 0.0);
  stats.active_fraction.assign(levels, 0.0);
  std::vector<double> g_sum(levels, 0.0), g_count(levels, 0.0);
  for (std::size_t i : data.items) {
    const std::vector<std::uint32_t> pixels = binarize(data.images, i, model.preprocess);
    const auto start = std::chrono::steady_clock::now();
    const Codes codes = model.hierarchy.present(pixels, Mode::recognise);
    const std::vector<std::uint32_t> cells = model.hierarchy.cells(codes, model.readout_level);
    const std::uint32_t label = data.images.labels[i];
    if (config.readout != ReadoutKind::nearest)
      stats.class_correct += model.class_readout.classify(cells) == label;
    if (config.readout != ReadoutKind::class_nodes && model.nearest.size() > 0)
      stats.nearest_correct += model.nearest.nearest(cells).label == label;
    stats.seconds += seconds_since(start);
    ++stats.items;
    tally(codes, stats, g_sum, g_count);
  }
  finish(stats, g_sum, g_count);
  return stats;
}

// The architecture and preprocessing as stored in a model file, and back.
std::string describe_model(const Model& model) {
  const Architecture& a = model.hierarchy.architecture();
  json levels = json::array();
  for (const LevelSpec& s : a.levels) levels.push_back(to_json(s));
  json doc = {{"input", {a.width, a.height}},
              {"seed", a.seed},
              {"classes", model.classes},
              {"preprocess",
               {{"rescale", {model.preprocess.width, model.preprocess.height}},
                {"threshold", model.preprocess.threshold},
                {"skeleton", model.preprocess.skeleton}}},
              {"levels", levels},
              {"readout_level", model.readout_level}};
  return doc.dump();
}

Model model_from_description(const std::string& text, const std::string& path) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    throw InputError(
        "", fmt::format("\"{}\": the stored configuration is not JSON: {}", path, e.what()));
  }
  Diagnostics d;
  if (!doc.is_object()) throw InputError("", fmt::format("\"{}\": bad stored configuration", path));
  const auto input = numbers(doc, "input", "", d, 2, {0, 0}, true, "[width, height]");
  Architecture arch;
  arch.width = static_cast<std::uint32_t>(input[0]);
  arch.height = static_cast<std::uint32_t>(input[1]);
  arch.seed = whole(doc, "seed", "", d, 0, std::numeric_limits<std::uint64_t>::max(), 1);
  const auto classes = static_cast<std::uint32_t>(whole(doc, "classes", "", d, 1, 1u << 20, 1));
  const Preprocess prep =
      parse_preprocess(doc.value("preprocess", json::object()), "/preprocess", d);
  arch.levels = parse_levels(doc.value("levels", json()), "/levels", d, CsaParams{});
  const std::size_t top = arch.levels.empty() ? 0 : arch.levels.size() - 1;
  const std::size_t level = whole(doc, "readout_level", "", d, 0, top, top);
  if (!d.empty()) {
    std::vector<Diagnostic> list = d.list();
    for (Diagnostic& x : list) x.message = fmt::format("\"{}\": {}", path, x.message);
    throw InputError(list);
  }
  Model model{prep, Hierarchy(arch), classes, {}, {}, level};
  model.class_readout = ClassReadout(model.hierarchy.cell_count(level), classes);
  model.nearest = NearestCode(model.hierarchy.cell_count(level));
  return model;
}

}  // namespace engram::models::sparsey
