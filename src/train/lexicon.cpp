#include "train/lexicon.h"

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

// A clause ends at these characters; a sentence at the last three.
bool ends_clause(char c) { return c == ',' || c == ';' || c == ':' || c == '.' || c == '!' || c == '?'; }
bool ends_sentence(char c) { return c == '.' || c == '!' || c == '?'; }

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
    size_t n = 0;
    while (n < line.size() && is_word_char(line[n])) ++n;
    std::string word(line.substr(0, n));
    for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const bool prefix = n < line.size() && line[n] == '*';
    line.remove_prefix(n + (prefix ? 1 : 0));
    if (word.empty() || (!line.empty() && !std::isspace(static_cast<unsigned char>(line.front()))))
      bad_line(source, line_no, "expected 'word polarity' (a word of letters and apostrophes, optionally ending in '*')");
    if (prefix && word.size() < 3) bad_line(source, line_no, "a prefix entry needs at least 3 letters before '*'");
    skip_space();
    size_t len = 0;
    while (len < line.size() && !std::isspace(static_cast<unsigned char>(line[len]))) ++len;
    double polarity = 0;
    const auto [ptr, ec] = std::from_chars(line.data(), line.data() + len, polarity);
    if (len == 0 || ec != std::errc() || ptr != line.data() + len || !std::isfinite(polarity) || polarity == 0 ||
        std::fabs(polarity) > 4)
      bad_line(source, line_no, "the polarity of '" + word + "' must be a number in [-4, 4] other than 0");
    line.remove_prefix(len);
    skip_space();
    if (!line.empty()) bad_line(source, line_no, "unexpected text after the polarity of '" + word + "'");
    auto& table = prefix ? lex.prefixes_ : lex.words_;
    if (!table.emplace(word, polarity).second)
      bad_line(source, line_no, "'" + word + (prefix ? "*" : "") + "' is listed twice");
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

double PolarityLexicon::score(std::string_view text) const {
  double total = 0, sentence = 0, weight = 1;
  int since_negation = 1000;  // words since the last negation in this clause
  std::string word;
  auto end_sentence = [&] {
    total += sentence;
    sentence = 0;
    weight = 1;
  };
  for (size_t i = 0; i <= text.size(); ++i) {
    const char c = i < text.size() ? text[i] : '.';
    if (is_word_char(c)) {
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      continue;
    }
    while (!word.empty() && word.front() == '\'') word.erase(word.begin());  // quotes: 'good'
    while (!word.empty() && word.back() == '\'') word.pop_back();
    if (!word.empty()) {
      if (word == "but") {
        sentence *= 0.5;
        weight = 1.5;
        since_negation = 1000;
      } else if (is_negation(word)) {
        since_negation = 0;
      } else {
        const double p = polarity(word);
        ++since_negation;
        sentence += weight * (since_negation <= 3 ? -0.5 * p : p);
      }
      word.clear();
    }
    if (ends_clause(c)) since_negation = 1000;
    if (ends_sentence(c)) end_sentence();
  }
  return total + sentence;
}

}  // namespace senti::train
