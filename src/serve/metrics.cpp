#include "serve/metrics.h"

#include <cstdio>

namespace senti::serve {

namespace {
std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}
std::string with(const std::string& labels, const std::string& more) {
  return "{" + labels + (labels.empty() ? "" : ",") + more + "}";
}
const std::vector<double> kLatencyBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}  // namespace

void Histogram::observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += v;
  ++count_;
}

void Histogram::render(std::string& out, const std::string& name, const std::string& labels) const {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    out += name + "_bucket" + with(labels, "le=\"" + number(bounds_[i]) + "\"") + " " + std::to_string(cumulative) + "\n";
  }
  out += name + "_bucket" + with(labels, "le=\"+Inf\"") + " " + std::to_string(count_) + "\n";
  const std::string l = labels.empty() ? "" : "{" + labels + "}";
  out += name + "_sum" + l + " " + number(sum_) + "\n";
  out += name + "_count" + l + " " + std::to_string(count_) + "\n";
}

Metrics::Metrics()
    : batch_texts_({1, 2, 4, 8, 16, 32, 64, 128, 256, 512}),
      batch_tokens_({64, 256, 1024, 2048, 4096, 8192, 16384, 32768, 65536}) {}

void Metrics::record_request(const std::string& route, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{route, status}];
  latency_.try_emplace(route, kLatencyBounds).first->second.observe(seconds);
}

void Metrics::record_batch(size_t requests, size_t texts, size_t tokens) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++batches_;
  batch_texts_.observe(static_cast<double>(texts));
  batch_tokens_.observe(static_cast<double>(tokens));
}

void Metrics::record_texts(size_t texts, size_t tokens) {
  std::lock_guard<std::mutex> lock(mutex_);
  texts_ += texts;
  tokens_ += tokens;
}

std::string Metrics::render(size_t queue_depth, size_t in_flight, bool ready) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string o;
  o += "# HELP senti_requests_total HTTP requests answered, by route and status code.\n";
  o += "# TYPE senti_requests_total counter\n";
  for (const auto& [key, n] : requests_)
    o += "senti_requests_total{route=\"" + key.first + "\",code=\"" + std::to_string(key.second) + "\"} " +
         std::to_string(n) + "\n";
  o += "# HELP senti_request_duration_seconds Time from the request's arrival to its answer.\n";
  o += "# TYPE senti_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) h.render(o, "senti_request_duration_seconds", "route=\"" + route + "\"");
  o += "# HELP senti_batch_texts Texts (windows) per forward batch.\n# TYPE senti_batch_texts histogram\n";
  batch_texts_.render(o, "senti_batch_texts", "");
  o += "# HELP senti_batch_tokens Tokens per forward batch.\n# TYPE senti_batch_tokens histogram\n";
  batch_tokens_.render(o, "senti_batch_tokens", "");
  o += "# HELP senti_batches_total Forward batches run.\n# TYPE senti_batches_total counter\n";
  o += "senti_batches_total " + std::to_string(batches_) + "\n";
  o += "# HELP senti_texts_total Texts classified.\n# TYPE senti_texts_total counter\n";
  o += "senti_texts_total " + std::to_string(texts_) + "\n";
  o += "# HELP senti_tokens_total Tokens processed (after truncation).\n# TYPE senti_tokens_total counter\n";
  o += "senti_tokens_total " + std::to_string(tokens_) + "\n";
  o += "# HELP senti_queue_depth Requests waiting for a batch.\n# TYPE senti_queue_depth gauge\n";
  o += "senti_queue_depth " + std::to_string(queue_depth) + "\n";
  o += "# HELP senti_requests_in_flight Prediction requests admitted and not yet answered.\n";
  o += "# TYPE senti_requests_in_flight gauge\n";
  o += "senti_requests_in_flight " + std::to_string(in_flight) + "\n";
  o += "# HELP senti_ready 1 once the model is loaded.\n# TYPE senti_ready gauge\n";
  o += std::string("senti_ready ") + (ready ? "1" : "0") + "\n";
  return o;
}

}  // namespace senti::serve
