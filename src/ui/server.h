// `danlu ui`: a local web page and a JSON API over danlu's commands.
//
// POST /api/{train,search,infer,plan,cost} take a JSON object whose keys are the command's
// flags in snake case ({"model": "llama3-70b", "gpus": 1024, "global_batch": 512}) and answer
// the command's --json output, same names and units. GET /api/catalog?list=accelerators|
// networks|models. Each request runs the danlu binary in a child process with a time limit.
// Errors are {"error": "...", "field": "..."}: 400 for malformed JSON, unknown keys, bad or
// path-like values (the API never opens a file a client names); 413 beyond 1 MiB; 405 for a
// wrong method; 503 when the time limit is hit.
#pragma once

#include <string>

namespace danlu {

int run_ui(const std::string& host, int port, const char* self_exe, double limit_s);

}  // namespace danlu
