// Where a command's answer goes. The command line writes to stdout and stderr; the Python
// module (python/danlu_module.cc) runs the same commands in-process and captures both into
// strings, so a notebook gets exactly the CLI's --json and its one-line errors.
#pragma once

#include <string>

namespace danlu {

// Write a command's output: to the captured string when a capture is active, else stdout.
void emit(const std::string& text);

// Write one error line ("danlu: error: ..."): captured, else stderr.
void emit_error(const std::string& line);

// While alive, emit/emit_error append to *out and *err instead of the standard streams.
// Not nested and not thread-safe: one capture at a time (the Python module holds the GIL).
class CaptureOutput {
 public:
  CaptureOutput(std::string* out, std::string* err);
  ~CaptureOutput();
  CaptureOutput(const CaptureOutput&) = delete;
  CaptureOutput& operator=(const CaptureOutput&) = delete;
};

}  // namespace danlu
