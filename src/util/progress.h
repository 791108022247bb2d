// Progress: reports long work on stderr. On a terminal it redraws one bar with count, rate and
// ETA; otherwise (logs, CI) it prints a plain line at most every `log_interval_s` seconds.
// It knows nothing about what is being counted beyond a unit name. Thread-safe add().
#pragma once
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace senti {

class Progress {
 public:
  // total == 0 means unknown (no ETA, no percentage).
  Progress(std::string label, uint64_t total, std::string unit, bool enabled = true);
  ~Progress();
  // Work already done before this run (a resumed job): counted in the total, not in the rate.
  void resume_at(uint64_t done);
  void add(uint64_t n);
  void set_suffix(std::string suffix);  // e.g. "loss 0.412 lr 3e-5"
  void finish();

  // The status line for `done` of `total` units, `resumed` of them done before this run,
  // `elapsed_s` into this run; `bar` draws the [###...] bar (terminals). Exposed for tests.
  static std::string line(const std::string& label, const std::string& unit, uint64_t done,
                          uint64_t resumed, uint64_t total, double elapsed_s, bool bar);
  // `text` cut to fit a terminal `columns` wide without wrapping (a wrapped line leaves a copy
  // behind at every redraw); UTF-8 sequences are not split. Exposed for tests.
  static std::string fit(const std::string& text, size_t columns);

 private:
  void draw(bool final_line);

  std::string label_, unit_, suffix_;
  uint64_t total_, done_ = 0, resumed_ = 0;
  bool enabled_, tty_, finished_ = false;
  double log_interval_s_ = 10.0;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::mutex mutex_;
};

}  // namespace senti
