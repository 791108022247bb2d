// WordPiece: greedy longest-match-first splitting of one pre-tokenized, normalized word into
// vocabulary pieces ("unaffable" -> "un", "##aff", "##able"), as Hugging Face's WordPiece
// model does. A word longer than max_input_chars_per_word, or one that cannot be covered,
// becomes the single unknown token.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "text/vocab.h"

namespace senti::text {

struct WordPieceOptions {
  std::string unk_token = "[UNK]";
  std::string continuing_subword_prefix = "##";
  size_t max_input_chars_per_word = 100;
};

struct WordPiece_Piece {
  int32_t id;
  uint32_t char_begin, char_end;  // code points within the word
};

class WordPiece {
 public:
  WordPiece() = default;
  WordPiece(Vocab vocab, WordPieceOptions options);

  const Vocab& vocab() const { return vocab_; }
  const WordPieceOptions& options() const { return options_; }
  int32_t unk_id() const { return unk_id_; }

  // word: UTF-8 bytes; char_pos: byte offset of each code point plus word.size() at the end.
  void split(std::string_view word, const std::vector<uint32_t>& char_pos,
             std::vector<WordPiece_Piece>& out) const;

 private:
  Vocab vocab_;
  WordPieceOptions options_;
  int32_t unk_id_ = -1;
};

}  // namespace senti::text
