#include "text/vocab.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "text/utf8.h"
#include "util/error.h"
#include "util/file.h"

namespace senti::text {

uint64_t hash_bytes(std::string_view s) {
  // FNV-1a over 8-byte words then bytes, finished with a 64-bit mix: fast for short keys.
  uint64_t h = 0xcbf29ce484222325ull ^ s.size();
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0x100000001b3ull;
    h ^= h >> 29;
  }
  for (; i < s.size(); ++i) h = (h ^ static_cast<unsigned char>(s[i])) * 0x100000001b3ull;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

void Vocab::Table::build(const std::vector<std::string>& tokens, const std::vector<int32_t>& ids,
                         size_t skip_prefix) {
  size_t cap = 16;
  while (cap < ids.size() * 2) cap <<= 1;
  slots_.assign(cap, Slot{});
  keys_.assign(cap, std::string_view{});
  mask_ = cap - 1;
  for (int32_t id : ids) {
    std::string_view key = std::string_view(tokens[id]).substr(skip_prefix);
    if (find(key) >= 0) continue;  // first id wins
    uint64_t h = hash_bytes(key);
    for (uint64_t i = h & mask_;; i = (i + 1) & mask_) {
      if (slots_[i].id < 0) {
        slots_[i] = {h, id};
        keys_[i] = key;
        break;
      }
    }
  }
}

int32_t Vocab::Table::find(std::string_view key) const {
  if (slots_.empty()) return -1;
  uint64_t h = hash_bytes(key);
  for (uint64_t i = h & mask_;; i = (i + 1) & mask_) {
    const Slot& s = slots_[i];
    if (s.id < 0) return -1;
    if (s.hash == h && keys_[i] == key) return s.id;
  }
}

Vocab::Vocab(std::vector<std::string> tokens, std::string continuation_prefix)
    : tokens_(std::move(tokens)), prefix_(std::move(continuation_prefix)) {
  std::vector<int32_t> start_ids, cont_ids;
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const std::string& t = tokens_[i];
    // The full token is always findable as a word start (HF's vocab lookup is by full string);
    // a "##x" token is also a continuation piece "x".
    start_ids.push_back(static_cast<int32_t>(i));
    size_t chars = count_code_points(t);
    max_start_chars_ = std::max(max_start_chars_, chars);
    if (!prefix_.empty() && t.size() > prefix_.size() && t.compare(0, prefix_.size(), prefix_) == 0) {
      cont_ids.push_back(static_cast<int32_t>(i));
      max_cont_chars_ = std::max(max_cont_chars_, chars - count_code_points(prefix_));
    }
  }
  word_start_.build(tokens_, start_ids, 0);
  continuation_.build(tokens_, cont_ids, prefix_.size());
}

int32_t Vocab::find(std::string_view token) const { return word_start_.find(token); }

Vocab Vocab::from_file(const std::string& path) {
  std::string data = read_file(path);
  std::vector<std::string> tokens;
  size_t line_no = 0;
  for (size_t pos = 0; pos < data.size();) {
    size_t nl = data.find('\n', pos);
    if (nl == std::string::npos) nl = data.size();
    std::string_view line(data.data() + pos, nl - pos);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!is_valid_utf8(line))
      fail(ErrorCode::kParse, path + ":" + std::to_string(line_no) + ": token is not valid UTF-8");
    // transformers' load_vocab strips trailing whitespace ("\n") only; keep the token as is.
    tokens.emplace_back(line);
    pos = nl + 1;
  }
  if (tokens.empty()) fail(ErrorCode::kParse, path + ": vocabulary is empty");
  return Vocab(std::move(tokens));
}

void Vocab::save(const std::string& path) const {
  std::string data;
  for (const auto& t : tokens_) {
    data += t;
    data += '\n';
  }
  write_file_atomic(path, data);
}

}  // namespace senti::text
