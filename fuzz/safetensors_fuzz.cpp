// Fuzzes the safetensors header parser: any bytes either parse into entries that lie inside
// the buffer, contiguous and exactly covering it, or raise senti::Error; never a crash.
#include <cstdint>
#include <cstdlib>

#include "io/safetensors.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto h = senti::io::parse_safetensors(data, size, "fuzz.safetensors");
    size_t covered = 0;
    for (const auto& [name, e] : h.tensors) {
      if (e.end > size - h.data_offset || e.begin > e.end) std::abort();
      covered += e.end - e.begin;
    }
    if (covered != size - h.data_offset) std::abort();
  } catch (const senti::Error&) {
  }
  return 0;
}
