// `danlu sweep` driver (sweep_run.h): grid points i with i % size == rank on each process.
#include "cli/output.h"
#include "cli/sweep_run.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "danlu/error.h"
#include "danlu/inputs.h"
#include "danlu/sweep.h"

#ifdef DANLU_HAVE_MPI
#include <mpi.h>
#endif

namespace danlu {

int run_sweep(const std::string& file, const std::string& out_path, const std::atomic<bool>& cancel) {
  int rank = 0, size = 1;
#ifdef DANLU_HAVE_MPI
  // Only join MPI when an MPI launcher started us (OpenMPI, MPICH/PMI, PMIx set these);
  // a plain `danlu sweep` runs serially without initialising MPI at all.
  const bool launched = std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMI_SIZE") || std::getenv("PMIX_RANK");
  struct Session {
    bool on = false;
    ~Session() {
      if (on) MPI_Finalize();
    }
  } session;
  if (launched) {
    MPI_Init(nullptr, nullptr);
    session.on = true;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
  }
#endif
  const Catalog& cat = builtin_catalog();
  // Every rank parses (and so validates) the file; an error stops them all with code 2.
  const SweepSpec spec = parse_sweep(read_text_file(file), file, cat);
  const std::size_t n = spec.points();
  const bool tty = rank == 0 && isatty(fileno(stderr)) != 0;

  // This rank's lines, joined with '\n', in increasing point order.
  std::string mine;
  std::size_t done = 0;
  for (std::size_t i = static_cast<std::size_t>(rank); i < n; i += static_cast<std::size_t>(size)) {
    if (cancel.load()) break;
    mine += run_sweep_point(spec, i, cat);
    mine += '\n';
    ++done;
    if (tty) std::fprintf(stderr, "\rsweep: %zu of %zu points (rank 0)", done * static_cast<std::size_t>(size), n);
  }
  if (tty) std::fprintf(stderr, "\r%50s\r", "");
  const bool stopped = cancel.load();

  std::vector<std::string> per_rank(static_cast<std::size_t>(size));
#ifdef DANLU_HAVE_MPI
  if (size > 1) {
    int len = static_cast<int>(mine.size());
    std::vector<int> lens(static_cast<std::size_t>(size)), offs(static_cast<std::size_t>(size));
    MPI_Gather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
    std::string all;
    if (rank == 0) {
      int total = 0;
      for (int r = 0; r < size; ++r) {
        offs[static_cast<std::size_t>(r)] = total;
        total += lens[static_cast<std::size_t>(r)];
      }
      all.resize(static_cast<std::size_t>(total));
    }
    MPI_Gatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), offs.data(), MPI_CHAR, 0, MPI_COMM_WORLD);
    if (rank == 0) {
      for (int r = 0; r < size; ++r) {
        per_rank[static_cast<std::size_t>(r)] =
            all.substr(static_cast<std::size_t>(offs[static_cast<std::size_t>(r)]),
                       static_cast<std::size_t>(lens[static_cast<std::size_t>(r)]));
      }
    }
  } else {
    per_rank[0] = mine;
  }
#else
  per_rank[0] = mine;
#endif
  if (rank != 0) return stopped ? 130 : 0;

  // Interleave back into grid order: point i came from rank i % size, as its (i / size)-th line.
  std::vector<std::size_t> pos(static_cast<std::size_t>(size), 0);
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    std::string& src = per_rank[i % static_cast<std::size_t>(size)];
    std::size_t& p = pos[i % static_cast<std::size_t>(size)];
    const std::size_t nl = src.find('\n', p);
    if (nl == std::string::npos) break;  // cancelled before this point
    out.append(src, p, nl - p + 1);
    p = nl + 1;
  }
  if (out_path.empty() || out_path == "-") {
    emit(out);
  } else {
    write_text_file_atomically(out_path, out);
  }
  return stopped ? 130 : 0;
}

}  // namespace danlu
