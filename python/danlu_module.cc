// The `danlu` Python module: the command line's commands as functions with keyword arguments
// in and dicts out. Each call runs the same parser and code path as `danlu COMMAND ... --json`
// (cli/cli.h) in-process, so names, units and defaults are the CLI's, and bad input raises
// ValueError with the CLI's one-line message. Build: scripts/setup.sh (pybind11 from Debian).
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/output.h"
#include "danlu/error.h"

namespace py = pybind11;

namespace {

// A keyword value as a command-line argument; lists become comma lists (--gpus 64,256 for scale,
// --accelerators a,b for forecast). Anything else is a TypeError naming the keyword.
std::string arg_of(const std::string& key, py::handle v) {
  if (py::isinstance<py::bool_>(v)) return v.cast<bool>() ? "true" : "false";
  if (py::isinstance<py::int_>(v) || py::isinstance<py::float_>(v) || py::isinstance<py::str>(v)) {
    return py::str(v).cast<std::string>();
  }
  if (py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v)) {
    std::string s;
    for (py::handle e : v) s += (s.empty() ? "" : ",") + arg_of(key, e);
    return s;
  }
  throw py::type_error(key + ": a number, a string, a bool or a list of them is required, not " +
                       py::str(py::type::of(v).attr("__name__")).cast<std::string>());
}

// Run `danlu <command> [positional] --key value ... --json` and return its JSON as Python objects.
py::object run(const std::string& command, const std::string& positional, const py::kwargs& kw) {
  std::vector<std::string> args = {"danlu", command};
  if (!positional.empty()) args.push_back(positional);
  for (auto item : kw) {
    const std::string key = py::str(item.first).cast<std::string>();
    if (item.second.is_none()) continue;  // None: leave the CLI default
    std::string flag = "--" + key;
    for (char& c : flag) {
      if (c == '_') c = '-';
    }
    const std::string value = arg_of(key, item.second);
    if (py::isinstance<py::bool_>(item.second)) {
      args.push_back(flag + "=" + value);  // --async-checkpoint=true, --sequence-parallel=false
    } else {
      args.push_back(flag);
      args.push_back(value);
    }
  }
  args.push_back("--json");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  std::string out, err;
  int rc = 0;
  {
    danlu::CaptureOutput capture(&out, &err);
    rc = danlu::run_cli(static_cast<int>(argv.size()), argv.data());
  }
  if (rc != 0) {
    const std::string prefix = "danlu: error: ";
    if (err.rfind(prefix, 0) == 0) err = err.substr(prefix.size());
    while (!err.empty() && err.back() == '\n') err.pop_back();
    // CLI11 names a stray flag as "--gpu"; a Python caller wrote the keyword gpu=.
    if (err.rfind("The following arguments were not expected", 0) == 0) {
      for (auto item : kw) {
        std::string key = py::str(item.first).cast<std::string>(), flag = "--" + key;
        for (char& c : flag) {
          if (c == '_') c = '-';
        }
        if (err.find(flag + " ") != std::string::npos || err.find(flag + "=") != std::string::npos ||
            (err.size() >= flag.size() && err.compare(err.size() - flag.size(), flag.size(), flag) == 0)) {
          err = "danlu." + command + "(): unknown keyword '" + key + "'; the keywords are the flags of `danlu " + command +
                " --help` with '_' for '-'";
          break;
        }
      }
    }
    throw py::value_error(err.empty() ? command + " failed with exit code " + std::to_string(rc) : err);
  }
  if (out.empty()) {
    // e.g. help=True: the CLI printed help text rather than a JSON answer.
    throw py::value_error("danlu." + command + "() gave no JSON answer (help is `danlu " + command + " --help` on the command line)");
  }
  return py::module_::import("json").attr("loads")(out);
}

}  // namespace

PYBIND11_MODULE(danlu, m) {
  m.doc() = "danlu: plan and predict LLM training and serving. Keyword arguments are the CLI's flags "
            "with '_' for '-' (global_batch=512); results are the CLI's --json as dicts.";
  m.def("train", [](const py::kwargs& kw) { return run("train", "", kw); },
        "One training step: step_time_s, mfu, breakdown_s, memory per stage, binding resource (danlu train).");
  m.def("search", [](const py::kwargs& kw) { return run("search", "", kw); },
        "Fastest parallel layouts and the Pareto front (danlu search).");
  m.def("infer", [](const py::kwargs& kw) { return run("infer", "", kw); },
        "Serving: ttft_ms, tpot_ms, throughput, KV capacity, cost per token (danlu infer).");
  m.def("plan", [](const py::kwargs& kw) { return run("plan", "", kw); },
        "A whole run: days, goodput under failures, MW, MWh, money (danlu plan).");
  m.def("cost", [](const py::kwargs& kw) { return run("cost", "", kw); }, "Rent or build over N years (danlu cost).");
  m.def("forecast", [](const py::kwargs& kw) { return run("forecast", "", kw); },
        "Train now or wait for the next GPU (danlu forecast).");
  m.def("scale", [](const py::kwargs& kw) { return run("scale", "", kw); },
        "Best layout at each cluster size (danlu scale; gpus=[64, 256, 1024]).");
  m.def("catalog", [](const std::string& list) { return run("catalog", list, py::kwargs()); }, py::arg("list") = "accelerators",
        "The built-in catalog: accelerators, networks or models, each figure with its source.");
  m.def(
      "validate",
      [](py::object runs, py::object path, bool rank) -> py::object {
        if (!path.is_none()) {
          if (!runs.is_none()) throw py::value_error("validate: give runs or path, not both");
          py::kwargs kw;
          kw["runs"] = path;
          if (rank) kw["rank"] = true;
          return run("validate", "", kw);
        }
        if (runs.is_none()) throw py::value_error("validate: runs (a list of run dicts, SCHEMA.md) or path is required");
        // A list of dicts travels as JSON text, which the YAML reader takes as it is.
        const std::string text = py::isinstance<py::str>(runs) ? runs.cast<std::string>()
                                                                : py::module_::import("json").attr("dumps")(runs).cast<std::string>();
        try {
          return py::module_::import("json").attr("loads")(danlu::validate_runs_text(text, "<runs>", true, rank));
        } catch (const danlu::InputError& e) {
          throw py::value_error(e.what());
        }
      },
      py::arg("runs") = py::none(), py::arg("path") = py::none(), py::arg("rank") = false,
      "Compare predictions with published runs given inline (list of dicts) or as a file path (danlu validate).");
}
