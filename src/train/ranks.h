// The ranks of a data-parallel training run. When an MPI launcher (mpirun, srun) started the
// process and senti was built with MPI, the process is one of N ranks; otherwise it is the only
// rank and every collective is a no-op, so senti runs exactly as without MPI. This module holds
// MPI's setup and teardown and the few collectives training needs (sums, rank 0's decision,
// a gather of checksums). It does not decide who computes what: the training loop does.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/trainable.h"

namespace senti::train {

class Ranks {
 public:
  // This process's ranks. The first call initializes MPI when a launcher started the process;
  // started by a launcher with several processes in a build without MPI, it fails with an error
  // saying so (the processes would otherwise each train alone and overwrite each other's files).
  static Ranks& world();

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool root() const { return rank_ == 0; }
  bool distributed() const { return size_ > 1; }
  // How many ranks share this machine (threads per rank default to its cores divided by this).
  int local_size() const { return local_size_; }

  // Element-wise sums across the ranks, in place (every rank receives the total).
  void sum(float* data, size_t n) const;
  void sum(double* data, size_t n) const;
  // Rank 0's value, on every rank.
  bool from_root(bool value) const;
  // Every rank's value, in rank order, on every rank.
  std::vector<uint64_t> gather(uint64_t value) const;

  Ranks(const Ranks&) = delete;
  Ranks& operator=(const Ranks&) = delete;
  ~Ranks();

 private:
  Ranks();
  int rank_ = 0, size_ = 1, local_size_ = 1;
  bool mpi_ = false;
};

// Whether senti was built with MPI.
bool built_with_mpi();
// Ends every rank of a distributed run with `code` (one rank's error would leave the others
// waiting in a collective). Does nothing in a single-process run, or before MPI was set up.
void abort_all_ranks(int code);

// A checksum of the parameter values, bit for bit: ranks that hold identical weights agree.
uint64_t weights_checksum(const std::vector<model::Param>& params);

}  // namespace senti::train
