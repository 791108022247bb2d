#include "explain/quadrature.h"

#include <cmath>
#include <numbers>

#include "util/error.h"

namespace senti::explain {

std::vector<QuadratureNode> gauss_legendre(int n) {
  if (n < 1) fail(ErrorCode::kInvalidArgument, "quadrature needs at least one node");
  std::vector<QuadratureNode> out(static_cast<size_t>(n));
  // Roots of P_n by Newton's method from the Chebyshev-like first guess; P_n and its
  // derivative by the three-term recurrence. Symmetric: compute half, mirror the rest.
  const int half = (n + 1) / 2;
  for (int i = 0; i < half; ++i) {
    double x = std::cos(std::numbers::pi * (i + 0.75) / (n + 0.5));
    double dp = 1;
    for (int iter = 0; iter < 100; ++iter) {
      double p0 = 1, p1 = x;
      for (int k = 2; k <= n; ++k) {
        const double p2 = ((2.0 * k - 1) * x * p1 - (k - 1.0) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = n * (x * p1 - p0) / (x * x - 1);
      const double dx = p1 / dp;
      x -= dx;
      if (std::abs(dx) < 1e-15) break;
    }
    const double w = 2 / ((1 - x * x) * dp * dp);
    // x in (-1, 1) descending with i; map to [0, 1]: alpha = (1 -+ x) / 2, weight w / 2.
    out[static_cast<size_t>(i)] = {(1 - x) / 2, w / 2};
    out[static_cast<size_t>(n - 1 - i)] = {(1 + x) / 2, w / 2};
  }
  return out;
}

}  // namespace senti::explain
