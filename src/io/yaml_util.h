// Small helpers over yaml-cpp: typed field reads that throw InputError with file:line,
// the allowed range, and the field's name.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "danlu/error.h"

namespace danlu::io {

// "origin:line" for a node (line is 1-based); just origin when the node has no mark.
std::string where(const std::string& origin, const YAML::Node& n);

// Parse YAML text; malformed text -> InputError "origin:line: malformed YAML: ...".
YAML::Node parse_yaml(const std::string& text, const std::string& origin);

// A number field, as a plain scalar or as {value: x, source: ...}. Missing and not required
// -> `fallback`. Non-numeric, NaN or outside [lo, hi] -> InputError.
double number(const YAML::Node& parent, const char* key, const std::string& origin, bool required,
              double fallback, double lo, double hi);
// An integer field in [lo, hi].
long integer(const YAML::Node& parent, const char* key, const std::string& origin, bool required,
             long fallback, long lo, long hi);
bool boolean(const YAML::Node& parent, const char* key, const std::string& origin, bool fallback);
std::string text(const YAML::Node& parent, const char* key, const std::string& origin, bool required);
// The `source` string of a {value, source} field ("" when plain).
std::string source_of(const YAML::Node& parent, const char* key);
bool uncertain_of(const YAML::Node& parent, const char* key);

// Parse a whole string as a number; false if it is not one (used for CLI and YAML).
bool parse_number(const std::string& s, double* out);

}  // namespace danlu::io
