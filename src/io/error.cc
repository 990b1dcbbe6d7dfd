// Error text helpers: one-line messages, closest-name suggestions (Levenshtein distance).
#include <algorithm>
#include <cctype>

#include "danlu/error.h"

namespace danlu {
namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::string one_line(std::string_view msg) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(msg.size());
  for (const char c : msg) {
    const auto ch = static_cast<unsigned char>(c);
    if (ch == '\n') {
      out += "\\n";
    } else if (ch == '\r') {
      out += "\\r";
    } else if (ch == '\t') {
      out += ' ';
    } else if (ch < 0x20 || ch == 0x7f) {
      out += "\\x";
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    } else {
      out += c;
    }
  }
  return out;
}

std::string closest_name(std::string_view name, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = static_cast<std::size_t>(-1);
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(name.substr(0, 256), c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  // Accept when at most about half of the longer name differs.
  const std::size_t len = std::max(name.size(), best.size());
  if (best.empty() || best_d * 2 > len + 1) return "";
  return best;
}

std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates) {
  const std::string c = closest_name(name, candidates);
  return c.empty() ? std::string() : " (did you mean '" + c + "'?)";
}

}  // namespace danlu
