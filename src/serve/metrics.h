// Server metrics in the Prometheus text format: requests by route and status code, request
// latency and batch-size histograms, tokens and texts processed, queue depth and requests in
// flight. Thread-safe. It only counts; the server decides what to record.
#pragma once
#include <array>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace senti::serve {

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}
  void observe(double v);
  // Appends the _bucket, _sum and _count lines; labels like `route="/x"` or empty.
  void render(std::string& out, const std::string& name, const std::string& labels) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket, the last one for +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

class Metrics {
 public:
  Metrics();
  void record_request(const std::string& route, int status, double seconds);
  void record_batch(size_t requests, size_t texts, size_t tokens);
  void record_texts(size_t texts, size_t tokens);  // per request, after tokenizing
  std::string render(size_t queue_depth, size_t in_flight, bool ready) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  Histogram batch_texts_, batch_tokens_;
  uint64_t batches_ = 0, texts_ = 0, tokens_ = 0;
};

}  // namespace senti::serve
