// A word polarity lexicon and its rule-based score of a text: a training-time teacher for short
// texts. IMDb's review labels carry no polarity for words that reviews of both kinds use
// ("dislike" is in 76 positive and 74 negative training reviews), so an n-gram teacher trained
// on them answers "I detest this laptop." with 0.5; a lexicon written by hand knows the word.
//
// The score of a text is the sum of its words' polarities, where
// - a word after a negation ("not", "n't", "never", "no", "hardly", ...) within three words, in
//   the same clause, counts reversed and halved ("not good" is weaker blame than "bad");
// - in a sentence with "but", the words before it count half and those after it 1.5 times.
// Words are runs of ASCII letters and apostrophes, lower-cased. Does not parse, does not know
// intensifiers, sarcasm or multi-word expressions, and is never shipped as the product's model.
//
// File format (UTF-8 text): one entry a line, `word<whitespace>polarity`, polarity a number in
// [-4, 4] other than 0; a word ending in '*' matches every word that starts with the rest (at
// least 3 letters: "disappoint*"); '#' starts a comment; blank lines are skipped.
#pragma once
#include <string>
#include <string_view>
#include <unordered_map>

namespace senti::train {

class PolarityLexicon {
 public:
  // Throws senti::Error naming `source` and the line for anything but the format above.
  static PolarityLexicon parse(std::string_view text, const std::string& source);
  static PolarityLexicon load(const std::string& path);

  double score(std::string_view text) const;
  // The polarity of one lower-case word (0 when the lexicon does not have it).
  double polarity(std::string_view word) const;
  size_t size() const { return words_.size() + prefixes_.size(); }

 private:
  std::unordered_map<std::string, double> words_, prefixes_;
};

}  // namespace senti::train
