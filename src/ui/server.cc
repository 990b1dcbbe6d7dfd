// `danlu ui` (ui/server.h).
#include "ui/server.h"

#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <vector>

#include "cli/child.h"
#include "danlu/error.h"
#include "io/embedded.h"

namespace danlu {

namespace {

struct Endpoint {
  const char* name;
  std::vector<std::string> keys;
  std::vector<std::string> response;  // properties every 200 answer carries (OpenAPI "required")
  const char* summary = "";
  std::vector<std::string> flags = {};        // boolean keys: true adds --key, false leaves it out
  std::vector<std::string> array_items = {};  // when a flag turns the answer into an array: each item's properties
};

const std::vector<std::string> kJobKeys = {"model", "accelerator", "gpus", "gpus_per_node", "network", "seq_len", "global_batch",
                                           "micro_batch", "tp", "pp", "dp", "cp", "ep", "vpp", "recompute", "zero", "precision",
                                           "memory_margin_gib"};

std::vector<std::string> plus(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

const std::vector<Endpoint>& endpoints() {
  static const std::vector<Endpoint> e = {
      {"train", plus(kJobKeys, {"timeline", "recompute_num_layers", "recompute_modules", "etp", "framework", "dp_shard"}), {"step_time_s", "mfu", "hfu", "tokens_per_s_per_gpu", "breakdown_s", "memory", "binding", "layout"},
       "one training step: time, breakdown, memory per pipeline stage, and with timeline the drawn step (danlu train --json)", {"timeline"}},
      {"search", plus(kJobKeys, {"top", "min_gpus", "framework"}), {"considered", "evaluated", "ranked", "pareto", "rejected", "wall_s"},
       "best layouts and the Pareto front (danlu search --json)"},
      {"plan", plus(kJobKeys, {"tokens", "recipe", "trials", "seed", "failures_per_gpu_hour", "pue", "restart_s", "storage_gbs", "async_checkpoint"}),
       {"days", "gpu_hours", "goodput", "facility_mw", "energy_mwh", "monte_carlo", "cost"},
       "a whole run: days, goodput under failures, energy, money (danlu plan --json; trials default 200 here)", {"async_checkpoint"}},
      {"infer", {"model", "accelerator", "gpus", "engine", "tp", "pp", "ep", "weights", "kv_cache", "input_tokens", "output_tokens", "concurrency", "rate", "price_per_gpu_hour", "sweep"},
       {"ttft_ms", "tpot_ms", "output_tokens_per_s_per_gpu", "memory", "binding"},
       "serving: TTFT, TPOT, throughput (danlu infer --json); sweep: the throughput-latency frontier as an array",
       {"sweep"}, {"concurrency", "ttft_ms", "tpot_ms", "output_tokens_per_s_per_gpu", "output_tokens_per_s_per_user"}},
      {"cost", {"accelerator", "gpus", "years", "utilisation", "rent"},
       {"build", "rent", "break_even_utilisation", "implied_cloud_margin", "assumptions"}, "rent or build (danlu cost --json)"},
  };
  return e;
}

// A snake-case API key as its command-line flag: global_batch -> --global-batch.
std::string flag_of(const std::string& key) {
  std::string flag = "--" + key;
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

void reply_error(httplib::Response& res, int status, const std::string& msg, const std::string& field) {
  res.status = status;
  nlohmann::json j = {{"error", msg}};
  if (!field.empty()) j["field"] = field;
  // A key cut mid-character or a child's message with stray bytes must not turn into a 500.
  res.set_content(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

// Parses a request body; false (with *err set) for malformed JSON or nesting deeper than 64
// levels (serialising a deeply nested value recurses, and a 200 KB body could overflow the stack).
bool parse_body(const std::string& text, nlohmann::json* out, std::string* err) {
  bool too_deep = false;
  try {
    *out = nlohmann::json::parse(text.empty() ? std::string("{}") : text,
                                 [&too_deep](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
                                   if (depth > 64) too_deep = true;
                                   return !too_deep;
                                 });
  } catch (const nlohmann::json::exception& ex) {
    *err = std::string("malformed JSON: ") + ex.what();
    return false;
  }
  if (too_deep) {
    *err = "JSON nested deeper than 64 levels";
    return false;
  }
  return true;
}

// Whether `msg` names the key: its flag (--global-batch) or the key quoted ('global_batch'),
// not merely a word that contains it (tp in "output").
bool names_key(const std::string& msg, const std::string& key) {
  const std::string flag = flag_of(key);
  for (std::size_t at = msg.find(flag); at != std::string::npos; at = msg.find(flag, at + 1)) {
    const std::size_t end = at + flag.size();
    if (end == msg.size() || !(std::isalnum(static_cast<unsigned char>(msg[end])) || msg[end] == '-')) return true;
  }
  if (msg.find("'" + key + "'") != std::string::npos) return true;
  // ... or the key as a whole word, as danlu's messages say it ("unknown accelerator",
  // "global batch 7 is not divisible").
  std::string words = key;
  std::replace(words.begin(), words.end(), '_', ' ');
  auto word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-'; };
  for (const std::string& w : {key, words}) {
    for (std::size_t at = msg.find(w); at != std::string::npos; at = msg.find(w, at + 1)) {
      const std::size_t end = at + w.size();
      if ((at == 0 || !word_char(msg[at - 1])) && (end == msg.size() || !word_char(msg[end]))) return true;
    }
  }
  return false;
}

bool ends_with_ci(const std::string& s, const char* suffix) {
  const std::size_t n = std::strlen(suffix);
  if (s.size() < n) return false;
  for (std::size_t i = 0; i < n; ++i) {
    if (std::tolower(static_cast<unsigned char>(s[s.size() - n + i])) != suffix[i]) return false;
  }
  return true;
}

// A value as a command-line argument: numbers as written, strings only from a safe alphabet
// (ids, precisions, "4.19e6:252e6"): no path separators, no leading dot or dash.
bool to_arg(const nlohmann::json& v, std::string* out) {
  if (v.is_number_unsigned()) {
    *out = std::to_string(v.get<unsigned long long>());
    return true;
  }
  if (v.is_number_integer()) {
    *out = std::to_string(v.get<long long>());
    return true;
  }
  if (v.is_number()) {
    const double d = v.get<double>();
    if (!std::isfinite(d)) return false;
    *out = fmt::format("{}", d);
    return true;
  }
  if (!v.is_string()) return false;
  const std::string s = v.get<std::string>();
  if (s.empty() || s.size() > 64 || s[0] == '.' || s[0] == '-') return false;
  // The command line would read these as files in the server's directory: never over the API
  // (a pasted config.json travels as 'config').
  if (ends_with_ci(s, ".json") || ends_with_ci(s, ".yaml") || ends_with_ci(s, ".yml")) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
                    c == '_' || c == ':' || c == '+' || c == ',';
    if (!ok) return false;
  }
  *out = s;
  return true;
}

void forward(const char* self, double limit_s, const std::vector<std::string>& args, httplib::Response& res,
             const std::vector<std::string>& keys, const std::string& input = {}, const char* input_key = nullptr) {
  ChildResult c = run_child(self, args, limit_s, input);
  if (c.timed_out) return reply_error(res, 503, fmt::format("took longer than the {:g} s limit per request", limit_s), "");
  if (c.exit_code != 0) {
    std::string msg = c.err;
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r')) msg.pop_back();
    const std::string prefix = "danlu: error: ";
    if (msg.rfind(prefix, 0) == 0) msg = msg.substr(prefix.size());
    std::string field;
    if (input_key != nullptr && msg.rfind("<stdin>", 0) == 0) {
      msg = input_key + msg.substr(7);  // the client's key, not the child's standard input
      field = input_key;
    }
    for (const std::string& k : field.empty() ? keys : std::vector<std::string>{}) {
      if (names_key(msg, k)) {
        field = k;
        break;
      }
    }
    return reply_error(res, c.exit_code == 2 ? 400 : 500, msg.empty() ? "internal error" : msg, field);
  }
  res.status = 200;
  res.set_content(c.out, "application/json");
}

// OpenAPI 3.1 document generated from the same endpoint table the server uses.
nlohmann::json openapi() {
  nlohmann::json paths = nlohmann::json::object();
  const nlohmann::json error = {{"type", "object"}, {"required", {"error"}},
                                {"properties", {{"error", {{"type", "string"}}}, {"field", {{"type", "string"}}}}}};
  auto err = [&](const char* what) { return nlohmann::json{{"description", what}, {"content", {{"application/json", {{"schema", error}}}}}}; };
  for (const Endpoint& e : endpoints()) {
    nlohmann::json props = nlohmann::json::object();
    for (const std::string& k : e.keys) {
      const bool flag = std::find(e.flags.begin(), e.flags.end(), k) != e.flags.end();
      props[k] = {{"type", flag ? nlohmann::json("boolean") : nlohmann::json({"string", "number"})},
                  {"description", "danlu " + std::string(e.name) + " " + flag_of(k)}};
    }
    if (props.contains("model")) {
      props["config"] = {{"type", "object"}, {"description", "a Hugging Face config.json, instead of model (danlu " + std::string(e.name) + " --model -)"}};
    }
    nlohmann::json rprops = nlohmann::json::object();
    for (const std::string& k : e.response) rprops[k] = nlohmann::json::object();
    nlohmann::json answer = {{"type", "object"}, {"required", e.response}, {"properties", rprops}};
    if (!e.array_items.empty()) {
      answer = {{"oneOf", {answer, {{"type", "array"}, {"items", {{"type", "object"}, {"required", e.array_items}}}}}}};
    }
    paths[std::string("/api/") + e.name] = {
        {"post",
         {{"summary", e.summary},
          {"requestBody", {{"content", {{"application/json", {{"schema", {{"type", "object"}, {"additionalProperties", false}, {"properties", props}}}}}}}}},
          {"responses",
           {{"200", {{"description", "the command's --json output"},
                     {"content", {{"application/json", {{"schema", answer}}}}}}},
            {"400", err("malformed JSON, unknown key, bad or path-like value")},
            {"413", err("body larger than 1 MiB")},
            {"503", err("request ran past the time limit")}}}}}};
  }
  const nlohmann::json vprops = {
      {"runs", {{"type", "array"}, {"items", {{"type", "object"}}}, {"description", "published runs, each as in SCHEMA.md (kind training, inference or wholerun)"}}},
      {"rank", {{"type", "boolean"}, {"description", "rank each run's published layout among danlu's search results"}}}};
  paths["/api/validate"] = {
      {"post",
       {{"summary", "compare predictions with the runs given inline (danlu validate --json)"},
        {"requestBody", {{"content", {{"application/json", {{"schema", {{"type", "object"}, {"required", {"runs"}}, {"additionalProperties", false}, {"properties", vprops}}}}}}}}},
        {"responses",
         {{"200", {{"description", "the validation JSON contract: one entry per run and metric, and the summary"},
                   {"content", {{"application/json", {{"schema", {{"type", "object"}, {"required", {"runs", "summary"}}}}}}}}}},
          {"400", err("malformed JSON, unknown key, a run the schema refuses")},
          {"413", err("body larger than 1 MiB")},
          {"503", err("request ran past the time limit")}}}}}};
  paths["/api/catalog"] = {
      {"get",
       {{"summary", "the built-in catalogs with each figure's source"},
        {"parameters", {{{"name", "list"}, {"in", "query"}, {"schema", {{"type", "string"}, {"enum", {"accelerators", "networks", "models", "frameworks"}}}}}}},
        {"responses", {{"200", {{"description", "danlu catalog LIST --json"}, {"content", {{"application/json", {{"schema", {{"type", "array"}}}}}}}}},
                       {"400", err("unknown list")}}}}}};
  return {{"openapi", "3.1.0"},
          {"info", {{"title", "danlu"}, {"version", "1"}, {"description", "the danlu command line as a JSON API; names and units as its --json"}}},
          {"paths", paths}};
}

}  // namespace

int run_ui(const std::string& host, int port, const char* self, double limit_s) {
  if (host != "127.0.0.1" && host != "localhost" && host != "::1") {
    std::fprintf(stderr, "danlu ui: warning: listening on %s exposes the API beyond this machine\n", host.c_str());
  }
  httplib::Server svr;
  svr.set_payload_max_length(1 << 20);
  // On loopback, answer only requests addressed to loopback: a web page elsewhere that rebinds
  // its own DNS name to 127.0.0.1 (DNS rebinding) sends its own name as Host and is refused.
  const bool loopback = host == "127.0.0.1" || host == "localhost" || host == "::1";
  svr.set_pre_routing_handler([loopback](const httplib::Request& req, httplib::Response& res) {
    if (!loopback) return httplib::Server::HandlerResponse::Unhandled;
    std::string name = req.get_header_value("Host");
    if (!name.empty() && name.front() == '[') {
      name = name.substr(0, name.find(']') + 1);
    } else {
      name = name.substr(0, name.find(':'));
    }
    if (name == "127.0.0.1" || name == "localhost" || name == "[::1]") return httplib::Server::HandlerResponse::Unhandled;
    reply_error(res, 403, "this server answers only requests addressed to 127.0.0.1, localhost or [::1]", "");
    return httplib::Server::HandlerResponse::Handled;
  });
  svr.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_content(embedded::kIndexHtml, "text/html; charset=utf-8"); });
  const std::pair<const char*, std::pair<const char*, const char*>> assets[] = {
      {"/assets/app.js", {embedded::kAppJs, "text/javascript; charset=utf-8"}},
      {"/assets/app.css", {embedded::kAppCss, "text/css; charset=utf-8"}},
      {"/assets/uplot.js", {embedded::kUplotJs, "text/javascript; charset=utf-8"}},
      {"/assets/uplot.css", {embedded::kUplotCss, "text/css; charset=utf-8"}},
      {"/assets/sample-runs.json", {embedded::kSampleRuns, "application/json"}}};
  for (const auto& [path, asset] : assets) {
    svr.Get(path, [asset](const httplib::Request&, httplib::Response& res) { res.set_content(asset.first, asset.second); });
  }
  const std::string spec = openapi().dump(2);
  svr.Get("/api/openapi.json", [&spec](const httplib::Request&, httplib::Response& res) { res.set_content(spec, "application/json"); });
  svr.Get("/api/catalog", [&](const httplib::Request& req, httplib::Response& res) {
    const std::string list = req.has_param("list") ? req.get_param_value("list") : "accelerators";
    if (list != "accelerators" && list != "networks" && list != "models" && list != "frameworks") {
      return reply_error(res, 400, "list must be accelerators, networks, models or frameworks", "list");
    }
    forward(self, limit_s, {"catalog", list, "--json"}, res, {});
  });
  for (const Endpoint& e : endpoints()) {
    const std::string path = std::string("/api/") + e.name;
    svr.Post(path, [self, limit_s, &e](const httplib::Request& req, httplib::Response& res) {
      nlohmann::json body;
      std::string err;
      if (!parse_body(req.body, &body, &err)) return reply_error(res, 400, err, "");
      if (!body.is_object()) return reply_error(res, 400, "the body must be a JSON object of flags", "");
      std::vector<std::string> args = {e.name};
      // A pasted Hugging Face config.json travels on the child's standard input (--model -).
      std::string input;
      const bool takes_model = std::find(e.keys.begin(), e.keys.end(), "model") != e.keys.end();
      if (takes_model && body.contains("config")) {
        if (!body["config"].is_object()) return reply_error(res, 400, "'config': a Hugging Face config.json object is required", "config");
        if (body.contains("model")) return reply_error(res, 400, "give 'model' (a preset id) or 'config' (a config.json object), not both", "config");
        input = body["config"].dump();
        body.erase("config");
        args.push_back("--model");
        args.push_back("-");
      }
      for (const auto& [k, v] : body.items()) {
        if (std::find(e.keys.begin(), e.keys.end(), k) == e.keys.end()) {
          return reply_error(res, 400, fmt::format("unknown key '{}' for /api/{}{}", k.substr(0, 40), e.name, did_you_mean(k, e.keys)), k.substr(0, 40));
        }
        if (std::find(e.flags.begin(), e.flags.end(), k) != e.flags.end()) {
          if (!v.is_boolean()) return reply_error(res, 400, fmt::format("'{}': true or false", k), k);
          if (v.get<bool>()) args.push_back(flag_of(k));
          continue;
        }
        std::string a;
        if (!to_arg(v, &a)) {
          return reply_error(res, 400, fmt::format("'{}': a finite number or a plain id (letters, digits, . - _ : + ,; no paths) is required", k), k);
        }
        args.push_back(flag_of(k));
        args.push_back(a);
      }
      if (std::string(e.name) == "plan" && !body.contains("trials")) {
        args.push_back("--trials");
        args.push_back("200");  // keep a request quick; the CLI default is 1000
      }
      args.push_back("--json");
      forward(self, limit_s, args, res, plus(e.keys, {"config"}), input, "config");
    });
    svr.Get(path, [](const httplib::Request&, httplib::Response& res) { reply_error(res, 405, "use POST with a JSON body", ""); });
  }
  // Runs travel inline, on the child's standard input: never a server path from the client.
  svr.Post("/api/validate", [self, limit_s](const httplib::Request& req, httplib::Response& res) {
    nlohmann::json body;
    std::string err;
    if (!parse_body(req.body, &body, &err)) return reply_error(res, 400, err, "");
    if (!body.is_object()) return reply_error(res, 400, "the body must be a JSON object {\"runs\": [...]}", "");
    for (const auto& [k, v] : body.items()) {
      if (k != "runs" && k != "rank") {
        return reply_error(res, 400, fmt::format("unknown key '{}' for /api/validate; allowed: runs, rank{}", k.substr(0, 40), did_you_mean(k, {"runs", "rank"})), k.substr(0, 40));
      }
    }
    if (body.contains("rank") && !body["rank"].is_boolean()) return reply_error(res, 400, "'rank': true or false", "rank");
    if (!body.contains("runs") || !body["runs"].is_array() || body["runs"].empty()) {
      return reply_error(res, 400, "'runs': a non-empty array of runs (SCHEMA.md) is required", "runs");
    }
    for (const auto& r : body["runs"]) {
      if (!r.is_object()) return reply_error(res, 400, "'runs': every run must be a JSON object", "runs");
    }
    std::vector<std::string> args = {"validate", "--runs", "-", "--json"};
    if (body.value("rank", false)) args.push_back("--rank");
    // One run per line, so "<stdin>:N:" in danlu's message becomes the client's runs[N-2].
    std::string input = "[\n";
    for (std::size_t i = 0; i < body["runs"].size(); ++i) input += body["runs"][i].dump() + (i + 1 < body["runs"].size() ? ",\n" : "\n");
    input += "]\n";
    forward(self, limit_s, args, res, {"runs"}, input);
    if (res.status == 400) {
      nlohmann::json j = nlohmann::json::parse(res.body, nullptr, false);
      std::string msg = j.is_object() ? j.value("error", "") : "";
      const std::string tag = "<stdin>:";
      if (msg.rfind(tag, 0) == 0) {
        const std::size_t colon = msg.find(':', tag.size());
        const long line = std::strtol(msg.c_str() + tag.size(), nullptr, 10);
        if (colon != std::string::npos && line >= 2) msg = fmt::format("runs[{}]{}", line - 2, msg.substr(colon));
        reply_error(res, 400, msg, "runs");
      }
    }
  });
  svr.Get("/api/validate", [](const httplib::Request&, httplib::Response& res) { reply_error(res, 405, "use POST with a JSON body", ""); });
  svr.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 413) return reply_error(res, 413, "request body too large (JSON bodies up to 1 MiB)", "");
    if (res.status == 404 && res.body.empty()) return reply_error(res, 404, "no such page or endpoint", "");
  });
  const int bound = port == 0 ? svr.bind_to_any_port(host) : (svr.bind_to_port(host, port) ? port : -1);
  if (bound < 0) throw InputError(fmt::format("ui: cannot listen on {}:{} (in use, or not an address of this machine)", host, port));
  std::fprintf(stderr, "danlu ui: http://%s:%d/\n", host.c_str(), bound);
  std::fflush(stderr);
  svr.listen_after_bind();
  return 0;
}

}  // namespace danlu
