// danlu/catalog.h — the built-in catalogs: accelerators, networks, accelerator families and
// model presets, read from the YAML files under data/ (embedded in the binary at build time).
//
// Every number in those files carries its source; the catalog keeps the sources beside the
// values so `danlu catalog` can print them. Lookups by id throw InputError with the closest
// known id.
#pragma once

#include <string>
#include <vector>

#include "danlu/framework.h"
#include "danlu/hardware.h"
#include "danlu/model.h"
#include "danlu/serve.h"

namespace danlu {

struct Figure {         // one catalog number with its provenance
  std::string field;
  double value = 0;
  std::string source;
  bool uncertain = false;
};

struct AcceleratorEntry {
  Accelerator acc;
  std::string name, vendor, family;
  int launch_year = 0;
  double price_usd = 0;  // 0 = not public
  std::vector<Figure> figures;
};

struct NetworkEntry {
  Network net;
  std::string name;
  std::vector<Figure> figures;
};

struct ModelEntry {
  std::string id, name, source;
  Model model;
  int max_seq_len = 0;
};

struct Catalog {
  std::vector<AcceleratorEntry> accelerators;
  std::vector<NetworkEntry> networks;
  std::vector<ModelEntry> models;
  std::vector<Engine> engines;
  std::vector<Framework> frameworks;

  const Engine& engine(const std::string& id) const;  // throws InputError
  const Engine* find_engine(const std::string& id) const;  // nullptr if absent
  const AcceleratorEntry& accelerator(const std::string& id) const;  // throws InputError
  const NetworkEntry& network(const std::string& id) const;
  const ModelEntry* find_model(const std::string& id) const;          // nullptr if absent
  const Framework& framework(const std::string& id) const;           // throws InputError
  std::vector<std::string> framework_ids() const;
  std::vector<std::string> accelerator_ids() const;
  std::vector<std::string> network_ids() const;
  std::vector<std::string> model_ids() const;
};

// The catalog built into the binary (parsed once, on first use).
const Catalog& builtin_catalog();

// Parse catalogs from YAML texts (`origin` names them in errors). Throws InputError.
Catalog parse_catalog(const std::string& families_yaml, const std::string& accelerators_yaml,
                      const std::string& networks_yaml, const std::string& models_yaml,
                      const std::string& engines_yaml = "[]", const std::string& frameworks_yaml = "[]");

// Parse a precision name (bf16, fp16, fp8, mxfp8, nvfp4, fp32, tf32); throws InputError.
Precision parse_precision(const std::string& s, const std::string& where);
const char* precision_name(Precision p);

}  // namespace danlu
