// Numeric and true/false command-line flags, kept as text by CLI11 until we can say exactly what is wrong with
// them: one line naming the flag, the value and the allowed range (InputError, exit 2).
#pragma once

#include <optional>
#include <string>

namespace danlu {

// A whole number in [lo, hi]; nullopt when the flag was not given (empty text).
std::optional<long> int_flag(const std::string& name, const std::string& text, long lo, long hi);
std::optional<int> int_opt(const std::string& name, const std::string& text, long lo, long hi);

// true|on or false|off; nullopt when the flag was not given (empty text).
std::optional<bool> bool_opt(const std::string& name, const std::string& text);

// A real number in [lo, hi]; `fallback` when the flag was not given (empty text).
double real_flag(const std::string& name, const std::string& text, double lo, double hi, double fallback);

}  // namespace danlu
