// `danlu ui`: the real binary serves on a free loopback port; every endpoint is exercised over
// HTTP, including malformed and hostile requests.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace {

class UiServer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    log_ = std::string(::testing::TempDir()) + "/danlu-ui-" + std::to_string(getpid()) + ".log";
    pid_ = fork();
    if (pid_ == 0) {
      FILE* f = std::freopen(log_.c_str(), "w", stderr);
      (void)f;
      execl(DANLU_BINARY, DANLU_BINARY, "ui", "--port", "0", "--limit-s", "60", static_cast<char*>(nullptr));
      _exit(127);
    }
    // The server prints "danlu ui: http://127.0.0.1:PORT/" once it listens.
    for (int i = 0; i < 300 && port_ == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::ifstream in(log_);
      std::stringstream ss;
      ss << in.rdbuf();
      const std::string s = ss.str();
      const auto at = s.find("http://127.0.0.1:");
      if (at != std::string::npos) port_ = std::atoi(s.c_str() + at + 17);
    }
  }
  static void TearDownTestSuite() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int st = 0;
      waitpid(pid_, &st, 0);
    }
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(120, 0);
    return c;
  }
  static httplib::Result post(const std::string& path, const std::string& body) {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(120, 0);
    return c.Post(path.c_str(), body, "application/json");
  }
  static inline pid_t pid_ = -1;
  static inline int port_ = 0;
  static inline std::string log_;
};

TEST_F(UiServer, PageAndEveryEndpointAnswer) {
  ASSERT_GT(port_, 0) << "server did not start";
  auto page = client().Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("/api/train"), std::string::npos);
  // The page's assets come from the binary (uPlot from npm, embedded at build time).
  for (const auto& [path, type, needle] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"/assets/app.js", "text/javascript", "/api/search"},
           {"/assets/app.css", "text/css", ".page"},
           {"/assets/uplot.js", "text/javascript", "uPlot"},
           {"/assets/uplot.css", "text/css", ".uplot"},
           {"/assets/sample-runs.json", "application/json", "\"kind\": \"training\""}}) {
    auto a = client().Get(path.c_str());
    ASSERT_TRUE(a) << path;
    EXPECT_EQ(a->status, 200) << path;
    EXPECT_EQ(a->get_header_value("Content-Type").rfind(type, 0), 0u) << path;
    EXPECT_NE(a->body.find(needle), std::string::npos) << path;
  }
  auto missing = client().Get("/assets/nothing.js");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto train = post("/api/train", R"({"model": "llama3-8b", "accelerator": "h100-sxm", "gpus": 8})");
  ASSERT_TRUE(train);
  ASSERT_EQ(train->status, 200) << train->body;
  const auto tj = nlohmann::json::parse(train->body);
  EXPECT_GT(tj["step_time_s"].get<double>(), 0);
  for (const auto& [path, body] : std::vector<std::pair<std::string, std::string>>{
           {"/api/search", R"({"model": "llama3-8b", "gpus": 8, "top": 2})"},
           {"/api/infer", R"({"model": "llama3-8b", "gpus": 1, "concurrency": 4})"},
           {"/api/plan", R"({"model": "llama3-8b", "gpus": 64, "tokens": 1e11, "trials": 10})"},
           {"/api/cost", R"({"accelerator": "h100-sxm", "gpus": 64})"}}) {
    auto r = post(path, body);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path << " " << r->body;
    EXPECT_FALSE(nlohmann::json::parse(r->body, nullptr, false).is_discarded()) << path;
  }
  auto cat = client().Get("/api/catalog?list=models");
  ASSERT_TRUE(cat);
  EXPECT_EQ(cat->status, 200);
  EXPECT_GT(nlohmann::json::parse(cat->body).size(), 10u);
  // The framework list feeds the form's picker; a framework rides along to train and search.
  auto fws = client().Get("/api/catalog?list=frameworks");
  ASSERT_TRUE(fws);
  EXPECT_EQ(fws->status, 200);
  const nlohmann::json fj = nlohmann::json::parse(fws->body);
  ASSERT_EQ(fj.size(), 3u);
  EXPECT_EQ(fj[0]["id"], "torchtitan");
  EXPECT_FALSE(fj[0]["defaults"][0]["source"].get<std::string>().empty());
  auto t = post("/api/train", R"({"model": "llama3-8b", "gpus": 8, "framework": "torchtitan"})");
  ASSERT_TRUE(t);
  ASSERT_EQ(t->status, 200) << t->body;
  EXPECT_EQ(nlohmann::json::parse(t->body)["layout"]["attention_kernel"], "flash2");
  auto bad = post("/api/search", R"({"model": "llama3-8b", "gpus": 8, "framework": "torchtitn"})");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400) << bad->body;
  EXPECT_EQ(nlohmann::json::parse(bad->body)["field"], "framework") << bad->body;
}

TEST_F(UiServer, HostileRequestsGetJsonErrors) {
  ASSERT_GT(port_, 0);
  struct Case {
    std::string path, body;
    int status;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"/api/train", R"({"gpus": )", 400, ""},                                    // truncated JSON
      {"/api/train", R"([1, 2])", 400, ""},                                       // not an object
      {"/api/train", R"({"gpu": 8})", 400, "gpu"},                                // unknown key
      {"/api/train", R"({"model": "../../etc/passwd"})", 400, "model"},          // path-like
      {"/api/train", R"({"model": "/etc/passwd"})", 400, "model"},
      {"/api/train", R"({"gpus": 1e400})", 400, ""},                              // out of range number
      {"/api/train", R"({"gpus": [8]})", 400, "gpus"},                            // wrong type
      {"/api/train", R"({"gpus": -8})", 400, "gpus"},                             // rejected by danlu itself
      {"/api/train", R"({"accelerator": "h100-sx"})", 400, "accelerator"},
      {"/api/cost", R"({"rent": "-3"})", 400, "rent"},
      // A bare file name in the server's directory is a file too: never read for a client.
      {"/api/train", R"({"model": "secret.json"})", 400, "model"},
      {"/api/train", R"({"model": "creds.YAML"})", 400, "model"},
      {"/api/infer", R"({"model": "m.yml"})", 400, "model"},
      {"/api/train", R"({"gpus": 18446744073709551615})", 400, "gpus"},           // no wrap to -1
      {"/api/train", R"({"global_batch": 7, "micro_batch": 2, "gpus": 8, "model": "llama3-8b"})", 400, "global_batch"},
      {"/api/train", "{\"\xe4\xb8\xb9\xe7\x82\x89\xe4\xb8\xb9\xe7\x82\x89\xe4\xb8\xb9\xe7\x82\x89\xe4\xb8\xb9\xe7\x82\x89\xe4\xb8\xb9\xe7\x82\x89\xe4\xb8\xb9\xe7\x82\x89\xe4\xb8\xb9\": 1}", 400, ""},  // key cut mid-character
  };
  for (const Case& c : cases) {
    auto r = post(c.path, c.body);
    ASSERT_TRUE(r) << c.body;
    EXPECT_EQ(r->status, c.status) << c.body << " -> " << r->body;
    const auto j = nlohmann::json::parse(r->body, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << r->body;
    EXPECT_FALSE(j["error"].get<std::string>().empty());
    if (!c.field.empty()) {
      EXPECT_EQ(j.value("field", ""), c.field) << c.body;
    }
  }
  // Deep nesting (200 KB): refused, not serialised into a stack overflow.
  for (const char* path : {"/api/train", "/api/validate"}) {
    const std::string deep = std::string(R"({"config": )") + std::string(100000, '[') + std::string(100000, ']') + "}";
    auto d = post(path, deep);
    ASSERT_TRUE(d) << path << ": the server went down";
    EXPECT_EQ(d->status, 400) << path;
  }
  // DNS rebinding: a request naming another host is refused on loopback.
  {
    httplib::Client c("127.0.0.1", port_);
    auto r = c.Post("/api/cost", httplib::Headers{{"Host", "evil.example:80"}}, R"({"gpus": 8})", "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403);
    EXPECT_FALSE(nlohmann::json::parse(r->body, nullptr, false).is_discarded());
  }
  auto big = post("/api/train", std::string(10 << 20, 'x'));  // 10 MB body
  if (big) {
    EXPECT_EQ(big->status, 413);
  }
  auto get = client().Get("/api/train");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 405);
  auto none = client().Get("/api/nothing");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 404);
  // The server is still up after all of that.
  auto again = post("/api/cost", R"({"gpus": 8})");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
}

}  // namespace

namespace {

// The OpenAPI document matches the server: every documented request key is accepted, and a
// real answer of each endpoint carries every property the document marks required.
TEST_F(UiServer, OpenApiMatchesRealResponses) {
  ASSERT_GT(port_, 0);
  auto doc = client().Get("/api/openapi.json");
  ASSERT_TRUE(doc);
  ASSERT_EQ(doc->status, 200);
  const auto spec = nlohmann::json::parse(doc->body);
  EXPECT_EQ(spec["openapi"], "3.1.0");
  const std::map<std::string, std::string> sample = {
      {"/api/train", R"({"model": "llama3-8b", "gpus": 8})"},
      {"/api/search", R"({"model": "llama3-8b", "gpus": 8, "top": 1})"},
      {"/api/plan", R"({"model": "llama3-8b", "gpus": 8, "tokens": 1e9, "trials": 5})"},
      {"/api/infer", R"({"model": "llama3-8b", "gpus": 1})"},
      {"/api/cost", R"({"gpus": 8})"},
      {"/api/validate", R"({"runs": [{"id":"a","kind":"training","source":"test","model":{"preset":"llama3-8b"},"seq_len":8192,"accelerator":"h100-sxm","gpus":8,"gpus_per_node":8,"precision":"bf16","parallel":{"tp":1,"pp":1,"dp":8,"micro_batch":1,"global_batch":64},"measured":{"tokens_per_s_per_gpu":8000}}]})"}};
  int posts = 0;
  for (const auto& [path, item] : spec["paths"].items()) {
    if (!item.contains("post")) continue;
    ++posts;
    ASSERT_TRUE(sample.count(path)) << "no sample request for documented " << path;
    auto r = post(path, sample.at(path));
    ASSERT_TRUE(r) << path;
    ASSERT_EQ(r->status, 200) << path << " " << r->body;
    const auto body = nlohmann::json::parse(r->body);
    const auto& schema = item["post"]["responses"]["200"]["content"]["application/json"]["schema"];
    for (const auto& k : (schema.contains("oneOf") ? schema["oneOf"][0] : schema)["required"]) {
      EXPECT_TRUE(body.contains(k.get<std::string>())) << path << " lacks documented " << k;
    }
    if (schema.contains("oneOf")) {
      // The array form (a flag such as sweep): every item carries the documented properties.
      std::string flag;
      for (const auto& [key, p] : item["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"].items()) {
        if (p["type"] == "boolean") flag = key;
      }
      ASSERT_FALSE(flag.empty()) << path;
      auto req = nlohmann::json::parse(sample.at(path));
      req[flag] = true;
      auto arr = post(path, req.dump());
      ASSERT_TRUE(arr);
      ASSERT_EQ(arr->status, 200) << arr->body;
      const auto items = nlohmann::json::parse(arr->body);
      ASSERT_TRUE(items.is_array()) << path;
      ASSERT_FALSE(items.empty());
      for (const auto& it : items) {
        for (const auto& k : schema["oneOf"][1]["items"]["required"]) EXPECT_TRUE(it.contains(k.get<std::string>())) << path << " item lacks " << k;
      }
    }
    for (const auto& [key, _] : item["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"].items()) {
      // A value the server refuses before running anything ("-x" looks like a flag): the
      // answer must name the value, not an unknown key.
      auto one = post(path, nlohmann::json{{key, "-x"}}.dump());
      ASSERT_TRUE(one) << path << " " << key;
      EXPECT_EQ(one->status, 400);
      EXPECT_EQ(one->body.find("unknown key"), std::string::npos) << path << " rejects documented key " << key;
      // Keys of one JSON type (boolean, object, array) are checked by the server itself, which
      // names the key; the rest are passed as plain ids or numbers.
      if (item["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"][key]["type"].is_string()) {
        EXPECT_EQ(nlohmann::json::parse(one->body).value("field", ""), key) << one->body;
      } else {
        EXPECT_NE(one->body.find("plain id"), std::string::npos) << path << " " << key << ": " << one->body;
      }
    }
  }
  EXPECT_EQ(posts, 6);
}

}  // namespace

namespace {

// Inline runs: scored exactly as `danlu validate` scores the same runs from a file, and a bad
// run is named by its index in the request, not by a server-side file.
TEST_F(UiServer, ValidateRunsInline) {
  ASSERT_GT(port_, 0);
  const std::string run = R"({"id":"a","kind":"training","source":"test","model":{"preset":"llama3-8b"},"seq_len":8192,"accelerator":"h100-sxm","gpus":8,"gpus_per_node":8,"precision":"bf16","parallel":{"tp":1,"pp":1,"dp":8,"micro_batch":1,"global_batch":64},"measured":{"tokens_per_s_per_gpu":8000}})";
  auto r = post("/api/validate", "{\"runs\": [" + run + "]}");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const auto j = nlohmann::json::parse(r->body);
  ASSERT_EQ(j["runs"].size(), 1u);
  EXPECT_EQ(j["runs"][0]["id"], "a");
  const double predicted = j["runs"][0]["predicted"].get<double>();
  EXPECT_GT(predicted, 0);
  EXPECT_NEAR(j["runs"][0]["error_pct"].get<double>(), (predicted / 8000.0 - 1) * 100, 1e-6);
  // The same run through the command line, from a file: the same prediction.
  const std::string path = std::string(::testing::TempDir()) + "/danlu-ui-run.json";
  std::ofstream(path) << "[" << run << "]";
  FILE* p = popen((std::string(DANLU_BINARY) + " validate --json --runs " + path).c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  pclose(p);
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(out)["runs"][0]["predicted"].get<double>(), predicted);

  struct Case {
    std::string body, needle;
  };
  for (const Case& c : std::vector<Case>{{"{\"runs\": [" + run + R"(, {"id": "b"}]})", "runs[1]"},
                                         {R"({"runs": []})", "non-empty"},
                                         {R"({"runs": [1]})", "JSON object"},
                                         {R"({"runs": "/etc/passwd"})", "array"},
                                         {R"({"runs": [{}], "rank": "yes"})", "rank"},
                                         {R"({"run": []})", "unknown key"},
                                         {R"({"runs": [{"id": "a", "kind": "training", "accelerator": "../../x"}]})", "runs[0]"}}) {
    auto e = post("/api/validate", c.body);
    ASSERT_TRUE(e) << c.body;
    EXPECT_EQ(e->status, 400) << c.body << " -> " << e->body;
    EXPECT_NE(e->body.find(c.needle), std::string::npos) << c.body << " -> " << e->body;
  }
  auto get = client().Get("/api/validate");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 405);
}

}  // namespace

namespace {

// A pasted config.json reaches danlu on the child's standard input, and gives the same step as
// the same model from the catalog; a broken one is named as the client's 'config'.
TEST_F(UiServer, PastedConfigJson) {
  ASSERT_GT(port_, 0);
  std::ifstream in(std::string(DANLU_SOURCE_DIR) + "/tests/data/hf/llama3-70b.json");
  std::stringstream cfg;
  cfg << in.rdbuf();
  ASSERT_FALSE(cfg.str().empty());
  auto pasted = post("/api/train", R"({"gpus": 64, "seq_len": 8192, "config": )" + cfg.str() + "}");
  ASSERT_TRUE(pasted);
  ASSERT_EQ(pasted->status, 200) << pasted->body;
  auto preset = post("/api/train", R"({"gpus": 64, "seq_len": 8192, "model": "llama3-70b"})");
  ASSERT_TRUE(preset);
  ASSERT_EQ(preset->status, 200);
  EXPECT_NEAR(nlohmann::json::parse(pasted->body)["step_time_s"].get<double>(),
              nlohmann::json::parse(preset->body)["step_time_s"].get<double>(), 1e-9);
  for (const auto& [body, needle] : std::vector<std::pair<std::string, std::string>>{
           {R"({"gpus": 8, "config": {"hidden_size": 4096}})", "config"},
           {R"({"gpus": 8, "config": "llama"})", "config.json object"},
           {R"({"gpus": 8, "model": "llama3-8b", "config": {}})", "not both"}}) {
    auto r = post("/api/train", body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << body << " -> " << r->body;
    const auto j = nlohmann::json::parse(r->body);
    EXPECT_EQ(j.value("field", ""), "config") << r->body;
    EXPECT_NE(j["error"].get<std::string>().find(needle), std::string::npos) << r->body;
    EXPECT_EQ(j["error"].get<std::string>().find("<stdin>"), std::string::npos) << r->body;
  }
}

}  // namespace

namespace {

// Concurrent requests whose children read standard input: no child may inherit another
// request's pipe ends (it would hold a sibling's stdin open and stall it to the time limit).
TEST_F(UiServer, ConcurrentStdinChildrenDoNotStallEachOther) {
  ASSERT_GT(port_, 0);
  const std::string run = R"({"id":"a","kind":"training","source":"test","model":{"preset":"llama3-8b"},"seq_len":8192,"accelerator":"h100-sxm","gpus":8,"gpus_per_node":8,"precision":"bf16","parallel":{"tp":1,"pp":1,"dp":8,"micro_batch":1,"global_batch":64},"measured":{"tokens_per_s_per_gpu":8000}})";
  std::vector<std::thread> threads;
  std::vector<int> status(8, 0);
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto r = i % 2 == 0 ? post("/api/validate", "{\"runs\": [" + run + "]}")
                          : post("/api/plan", R"({"model": "llama3-8b", "gpus": 64, "tokens": 1e11, "trials": 50})");
      status[i] = r ? r->status : -1;
    });
  }
  for (auto& t : threads) t.join();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(status[i], 200) << i;
  EXPECT_LT(wall, 50.0);  // a stalled child would run into the 60 s limit and answer 503
}

}  // namespace
