#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <numeric>

#include "util/error.h"
#include "util/thread_pool.h"

TEST(ThreadPool, CoversEveryIndexExactlyOnce) {
  senti::ThreadPool pool(4);
  for (size_t n : {0u, 1u, 7u, 1000u}) {
    std::vector<std::atomic<int>> hits(n);
    pool.parallel_for(n, 3, [&](size_t b, size_t e, int) {
      for (size_t i = b; i < e; ++i) hits[i]++;
    });
    for (size_t i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1) << i;
  }
}

TEST(ThreadPool, RethrowsTheFirstError) {
  senti::ThreadPool pool(3);
  EXPECT_THROW(pool.parallel_for(100, 1, [&](size_t b, size_t, int) {
    if (b == 50) throw std::runtime_error("boom");
  }), std::runtime_error);
  // and stays usable
  std::atomic<int> count{0};
  pool.parallel_for(10, 1, [&](size_t b, size_t e, int) { count += static_cast<int>(e - b); });
  EXPECT_EQ(count.load(), 10);
}

TEST(ThreadPool, ResolvesThreadsFromTheEnvironment) {
  EXPECT_EQ(senti::resolve_threads(3), 3);
  setenv("SENTI_THREADS", "2", 1);
  EXPECT_EQ(senti::resolve_threads(0), 2);
  setenv("SENTI_THREADS", "two", 1);
  EXPECT_THROW(senti::resolve_threads(0), senti::Error);
  unsetenv("SENTI_THREADS");
  EXPECT_GE(senti::resolve_threads(0), 1);
}
