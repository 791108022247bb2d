// Tokenizer: text -> Encoding, exactly as a Hugging Face BERT tokenizer.json does it:
// added tokens split out of the raw text, BertNormalizer, BertPreTokenizer, WordPiece,
// truncation (head / tail / head+tail), the [CLS] A [SEP] template, and padding.
// Normalization, pre-tokenization and WordPiece run fused in one pass over the text, keeping
// offsets into the original bytes and code points. Knows nothing of tensors or models.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "text/added_tokens.h"
#include "text/encoding.h"
#include "text/options.h"
#include "text/wordpiece.h"

namespace senti {
class ThreadPool;
}

namespace senti::text {

// One element of a TemplateProcessing template: a special token or the input sequence.
struct TemplatePiece {
  bool is_sequence = false;
  std::vector<int32_t> ids;  // special token ids (usually one)
  int32_t type_id = 0;
};

struct TokenizerConfig {
  NormalizerOptions normalizer;
  bool bert_pre_tokenizer = true;
  WordPieceOptions wordpiece;
  std::vector<AddedToken> added_tokens;
  std::vector<TemplatePiece> single_template;  // empty: no special tokens added
  TruncationOptions truncation;                // defaults from tokenizer.json, if any
  PaddingOptions padding;
  size_t model_max_length = 512;
  std::string pad_token = "[PAD]";
};

struct EncodeOptions {
  TruncationOptions truncation;
  bool add_special_tokens = true;
};

class Tokenizer {
 public:
  Tokenizer(Vocab vocab, TokenizerConfig config);

  // tokenizer.json (Hugging Face format). Unsupported components are errors naming them.
  static Tokenizer from_json_file(const std::string& path);
  static Tokenizer from_json(std::string_view json, const std::string& origin = "tokenizer.json");
  // vocab.txt, plus tokenizer_config.json / special_tokens_map.json from the same folder if present.
  static Tokenizer from_vocab_file(const std::string& vocab_path);
  // A checkpoint folder (tokenizer.json preferred, else vocab.txt), or a file of either kind.
  static Tokenizer from_path(const std::string& path);

  Encoding encode(std::string_view text, const EncodeOptions& options) const;
  Encoding encode(std::string_view text) const { return encode(text, default_options()); }
  // Token-id windows over a text, as the Hugging Face tokenizer's stride / overflowing tokens cut
  // it: the content tokens in pieces of at most max_length minus the template's special tokens,
  // consecutive pieces sharing `stride` tokens, each framed by the post-processor's template. A
  // text that fits (an empty one included) is one window.
  std::vector<std::vector<int32_t>> encode_windows(std::string_view text, size_t max_length, size_t stride) const;
  // Encodes texts on the pool's threads (nullptr: this thread), then pads as asked.
  std::vector<Encoding> encode_batch(const std::vector<std::string_view>& texts,
                                     const EncodeOptions& options, const PaddingOptions& padding,
                                     ThreadPool* pool) const;
  void pad(std::vector<Encoding>& batch, const PaddingOptions& padding) const;

  EncodeOptions default_options() const;
  const Vocab& vocab() const { return wordpiece_.vocab(); }
  const TokenizerConfig& config() const { return config_; }
  int32_t token_to_id(std::string_view token) const { return vocab().find(token); }
  const std::string& id_to_token(int32_t id) const { return vocab().token(id); }
  int32_t pad_id() const { return pad_id_; }
  size_t num_special_tokens() const;
  // Content pieces only (no template, no truncation): the word-level pieces of a text.
  void tokenize(std::string_view text, Encoding& out) const;
  // Normalizes and pre-tokenizes text, calling on_word for each word (added tokens are
  // skipped). This is what the vocabulary trainer counts.
  void pre_tokenize(std::string_view text, const std::function<void(std::string_view)>& on_word) const;

 private:
  struct Scratch;
  using WordSink = std::function<void(std::string_view)>;
  void tokenize_segment(std::string_view text, size_t byte_begin, uint32_t cp_begin,
                        Encoding& out, Scratch& s, const WordSink* sink = nullptr) const;
  void flush_word(Encoding& out, Scratch& s, const WordSink* sink) const;

  TokenizerConfig config_;
  WordPiece wordpiece_;
  AddedTokenMatcher added_;
  int32_t pad_id_ = 0;
  // ASCII fast path: action per byte and the normalized byte.
  enum : uint8_t { kAsciiChar, kAsciiSpace, kAsciiPunct, kAsciiDrop };
  uint8_t ascii_action_[128];
  char ascii_map_[128];
};

}  // namespace senti::text
