// Internal: a Model from a YAML mapping with the SCHEMA model fields (or {preset: id}).
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "danlu/catalog.h"

namespace danlu {
// `in_run`: the node is a published run's model, where a field the source did not state is
// left out; a missing vocab then yields vocab = 0 (the run is reported unscored) instead of an error.
Model model_from_node(const YAML::Node& n, const std::string& origin, const Catalog& cat, int* max_seq_len,
                      bool in_run = false);
}  // namespace danlu
