// The compute runtime: how many threads kernels use. Only kernels/ includes oneDNN or OpenMP;
// everything above calls set_num_threads once and the kernels do the rest.
#pragma once

namespace senti::kernels {

void set_num_threads(int n);
int num_threads();

}  // namespace senti::kernels
