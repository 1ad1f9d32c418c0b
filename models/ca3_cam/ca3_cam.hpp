// The hippocampal CA3 content-addressable memory of Casanueva-Morato et al. (2024), built
// from IF_curr_exp neurons with the SpiNNaker integration scheme and spike-pair STDP
// (shared/models/ca3_cam.md). It stores contents of `content_size` bits under one-hot cues,
// recalls a content from its cue, and recalls every cue whose content shares a bit with a
// fragment.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/backend.hpp"
#include "engine/network.hpp"

namespace engram::models::ca3 {

// Names of the populations, in network order.
inline constexpr const char* kPopulations[] = {"input",      "cue_cue", "cue_cont", "cont_cue",
                                               "cont_cont",  "cond",    "cond_int", "merge_cue",
                                               "merge_cont", "output"};

enum class OpKind { learn, recall_cue, recall_content };
const char* op_name(OpKind kind);

struct Operation {
  double t = 0.0;  // ms, a whole number
  OpKind kind = OpKind::learn;
  std::uint32_t cue = 0;               // learn, recall_cue
  std::vector<std::uint32_t> content;  // learn, recall_content: bit indices
};

struct Experiment {
  std::uint32_t cue_size = 0;
  std::uint32_t content_size = 0;
  std::optional<double> duration;  // ms; default: 10 ms after the last operation
  std::vector<Operation> operations;
  double run_duration() const;
};

// Minimum spacing after an operation before the next may start (ms).
inline constexpr double kSpacingAfterLearn = 7.0;
inline constexpr double kSpacingAfterRecall = 6.0;

// Reads an operations document ({"cue_size", "content_size", "duration"?, "operations"}),
// checking everything; throws InputError listing every problem with its JSON pointer.
Experiment parse_experiment(const nlohmann::json& document);
Experiment load_experiment(const std::string& path);
// Checks an experiment built in C++ the same way (pointers as in the JSON form).
void validate(const Experiment& experiment);

// The network: the memory of cue_size × content_size with the input spikes of every
// operation scheduled on its input population. Runs with `engram run` unchanged.
NetworkSpec build_network(const Experiment& experiment);

struct RecallResult {
  double t = 0.0;
  OpKind kind = OpKind::recall_cue;
  std::vector<std::uint32_t> cues;     // recall by content
  std::vector<std::uint32_t> content;  // recall by cue
};

// Decodes every recall of the experiment from the output population's spikes, given as
// (step, output neuron) pairs at dt = 1 ms: the content bits (recall by cue) or the cues
// (recall by content) that fire in the operation's answer window.
std::vector<RecallResult> decode(const Experiment& experiment,
                                 const std::vector<std::pair<Step, std::uint32_t>>& output);

// {"t": ms, "op": ..., "cues": [...]} or {"t": ms, "op": ..., "content": [...]}, keys in
// that order.
nlohmann::ordered_json to_json(const RecallResult& result);

// The memory as a C++ object: each call schedules an operation's input spikes at the
// current time, advances the network through the operation's answer, and decodes it.
class Memory {
 public:
  Memory(std::uint32_t cue_size, std::uint32_t content_size,
         const BackendOptions& backend = BackendOptions{});
  ~Memory();
  // Stores `content` under `cue`, forgetting what the cue held before.
  void store(std::uint32_t cue, const std::vector<std::uint32_t>& content);
  // The content stored under `cue` (empty when none).
  std::vector<std::uint32_t> recall_by_cue(std::uint32_t cue);
  // Every cue whose content shares a bit with `fragment`.
  std::vector<std::uint32_t> recall_by_content(const std::vector<std::uint32_t>& fragment);
  // Simulated time so far, ms.
  double now() const;
  Backend& backend() { return *backend_; }

 private:
  struct Window;
  std::vector<std::uint32_t> run_operation(const Operation& op);

  std::uint32_t cue_size_, content_size_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Window> window_;
};

}  // namespace engram::models::ca3
