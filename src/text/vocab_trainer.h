// WordPiece vocabulary training in the manner of Hugging Face's WordPieceTrainer: count the
// normalized, pre-tokenized words of a corpus, start from the (limited) alphabet with "##"
// continuation forms, then repeatedly merge the most frequent adjacent pair (BPE) until the
// vocabulary reaches its size. The result is an ordinary vocab.txt. Does not read files.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "text/vocab.h"

namespace senti::text {

class Tokenizer;

struct VocabTrainerOptions {
  size_t vocab_size = 30000;
  uint64_t min_frequency = 2;   // pairs seen fewer times are never merged
  size_t limit_alphabet = 1000;  // keep the most frequent characters (HF BertWordPieceTokenizer default)
  std::vector<std::string> special_tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  std::string continuation_prefix = "##";
};

class VocabTrainer {
 public:
  // `normalizer` supplies normalization and pre-tokenization (its vocabulary is not used).
  VocabTrainer(const Tokenizer& normalizer, VocabTrainerOptions options);

  void add_text(std::string_view text);  // counts words; call for every text of the corpus
  void add_word(std::string_view word, uint64_t count);
  size_t num_unique_words() const { return word_counts_.size(); }
  Vocab train() const;

 private:
  const Tokenizer& normalizer_;
  VocabTrainerOptions options_;
  std::unordered_map<std::string, uint64_t> word_counts_;
};

}  // namespace senti::text
