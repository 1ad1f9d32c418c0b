// The one exception hierarchy of engram.
//
// User mistakes (a malformed description, a bad file, a bad argument) are reported as
// InputError carrying every Diagnostic found, each naming where (a JSON-pointer-like path
// into the description) and what was found and expected. Failures of the outside world
// (a file that cannot be written) are IoError. Library bugs are assertions, not exceptions.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace engram {

struct Diagnostic {
  std::string pointer;  // e.g. "/projections/3/synapse/delay"; "" for the whole document
  std::string message;  // what was found and what was expected
};

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class InputError : public Error {
 public:
  explicit InputError(std::vector<Diagnostic> diagnostics);
  InputError(std::string pointer, std::string message);
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

class IoError : public Error {
 public:
  using Error::Error;
};

// Collects diagnostics while a document is checked, so that all of them are reported at once.
class Diagnostics {
 public:
  void add(std::string pointer, std::string message) {
    list_.push_back({std::move(pointer), std::move(message)});
  }
  void append(const std::vector<Diagnostic>& more) {
    list_.insert(list_.end(), more.begin(), more.end());
  }
  bool empty() const { return list_.empty(); }
  std::size_t size() const { return list_.size(); }
  const std::vector<Diagnostic>& list() const { return list_; }
  // Throws InputError with everything collected, if anything was.
  void throw_if_any() const;

 private:
  std::vector<Diagnostic> list_;
};

// The candidate closest to `name` by edit distance, or "" when none is reasonably close.
std::string nearest_name(std::string_view name, const std::vector<std::string>& candidates);

// " (did you mean "x"?)" or "" — appended to messages about unknown names.
std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates);

// n with thousands separators ("1,234,567"), for reports.
std::string thousands(std::uint64_t n);

// A key escaped as one JSON-pointer token ("~" -> "~0", "/" -> "~1").
std::string pointer_token(std::string_view key);

// Formats "pointer: message" lines, one per diagnostic.
std::string format_diagnostics(const std::vector<Diagnostic>& diagnostics);

}  // namespace engram
