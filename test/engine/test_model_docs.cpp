// The model pages of docs/models/ against the tables they document (STYLE.md point 3): for
// every registered neuron model, docs/models/<name>.md must hold a parameter table
// `| name | unit | default | range | description |` listing the code's ParamSpec table in
// order, with the same units, the same defaults and the same valid ranges, and a state table
// `| name | unit | initial | description |` listing the state columns in order, with the same
// units and initial values. A model without parameters or state keeps the header with no rows.
#include <catch2/catch.hpp>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/neuron_model.hpp"

namespace engram {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// A cell without surrounding blanks and Markdown code quotes.
std::string clean(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != '`') out += c;
  const auto b = out.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  const auto e = out.find_last_not_of(" \t");
  return out.substr(b, e - b + 1);
}

// The cells of a Markdown table row "| a | b |"; empty when the line is not a table row.
std::vector<std::string> cells(const std::string& line) {
  std::vector<std::string> out;
  const std::string row = clean(line);
  if (row.size() < 2 || row.front() != '|' || row.back() != '|') return out;
  std::size_t start = 1;
  for (std::size_t i = 1; i < row.size(); ++i)
    if (row[i] == '|') {
      out.push_back(clean(std::string_view(row).substr(start, i - start)));
      start = i + 1;
    }
  return out;
}

bool is_separator(const std::vector<std::string>& row) {
  if (row.empty()) return false;
  for (const auto& c : row)
    if (c.empty() || c.find_first_not_of("-:") != std::string::npos) return false;
  return true;
}

struct Table {
  int headers = 0;  // how many times the header occurs in the page
  std::vector<std::vector<std::string>> rows;
};

// The rows under the (first) occurrence of `header`.
Table find_table(const std::vector<std::string>& lines, const std::vector<std::string>& header) {
  Table t;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (cells(lines[i]) != header) continue;
    if (++t.headers > 1) continue;
    std::size_t k = i + 1;
    if (k < lines.size() && is_separator(cells(lines[k]))) ++k;
    for (; k < lines.size(); ++k) {
      auto row = cells(lines[k]);
      if (row.empty()) break;
      t.rows.push_back(std::move(row));
    }
  }
  return t;
}

std::optional<double> number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const double x = std::strtod(text.c_str(), &end);
  if (errno != 0 || end != text.c_str() + text.size()) return std::nullopt;
  return x;
}

bool same(double a, double b) {
  if (std::isinf(a) || std::isinf(b)) return a == b;
  return std::fabs(a - b) <= 1e-12 * std::max(1.0, std::fabs(b));
}

struct Range {
  double min = -kInf, max = kInf;
  bool min_exclusive = false;
};

// "any", "> x", ">= x", "<= x", "[a, b]", "(a, b]".
std::optional<Range> parse_range(const std::string& text) {
  Range r;
  if (text == "any") return r;
  if (text.rfind(">=", 0) == 0 || text.rfind("<=", 0) == 0 || text.rfind(">", 0) == 0) {
    const bool ge = text.rfind(">=", 0) == 0, le = text.rfind("<=", 0) == 0;
    const auto x = number(clean(text.substr(ge || le ? 2 : 1)));
    if (!x) return std::nullopt;
    if (le)
      r.max = *x;
    else
      r.min = *x, r.min_exclusive = !ge;
    return r;
  }
  if (text.size() > 4 && (text.front() == '[' || text.front() == '(') && text.back() == ']') {
    const auto comma = text.find(',');
    if (comma == std::string::npos) return std::nullopt;
    const auto lo = number(clean(text.substr(1, comma - 1)));
    const auto hi = number(clean(text.substr(comma + 1, text.size() - comma - 2)));
    if (!lo || !hi) return std::nullopt;
    r.min = *lo, r.max = *hi, r.min_exclusive = text.front() == '(';
    return r;
  }
  return std::nullopt;
}

// How the page should write the range of `p` (for failure messages).
std::string range_text(const ParamSpec& p) {
  auto num = [](double x) {
    std::string s = std::to_string(x);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  };
  std::string out;
  if (std::isinf(p.min) && std::isinf(p.max)) {
    out = "any";
  } else if (std::isinf(p.max)) {
    out = p.min_exclusive ? "> " : ">= ";
    out += num(p.min);
  } else if (std::isinf(p.min)) {
    out = "<= ";
    out += num(p.max);
  } else {
    out = p.min_exclusive ? "(" : "[";
    out += num(p.min);
    out += ", ";
    out += num(p.max);
    out += "]";
  }
  return out;
}

std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

const std::vector<std::string> kParameterHeader = {"name", "unit", "default", "range",
                                                   "description"};
const std::vector<std::string> kStateHeader = {"name", "unit", "initial", "description"};

}  // namespace

TEST_CASE("every neuron model has a docs page", "[docs]") {
  REQUIRE(!neuron_models().empty());
  for (const ModelInfo* model : neuron_models()) {
    const std::string path =
        std::string(ENGRAM_SOURCE_DIR) + "/docs/models/" + std::string(model->name) + ".md";
    INFO("page " << path);
    CHECK(std::ifstream(path).good());
  }
}

TEST_CASE("the parameter tables of the model pages match the code", "[docs]") {
  for (const ModelInfo* model : neuron_models()) {
    const std::string path =
        std::string(ENGRAM_SOURCE_DIR) + "/docs/models/" + std::string(model->name) + ".md";
    const std::vector<std::string> lines = read_lines(path);
    INFO("page " << path);
    const Table table = find_table(lines, kParameterHeader);
    REQUIRE(table.headers == 1);

    std::vector<std::string> documented, declared;
    for (const auto& row : table.rows) documented.push_back(row.empty() ? "" : row[0]);
    for (const ParamSpec& p : model->parameters) declared.emplace_back(p.name);
    CHECK(documented == declared);  // every parameter, in the order of the code's table

    for (std::size_t i = 0; i < table.rows.size() && i < model->parameters.size(); ++i) {
      const auto& row = table.rows[i];
      const ParamSpec& p = model->parameters[i];
      INFO("parameter " << p.name);
      REQUIRE(row.size() == kParameterHeader.size());
      CHECK(row[1] == p.unit);
      const auto value = number(row[2]);
      INFO("default written as \"" << row[2] << "\", declared " << p.default_value);
      CHECK(value.has_value());
      if (value) CHECK(same(*value, p.default_value));
      const auto range = parse_range(row[3]);
      INFO("range written as \"" << row[3] << "\", declared \"" << range_text(p) << "\"");
      CHECK(range.has_value());
      if (range) {
        CHECK(same(range->min, p.min));
        CHECK(same(range->max, p.max));
        // Exclusivity only means something for a finite lower bound.
        if (!std::isinf(p.min)) CHECK(range->min_exclusive == p.min_exclusive);
      }
      CHECK(!row[4].empty());
    }
  }
}

TEST_CASE("the state tables of the model pages match the code", "[docs]") {
  for (const ModelInfo* model : neuron_models()) {
    const std::string path =
        std::string(ENGRAM_SOURCE_DIR) + "/docs/models/" + std::string(model->name) + ".md";
    const std::vector<std::string> lines = read_lines(path);
    INFO("page " << path);
    const Table table = find_table(lines, kStateHeader);
    REQUIRE(table.headers == 1);

    std::vector<std::string> documented, declared;
    for (const auto& row : table.rows) documented.push_back(row.empty() ? "" : row[0]);
    for (const StateSpec& s : model->state) declared.emplace_back(s.name);
    CHECK(documented == declared);

    for (std::size_t i = 0; i < table.rows.size() && i < model->state.size(); ++i) {
      const auto& row = table.rows[i];
      const StateSpec& s = model->state[i];
      INFO("state variable " << s.name << ", initial written as \""
                             << (row.size() > 2 ? row[2] : "") << "\"");
      REQUIRE(row.size() == kStateHeader.size());
      CHECK(row[1] == s.unit);
      if (!s.initial_from.empty()) {
        // Written as the parameter it is taken from, e.g. "v_rest".
        CHECK(row[2].rfind(std::string(s.initial_from), 0) == 0);
      } else {
        const auto value = number(row[2]);
        CHECK(value.has_value());
        if (value) CHECK(same(*value, s.initial));
      }
      CHECK(!row[3].empty());
    }
  }
}

TEST_CASE("the docs table parser reads ranges as written", "[docs]") {
  auto check = [](const std::string& text, double min, double max, bool exclusive) {
    const auto r = parse_range(text);
    INFO(text);
    REQUIRE(r.has_value());
    CHECK(same(r->min, min));
    CHECK(same(r->max, max));
    CHECK(r->min_exclusive == exclusive);
  };
  check("any", -kInf, kInf, false);
  check("> 0", 0.0, kInf, true);
  check(">= 0", 0.0, kInf, false);
  check("<= 1", -kInf, 1.0, false);
  check("[0, 1]", 0.0, 1.0, false);
  check("(0, 1]", 0.0, 1.0, true);
  CHECK_FALSE(parse_range("positive").has_value());
  CHECK(cells("| a | `b` |") == std::vector<std::string>{"a", "b"});
  CHECK(cells("not a row").empty());
}

}  // namespace engram
