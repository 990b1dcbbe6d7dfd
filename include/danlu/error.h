// danlu/error.h — the one error type that reaches users: bad input.
//
// Every parser and checker throws InputError with a complete one-line message (what is
// wrong, where — file:line for files —, what is allowed, the closest known name). The CLI
// prints it and exits with code 2. Estimator code never throws.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace danlu {

// `msg` as one printable line: newlines, tabs and other control characters that user text
// may carry are shown escaped (\n, \x01), so an error never spans lines.
std::string one_line(std::string_view msg);

class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& what) : std::runtime_error(one_line(what)) {}
};

// The candidate closest to `name` by edit distance (case-insensitive), or "" if none is
// reasonably close. Used for "did you mean" hints.
std::string closest_name(std::string_view name, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" or "".
std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace danlu
