#include "input.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <vector>

#include "text/utf8.h"
#include "util/error.h"

namespace senti::cli {

TextReader::TextReader(const std::string& path) : name_(path.empty() || path == "-" ? "<stdin>" : path) {
  if (path.empty() || path == "-") {
    file_ = stdin;
  } else {
    file_ = std::fopen(path.c_str(), "rb");
    if (!file_)
      fail(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
           "cannot open '" + path + "': " + std::strerror(errno));
    owned_ = true;
    struct stat st;
    if (::fstat(fileno(file_), &st) == 0 && S_ISREG(st.st_mode)) total_bytes_ = static_cast<uint64_t>(st.st_size);
  }
}

uint64_t TextReader::total_lines() {
  if (counted_ || total_bytes_ == 0 || bytes_read_ > 0 || line_no_ > 0) return total_lines_;
  counted_ = true;
  // One pass over the file (GB/s; the model is far slower), then back to its start.
  std::vector<char> block(1 << 20);
  size_t n = 0;
  char last = '\n';
  while ((n = std::fread(block.data(), 1, block.size(), file_)) > 0) {
    for (size_t i = 0; i < n; ++i) total_lines_ += block[i] == '\n';
    last = block[n - 1];
  }
  if (last != '\n') ++total_lines_;
  std::clearerr(file_);
  std::rewind(file_);
  return total_lines_;
}

bool TextReader::interactive() const { return ::isatty(fileno(file_)) == 1; }

bool is_blank(std::string_view text) {
  for (char c : text)
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') return false;
  return true;
}

TextReader::~TextReader() {
  if (owned_ && file_) std::fclose(file_);
}

std::optional<std::string> text_of_line(const std::string& line) {
  size_t i = line.find_first_not_of(" \t");
  if (i != std::string::npos && line[i] == '{') {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.is_object()) {
      auto it = j.find("text");
      if (it != j.end() && it->is_string()) return it->get<std::string>();
    }
    return std::nullopt;
  }
  return text::repair_utf8(line);
}

bool TextReader::next_chunk(std::vector<std::string>& out, size_t max_texts, std::vector<std::string>* errors) {
  char* buf = nullptr;
  size_t cap = 0;
  size_t got = 0;
  while (got < max_texts) {
    ssize_t n = ::getline(&buf, &cap, file_);
    if (n < 0) break;
    bytes_read_ += static_cast<uint64_t>(n);
    ++line_no_;
    std::string line(buf, static_cast<size_t>(n));
    if (!line.empty() && line.back() == '\n') line.pop_back();
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::optional<std::string> text = text_of_line(line);
    const std::string why = text ? "" : "line " + std::to_string(line_no_) +
                                           ": starts like JSON but is not an object with a string \"text\" (malformed or cut off)";
    if (!text && !errors) text = text::repair_utf8(line);  // the line itself, as plain text
    out.push_back(text ? std::move(*text) : std::string());
    if (errors) errors->push_back(why);
    ++got;
  }
  std::free(buf);
  if (std::ferror(file_)) fail(ErrorCode::kIo, "cannot read '" + name_ + "': " + std::strerror(errno));
  return got > 0;
}

}  // namespace senti::cli
