// `danlu sweep`: run a sweep file serially, or split over MPI ranks when launched by mpirun
// (built with OpenMPI when found). Rank 0 writes the results in grid order.
#pragma once

#include <atomic>
#include <string>

namespace danlu {
int run_sweep(const std::string& file, const std::string& out_path, const std::atomic<bool>& cancel);
}  // namespace danlu
