// `danlu scenario` (cli/scenario_cmd.h).
//
// Scenario file:
//   id: C4                      claim id (talk-claims.md) or any short name
//   claim: "text"               the claim in words
//   kind: E                     F fact, E estimate, P prediction (talk-claims.md)
//   source: "talk line 66"
//   value: {run: [cost, --accelerator, b200, --gpus, "1000"], path: build.facility_mw}
//   divide_by: {run: [...], path: ...}     optional: the figure is value / divide_by
//   scale: 1.0                  optional multiplier (unit conversion)
//   unit: MW
//   claimed: {value: 1.0, tolerance_pct: 25}  or  {min: 0.9}  or  {max: 200}
//   assumptions: "what danlu assumed"
//   if_off: "the physical reason danlu gives when the claim does not hold"
// `run` is a danlu command line without `danlu` and without --json (added); relative .yaml/.json
// arguments are looked up beside the scenario file first. `path` walks the
// JSON output: keys, list indices and [key=value] selectors, separated by dots.
#include "cli/output.h"
#include "cli/scenario_cmd.h"
#include "cli/child.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "danlu/error.h"
#include "danlu/inputs.h"
#include "danlu/report.h"
#include "io/yaml_util.h"

namespace danlu {

namespace {

struct Figure {
  std::vector<std::string> run;
  std::string path;
};

struct Scenario {
  std::string file, id, claim, kind, source, unit, assumptions, if_off;
  Figure value, divide_by;
  bool has_divisor = false;
  double scale = 1;
  bool has_value = false, has_min = false, has_max = false;
  double claimed = 0, tolerance_pct = 0, min = 0, max = 0;
};

struct Outcome {
  double figure = 0;
  bool consistent = false;
  double off_pct = 0;  // vs the claimed value, or the nearest bound
  std::string expected, commands;
};

// Run `self` with args (+ --json); its stdout, or InputError with its one-line stderr.
std::string run_danlu(const char* self, const std::vector<std::string>& args, const std::string& where) {
  std::vector<std::string> all = args;
  all.emplace_back("--json");
  ChildResult c = run_child(self, all, 0);
  if (c.exit_code != 0) {
    std::string cmd;
    for (const std::string& a : args) cmd += " " + a;
    while (!c.err.empty() && (c.err.back() == '\n' || c.err.back() == '\r')) c.err.pop_back();
    throw InputError(fmt::format("{}: `danlu{}` failed: {}", where, cmd, c.err.empty() ? "no message" : c.err));
  }
  return c.out;
}

double walk(const nlohmann::json& root, const std::string& path, const std::string& where) {
  const nlohmann::json* cur = &root;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t end = pos;
    if (pos < path.size() && path[pos] == '[') {
      end = path.find(']', pos);
      if (end == std::string::npos) throw InputError(fmt::format("{}: path '{}': unclosed '['", where, path));
      ++end;
    } else {
      end = path.find('.', pos);
      if (end == std::string::npos) end = path.size();
    }
    const std::string seg = path.substr(pos, end - pos);
    if (seg.empty()) throw InputError(fmt::format("{}: path '{}' has an empty step", where, path));
    if (seg.front() == '[') {
      const std::string inner = seg.substr(1, seg.size() - 2);
      const size_t eq = inner.find('=');
      if (eq == std::string::npos || !cur->is_array()) {
        throw InputError(fmt::format("{}: path '{}': [key=value] needs a list here", where, path));
      }
      const std::string k = inner.substr(0, eq), v = inner.substr(eq + 1);
      const nlohmann::json* hit = nullptr;
      for (const auto& e : *cur) {
        if (e.is_object() && e.contains(k) && e[k].is_string() && e[k].get<std::string>() == v) hit = &e;
      }
      if (hit == nullptr) throw InputError(fmt::format("{}: path '{}': no element with {} = {}", where, path, k, v));
      cur = hit;
    } else if (cur->is_array()) {
      double idx = 0;
      if (!io::parse_number(seg, &idx) || idx < 0 || idx >= static_cast<double>(cur->size())) {
        throw InputError(fmt::format("{}: path '{}': '{}' is not an index of a {}-element list", where, path, seg, cur->size()));
      }
      cur = &(*cur)[static_cast<size_t>(idx)];
    } else if (cur->is_object()) {
      if (!cur->contains(seg)) {
        std::vector<std::string> keys;
        for (const auto& kv : cur->items()) keys.push_back(kv.key());
        throw InputError(fmt::format("{}: path '{}': no key '{}'{}", where, path, seg, did_you_mean(seg, keys)));
      }
      cur = &(*cur)[seg];
    } else {
      throw InputError(fmt::format("{}: path '{}': '{}' goes past a value", where, path, seg));
    }
    pos = end;
    if (pos < path.size() && path[pos] == '.') ++pos;
    if (pos >= path.size()) break;
  }
  if (!cur->is_number()) throw InputError(fmt::format("{}: path '{}' does not end at a number", where, path));
  return cur->get<double>();
}

Figure read_figure(const YAML::Node& n, const std::string& origin, const char* key) {
  const YAML::Node f = n[key];
  if (!f.IsMap() || !f["run"] || !f["run"].IsSequence() || !f["path"]) {
    throw InputError(fmt::format("{}: '{}' must be {{run: [danlu arguments], path: json.path}}", io::where(origin, f ? f : n), key));
  }
  Figure out;
  for (const auto& a : f["run"]) {
    if (!a.IsScalar()) throw InputError(fmt::format("{}: '{}.run' holds plain arguments", io::where(origin, a), key));
    out.run.push_back(a.Scalar());
  }
  if (out.run.empty()) throw InputError(fmt::format("{}: '{}.run' is empty", io::where(origin, f), key));
  // Relative file arguments (models, cost overrides) are found beside the scenario file.
  namespace fs = std::filesystem;
  for (std::string& a : out.run) {
    const fs::path p(a);
    const std::string ext = p.extension().string();
    std::error_code ec;
    if ((ext == ".yaml" || ext == ".json") && p.is_relative()) {
      const fs::path beside = fs::path(origin).parent_path() / p;
      if (fs::exists(beside, ec)) a = beside.string();
    }
  }
  out.path = io::text(f, "path", origin, true);
  return out;
}

Scenario read_scenario(const std::string& file) {
  const std::string text = read_text_file(file);
  const YAML::Node root = io::parse_yaml(text, file);
  if (!root.IsMap()) throw InputError(fmt::format("{}: a scenario is a mapping (id, claim, value, claimed, ...)", file));
  const std::vector<std::string> known = {"id", "claim", "original", "kind", "source", "value", "divide_by", "scale",
                                          "unit", "claimed", "assumptions", "if_off"};
  for (const auto& kv : root) {
    const std::string k = kv.first.Scalar();
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      throw InputError(fmt::format("{}: unknown scenario key '{}'{}", io::where(file, kv.first), k.substr(0, 40), did_you_mean(k, known)));
    }
  }
  Scenario s;
  s.file = file;
  s.id = io::text(root, "id", file, true);
  s.claim = io::text(root, "claim", file, true);
  s.kind = io::text(root, "kind", file, true);
  s.source = io::text(root, "source", file, false);
  s.unit = io::text(root, "unit", file, false);
  s.assumptions = io::text(root, "assumptions", file, false);
  s.if_off = io::text(root, "if_off", file, false);
  s.value = read_figure(root, file, "value");
  if (root["divide_by"]) {
    s.divide_by = read_figure(root, file, "divide_by");
    s.has_divisor = true;
  }
  s.scale = io::number(root, "scale", file, false, 1, -1e30, 1e30);
  const YAML::Node c = root["claimed"];
  if (!c || !c.IsMap()) throw InputError(fmt::format("{}: 'claimed' must be {{value, tolerance_pct}} or {{min, max}}", io::where(file, c ? c : root)));
  s.has_value = static_cast<bool>(c["value"]);
  s.has_min = static_cast<bool>(c["min"]);
  s.has_max = static_cast<bool>(c["max"]);
  if (s.has_value == (s.has_min || s.has_max)) {
    throw InputError(fmt::format("{}: 'claimed' takes either value (+ tolerance_pct) or min/max", io::where(file, c)));
  }
  if (s.has_value) {
    s.claimed = io::number(c, "value", file, true, 0, -1e30, 1e30);
    s.tolerance_pct = io::number(c, "tolerance_pct", file, true, 0, 0, 1000);
  }
  if (s.has_min) s.min = io::number(c, "min", file, true, 0, -1e30, 1e30);
  if (s.has_max) s.max = io::number(c, "max", file, true, 0, -1e30, 1e30);
  return s;
}

std::string join(const std::vector<std::string>& v) {
  std::string s = "danlu";
  for (const std::string& a : v) s += " " + a;
  return s;
}

Outcome evaluate(const Scenario& s, const char* self) {
  Outcome o;
  const std::string where = s.file;
  double v = walk(nlohmann::json::parse(run_danlu(self, s.value.run, where)), s.value.path, where);
  o.commands = join(s.value.run);
  if (s.has_divisor) {
    const double d = walk(nlohmann::json::parse(run_danlu(self, s.divide_by.run, where)), s.divide_by.path, where);
    if (d == 0) throw InputError(fmt::format("{}: divide_by is zero", where));
    v /= d;
    o.commands += " ÷ " + join(s.divide_by.run);
  }
  o.figure = v * s.scale;
  if (s.has_value) {
    o.off_pct = s.claimed != 0 ? 100.0 * (o.figure - s.claimed) / std::fabs(s.claimed) : 0;
    o.consistent = std::fabs(o.off_pct) <= s.tolerance_pct;
    o.expected = fmt::format("{:.4g} ± {:g} %", s.claimed, s.tolerance_pct);
  } else {
    const bool lo = !s.has_min || o.figure >= s.min, hi = !s.has_max || o.figure <= s.max;
    o.consistent = lo && hi;
    if (!lo) o.off_pct = 100.0 * (o.figure - s.min) / std::fabs(s.min);
    if (!hi) o.off_pct = 100.0 * (o.figure - s.max) / std::fabs(s.max);
    o.expected = s.has_min && s.has_max ? fmt::format("{:.4g} .. {:.4g}", s.min, s.max)
                 : s.has_min            ? fmt::format(">= {:.4g}", s.min)
                                        : fmt::format("<= {:.4g}", s.max);
  }
  return o;
}

std::string verdict_text(const Scenario& s, const Outcome& o) {
  if (o.consistent) return "consistent";
  return fmt::format("off by {:+.0f} %{}", o.off_pct, s.if_off.empty() ? "" : ": " + s.if_off);
}

}  // namespace

int run_scenario(const std::string& path, bool json, const char* self) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const auto& e : fs::directory_iterator(path, ec)) {
      if (e.path().extension() == ".yaml") files.push_back(e.path().string());
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) throw InputError(fmt::format("{}: no *.yaml scenarios in this directory", path));
  } else {
    files.push_back(path);
  }
  // Read every file first, so a bad one stops the run before any output.
  std::vector<Scenario> scenarios;
  for (const std::string& f : files) scenarios.push_back(read_scenario(f));
  std::vector<Outcome> outcomes;
  for (const Scenario& s : scenarios) outcomes.push_back(evaluate(s, self));

  std::string out;
  if (json) {
    nlohmann::json a = nlohmann::json::array();
    for (size_t i = 0; i < scenarios.size(); ++i) {
      const Scenario& s = scenarios[i];
      const Outcome& o = outcomes[i];
      a.push_back({{"id", s.id}, {"claim", s.claim}, {"kind", s.kind}, {"source", s.source}, {"danlu", o.figure},
                   {"unit", s.unit}, {"claimed", o.expected}, {"consistent", o.consistent}, {"off_pct", o.off_pct},
                   {"verdict", verdict_text(s, o)}, {"commands", o.commands}, {"assumptions", s.assumptions},
                   {"file", s.file}});
    }
    out = a.dump(2) + "\n";
  } else if (scenarios.size() == 1) {
    const Scenario& s = scenarios[0];
    const Outcome& o = outcomes[0];
    out = fmt::format("claim {} ({}, {}): {}\n\n", s.id, s.kind, s.source, s.claim);
    out += render_table({"", "value"}, {{"danlu", fmt::format("{:.4g} {}", o.figure, s.unit)},
                                        {"claimed", fmt::format("{} {}", o.expected, s.unit)},
                                        {"computed by", o.commands}});
    if (!s.assumptions.empty()) out += "\nassumptions: " + s.assumptions + "\n";
    out += "verdict: " + verdict_text(s, o) + "\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    int ok = 0;
    for (size_t i = 0; i < scenarios.size(); ++i) {
      ok += outcomes[i].consistent ? 1 : 0;
      rows.push_back({scenarios[i].id, fmt::format("{:.4g} {}", outcomes[i].figure, scenarios[i].unit),
                      fmt::format("{} {}", outcomes[i].expected, scenarios[i].unit),
                      outcomes[i].consistent ? "consistent" : fmt::format("off by {:+.0f} %", outcomes[i].off_pct)});
    }
    out = render_table({"claim", "danlu", "claimed", "verdict"}, rows);
    out += fmt::format("\n{} of {} claims consistent with danlu's figures\n", ok, scenarios.size());
  }
  emit(out);
  return 0;
}

}  // namespace danlu
