#include "train/lexicon.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <vector>

#include "util/error.h"
#include "util/file.h"

namespace senti::train {
namespace {

bool is_word_char(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '\''; }

bool is_negation(std::string_view w) {
  static const char* kWords[] = {"not", "no", "never", "nothing", "nobody", "none", "neither", "nor",
                                 "hardly", "barely", "without", "cannot", "dont", "didnt", "doesnt",
                                 "isnt", "wasnt", "arent", "werent", "cant", "wont", "couldnt",
                                 "wouldnt", "shouldnt", "havent", "hasnt", "hadnt", "aint"};
  if (w.size() > 3 && w.substr(w.size() - 3) == "n't") return true;
  for (const char* k : kWords)
    if (w == k) return true;
  return false;
}

// "can't", "cannot", "couldn't", "can not", "could not": a negation that "enough" later in its
// clause turns into praise ("I can't thank them enough").
bool negates_ability(const std::vector<std::string>& words, size_t i) {
  static const char* kWords[] = {"can't", "cannot", "cant", "couldn't", "couldnt"};
  for (const char* k : kWords)
    if (words[i] == k) return true;
  return words[i] == "not" && i > 0 && (words[i - 1] == "can" || words[i - 1] == "could");
}

// A comparative within four words after words[i] ("couldn't be happier", "couldn't have been
// better", "couldn't ask for a better hotel", "couldn't be more pleased").
bool comparative_follows(const std::vector<std::string>& words, size_t i) {
  for (size_t k = i + 1; k < words.size() && k <= i + 4; ++k) {
    const std::string& w = words[k];
    if (w == "more" || w == "better" || w == "worse" || (w.size() > 4 && w.compare(w.size() - 3, 3, "ier") == 0))
      return true;
  }
  return false;
}

// A clause ends at these characters; a sentence at the last three.
bool ends_clause(char c) { return c == ',' || c == ';' || c == ':' || c == '.' || c == '!' || c == '?'; }
bool ends_sentence(char c) { return c == '.' || c == '!' || c == '?'; }

using Clause = std::vector<std::string>;  // lower-case words, quotes around them removed

// The text's sentences, each a list of clauses.
std::vector<std::vector<Clause>> split_sentences(std::string_view text) {
  std::vector<std::vector<Clause>> out(1, std::vector<Clause>(1));
  std::string word;
  for (size_t i = 0; i <= text.size(); ++i) {
    char c = i < text.size() ? text[i] : '.';
    if (text.compare(i, 3, "\xE2\x80\x99") == 0) {  // U+2019, the typographic apostrophe
      c = '\'';
      i += 2;
    }
    if (is_word_char(c)) {
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      continue;
    }
    while (!word.empty() && word.front() == '\'') word.erase(word.begin());  // quotes: 'good'
    while (!word.empty() && word.back() == '\'') word.pop_back();
    if (!word.empty()) out.back().back().push_back(std::move(word));
    word.clear();
    if (ends_sentence(c)) {
      out.emplace_back(1);
    } else if (ends_clause(c)) {
      out.back().emplace_back();
    }
  }
  return out;
}

[[noreturn]] void bad_line(const std::string& source, size_t line, const std::string& what) {
  fail(ErrorCode::kParse, source + ":" + std::to_string(line) + ": " + what);
}

}  // namespace

PolarityLexicon PolarityLexicon::parse(std::string_view text, const std::string& source) {
  PolarityLexicon lex;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (const size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    auto skip_space = [&line] {
      while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
    };
    skip_space();
    if (line.empty()) continue;
    std::vector<std::string> words;  // the entry: one word or a phrase
    bool prefix = false;
    while (!line.empty() && is_word_char(line.front())) {
      if (prefix) bad_line(source, line_no, "a prefix entry (ending in '*') must be a single word");
      size_t n = 0;
      while (n < line.size() && is_word_char(line[n])) ++n;
      std::string word(line.substr(0, n));
      for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      prefix = n < line.size() && line[n] == '*';
      line.remove_prefix(n + (prefix ? 1 : 0));
      if (!line.empty() && !std::isspace(static_cast<unsigned char>(line.front())))
        bad_line(source, line_no, "expected 'word polarity' (a word of letters and apostrophes, optionally ending in '*')");
      words.push_back(std::move(word));
      skip_space();
    }
    if (words.empty())
      bad_line(source, line_no, "expected 'word polarity' (a word of letters and apostrophes, optionally ending in '*')");
    if (words.size() > kMaxPhraseWords)
      bad_line(source, line_no, "a phrase has at most " + std::to_string(kMaxPhraseWords) + " words");
    std::string entry = words[0];
    for (size_t k = 1; k < words.size(); ++k) entry += " " + words[k];
    if (prefix && entry.size() < 3) bad_line(source, line_no, "a prefix entry needs at least 3 letters before '*'");
    size_t len = 0;
    while (len < line.size() && !std::isspace(static_cast<unsigned char>(line[len]))) ++len;
    double polarity = 0;
    const auto [ptr, ec] = std::from_chars(line.data(), line.data() + len, polarity);
    if (len == 0 || ec != std::errc() || ptr != line.data() + len || !std::isfinite(polarity) || polarity == 0 ||
        std::fabs(polarity) > 4)
      bad_line(source, line_no, "the polarity of '" + entry + "' must be a number in [-4, 4] other than 0");
    line.remove_prefix(len);
    skip_space();
    if (!line.empty()) bad_line(source, line_no, "unexpected text after the polarity of '" + entry + "'");
    auto& table = words.size() > 1 ? lex.phrases_ : prefix ? lex.prefixes_ : lex.words_;
    if (!table.emplace(entry, polarity).second)
      bad_line(source, line_no, "'" + entry + (prefix ? "*" : "") + "' is listed twice");
  }
  if (lex.size() == 0) fail(ErrorCode::kParse, source + ": the lexicon has no entry");
  return lex;
}

PolarityLexicon PolarityLexicon::load(const std::string& path) { return parse(read_file(path), path); }

double PolarityLexicon::polarity(std::string_view word) const {
  if (auto it = words_.find(std::string(word)); it != words_.end()) return it->second;
  for (size_t len = word.size(); len >= 3; --len)
    if (auto it = prefixes_.find(std::string(word.substr(0, len))); it != prefixes_.end()) return it->second;
  return 0;
}

std::pair<double, size_t> PolarityLexicon::match_phrase(const std::vector<std::string>& words, size_t i) const {
  if (phrases_.empty()) return {0, 1};
  for (size_t len = std::min(kMaxPhraseWords, words.size() - i); len >= 2; --len) {
    std::string key = words[i];
    for (size_t k = 1; k < len; ++k) key += " " + words[i + k];
    if (auto it = phrases_.find(key); it != phrases_.end()) return {it->second, len};
  }
  return {0, 1};
}

double PolarityLexicon::score(std::string_view text) const {
  double total = 0;
  for (const auto& sentence : split_sentences(text)) {
    double sum = 0, weight = 1;
    for (const auto& words : sentence) {
      size_t since_negation = 1000;  // entries since the last negation in this clause
      bool intensifies = false;      // that negation is "can't ... enough"
      for (size_t i = 0; i < words.size();) {
        if (words[i] == "but") {
          sum *= 0.5;
          weight = 1.5;
          since_negation = 1000;
          ++i;
          continue;
        }
        auto [p, len] = match_phrase(words, i);
        if (len == 1) {
          if (is_negation(words[i])) {
            since_negation = 0;
            intensifies = negates_ability(words, i) &&
                          (std::find(words.begin() + static_cast<std::ptrdiff_t>(i) + 1, words.end(), "enough") != words.end() ||
                           comparative_follows(words, i));
            ++i;
            continue;
          }
          p = polarity(words[i]);
        }
        ++since_negation;
        sum += weight * (since_negation <= 3 && !intensifies ? -0.5 * p : p);
        i += len;
      }
    }
    total += sum;
  }
  return total;
}

}  // namespace senti::train
