#include "text/wordpiece.h"

#include <algorithm>

#include "util/error.h"

namespace senti::text {

WordPiece::WordPiece(Vocab vocab, WordPieceOptions options)
    : vocab_(std::move(vocab)), options_(std::move(options)) {
  if (options_.continuing_subword_prefix != vocab_.continuation_prefix())
    vocab_ = Vocab(std::vector<std::string>(vocab_.tokens()), options_.continuing_subword_prefix);
  unk_id_ = vocab_.find(options_.unk_token);
  if (unk_id_ < 0)
    fail(ErrorCode::kParse, "WordPiece unk_token '" + options_.unk_token + "' is not in the vocabulary");
}

void WordPiece::split(std::string_view word, const std::vector<uint32_t>& char_pos,
                      std::vector<WordPiece_Piece>& out) const {
  const size_t n = char_pos.size() - 1;
  const size_t first = out.size();
  if (n == 0) return;
  if (n <= options_.max_input_chars_per_word) {
    size_t start = 0;
    while (start < n) {
      const bool cont = start > 0;
      size_t longest = cont ? vocab_.max_continuation_chars() : vocab_.max_word_start_chars();
      size_t end = std::min(n, start + longest);
      int32_t id = -1;
      for (; end > start; --end) {
        std::string_view piece = word.substr(char_pos[start], char_pos[end] - char_pos[start]);
        id = cont ? vocab_.find_continuation(piece) : vocab_.find_word_start(piece);
        if (id >= 0) break;
      }
      if (id < 0) break;
      out.push_back({id, static_cast<uint32_t>(start), static_cast<uint32_t>(end)});
      start = end;
    }
    if (start == n) return;
  }
  out.resize(first);
  out.push_back({unk_id_, 0, static_cast<uint32_t>(n)});
}

}  // namespace senti::text
