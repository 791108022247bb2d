// Admission of explanation requests, the server's expensive ones. Each is priced in token-passes
// (tokens read x forward/backward passes) before any work is done (server.cpp prices them); one
// request may cost at most the budget (--max-explain-work, else 413 there). A request is
// admitted while the work already admitted is at most one budget, so an admitted request never
// waits behind more than one budget's worth of work; the others get 429 with a Retry-After
// estimated from the rate measured on finished requests. Knows nothing of HTTP or models.
#pragma once
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <mutex>
#include <string>

#include "serve/api.h"

namespace senti::serve {

class ExplainGate {
 public:
  explicit ExplainGate(size_t budget) : budget_(budget) {}
  size_t budget() const { return budget_; }
  struct Ticket {
    ExplainGate* gate = nullptr;
    size_t work = 0;
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    Ticket(ExplainGate* g, size_t w) : gate(g), work(w) {}
    Ticket(Ticket&& o) noexcept : gate(o.gate), work(o.work), start(o.start) { o.gate = nullptr; }
    Ticket& operator=(Ticket&&) = delete;
    ~Ticket() {
      if (gate) gate->release(work, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  };
  Ticket admit(size_t work) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (in_flight_ > budget_) {
      const double seconds = in_flight_ / std::max(rate_, 1.0);
      throw ApiError(429, "Overloaded",
                     "the explainer has " + std::to_string(in_flight_) +
                         " token-passes of work queued (more than one request's budget, --max-explain-work); retry in " +
                         std::to_string(static_cast<long>(std::ceil(seconds))) + " s",
                     std::max(1L, static_cast<long>(std::ceil(seconds))));
    }
    in_flight_ += work;
    return Ticket(this, work);
  }

 private:
  void release(size_t work, double seconds) {
    std::lock_guard<std::mutex> lock(mutex_);
    in_flight_ -= work;
    if (seconds > 0.01 && work > 0) rate_ = rate_ == 0 ? work / seconds : 0.8 * rate_ + 0.2 * (work / seconds);
  }
  std::mutex mutex_;
  size_t budget_;
  size_t in_flight_ = 0;
  double rate_ = 0;  // token-passes per second, measured
};

}  // namespace senti::serve
