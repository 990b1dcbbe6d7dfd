// Internal: the part every run in a runs file shares (SCHEMA.md), read once for the training,
// inference and whole-run parsers: the file is a list; each entry is a mapping with a known
// kind; entries of the wanted kind have an id unique in the file and a model.
#pragma once

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <set>
#include <string>

#include "danlu/catalog.h"
#include "danlu/error.h"
#include "io/model_node.h"
#include "io/yaml_util.h"

namespace danlu::io {

// Calls f(node, where, id, model) for each run of `kind`, in file order.
template <class F>
void for_each_run(const std::string& text, const std::string& origin, const Catalog& cat, const char* kind, F&& f) {
  const YAML::Node root = parse_yaml(text, origin);
  if (!root.IsSequence()) {
    throw InputError(fmt::format("{}: a runs file must be a YAML list of runs (see SCHEMA.md)", origin));
  }
  std::set<std::string> ids;
  for (const YAML::Node& n : root) {
    const std::string w = where(origin, n);
    if (!n.IsMap()) throw InputError(fmt::format("{}: each run must be a mapping", w));
    const std::string k = io::text(n, "kind", origin, true);
    if (k != "training" && k != "inference" && k != "wholerun") {
      throw InputError(fmt::format("{}: kind '{}' is not one of training, inference, wholerun{}", w, k.substr(0, 40),
                                   did_you_mean(k, {"training", "inference", "wholerun"})));
    }
    if (k != kind) continue;
    const std::string id = io::text(n, "id", origin, true);
    if (!ids.insert(id).second) throw InputError(fmt::format("{}: duplicate run id '{}'", w, id));
    if (!n["model"]) throw InputError(fmt::format("{}: run '{}' has no model", w, id));
    f(n, w, id, model_from_node(n["model"], origin, cat, nullptr, /*in_run=*/true));
  }
}

}  // namespace danlu::io
