// ThreadPool: a fixed set of worker threads that run parallel_for over an index range.
// The calling thread takes part in the work, so a pool of N threads uses N-1 workers.
// It does not schedule independent tasks or futures; that is all senti needs so far.
#pragma once
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace senti {

class ThreadPool {
 public:
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(begin, end, thread_index) on disjoint chunks covering [0, n). Chunks are handed
  // out dynamically in pieces of `grain` so uneven work balances. Exceptions from fn are
  // rethrown (the first one) after all chunks finish.
  void parallel_for(size_t n, size_t grain,
                    const std::function<void(size_t, size_t, int)>& fn);

 private:
  void worker_loop(int index);
  void run_chunks(int thread_index);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(size_t, size_t, int)>* job_ = nullptr;
  size_t job_n_ = 0, job_grain_ = 1, next_ = 0;
  int active_ = 0;
  unsigned generation_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

// Thread count from an explicit value, else $SENTI_THREADS, else the hardware concurrency.
int resolve_threads(int requested);

}  // namespace senti
