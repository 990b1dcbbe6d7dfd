// Runs the danlu binary itself as a child process (posix_spawn, no shell) and captures its
// stdout and stderr. Used by `scenario` (a claim is checked through the same --json interface
// a user has) and by `ui` (each API request runs in its own process: a crash or a runaway
// search cannot take the server down, and a time limit is enforced by killing the child).
#pragma once

#include <string>
#include <vector>

namespace danlu {

struct ChildResult {
  int exit_code = -1;   // -1: killed (time limit) or did not exit normally
  bool timed_out = false;
  std::string out, err;
};

// `self` with `args`; killed after `limit_s` seconds (<= 0: no limit). `input` is written to
// its standard input (then closed), so a request's inline data never touches a file. Throws nothing.
ChildResult run_child(const char* self, const std::vector<std::string>& args, double limit_s,
                      const std::string& input = {});

}  // namespace danlu
