// A word polarity lexicon and its rule-based score of a text: a training-time teacher for short
// texts. IMDb's review labels carry no polarity for words that reviews of both kinds use
// ("dislike" is in 76 positive and 74 negative training reviews), so an n-gram teacher trained
// on them answers "I detest this laptop." with 0.5; a lexicon written by hand knows the word.
//
// The score of a text is the sum of its entries' polarities, where
// - a phrase entry ("can't wait", "waste of time") is matched before its words, the longest
//   first, and counts once; its words count for nothing else (the "can't" of "can't wait" is not
//   a negation);
// - an entry after a negation ("not", "n't", "never", "no", "hardly", ...) within three words, in
//   the same clause, counts reversed and halved ("not good" is weaker blame than "bad"), except
//   after a negated "can"/"could" whose clause goes on to "enough", or that a comparative follows
//   within four words, which intensifies ("I can't recommend it enough", "couldn't be happier",
//   "couldn't have been worse"): there it counts as it is;
// - in a sentence with "but", the words before it count half and those after it 1.5 times.
// Words are runs of ASCII letters and apostrophes (U+2019 read as one), lower-cased. Does not
// parse, does not know intensifiers or sarcasm, and is never shipped as the product's model.
//
// File format (UTF-8 text): one entry a line, `words<whitespace>polarity`, polarity a number in
// [-4, 4] other than 0; the words: one word, or a phrase of up to 4 words separated by spaces;
// a single word ending in '*' matches every word that starts with the rest (at least 3 letters:
// "disappoint*"); '#' starts a comment; blank lines are skipped.
#pragma once
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace senti::train {

class PolarityLexicon {
 public:
  // Throws senti::Error naming `source` and the line for anything but the format above.
  static PolarityLexicon parse(std::string_view text, const std::string& source);
  static PolarityLexicon load(const std::string& path);

  double score(std::string_view text) const;
  // The polarity of one lower-case word (0 when the lexicon does not have it).
  double polarity(std::string_view word) const;
  size_t size() const { return words_.size() + prefixes_.size() + phrases_.size(); }

  static constexpr size_t kMaxPhraseWords = 4;

 private:
  // The polarity of the longest phrase at words[i] (its words joined by one space) and its length
  // in words; {0, 1} when none starts there.
  std::pair<double, size_t> match_phrase(const std::vector<std::string>& words, size_t i) const;

  std::unordered_map<std::string, double> words_, prefixes_, phrases_;
};

}  // namespace senti::train
