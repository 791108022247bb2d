#include "train/negation.h"

#include <algorithm>
#include <cctype>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace senti::train {

namespace {
// A word of the sentence: its bytes as written and its lowercase core without surrounding
// punctuation (a typographic apostrophe read as ').
struct Word {
  std::string raw;
  std::string core;
};

std::vector<Word> split_words(std::string_view s) {
  std::vector<Word> out;
  for (size_t i = 0; i < s.size();) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
    if (j == i) break;
    Word w{std::string(s.substr(i, j - i)), {}};
    for (size_t k = 0; k < w.raw.size(); ++k) {
      if (w.raw.compare(k, 3, "\xE2\x80\x99") == 0) {  // U+2019
        w.core.push_back('\'');
        k += 2;
      } else {
        w.core.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(w.raw[k]))));
      }
    }
    auto edge = [](char c) { return !std::isalnum(static_cast<unsigned char>(c)) && c != '\''; };
    while (!w.core.empty() && edge(w.core.back())) w.core.pop_back();
    while (!w.core.empty() && edge(w.core.front())) w.core.erase(w.core.begin());
    out.push_back(std::move(w));
    i = j;
  }
  return out;
}

const std::unordered_set<std::string> kAuxiliaries = {"is",    "was",   "are",  "were",  "am",   "can",
                                                      "could", "will",  "would", "should", "must", "might",
                                                      "may",   "does",  "do",   "did"};
const std::unordered_set<std::string> kPerfect = {"has", "have", "had"};  // a site before "been" or a participle
const std::unordered_set<std::string> kContractedSubjects = {"it", "that", "this", "he",   "she", "there", "here",
                                                             "what", "who", "they", "we",  "you", "i"};
const std::unordered_map<std::string, std::string> kNegatedAuxiliaries = {
    {"isn't", "is"},       {"wasn't", "was"},     {"aren't", "are"},     {"weren't", "were"},  {"can't", "can"},
    {"cannot", "can"},     {"couldn't", "could"}, {"won't", "will"},     {"wouldn't", "would"}, {"shouldn't", "should"},
    {"doesn't", "does"},   {"don't", "do"},       {"didn't", "did"},     {"hasn't", "has"},    {"haven't", "have"},
    {"hadn't", "had"},     {"mustn't", "must"},   {"ain't", "is"},
    // as often typed, without the apostrophe ("wont" is a word of its own)
    {"isnt", "is"},        {"wasnt", "was"},      {"arent", "are"},      {"werent", "were"},   {"cant", "can"},
    {"couldnt", "could"},  {"wouldnt", "would"},  {"shouldnt", "should"}, {"doesnt", "does"},  {"dont", "do"},
    {"didnt", "did"},      {"hasnt", "has"},      {"havent", "have"},    {"hadnt", "had"}};
// Negations this module does not undo; a sentence holding one is left alone.
const std::unordered_set<std::string> kOtherNegations = {
    "no",    "nothing", "nobody",   "none",    "nor",  "neither", "nowhere", "hardly", "barely",
    "scarcely", "without", "lack",  "lacks",   "lacking", "lacked", "needn't", "shan't"};
// After "do", "does", "did": words that show it is the main verb ("did a great job").
const std::unordered_set<std::string> kObjects = {"a",   "an",   "the",  "this", "that",  "these", "those", "it",
                                                  "my",  "his",  "her",  "its",  "their", "your",  "our",   "some",
                                                  "any", "what", "so",   "well", "much",  "everything", "something",
                                                  "justice", "nothing", "anything", "me", "him", "them", "us", "you"};
// Adverbs that read better before the added "not" ("is probably not", not "is not probably").
const std::unordered_set<std::string> kSentenceAdverbs = {"also", "probably", "definitely", "certainly", "surely",
                                                          "still", "clearly", "obviously", "actually", "apparently"};
// Words that join clauses: negating one clause would not negate the sentence.
const std::unordered_set<std::string> kClauseWords = {"but",    "although", "though", "however", "yet",  "unless",
                                                      "if",     "because",  "while",  "whereas", "except", "and",
                                                      "or",     "when",     "until",  "since",   "than", "despite"};
// Words that open a relative or complement clause after the sentence's start ("a film that I would
// never watch"): the negation would sit in the inner clause, which need not carry the sentiment.
const std::unordered_set<std::string> kInnerClauseWords = {"that", "which", "who", "whom", "whose", "where"};
// After a negation, words that make it an intensifier: "never been so bored", "never seen such a
// mess", "can't recommend it enough", "never better": removing the negation does not flip these.
const std::unordered_set<std::string> kEmphatic = {"so",   "such", "ever",  "enough", "more",
                                                   "less", "better", "worse", "best",  "worst"};

bool is_contracted_copula(const std::string& core) {  // "it's", "they're", "i'm"
  for (const char* suffix : {"'s", "'re", "'m"}) {
    const size_t n = std::char_traits<char>::length(suffix);
    if (core.size() > n && core.compare(core.size() - n, n, suffix) == 0 &&
        kContractedSubjects.count(core.substr(0, core.size() - n)))
      return true;
  }
  return false;
}

bool ends_with(const std::string& s, const char* suffix) {
  const size_t n = std::char_traits<char>::length(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

// The raw word with its letters replaced by `to`, keeping punctuation around it and a capital.
std::string replace_core(const Word& w, const std::string& to) {
  size_t start = 0;
  while (start < w.raw.size() && !std::isalnum(static_cast<unsigned char>(w.raw[start]))) ++start;
  size_t end = start;
  while (end < w.raw.size() && (std::isalnum(static_cast<unsigned char>(w.raw[end])) || w.raw[end] == '\'' ||
                                static_cast<unsigned char>(w.raw[end]) >= 0x80))
    ++end;
  std::string word = to;
  const std::string_view letters = std::string_view(w.raw).substr(start, end - start);
  const bool capital = !letters.empty() && std::isupper(static_cast<unsigned char>(letters[0]));
  const bool all_caps = capital && std::none_of(letters.begin(), letters.end(),
                                                [](char c) { return std::islower(static_cast<unsigned char>(c)); });
  for (size_t k = 0; k < word.size(); ++k)
    if (all_caps || (capital && k == 0)) word[k] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[k])));
  return w.raw.substr(0, start) + word + w.raw.substr(end);
}

enum class Site { kNone, kAddAfter, kReplace, kDrop };
}  // namespace

std::optional<Negated> negate_sentence(std::string_view sentence) {
  if (sentence.find_first_of("?,;:()[]") != std::string_view::npos) return std::nullopt;
  std::vector<Word> words = split_words(sentence);
  if (words.size() < 2 || words.size() > 20) return std::nullopt;
  size_t sites = 0, at = 0;
  Site kind = Site::kNone;
  auto site = [&](size_t i, Site k) {
    ++sites;
    at = i;
    kind = k;
  };
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& c = words[i].core;
    const std::string next = i + 1 < words.size() ? words[i + 1].core : "";
    const bool negated_next = next == "not" || next == "never";
    if (kOtherNegations.count(c) || kClauseWords.count(c)) return std::nullopt;
    if (i > 0 && kInnerClauseWords.count(c)) return std::nullopt;
    if (c == "not" || c == "never") {
      const std::string prev = i > 0 ? words[i - 1].core : "";
      const bool after_aux = kAuxiliaries.count(prev) || kPerfect.count(prev) || is_contracted_copula(prev);
      if (c == "not" && i > 0 && !after_aux) return std::nullopt;  // "not" elsewhere: scope unclear
      site(i, Site::kDrop);
    } else if (kNegatedAuxiliaries.count(c)) {
      if (i == 0) return std::nullopt;  // "Don't miss it": an imperative
      site(i, Site::kReplace);
    } else if (ends_with(c, "n't")) {
      return std::nullopt;  // a negated form not in the list
    } else if ((kAuxiliaries.count(c) || is_contracted_copula(c)) && !next.empty() && !negated_next) {
      if (i == 0 && kAuxiliaries.count(c)) return std::nullopt;  // a question or an imperative ("Do see it")
      if ((c == "do" || c == "does" || c == "did") && kObjects.count(next)) continue;
      if (c == "do" && i > 0 && words[i - 1].core == "to") continue;  // "to do": the main verb
      site(i, Site::kAddAfter);
    } else if (kPerfect.count(c) && (next == "been" || ends_with(next, "ed"))) {
      if (i == 0) return std::nullopt;
      site(i, Site::kAddAfter);
    }
    if (sites > 1) return std::nullopt;
  }
  if (sites != 1) return std::nullopt;
  if (kind != Site::kAddAfter)
    for (size_t i = at + 1; i < words.size(); ++i)
      if (kEmphatic.count(words[i].core)) return std::nullopt;

  std::vector<std::string> out;
  for (const auto& w : words) out.push_back(w.raw);
  Negated r;
  for (size_t i = 0; i < at; ++i) r.before += (i ? " " : "") + words[i].raw;
  if (kind == Site::kAddAfter) {
    if (words[at].core == "can") {
      out[at] = replace_core(words[at], "cannot");
    } else {
      const size_t after = at + 1 + (at + 1 < words.size() && kSentenceAdverbs.count(words[at + 1].core) ? 1 : 0);
      out.insert(out.begin() + static_cast<std::ptrdiff_t>(after), "not");
    }
    r.added = true;
  } else if (kind == Site::kReplace) {
    out[at] = replace_core(words[at], kNegatedAuxiliaries.at(words[at].core));
  } else {
    // The dropped word's trailing punctuation ("It was not.") stays with the sentence.
    if (at + 1 >= words.size()) return std::nullopt;
    out.erase(out.begin() + static_cast<std::ptrdiff_t>(at));
    if (at == 0 && !out[0].empty())  // "Not recommended." -> "Recommended."
      out[0][0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0][0])));
  }
  for (size_t i = 0; i < out.size(); ++i) r.text += (i ? " " : "") + out[i];
  return r;
}

bool has_negation(std::string_view sentence) {
  for (const auto& w : split_words(sentence))
    if (w.core == "not" || w.core == "never" || kOtherNegations.count(w.core) || kNegatedAuxiliaries.count(w.core) ||
        ends_with(w.core, "n't"))
      return true;
  return false;
}

double negated_target(double p, bool added) {
  const double k = (added && p < 0.5) ? 0.6 : 0.9;
  return std::clamp(0.5 - k * (p - 0.5), 0.0, 1.0);
}

}  // namespace senti::train
