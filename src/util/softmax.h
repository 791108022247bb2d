// Softmax over a few logits, the one scalar implementation that the classifier's scores,
// evaluation and the explainer share: the largest logit is subtracted first, and the
// exponentials and their sum are in double. (kernels::softmax_rows is the vectorized float one
// that attention uses over long rows.)
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>

namespace senti {

// out[i] = exp(z[i]) / Σ exp(z[j]); out may be float or double, and must not alias z.
template <class Out>
void stable_softmax(const float* z, size_t n, Out* out) {
  if (n == 0) return;
  const double mx = *std::max_element(z, z + n);
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(z[i]) - mx);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<Out>(std::exp(static_cast<double>(z[i]) - mx) / sum);
}

}  // namespace senti
