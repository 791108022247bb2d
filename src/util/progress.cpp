#include "util/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

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

void Progress::resume_at(uint64_t done) {
  std::lock_guard<std::mutex> lock(mutex_);
  done_ = resumed_ = done;
}

std::string Progress::line(const std::string& label, const std::string& unit, uint64_t done,
                           uint64_t resumed, uint64_t total, double elapsed_s, bool draw_bar) {
  const uint64_t fresh = done > resumed ? done - resumed : 0;
  const double rate = elapsed_s > 0 ? static_cast<double>(fresh) / elapsed_s : 0.0;
  char buf[512];
  if (total > 0) {
    const double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
    std::string bar;
    if (draw_bar) {
      const int width = 24;
      const int fill = static_cast<int>(frac * width);
      bar = "[" + std::string(fill, '#') + std::string(width - fill, '.') + "] ";
    }
    const double eta = rate > 0 ? static_cast<double>(total - std::min(done, total)) / rate : -1;
    std::snprintf(buf, sizeof buf, "%s %s%llu/%llu %s (%.0f%%) %.1f %s/s elapsed %s eta %s",
                  label.c_str(), bar.c_str(), (unsigned long long)done, (unsigned long long)total,
                  unit.c_str(), 100 * frac, rate, unit.c_str(), format_duration(elapsed_s).c_str(),
                  format_duration(eta).c_str());
  } else {
    std::snprintf(buf, sizeof buf, "%s %llu %s %.1f %s/s elapsed %s", label.c_str(),
                  (unsigned long long)done, unit.c_str(), rate, unit.c_str(),
                  format_duration(elapsed_s).c_str());
  }
  return buf;
}

std::string Progress::fit(const std::string& text, size_t columns) {
  if (columns < 2) return text;
  size_t chars = 0, i = 0;
  for (; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;  // a continuation byte
    if (++chars == columns) break;  // keep the last column free: the cursor sits there
  }
  return text.substr(0, i);
}

namespace {
size_t terminal_columns() {
  struct winsize ws {};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  if (const char* c = std::getenv("COLUMNS")) return static_cast<size_t>(std::max(0, std::atoi(c)));
  return 80;
}
}  // namespace

void Progress::draw(bool final_line) {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string text = line(label_, unit_, done_, resumed_, total_, elapsed, tty_);
  if (!suffix_.empty()) text += " " + suffix_;
  if (tty_) text = fit(text, terminal_columns());
  if (tty_) std::fprintf(stderr, "\r\033[2K%s%s", text.c_str(), final_line ? "\n" : "");
  else std::fprintf(stderr, "%s\n", text.c_str());
  std::fflush(stderr);
}

}  // namespace senti
