#include "text/vocab_trainer.h"

#include <algorithm>
#include <queue>
#include <unordered_set>

#include "text/tokenizer.h"
#include "text/utf8.h"
#include "util/error.h"

namespace senti::text {

VocabTrainer::VocabTrainer(const Tokenizer& normalizer, VocabTrainerOptions options)
    : normalizer_(normalizer), options_(std::move(options)) {}

void VocabTrainer::add_text(std::string_view text) {
  normalizer_.pre_tokenize(text, [&](std::string_view w) { ++word_counts_[std::string(w)]; });
}

void VocabTrainer::add_word(std::string_view word, uint64_t count) {
  word_counts_[std::string(word)] += count;
}

namespace {
using PairKey = uint64_t;
PairKey pair_key(int32_t a, int32_t b) { return (static_cast<uint64_t>(a) << 32) | static_cast<uint32_t>(b); }

struct Word {
  std::vector<int32_t> symbols;
  uint64_t count;
};

struct QueueEntry {
  uint64_t count;
  PairKey pair;
  bool operator<(const QueueEntry& o) const {  // max-heap by count, ties to the smaller pair
    return count != o.count ? count < o.count : pair > o.pair;
  }
};
}  // namespace

Vocab VocabTrainer::train() const {
  const std::string& prefix = options_.continuation_prefix;
  std::vector<std::string> tokens;
  std::unordered_map<std::string, int32_t> ids;
  auto add_token = [&](const std::string& t) -> int32_t {
    auto it = ids.find(t);
    if (it != ids.end()) return it->second;
    int32_t id = static_cast<int32_t>(tokens.size());
    tokens.push_back(t);
    ids.emplace(t, id);
    return id;
  };
  for (const auto& s : options_.special_tokens) add_token(s);

  // Alphabet: every character, counted by word frequency; keep the most frequent ones.
  std::unordered_map<char32_t, uint64_t> char_counts;
  for (const auto& [w, c] : word_counts_) {
    for (size_t i = 0; i < w.size();) {
      size_t len;
      char_counts[decode_utf8(w, i, len)] += c;
      i += len;
    }
  }
  std::vector<std::pair<char32_t, uint64_t>> alphabet(char_counts.begin(), char_counts.end());
  std::sort(alphabet.begin(), alphabet.end(), [](auto& a, auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (alphabet.size() > options_.limit_alphabet) alphabet.resize(options_.limit_alphabet);
  std::sort(alphabet.begin(), alphabet.end());  // by code point, as HF adds them
  std::unordered_set<char32_t> kept;
  for (auto& [c, n] : alphabet) {
    std::string s;
    append_utf8(s, c);
    add_token(s);
    kept.insert(c);
  }

  // Words as symbol sequences: first char as is, later chars with the continuation prefix.
  // Characters outside the kept alphabet make the whole word unusable (it would be [UNK]).
  std::vector<Word> words;
  words.reserve(word_counts_.size());
  std::vector<std::pair<std::string, uint64_t>> sorted_words(word_counts_.begin(), word_counts_.end());
  std::sort(sorted_words.begin(), sorted_words.end());  // deterministic ids for ## forms
  for (const auto& [w, c] : sorted_words) {
    Word word{{}, c};
    bool ok = true;
    for (size_t i = 0; i < w.size();) {
      size_t len;
      char32_t ch = decode_utf8(w, i, len);
      if (!kept.count(ch)) {
        ok = false;
        break;
      }
      std::string s = i == 0 ? std::string() : prefix;
      append_utf8(s, ch);
      word.symbols.push_back(add_token(s));
      i += len;
    }
    if (ok && !word.symbols.empty()) words.push_back(std::move(word));
  }

  // Pair statistics and where each pair occurs.
  std::unordered_map<PairKey, uint64_t> pair_counts;
  std::unordered_map<PairKey, std::unordered_set<uint32_t>> where;
  for (uint32_t wi = 0; wi < words.size(); ++wi) {
    const auto& s = words[wi].symbols;
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      PairKey k = pair_key(s[i], s[i + 1]);
      pair_counts[k] += words[wi].count;
      where[k].insert(wi);
    }
  }
  std::priority_queue<QueueEntry> queue;
  for (const auto& [k, c] : pair_counts) queue.push({c, k});

  while (tokens.size() < options_.vocab_size && !queue.empty()) {
    QueueEntry top = queue.top();
    queue.pop();
    auto pc = pair_counts.find(top.pair);
    uint64_t current = pc == pair_counts.end() ? 0 : pc->second;
    if (current != top.count) {  // stale entry: requeue with the live count
      if (current > 0) queue.push({current, top.pair});
      continue;
    }
    if (current < std::max<uint64_t>(options_.min_frequency, 1)) break;
    int32_t a = static_cast<int32_t>(top.pair >> 32), b = static_cast<int32_t>(top.pair & 0xffffffffu);
    std::string merged = tokens[a];
    const std::string& tb = tokens[b];
    merged += tb.compare(0, prefix.size(), prefix) == 0 ? tb.substr(prefix.size()) : tb;
    int32_t m = add_token(merged);

    std::unordered_map<PairKey, uint64_t> touched;
    auto occurrences = std::move(where[top.pair]);
    where.erase(top.pair);
    for (uint32_t wi : occurrences) {
      Word& w = words[wi];
      auto& s = w.symbols;
      for (size_t i = 0; i + 1 < s.size();) {
        if (s[i] != a || s[i + 1] != b) {
          ++i;
          continue;
        }
        auto change = [&](int32_t x, int32_t y, int64_t delta) {
          PairKey k = pair_key(x, y);
          pair_counts[k] += static_cast<uint64_t>(delta * static_cast<int64_t>(w.count));
          if (delta > 0) where[k].insert(wi);
          touched[k] = 1;
        };
        if (i > 0) {
          change(s[i - 1], a, -1);
          change(s[i - 1], m, +1);
        }
        if (i + 2 < s.size()) {
          change(b, s[i + 2], -1);
          change(m, s[i + 2], +1);
        }
        s[i] = m;
        s.erase(s.begin() + static_cast<long>(i) + 1);
        ++i;
      }
    }
    pair_counts.erase(top.pair);
    for (const auto& [k, unused] : touched) {
      auto it = pair_counts.find(k);
      if (it != pair_counts.end() && it->second > 0) queue.push({it->second, k});
    }
  }
  if (tokens.size() <= options_.special_tokens.size())
    fail(ErrorCode::kInvalidArgument, "vocabulary training saw no text");
  return Vocab(std::move(tokens), prefix);
}

}  // namespace senti::text
