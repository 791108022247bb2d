#include "train/ranks.h"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>

#include "util/error.h"

#ifdef SENTI_WITH_MPI
// MPI's C interface only: not the deprecated C++ bindings (which also warn under -Wextra).
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace senti::train {

namespace {

// The process count a launcher announced (Open MPI, MPICH/Hydra, PMIx and Slurm set these), or 0.
int launcher_world_size() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "SLURM_NTASKS"}) {
    if (const char* v = std::getenv(var); v && *v) return std::atoi(v);
  }
  // PMIx launchers may announce the rank only.
  if (std::getenv("PMIX_RANK")) return 1;
  return 0;
}

#ifdef SENTI_WITH_MPI
bool g_mpi_up = false;  // MPI_Init_thread succeeded (abort_all_ranks may call MPI)
#endif

}  // namespace

bool built_with_mpi() {
#ifdef SENTI_WITH_MPI
  return true;
#else
  return false;
#endif
}

Ranks& Ranks::world() {
  static Ranks ranks;
  return ranks;
}

Ranks::Ranks() {
  const int announced = launcher_world_size();
  if (announced <= 0) return;  // not started by a launcher: one rank, no MPI
#ifdef SENTI_WITH_MPI
  int provided = 0;
  // Only the main thread calls MPI; the kernels' worker threads never do.
  if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
    fail(ErrorCode::kIo, "MPI_Init_thread failed: cannot join the other ranks");
  mpi_ = true;
  g_mpi_up = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  MPI_Comm local;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local);
  MPI_Comm_size(local, &local_size_);
  MPI_Comm_free(&local);
#else
  if (announced > 1)
    fail(ErrorCode::kInvalidArgument,
         "started by an MPI launcher with " + std::to_string(announced) +
             " processes, but this senti was built without MPI: each process would train alone and overwrite the "
             "others' files. Install libopenmpi-dev (scripts/install-deps) and rebuild, or run one process");
#endif
}

Ranks::~Ranks() {
#ifdef SENTI_WITH_MPI
  int finalized = 0;
  if (mpi_ && MPI_Finalized(&finalized) == MPI_SUCCESS && !finalized) MPI_Finalize();
#endif
}

#ifdef SENTI_WITH_MPI
namespace {
template <class T>
void sum_in_place(T* data, size_t n, MPI_Datatype type) {
  // MPI counts are ints: large buffers go in pieces.
  for (size_t at = 0; at < n;) {
    const size_t piece = std::min(n - at, static_cast<size_t>(INT_MAX / 2));
    if (MPI_Allreduce(MPI_IN_PLACE, data + at, static_cast<int>(piece), type, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS)
      fail(ErrorCode::kIo, "MPI_Allreduce failed");
    at += piece;
  }
}
}  // namespace
#endif

void Ranks::sum(float* data, size_t n) const {
#ifdef SENTI_WITH_MPI
  if (distributed()) sum_in_place(data, n, MPI_FLOAT);
#endif
}

void Ranks::sum(double* data, size_t n) const {
#ifdef SENTI_WITH_MPI
  if (distributed()) sum_in_place(data, n, MPI_DOUBLE);
#endif
}

bool Ranks::from_root(bool value) const {
#ifdef SENTI_WITH_MPI
  if (distributed()) {
    int v = value ? 1 : 0;
    MPI_Bcast(&v, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return v != 0;
  }
#endif
  return value;
}

std::vector<uint64_t> Ranks::gather(uint64_t value) const {
  std::vector<uint64_t> all(static_cast<size_t>(size_), value);
#ifdef SENTI_WITH_MPI
  if (distributed()) {
    unsigned long long v = value;
    std::vector<unsigned long long> got(static_cast<size_t>(size_));
    MPI_Allgather(&v, 1, MPI_UNSIGNED_LONG_LONG, got.data(), 1, MPI_UNSIGNED_LONG_LONG, MPI_COMM_WORLD);
    std::copy(got.begin(), got.end(), all.begin());
  }
#endif
  return all;
}

void abort_all_ranks(int code) {
#ifdef SENTI_WITH_MPI
  if (!g_mpi_up) return;
  int size = 1, finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size > 1) MPI_Abort(MPI_COMM_WORLD, code);
#else
  (void)code;
#endif
}

uint64_t weights_checksum(const std::vector<model::Param>& params) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a over every value's bits (32 at a time), in order
  for (const auto& p : params) {
    const float* v = p.value.data();
    for (int64_t i = 0; i < p.value.numel(); ++i) {
      uint32_t bits;
      std::memcpy(&bits, v + i, sizeof bits);
      h = (h ^ bits) * 1099511628211ull;
    }
  }
  return h;
}

}  // namespace senti::train
