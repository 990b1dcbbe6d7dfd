// `danlu forecast`: train now on today's GPUs, or wait for the next generation?
#pragma once

#include <atomic>
#include <string>

namespace danlu {

struct ForecastFlags {
  std::string model = "llama3.1-405b", tokens = "15e12", gpus = "8192", accelerators = "h100-sxm,h200,b200,gb200";
  std::string seq_len = "8192", global_batch, now, half_life = "1", generation_years = "2";
  std::string compute_per_generation = "2", price_per_generation = "1.4";
  bool json = false, hardware = false;
};

// `danlu forecast --hardware`: the catalog by launch year (NVIDIA data-centre parts): best
// dense BF16 TFLOP/s, TFLOP/s per kUSD and per W, largest memory, and the yearly growth of
// each from a least-squares fit of log(value) on year.
int run_hardware_trend(const ForecastFlags& f);

int run_forecast(const ForecastFlags& f, const std::atomic<bool>* cancel);

}  // namespace danlu
