#include "util/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace senti::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::mutex g_mutex;
}  // namespace

void set_level(Level l) { g_level.store(static_cast<int>(l)); }
Level level() { return static_cast<Level>(g_level.load()); }

void write(Level l, const std::string& message) {
  if (static_cast<int>(l) < g_level.load()) return;
  static const char* const kTags[] = {"debug", "info", "warn", "error"};
  std::lock_guard<std::mutex> lock(g_mutex);
  std::fprintf(stderr, "senti: %s: %s\n", kTags[static_cast<int>(l)], message.c_str());
}

}  // namespace senti::log
