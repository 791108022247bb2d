#include "util/progress.h"

#include <unistd.h>

#include <cstdio>

namespace senti {

namespace {
std::string format_duration(double s) {
  if (s < 0 || s > 1e7) return "?";
  char buf[32];
  int t = static_cast<int>(s + 0.5);
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%d:%02d", t / 60, t % 60);
  return buf;
}
}  // namespace

Progress::Progress(std::string label, uint64_t total, std::string unit, bool enabled)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), enabled_(enabled),
      tty_(isatty(STDERR_FILENO) != 0), start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() { finish(); }

void Progress::add(uint64_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  done_ += n;
  if (!enabled_ || finished_) return;
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - last_draw_).count();
  if (since >= (tty_ ? 0.1 : log_interval_s_)) {
    last_draw_ = now;
    draw(false);
  }
}

void Progress::set_suffix(std::string suffix) {
  std::lock_guard<std::mutex> lock(mutex_);
  suffix_ = std::move(suffix);
}

void Progress::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!enabled_ || finished_) return;
  finished_ = true;
  draw(true);
}

void Progress::draw(bool final_line) {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = elapsed > 0 ? done_ / elapsed : 0.0;
  char line[512];
  std::string bar;
  if (total_ > 0) {
    double frac = std::min(1.0, static_cast<double>(done_) / total_);
    if (tty_) {
      const int width = 24;
      int fill = static_cast<int>(frac * width);
      bar = "[" + std::string(fill, '#') + std::string(width - fill, '.') + "] ";
    }
    double eta = rate > 0 ? (total_ - std::min(done_, total_)) / rate : -1;
    std::snprintf(line, sizeof line, "%s %s%llu/%llu %s (%.0f%%) %.1f %s/s elapsed %s eta %s",
                  label_.c_str(), bar.c_str(), (unsigned long long)done_,
                  (unsigned long long)total_, unit_.c_str(), 100 * frac, rate, unit_.c_str(),
                  format_duration(elapsed).c_str(), format_duration(eta).c_str());
  } else {
    std::snprintf(line, sizeof line, "%s %llu %s %.1f %s/s elapsed %s", label_.c_str(),
                  (unsigned long long)done_, unit_.c_str(), rate, unit_.c_str(),
                  format_duration(elapsed).c_str());
  }
  std::string text = line;
  if (!suffix_.empty()) text += " " + suffix_;
  if (tty_) std::fprintf(stderr, "\r\033[2K%s%s", text.c_str(), final_line ? "\n" : "");
  else std::fprintf(stderr, "%s\n", text.c_str());
  std::fflush(stderr);
}

}  // namespace senti
