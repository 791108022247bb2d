#include "serve/flag_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "util/error.h"

namespace senti::serve {

std::string csv_field(const std::string& value) {
  // A spreadsheet runs a cell that starts with = + - @ (or tab / CR before one) as a formula:
  // such cells get a leading ' (OWASP's advice on CSV injection).
  const std::string v = !value.empty() && std::string_view("=+-@\t\r").find(value[0]) != std::string_view::npos
                            ? "'" + value
                            : value;
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

namespace {
std::string csv_row(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) line += ',';
    line += csv_field(fields[i]);
  }
  return line + "\r\n";
}
}  // namespace

FlagLog::FlagLog(std::string path, std::vector<std::string> header) : path_(std::move(path)), header_(std::move(header)) {}

void FlagLog::append(const std::vector<std::string>& row) {
  std::lock_guard<std::mutex> lock(mutex_);
  int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) fail(ErrorCode::kIo, "cannot open the flag log " + path_ + ": " + std::strerror(errno));
  struct stat st {};
  std::string bytes;
  if (::fstat(fd, &st) == 0 && st.st_size == 0) bytes = csv_row(header_);
  bytes += csv_row(row);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = errno;
      ::close(fd);
      fail(ErrorCode::kIo, "cannot write to the flag log " + path_ + ": " + std::strerror(e));
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
}

}  // namespace senti::serve
