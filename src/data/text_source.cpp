#include "data/text_source.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "text/utf8.h"
#include "util/error.h"
#include "util/file.h"

namespace senti::data {

namespace fs = std::filesystem;

std::string clean_html_breaks(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '<' && i + 3 < text.size() && (text[i + 1] | 0x20) == 'b' && (text[i + 2] | 0x20) == 'r') {
      size_t j = i + 3;
      while (j < text.size() && text[j] == ' ') ++j;
      if (j < text.size() && text[j] == '/') ++j;
      if (j < text.size() && text[j] == '>') {
        out.push_back(' ');
        i = j + 1;
        continue;
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

std::vector<std::string> list_files(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::string p = it->path().string();
    if (p.size() >= suffix.size() && p.compare(p.size() - suffix.size(), suffix.size(), suffix) == 0)
      files.push_back(p);
  }
  if (ec) fail(ErrorCode::kIo, "cannot list '" + dir + "': " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

size_t for_each_text(const std::string& path,
                     const std::function<void(std::string_view, const std::string&)>& fn) {
  size_t n = 0;
  if (is_directory(path)) {
    for (const auto& f : list_files(path, ".txt")) {
      // urls_*.txt in aclImdb list addresses, not reviews.
      std::string name = fs::path(f).filename().string();
      if (name.rfind("urls_", 0) == 0) continue;
      fn(clean_html_breaks(text::repair_utf8(read_file(f))), f);
      ++n;
    }
    return n;
  }
  const std::string data = read_file(path);
  const bool jsonl = path.size() >= 6 && path.compare(path.size() - 6, 6, ".jsonl") == 0;
  for_each_line(data, [&](std::string_view line, size_t line_no) {
    std::string origin = path + ":" + std::to_string(line_no);
    if (jsonl) {
      auto j = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
      if (j.is_discarded() || !j.is_object() || !j.contains("text") || !j["text"].is_string())
        fail(ErrorCode::kParse, origin + ": expected a JSON object with a string field \"text\"");
      fn(clean_html_breaks(j["text"].get<std::string>()), origin);
    } else {
      fn(clean_html_breaks(text::repair_utf8(line)), origin);
    }
    ++n;
  });
  return n;
}

void for_each_line(std::string_view data, const std::function<void(std::string_view, size_t)>& fn) {
  size_t line_no = 0;
  for (size_t pos = 0; pos < data.size();) {
    size_t nl = data.find('\n', pos);
    if (nl == std::string::npos) nl = data.size();
    std::string_view line(data.data() + pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) fn(line, line_no);
  }
}

}  // namespace senti::data
