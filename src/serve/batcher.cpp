#include "serve/batcher.h"

#include "util/pack.h"

namespace senti::serve {

Batcher::Batcher(const Classifier& classifier, BatcherOptions options, std::function<void(const BatchInfo&)> on_batch)
    : classifier_(classifier), options_(options), on_batch_(std::move(on_batch)), thread_([this] { loop(); }) {}

Batcher::~Batcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

size_t Batcher::queue_depth() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size();
}

std::vector<std::vector<float>> Batcher::run(const std::vector<TokenizedText>& texts) {
  Job job;
  job.texts = &texts;
  job.tokens = 0;
  for (const auto& t : texts) job.tokens += t.tokens;
  job.arrived = std::chrono::steady_clock::now();
  auto result = job.done.get_future();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(&job);
    queued_tokens_ += job.tokens;
  }
  wake_.notify_all();
  return result.get();
}

void Batcher::loop() {
  const auto max_wait = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double, std::milli>(options_.max_wait_ms));
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping and drained
    // Wait for company until the budget fills or the oldest request has waited long enough.
    const auto deadline = queue_.front()->arrived + max_wait;
    wake_.wait_until(lock, deadline, [&] { return stop_ || queued_tokens_ >= options_.max_batch_tokens; });
    std::vector<Job*> jobs;
    size_t tokens = 0;
    const size_t n = pack_within(0, queue_.size(), options_.max_batch_tokens, [&](size_t i) { return queue_[i]->tokens; });
    for (size_t i = 0; i < n; ++i) {
      tokens += queue_.front()->tokens;
      jobs.push_back(queue_.front());
      queue_.pop_front();
    }
    queued_tokens_ -= tokens;
    lock.unlock();
    std::vector<const TokenizedText*> texts;
    for (Job* j : jobs)
      for (const auto& t : *j->texts) texts.push_back(&t);
    try {
      auto logits = classifier_.logits(texts);
      if (on_batch_) on_batch_({jobs.size(), texts.size(), tokens});  // before anyone is answered
      size_t pos = 0;
      for (Job* j : jobs) {
        std::vector<std::vector<float>> mine(std::make_move_iterator(logits.begin() + pos),
                                             std::make_move_iterator(logits.begin() + pos + j->texts->size()));
        pos += j->texts->size();
        j->done.set_value(std::move(mine));
      }
    } catch (...) {
      for (Job* j : jobs) j->done.set_exception(std::current_exception());
    }
    lock.lock();
  }
}

}  // namespace senti::serve
