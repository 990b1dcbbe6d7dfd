// Numeric command-line flags (cli/flags.h).
#include "cli/flags.h"

#include <fmt/format.h>

#include <cmath>

#include "danlu/error.h"
#include "io/yaml_util.h"

namespace danlu {

std::optional<long> int_flag(const std::string& name, const std::string& text, long lo, long hi) {
  if (text.empty()) return std::nullopt;  // flag not given (an explicit empty value is caught by CLI11's check)
  double v = 0;
  if (!io::parse_number(text, &v)) {
    throw InputError(fmt::format("--{}: '{}' is not a number; allowed: a whole number in [{}, {}]", name,
                                 text.substr(0, 40), lo, hi));
  }
  if (v != std::floor(v)) {
    throw InputError(fmt::format("--{}: {} is not a whole number; allowed: [{}, {}]", name, text.substr(0, 40), lo, hi));
  }
  if (v < static_cast<double>(lo) || v > static_cast<double>(hi)) {
    throw InputError(fmt::format("--{}: {} is out of range; allowed: [{}, {}]", name, text.substr(0, 40), lo, hi));
  }
  return static_cast<long>(v);
}

std::optional<int> int_opt(const std::string& name, const std::string& text, long lo, long hi) {
  const auto v = int_flag(name, text, lo, hi);
  if (!v) return std::nullopt;
  return static_cast<int>(*v);
}

std::optional<bool> bool_opt(const std::string& name, const std::string& text) {
  if (text.empty()) return std::nullopt;
  if (text == "true" || text == "on") return true;
  if (text == "false" || text == "off") return false;
  throw InputError(fmt::format("--{}: '{}' is not one of true, false, on, off", name, text.substr(0, 40)));
}

double real_flag(const std::string& name, const std::string& text, double lo, double hi, double fallback) {
  if (text.empty()) return fallback;
  double v = 0;
  if (!io::parse_number(text, &v) || !(v >= lo && v <= hi)) {
    throw InputError(fmt::format("--{}: '{}' is not allowed; allowed: a number in [{}, {}]", name, text.substr(0, 40), lo, hi));
  }
  return v;
}

}  // namespace danlu
