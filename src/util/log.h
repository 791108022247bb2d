// Logging to stderr: one line per message with a level tag; stdout stays for data.
// The level is process-wide (set once by the CLI from --verbose / --quiet). Thread-safe.
#pragma once
#include <string>

namespace senti::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

void set_level(Level level);
Level level();
void write(Level level, const std::string& message);

inline void debug(const std::string& m) { write(Level::kDebug, m); }
inline void info(const std::string& m) { write(Level::kInfo, m); }
inline void warn(const std::string& m) { write(Level::kWarn, m); }
inline void error(const std::string& m) { write(Level::kError, m); }

}  // namespace senti::log
