// JSON network descriptions (docs/network-format.md, schema in io/network.schema.json).
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "engine/network.hpp"

namespace engram::io {

// Reads a description. Throws InputError listing every problem — malformed JSON, wrong
// types, unknown keys and names (with the nearest valid one), values out of range — each
// with the JSON pointer of the offending value. A description that reads without error is
// also valid for compile().
NetworkSpec parse_network(const nlohmann::json& document);
NetworkSpec parse_network_text(const std::string& text);
NetworkSpec load_network(const std::filesystem::path& path);

// The JSON document in a file (any JSON file engram reads: experiments, configurations).
// Throws InputError naming the file when it cannot be read or is not JSON.
nlohmann::json read_json_file(const std::filesystem::path& path);

// The description as JSON, in the format parse_network reads.
nlohmann::json to_json(const NetworkSpec& spec);

}  // namespace engram::io
