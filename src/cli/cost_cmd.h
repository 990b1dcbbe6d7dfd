// `danlu cost`: rent or build, with every assumption and its source printed.
#pragma once

#include <string>

namespace danlu {

struct CostFlags {
  std::string accelerator = "h100-sxm", gpus = "1024", years, utilisation, rent, file;
  bool json = false;
};

int run_cost(const CostFlags& f);

}  // namespace danlu
