// Vocab: the WordPiece vocabulary (token <-> id) with fast lookups for greedy longest match.
// Tokens that start with the continuation prefix ("##") are kept in a second table without
// the prefix, so WordPiece looks up substrings of a word without building strings.
// Knows nothing of normalization or special-token semantics.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace senti::text {

class Vocab {
 public:
  Vocab() = default;
  // tokens[i] is the token with id i. Duplicate tokens keep their first id (as HF does).
  Vocab(std::vector<std::string> tokens, std::string continuation_prefix = "##");

  // Reads vocab.txt: one token per line, id = line number - 1. Errors name the file and line.
  static Vocab from_file(const std::string& path);
  // Writes vocab.txt (atomically: write to a temp file, fsync, rename).
  void save(const std::string& path) const;

  size_t size() const { return tokens_.size(); }
  const std::string& token(int32_t id) const { return tokens_.at(static_cast<size_t>(id)); }
  const std::vector<std::string>& tokens() const { return tokens_; }
  const std::string& continuation_prefix() const { return prefix_; }
  // -1 when absent. `find` takes the full token ("##ing"); the others are for WordPiece.
  int32_t find(std::string_view token) const;
  int32_t find_word_start(std::string_view piece) const { return word_start_.find(piece); }
  int32_t find_continuation(std::string_view piece) const { return continuation_.find(piece); }
  // Longest token length in code points, per table, to bound the longest-match search.
  size_t max_word_start_chars() const { return max_start_chars_; }
  size_t max_continuation_chars() const { return max_cont_chars_; }

 private:
  // Open-addressing hash table from byte strings to ids; strings live in tokens_.
  class Table {
   public:
    void build(const std::vector<std::string>& tokens, const std::vector<int32_t>& ids,
               size_t skip_prefix);
    int32_t find(std::string_view key) const;

   private:
    struct Slot { uint64_t hash = 0; int32_t id = -1; };
    std::vector<Slot> slots_;
    std::vector<std::string_view> keys_;  // by slot
    uint64_t mask_ = 0;
  };

  std::vector<std::string> tokens_;
  std::string prefix_;
  Table word_start_, continuation_;
  size_t max_start_chars_ = 0, max_cont_chars_ = 0;
};

uint64_t hash_bytes(std::string_view s);

}  // namespace senti::text
