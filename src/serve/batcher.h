// Dynamic batching: requests from many HTTP threads wait in one queue and run together on a
// single inference thread, up to a token budget per batch, after at most a short wait for
// company. Callers tokenize on their own threads first (Classifier::tokenize); the batcher
// only runs the model. It does not limit how many requests may wait; the server does.
#pragma once
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "senti/classifier.h"

namespace senti::serve {

struct BatcherOptions {
  size_t max_batch_tokens = 16384;  // tokens per batch (a larger single request runs alone)
  double max_wait_ms = 2;           // how long the first request of a batch waits for others
};

struct BatchInfo {
  size_t requests = 0, texts = 0, tokens = 0;
};

class Batcher {
 public:
  // on_batch is called on the inference thread after each batch (for metrics).
  Batcher(const Classifier& classifier, BatcherOptions options, std::function<void(const BatchInfo&)> on_batch = {});
  ~Batcher();  // finishes what is queued, then joins
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Runs the texts with whatever else is queued; blocks until their logits are ready.
  // Exceptions from the model are rethrown here.
  std::vector<std::vector<float>> run(const std::vector<TokenizedText>& texts);
  size_t queue_depth() const;  // requests waiting, not yet in a batch

 private:
  struct Job {
    const std::vector<TokenizedText>* texts;
    size_t tokens;
    std::chrono::steady_clock::time_point arrived;
    std::promise<std::vector<std::vector<float>>> done;
  };
  void loop();

  const Classifier& classifier_;
  BatcherOptions options_;
  std::function<void(const BatchInfo&)> on_batch_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job*> queue_;
  size_t queued_tokens_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace senti::serve
