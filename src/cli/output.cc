// Command output sinks (cli/output.h).
#include "cli/output.h"

#include <cstdio>

namespace danlu {

namespace {
std::string* g_out = nullptr;
std::string* g_err = nullptr;
}  // namespace

void emit(const std::string& text) {
  if (g_out != nullptr) {
    g_out->append(text);
  } else {
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
}

void emit_error(const std::string& line) {
  if (g_err != nullptr) {
    g_err->append(line);
  } else {
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
}

CaptureOutput::CaptureOutput(std::string* out, std::string* err) {
  g_out = out;
  g_err = err;
}

CaptureOutput::~CaptureOutput() {
  g_out = nullptr;
  g_err = nullptr;
}

}  // namespace danlu
