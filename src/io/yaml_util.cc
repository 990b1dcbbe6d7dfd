#include "io/yaml_util.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>

namespace danlu::io {

std::string where(const std::string& origin, const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  if (m.line < 0) return origin;
  return fmt::format("{}:{}", origin, m.line + 1);
}

YAML::Node parse_yaml(const std::string& text, const std::string& origin) {
  if (text.find('\0') != std::string::npos) {
    throw InputError(fmt::format("{}: not a text file (contains NUL bytes); expected YAML", origin));
  }
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError(fmt::format("{}:{}: malformed YAML: {}", origin, e.mark.line + 1, e.msg));
  }
}

bool parse_number(const std::string& s, double* out) {
  if (s.empty() || s.size() > 64) return false;
  const char* b = s.c_str();
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(b, &end);
  if (end == b || *end != '\0' || errno == ERANGE || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

namespace {

YAML::Node value_node(const YAML::Node& parent, const char* key) {
  if (!parent.IsMap()) return YAML::Node();
  YAML::Node n = parent[key];
  if (n && n.IsMap() && n["value"]) return n["value"];
  return n;
}

}  // namespace

double number(const YAML::Node& parent, const char* key, const std::string& origin, bool required,
              double fallback, double lo, double hi) {
  const YAML::Node n = value_node(parent, key);
  if (!n || n.IsNull()) {
    if (required) {
      throw InputError(fmt::format("{}: missing required field '{}' (a number in [{}, {}])",
                                   where(origin, parent), key, lo, hi));
    }
    return fallback;
  }
  double v = 0;
  if (!n.IsScalar() || !parse_number(n.Scalar(), &v)) {
    throw InputError(fmt::format("{}: field '{}' must be a number in [{}, {}], got '{}'",
                                 where(origin, n), key, lo, hi,
                                 n.IsScalar() ? n.Scalar().substr(0, 40) : std::string("a non-scalar")));
  }
  if (v < lo || v > hi) {
    throw InputError(fmt::format("{}: field '{}' = {} is out of range; allowed [{}, {}]",
                                 where(origin, n), key, n.Scalar().substr(0, 40), lo, hi));
  }
  return v;
}

long integer(const YAML::Node& parent, const char* key, const std::string& origin, bool required,
             long fallback, long lo, long hi) {
  const double v = number(parent, key, origin, required, static_cast<double>(fallback),
                          static_cast<double>(lo), static_cast<double>(hi));
  if (v != std::floor(v)) {
    throw InputError(fmt::format("{}: field '{}' must be a whole number, got {}",
                                 where(origin, value_node(parent, key)), key, v));
  }
  return static_cast<long>(v);
}

bool boolean(const YAML::Node& parent, const char* key, const std::string& origin, bool fallback) {
  const YAML::Node n = value_node(parent, key);
  if (!n || n.IsNull()) return fallback;
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    if (s == "true" || s == "True" || s == "yes") return true;
    if (s == "false" || s == "False" || s == "no") return false;
  }
  const std::string got = n.IsScalar() ? fmt::format(", not '{}'", n.Scalar().substr(0, 40)) : std::string(", not a list or mapping");
  throw InputError(fmt::format("{}: field '{}' must be true or false{}", where(origin, n), key, got));
}

std::string text(const YAML::Node& parent, const char* key, const std::string& origin, bool required) {
  const YAML::Node n = parent.IsMap() ? parent[key] : YAML::Node();
  if (!n || n.IsNull()) {
    if (required) {
      throw InputError(fmt::format("{}: missing required field '{}' (a string)", where(origin, parent), key));
    }
    return "";
  }
  if (!n.IsScalar()) {
    throw InputError(fmt::format("{}: field '{}' must be a string", where(origin, n), key));
  }
  return n.Scalar();
}

std::string source_of(const YAML::Node& parent, const char* key) {
  if (!parent.IsMap()) return "";
  const YAML::Node n = parent[key];
  if (n && n.IsMap() && n["source"] && n["source"].IsScalar()) return n["source"].Scalar();
  return "";
}

bool uncertain_of(const YAML::Node& parent, const char* key) {
  if (!parent.IsMap()) return false;
  const YAML::Node n = parent[key];
  return n && n.IsMap() && n["uncertain"] && n["uncertain"].IsScalar() && n["uncertain"].Scalar() == "true";
}

}  // namespace danlu::io
