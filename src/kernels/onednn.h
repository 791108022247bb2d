// The oneDNN engine and this thread's stream, one of each for every kernel that calls oneDNN
// (dense.cpp, linear.cpp, attention_bf16.cpp). Internal to src/kernels: the public headers do not
// expose oneDNN.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

namespace senti::kernels {

inline dnnl::engine& onednn_engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

inline dnnl::stream& onednn_stream() {
  thread_local dnnl::stream s(onednn_engine());
  return s;
}

}  // namespace senti::kernels
