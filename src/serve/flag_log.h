// The Flag button's log, as Gradio's flagging keeps one: rows appended to a CSV file (created
// with a header when missing), one write per row under a lock, so concurrent flags never
// interleave and a crash loses at most the row being written.
#pragma once
#include <mutex>
#include <string>
#include <vector>

namespace senti::serve {

// One CSV field, quoted when it holds a comma, quote, CR or LF (RFC 4180); a value starting
// with = + - @ tab or CR is prefixed with ' so that a spreadsheet shows it rather than runs it.
std::string csv_field(const std::string& value);

class FlagLog {
 public:
  FlagLog(std::string path, std::vector<std::string> header);
  const std::string& path() const { return path_; }
  // Appends one row; throws senti::Error (kIo) naming the file when it cannot.
  void append(const std::vector<std::string>& row);

 private:
  std::string path_;
  std::vector<std::string> header_;
  std::mutex mutex_;
};

}  // namespace senti::serve
