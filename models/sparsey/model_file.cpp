// Saving and loading trained Sparsey models as HDF5 (layout in model.hpp).
#include <hdf5.h>

#include <utility>

#include <fmt/format.h>

#include "engine/error.hpp"
#include "io/hdf5.hpp"
#include "models/sparsey/model.hpp"

namespace engram::models::sparsey {

namespace {

constexpr const char* kFormat = "engram-sparsey";
constexpr std::uint32_t kVersion = 1;

using io::hdf5::Handle;
using io::hdf5::QuietErrors;

template <class T>
hid_t type_of() {
  if constexpr (std::is_same_v<T, std::uint64_t>) return H5T_NATIVE_UINT64;
  if constexpr (std::is_same_v<T, std::uint32_t>) return H5T_NATIVE_UINT32;
  if constexpr (std::is_same_v<T, std::uint8_t>) return H5T_NATIVE_UINT8;
}

template <class T>
void write(hid_t where, const std::string& name, std::span<const T> data, const std::string& path) {
  const hsize_t n = data.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle set(H5Dcreate2(where, name.c_str(), type_of<T>(), space.get(), H5P_DEFAULT, H5P_DEFAULT,
                        H5P_DEFAULT),
             H5Dclose);
  if (!space || !set ||
      (n > 0 && H5Dwrite(set.get(), type_of<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()) < 0))
    throw IoError(fmt::format("{}: cannot write dataset {}", path, name));
}

template <class T>
std::vector<T> read(hid_t where, const std::string& name, const std::string& path) {
  Handle set(H5Dopen2(where, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!set) throw InputError("", fmt::format("\"{}\": no dataset {}", path, name));
  Handle space(H5Dget_space(set.get()), H5Sclose);
  if (H5Sget_simple_extent_ndims(space.get()) != 1)
    throw InputError("", fmt::format("\"{}\": dataset {} is not a list", path, name));
  hsize_t n = 0;
  H5Sget_simple_extent_dims(space.get(), &n, nullptr);
  std::vector<T> out(n);
  if (n > 0 && H5Dread(set.get(), type_of<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0)
    throw InputError("", fmt::format("\"{}\": cannot read dataset {}", path, name));
  return out;
}

void write_string_attribute(hid_t where, const char* name, const std::string& value,
                            const std::string& path) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), std::max<std::size_t>(value.size(), 1));
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(where, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attr || H5Awrite(attr.get(), type.get(), value.c_str()) < 0)
    throw IoError(fmt::format("{}: cannot write attribute {}", path, name));
}

std::string read_string_attribute(hid_t where, const char* name, const std::string& path) {
  Handle attr(H5Aopen(where, name, H5P_DEFAULT), H5Aclose);
  if (!attr)
    throw InputError("",
                     fmt::format("\"{}\": not a Sparsey model file (no {} attribute)", path, name));
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) > 0)
    throw InputError("", fmt::format("\"{}\": attribute {} is not a string", path, name));
  std::string value(H5Tget_size(type.get()), '\0');
  Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(mem.get(), value.size());
  if (H5Aread(attr.get(), mem.get(), value.data()) < 0)
    throw InputError("", fmt::format("\"{}\": cannot read attribute {}", path, name));
  value.resize(value.find('\0') == std::string::npos ? value.size() : value.find('\0'));
  return value;
}

// The concatenated bit rows of one kind (u, h or d) of every mac of a level.
std::vector<std::uint64_t> gather(const std::vector<Mac>& macs, char kind) {
  std::vector<std::uint64_t> out;
  for (const Mac& m : macs) {
    const BitRows& w = kind == 'u' ? m.weights_u() : kind == 'h' ? m.weights_h() : m.weights_d();
    out.insert(out.end(), w.words().begin(), w.words().end());
  }
  return out;
}

void scatter(std::vector<Mac>& macs, char kind, const std::vector<std::uint64_t>& words,
             const std::string& name, const std::string& path) {
  std::size_t total = 0;
  for (Mac& m : macs)
    total += (kind == 'u'   ? m.weights_u()
              : kind == 'h' ? m.weights_h()
                            : m.weights_d())
                 .words()
                 .size();
  if (words.size() != total)
    throw InputError("", fmt::format("\"{}\": {} holds {} words, expected {} for the stored "
                                     "architecture",
                                     path, name, words.size(), total));
  std::size_t at = 0;
  for (Mac& m : macs) {
    BitRows& w = kind == 'u' ? m.weights_u() : kind == 'h' ? m.weights_h() : m.weights_d();
    std::copy_n(words.begin() + static_cast<std::ptrdiff_t>(at), w.words().size(),
                w.words().begin());
    at += w.words().size();
  }
}

}  // namespace

void save_model(const Model& model, const std::string& path) {
  QuietErrors quiet;
  Handle file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
  if (!file) throw IoError(fmt::format("{}: cannot create the model file", path));
  write_string_attribute(file.get(), "format", kFormat, path);
  write_string_attribute(file.get(), "version", std::to_string(kVersion), path);
  write_string_attribute(file.get(), "config", describe_model(model), path);
  const Hierarchy& h = model.hierarchy;
  for (std::size_t l = 0; l < h.levels(); ++l) {
    const std::string name = fmt::format("level_{}", l);
    Handle group(H5Gcreate2(file.get(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                 H5Gclose);
    if (!group) throw IoError(fmt::format("{}: cannot create group {}", path, name));
    const LevelSpec& s = h.architecture().levels[l];
    const auto u = gather(h.macs(l), 'u');
    write<std::uint64_t>(group.get(), "u", u, path);
    if (s.horizontal) write<std::uint64_t>(group.get(), "h", gather(h.macs(l), 'h'), path);
    if (s.top_down) write<std::uint64_t>(group.get(), "d", gather(h.macs(l), 'd'), path);
    std::vector<std::uint32_t> frames;
    std::vector<std::uint8_t> frozen;
    for (const Mac& m : h.macs(l)) {
      frames.push_back(m.frames());
      frozen.push_back(m.frozen() ? 1 : 0);
    }
    write<std::uint32_t>(group.get(), "frames", frames, path);
    write<std::uint8_t>(group.get(), "frozen", frozen, path);
  }
  Handle readout(H5Gcreate2(file.get(), "readout", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                 H5Gclose);
  if (!readout) throw IoError(fmt::format("{}: cannot create group readout", path));
  write<std::uint32_t>(readout.get(), "class_weights", model.class_readout.weights(), path);
  write<std::uint64_t>(readout.get(), "codes", model.nearest.codes(), path);
  write<std::uint32_t>(readout.get(), "labels", model.nearest.labels(), path);
  if (H5Fflush(file.get(), H5F_SCOPE_GLOBAL) < 0)
    throw IoError(fmt::format("{}: cannot write the model file", path));
}

Model load_model(const std::string& path) {
  QuietErrors quiet;
  if (H5Fis_hdf5(path.c_str()) <= 0)
    throw InputError("", fmt::format("cannot read \"{}\": no such file or not an HDF5 file", path));
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file) throw InputError("", fmt::format("cannot open \"{}\" as HDF5", path));
  if (read_string_attribute(file.get(), "format", path) != kFormat)
    throw InputError("", fmt::format("\"{}\": not a Sparsey model file", path));
  const std::string version = read_string_attribute(file.get(), "version", path);
  if (version != std::to_string(kVersion))
    throw InputError(
        "", fmt::format("\"{}\": model file version {}, expected {}", path, version, kVersion));
  Model model = model_from_description(read_string_attribute(file.get(), "config", path), path);
  Hierarchy& h = model.hierarchy;
  for (std::size_t l = 0; l < h.levels(); ++l) {
    const std::string name = fmt::format("level_{}", l);
    Handle group(H5Gopen2(file.get(), name.c_str(), H5P_DEFAULT), H5Gclose);
    if (!group) throw InputError("", fmt::format("\"{}\": no group {}", path, name));
    const LevelSpec& s = h.architecture().levels[l];
    scatter(h.macs(l), 'u', read<std::uint64_t>(group.get(), "u", path), name + "/u", path);
    if (s.horizontal)
      scatter(h.macs(l), 'h', read<std::uint64_t>(group.get(), "h", path), name + "/h", path);
    if (s.top_down)
      scatter(h.macs(l), 'd', read<std::uint64_t>(group.get(), "d", path), name + "/d", path);
    const auto frames = read<std::uint32_t>(group.get(), "frames", path);
    const auto frozen = read<std::uint8_t>(group.get(), "frozen", path);
    if (frames.size() != h.macs(l).size() || frozen.size() != h.macs(l).size())
      throw InputError("", fmt::format("\"{}\": {} has counters for {} macs, expected {}", path,
                                       name, frames.size(), h.macs(l).size()));
    for (std::size_t m = 0; m < frames.size(); ++m) h.macs(l)[m].restore(frames[m], frozen[m]);
  }
  Handle readout(H5Gopen2(file.get(), "readout", H5P_DEFAULT), H5Gclose);
  if (!readout) throw InputError("", fmt::format("\"{}\": no group readout", path));
  const auto weights = read<std::uint32_t>(readout.get(), "class_weights", path);
  if (weights.size() != model.class_readout.weights().size())
    throw InputError("", fmt::format("\"{}\": readout/class_weights holds {} values, expected {}",
                                     path, weights.size(), model.class_readout.weights().size()));
  std::copy(weights.begin(), weights.end(), model.class_readout.weights().begin());
  auto codes = read<std::uint64_t>(readout.get(), "codes", path);
  auto labels = read<std::uint32_t>(readout.get(), "labels", path);
  if (codes.size() != labels.size() * model.nearest.words_per_code())
    throw InputError(
        "", fmt::format("\"{}\": readout/codes holds {} words for {} labels, "
                        "expected {} words per code",
                        path, codes.size(), labels.size(), model.nearest.words_per_code()));
  for (std::uint32_t label : labels)
    if (label >= model.classes)
      throw InputError("", fmt::format("\"{}\": readout/labels holds label {}, expected below {}",
                                       path, label, model.classes));
  model.nearest.assign(std::move(codes), std::move(labels));
  return model;
}

}  // namespace engram::models::sparsey
