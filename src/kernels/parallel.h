// parallel_for: a loop over [0, n) split statically over the OpenMP threads when it is worth it,
// and run in the calling thread without touching OpenMP when it is not. Kernel sources only (it
// includes omp.h). Why not `#pragma omp parallel for if (...)`: libgomp charges even a region whose
// if() is false, or a region of one thread, or one nested in another, a team and a futex system
// call; int8 inference opened such a region per row for GELU and made 429,176 futex calls on 150
// reviews, a fifth of its time on this VM.
#pragma once
#include <cstdint>
#include <omp.h>

namespace senti::kernels {

// work: the loop's size in elements; min_work: the size below which threads cost more than they save.
template <class F>
void parallel_for(int64_t n, int64_t work, int64_t min_work, const F& body) {
  if (work > min_work && omp_get_max_threads() > 1 && !omp_in_parallel()) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) body(i);
    return;
  }
  for (int64_t i = 0; i < n; ++i) body(i);
}

}  // namespace senti::kernels
