// The danlu command line as a function, so the executable (cli/main.cc) and the Python module
// (python/danlu_module.cc) run the same parser and commands. Output goes through cli/output.h.
#pragma once

#include <string>

namespace danlu {

// Parse argv (argv[0] is the program name) and run the command. Returns the exit code:
// 0 on success, 2 on bad input (one line emitted as an error), 130 when interrupted.
int run_cli(int argc, char** argv);

// `danlu validate` on runs given as text (YAML or JSON, the SCHEMA.md list) rather than a
// file: the report (JSON when json is true) or an InputError naming `origin`.
std::string validate_runs_text(const std::string& text, const std::string& origin, bool json, bool rank);

}  // namespace danlu
