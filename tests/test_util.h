// Helpers shared by the tests: where ../shared is, tiny tokenizers built in memory.
#pragma once
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "util/file.h"

namespace senti::test {

// ../shared beside the project root (override with $SENTI_SHARED_DIR); empty if absent.
inline std::string shared_dir() {
  if (const char* env = std::getenv("SENTI_SHARED_DIR"); env && *env) return env;
  std::string dir = std::string(SENTI_SOURCE_DIR) + "/../shared";
  return is_directory(dir) ? dir : std::string();
}

inline std::string source_dir() { return SENTI_SOURCE_DIR; }

// n normal(0, scale) floats from a seeded generator.
inline std::vector<float> randn(size_t n, unsigned seed, float scale = 1.f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

}  // namespace senti::test

// Skips the current test with a clear message when ../shared is not there — unless
// SENTI_REQUIRE_SHARED=1 (set by .ci/run when ../shared exists), where a skip would hide a test
// that should have run, so it fails instead.
#define SENTI_REQUIRE_SHARED(path_var)                                                          \
  std::string path_var = ::senti::test::shared_dir();                                           \
  if (path_var.empty()) {                                                                       \
    if (const char* req = std::getenv("SENTI_REQUIRE_SHARED"); req && std::string(req) == "1") \
      FAIL() << "../shared was not found but SENTI_REQUIRE_SHARED=1 says it is there";         \
    GTEST_SKIP() << "../shared is absent (set SENTI_SHARED_DIR to its location to run this test)"; \
  }                                                                                             \
  static_assert(true, "")
