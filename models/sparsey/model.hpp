// A trained Sparsey classifier: the hierarchy, its preprocessing and its readouts, the
// experiment configuration that builds one (`engram sparsey train|eval CONFIG.json`), and its
// HDF5 model file.
//
// Model file layout (HDF5):
//   /                   attrs format = "engram-sparsey", version (u32) = 1,
//                             config (string: JSON of input, seed, preprocess, levels, classes,
//                             readout_level)
//   /level_<l>/u, h, d  u64[]: the bit rows of every mac of level l, concatenated in mac order
//                              (h and d only when the level has horizontal or top-down input)
//   /level_<l>/frames   u32[macs]: active frames so far (they key the draws)
//   /level_<l>/frozen   u8[macs]
//   /readout/class_weights  u32[classes × cells of the readout level]
//   /readout/codes      u64[items × words], /readout/labels u32[items]: the nearest-code store
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "models/sparsey/data.hpp"
#include "models/sparsey/hierarchy.hpp"
#include "models/sparsey/readout.hpp"

namespace engram::models::sparsey {

struct DataSpec {
  enum class Format { idx, sklearn_digits };
  Format format = Format::idx;
  std::string images, labels;  // idx
  std::string path;            // sklearn_digits
  std::size_t begin = 0, end = std::numeric_limits<std::size_t>::max();
  std::size_t per_class = 0;  // 0: every item of [begin, end)
};

enum class ReadoutKind { class_nodes, nearest, both };

struct Config {
  std::string model;  // the model file
  std::optional<DataSpec> train, test;
  Preprocess preprocess;
  std::vector<LevelSpec> levels;
  std::uint64_t seed = 1;
  ReadoutKind readout = ReadoutKind::both;
  // The level whose codes (the union over its macs) feed the readouts; absent: the top.
  std::optional<std::size_t> readout_level;
};

// Reads a configuration document, checking everything; throws InputError listing every
// problem with its JSON pointer. `train` and `test` are optional here; train() and evaluate()
// say which they need.
Config parse_config(const nlohmann::json& document);
Config load_config(const std::string& path);

// Loads the data of a DataSpec (the items it selects, in order).
struct Dataset {
  Images images;
  std::vector<std::size_t> items;
};
Dataset load_data(const DataSpec& spec);

struct Model {
  Preprocess preprocess;
  Hierarchy hierarchy;
  std::uint32_t classes = 0;
  ClassReadout class_readout;
  NearestCode nearest;
  std::size_t readout_level = 0;  // the level whose codes feed the readouts
};

// Statistics of a pass over a data set.
struct PassStats {
  std::size_t items = 0;
  double seconds = 0.0;                 // presenting the items (preprocessing excluded)
  std::vector<double> mean_g;           // per level: mean G of the active macs
  std::vector<double> active_fraction;  // per level: fraction of macs active
  std::vector<double> top_g;            // per item: mean G of the top level's active macs
  std::size_t class_correct = 0, nearest_correct = 0;  // evaluation only
};

// One pass over `config.train` with learning: builds the hierarchy and the readouts.
Model train(const Config& config, PassStats& stats);
// Recognises `config.test` with a trained model and scores the readouts.
PassStats evaluate(Model& model, const Config& config);

// Throws IoError for a file that cannot be written or read, InputError for one that is not a
// Sparsey model.
void save_model(const Model& model, const std::string& path);
Model load_model(const std::string& path);

// The JSON text of a model's input size, seed, classes, preprocessing and levels (the
// `config` attribute of a model file), and an untrained model built from it.
std::string describe_model(const Model& model);
Model model_from_description(const std::string& text, const std::string& path);

}  // namespace engram::models::sparsey
