// The documented format and its examples: every example network loads, compiles and
// satisfies io/network.schema.json; docs/network-format.md shows the files of docs/examples/
// verbatim; the schema rejects documents the reader rejects, and lists the same models,
// parameters and state variables as the engine's registry.
#define VALIJSON_USE_EXCEPTIONS 1

// GCC 12 reports a false -Wrestrict in std::string code inlined into valijson's templates,
// which are instantiated throughout this file.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include "engine/compile.hpp"
#include "engine/error.hpp"
#include "engine/neuron_model.hpp"
#include "io/network_json.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const fs::path kSource = ENGRAM_SOURCE_DIR;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

json read_json(const fs::path& path) {
  return json::parse(read_text(path));
}

// The .json files of a folder of the source tree, sorted.
std::vector<fs::path> json_files(const fs::path& folder) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(kSource / folder))
    if (entry.is_regular_file() && entry.path().extension() == ".json") out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

// io/network.schema.json, parsed once.
class Schema {
 public:
  Schema() : document_(read_json(kSource / "io" / "network.schema.json")) {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(document_);
    parser.populateSchema(adapter, schema_);
  }

  // "" when `doc` satisfies the schema; otherwise one line per error.
  std::string errors(const json& doc) const {
    valijson::Validator validator;
    valijson::ValidationResults results;
    valijson::adapters::NlohmannJsonAdapter target(doc);
    if (validator.validate(schema_, target, &results)) return {};
    std::string out;
    valijson::ValidationResults::Error e;
    while (results.popError(e)) {
      std::string where;
      for (const auto& c : e.context) where += c;
      out += where + ": " + e.description + "\n";
    }
    return out.empty() ? "invalid" : out;
  }

  const json& document() const { return document_; }

 private:
  json document_;
  valijson::Schema schema_;
};

const Schema& schema() {
  static const Schema s;
  return s;
}

std::string reader_errors(const json& doc) {
  try {
    engram::io::parse_network(doc);
  } catch (const engram::InputError& e) {
    return engram::format_diagnostics(e.diagnostics());
  }
  return {};
}

}  // namespace

TEST_CASE("every example network loads, compiles and satisfies the schema", "[docs]") {
  std::vector<fs::path> files = json_files("docs/examples");
  REQUIRE(files.size() >= 5);
  const auto shipped = json_files("examples");
  REQUIRE(!shipped.empty());
  files.insert(files.end(), shipped.begin(), shipped.end());
  for (const fs::path& file : files) {
    INFO(file.string());
    engram::NetworkSpec spec;
    try {
      spec = engram::io::load_network(file);
    } catch (const engram::InputError& e) {
      FAIL(e.what());
    }
    try {
      const auto runtime = engram::compile(spec);
      CHECK(runtime->neuron_count() > 0);
    } catch (const engram::InputError& e) {
      FAIL(e.what());
    }
    CHECK(schema().errors(read_json(file)) == "");
    // What to_json writes is the format too.
    const json written = engram::io::to_json(spec);
    CHECK(schema().errors(written) == "");
    CHECK(reader_errors(written) == "");
  }
}

TEST_CASE("network-format.md shows every docs example verbatim and no other JSON", "[docs]") {
  const fs::path page = kSource / "docs" / "network-format.md";
  std::istringstream in(read_text(page));
  const std::regex names_example(R"(docs/examples/([A-Za-z0-9_\-]+\.json))");
  std::set<std::string> shown;
  std::string line, label;  // label: the last non-empty line outside a fence
  int blocks = 0;
  while (std::getline(in, line)) {
    if (line.rfind("```json", 0) != 0) {
      if (line.find_first_not_of(" \t\r") != std::string::npos) label = line;
      continue;
    }
    ++blocks;
    std::string body;
    bool closed = false;
    while (std::getline(in, line)) {
      if (line.rfind("```", 0) == 0) {
        closed = true;
        break;
      }
      body += line + "\n";
    }
    INFO("json block " << blocks << " after the line: " << label);
    REQUIRE(closed);
    std::smatch m;
    // A JSON block stands for a file: the line above it names the file it shows.
    REQUIRE(std::regex_search(label, m, names_example));
    const fs::path file = kSource / "docs" / "examples" / m[1].str();
    REQUIRE(fs::exists(file));
    json shown_json;
    REQUIRE_NOTHROW(shown_json = json::parse(body));
    CHECK(shown_json == read_json(file));
    shown.insert(m[1].str());
    label.clear();
  }
  for (const fs::path& file : json_files("docs/examples")) {
    INFO(file.filename().string() << " is not shown in docs/network-format.md");
    CHECK(shown.count(file.filename().string()) == 1);
  }
  const std::string text = read_text(page);
  for (const fs::path& file : json_files("examples")) {
    INFO("examples/" << file.filename().string() << " is not named in docs/network-format.md");
    CHECK(text.find("examples/" + file.filename().string()) != std::string::npos);
  }
}

TEST_CASE("the schema rejects documents that the reader rejects", "[docs]") {
  const json base = json::parse(R"({
    "dt": 0.1,
    "populations": [
      {"name": "in", "size": 4, "model": "SpikeSourceArray", "spike_times": [1.0, 2.0]},
      {"name": "out", "size": 4, "model": "IF_curr_exp", "parameters": {"tau_m": 10.0}}
    ],
    "projections": [
      {"pre": "in", "post": "out", "connector": {"type": "OneToOne"}, "synapse": {"weight": 0.5}}
    ],
    "stimuli": [{"type": "DCSource", "target": "out[0:2]", "amplitude": 0.1}]
  })");
  REQUIRE(schema().errors(base) == "");
  REQUIRE(reader_errors(base) == "");

  using Edit = std::function<void(json&)>;
  const std::vector<std::pair<std::string, Edit>> cases = {
      {"unknown top-level key", [](json& d) { d["populatons"] = json::array(); }},
      {"no populations", [](json& d) { d.erase("populations"); }},
      {"empty population list", [](json& d) { d["populations"] = json::array(); }},
      {"dt of 0", [](json& d) { d["dt"] = 0; }},
      {"negative seed", [](json& d) { d["seed"] = -1; }},
      {"size 0", [](json& d) { d["populations"][1]["size"] = 0; }},
      {"population name with a colon", [](json& d) { d["populations"][1]["name"] = "o:ut"; }},
      {"unknown model", [](json& d) { d["populations"][1]["model"] = "IF_curr_expp"; }},
      {"unknown parameter of the model",
       [](json& d) { d["populations"][1]["parameters"]["tau_syn"] = 5.0; }},
      {"parameter of another model",
       [](json& d) { d["populations"][1]["parameters"]["e_rev_E"] = 0.0; }},
      {"parameter out of range", [](json& d) { d["populations"][1]["parameters"]["tau_m"] = 0.0; }},
      {"parameter as a distribution",
       [](json& d) {
         d["populations"][1]["parameters"]["tau_m"] = {
             {"distribution", "uniform"}, {"low", 5}, {"high", 9}};
       }},
      {"unknown state variable", [](json& d) { d["populations"][1]["initial"]["gsyn_exc"] = 0.0; }},
      {"unknown distribution",
       [](json& d) {
         d["populations"][1]["initial"]["v"] = {
             {"distribution", "lognormal"}, {"mu", 1}, {"sigma", 1}};
       }},
      {"distribution with an unknown field",
       [](json& d) {
         d["populations"][1]["initial"]["v"] = {
             {"distribution", "uniform"}, {"low", -70}, {"high", -60}, {"mu", 0}};
       }},
      {"distribution without a field",
       [](json& d) {
         d["populations"][1]["initial"]["v"] = {{"distribution", "normal"}, {"mu", -65}};
       }},
      {"negative sigma",
       [](json& d) {
         d["populations"][1]["initial"]["v"] = {
             {"distribution", "normal"}, {"mu", -65}, {"sigma", -1}};
       }},
      {"spinnaker integration of a conductance model",
       [](json& d) {
         d["populations"][1]["model"] = "IF_cond_exp";
         d["populations"][1]["integration"] = "spinnaker";
       }},
      {"unknown integration", [](json& d) { d["populations"][1]["integration"] = "euler"; }},
      {"spike times on a neuron model",
       [](json& d) { d["populations"][1]["spike_times"] = {1.0}; }},
      {"negative spike time", [](json& d) { d["populations"][0]["spike_times"] = {-1.0}; }},
      {"spike times mixing lists and numbers",
       [](json& d) {
         d["populations"][0]["spike_times"] = json::parse("[[1.0], 2.0, [3.0], [4.0]]");
       }},
      {"recording an unknown variable",
       [](json& d) {
         d["populations"][1]["record"] = {{"variables", {"gsyn_exc"}}};
       }},
      {"unknown key in record",
       [](json& d) {
         d["populations"][1]["record"] = {{"spike", true}};
       }},
      {"record interval of 0",
       [](json& d) {
         d["populations"][1]["record"] = {{"interval", 0}};
       }},
      {"malformed slice", [](json& d) { d["projections"][0]["pre"] = "in[1:2:3]"; }},
      {"slice with a name index", [](json& d) { d["projections"][0]["post"] = "out[a]"; }},
      {"projection without a synapse", [](json& d) { d["projections"][0].erase("synapse"); }},
      {"unknown connector",
       [](json& d) {
         d["projections"][0]["connector"] = {{"type", "FixedIndegree"}};
       }},
      {"connector without a type",
       [](json& d) { d["projections"][0]["connector"] = json::object(); }},
      {"key of another connector",
       [](json& d) {
         d["projections"][0]["connector"] = {{"type", "OneToOne"}, {"p", 0.5}};
       }},
      {"description in a connector",
       [](json& d) { d["projections"][0]["connector"]["description"] = "one to one"; }},
      {"probability above 1",
       [](json& d) {
         d["projections"][0]["connector"] = {{"type", "FixedProbability"}, {"p", 1.5}};
       }},
      {"probability missing",
       [](json& d) {
         d["projections"][0]["connector"] = {{"type", "FixedProbability"}};
       }},
      {"negative number of partners",
       [](json& d) {
         d["projections"][0]["connector"] = {{"type", "FixedNumberPre"}, {"n", -2}};
       }},
      {"FromList entry of five numbers",
       [](json& d) {
         d["projections"][0]["connector"] = {{"type", "FromList"},
                                             {"connections", {{0, 1, 0.5, 1.0, 2.0}}}};
       }},
      {"FromList entry with a negative index",
       [](json& d) {
         d["projections"][0]["connector"] = {{"type", "FromList"}, {"connections", {{-1, 1}}}};
       }},
      {"FromList without connections",
       [](json& d) {
         d["projections"][0]["connector"] = {{"type", "FromList"}};
       }},
      {"negative weight", [](json& d) { d["projections"][0]["synapse"]["weight"] = -0.5; }},
      {"weight from an unbounded normal",
       [](json& d) {
         d["projections"][0]["synapse"]["weight"] = {
             {"distribution", "normal"}, {"mu", 0.5}, {"sigma", 0.1}};
       }},
      {"weight from a uniform reaching below 0",
       [](json& d) {
         d["projections"][0]["synapse"]["weight"] = {
             {"distribution", "uniform"}, {"low", -0.1}, {"high", 0.5}};
       }},
      {"zero delay", [](json& d) { d["projections"][0]["synapse"]["delay"] = 0.0; }},
      {"synapse without weight", [](json& d) { d["projections"][0]["synapse"].erase("weight"); }},
      {"unknown synapse type", [](json& d) { d["projections"][0]["synapse"]["type"] = "Tsodyks"; }},
      {"unknown receptor",
       [](json& d) { d["projections"][0]["synapse"]["receptor"] = "excitory"; }},
      {"timing rule on a static synapse",
       [](json& d) {
         d["projections"][0]["synapse"]["timing"] = {{"type", "SpikePair"}};
       }},
      {"STDP without a weight dependence",
       [](json& d) {
         d["projections"][0]["synapse"]["type"] = "STDP";
         d["projections"][0]["synapse"]["timing"] = json::object();
       }},
      {"unknown timing rule",
       [](json& d) {
         auto& s = d["projections"][0]["synapse"];
         s["type"] = "STDP";
         s["timing"] = {{"type", "Vogels2011"}};
         s["weight_dependence"] = json::object();
       }},
      {"unknown weight dependence",
       [](json& d) {
         auto& s = d["projections"][0]["synapse"];
         s["type"] = "STDP";
         s["timing"] = json::object();
         s["weight_dependence"] = {{"type", "AdditiveMultiplicative"}};
       }},
      {"negative tau_plus",
       [](json& d) {
         auto& s = d["projections"][0]["synapse"];
         s["type"] = "STDP";
         s["timing"] = {{"tau_plus", -20.0}};
         s["weight_dependence"] = json::object();
       }},
      {"unknown stimulus", [](json& d) { d["stimuli"][0]["type"] = "ACSource"; }},
      {"stimulus without target", [](json& d) { d["stimuli"][0].erase("target"); }},
      {"key of another stimulus", [](json& d) { d["stimuli"][0]["rate"] = 10.0; }},
      {"negative DC start", [](json& d) { d["stimuli"][0]["start"] = -1.0; }},
      {"PoissonInput of no sources",
       [](json& d) {
         d["stimuli"][0] = {
             {"type", "PoissonInput"}, {"target", "out"}, {"rate", 5.0}, {"number", 0}};
       }},
      {"step source without amplitudes",
       [](json& d) {
         d["stimuli"][0] = {{"type", "StepCurrentSource"}, {"target", "out"}, {"times", {1.0}}};
       }},
  };
  for (const auto& [label, edit] : cases) {
    INFO(label);
    json doc = base;
    edit(doc);
    CHECK(reader_errors(doc) != "");
    CHECK(schema().errors(doc) != "");
  }
}

TEST_CASE("the schema lists the models, parameters and state variables of the registry", "[docs]") {
  const json& s = schema().document();
  const json& population = s.at("definitions").at("population");
  const auto names = engram::neuron_model_names();
  CHECK(population.at("properties").at("model").at("enum").get<std::vector<std::string>>() ==
        names);

  for (const engram::ModelInfo* model : engram::neuron_models()) {
    INFO(model->name);
    const json* then = nullptr;
    for (const json& branch : population.at("allOf"))
      if (branch.at("if").at("properties").at("model").at("const") == std::string(model->name))
        then = &branch.at("then");
    REQUIRE(then != nullptr);
    const json& props = then->at("properties");

    std::vector<std::string> params;
    if (props.at("parameters").contains("propertyNames"))
      params =
          props.at("parameters").at("propertyNames").at("enum").get<std::vector<std::string>>();
    CHECK(params == model->parameter_names());
    for (const auto& ps : model->parameters) {
      INFO(ps.name);
      const json& p = props.at("parameters").at("properties").at(std::string(ps.name));
      if (std::isfinite(ps.min)) {
        const char* key = ps.min_exclusive ? "exclusiveMinimum" : "minimum";
        REQUIRE(p.contains(key));
        CHECK(p.at(key).get<double>() == ps.min);
      } else {
        CHECK(!p.contains("minimum"));
        CHECK(!p.contains("exclusiveMinimum"));
      }
      if (std::isfinite(ps.max))
        CHECK(p.at("maximum").get<double>() == ps.max);
      else
        CHECK(!p.contains("maximum"));
    }

    std::vector<std::string> states;
    if (props.at("initial").contains("propertyNames"))
      states = props.at("initial").at("propertyNames").at("enum").get<std::vector<std::string>>();
    CHECK(states == model->state_names());

    std::vector<std::string> integrations;
    for (auto i : model->integrations) integrations.emplace_back(i);
    CHECK(props.at("integration").at("enum").get<std::vector<std::string>>() == integrations);
  }
}
