#include "text/tokenizer.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "text/unicode.h"
#include "text/utf8.h"
#include "util/error.h"
#include "util/thread_pool.h"

namespace senti::text {

std::optional<TruncationStrategy> parse_truncation(const std::string& name) {
  if (name == "head" || name == "right" || name == "only_first" || name == "longest_first")
    return TruncationStrategy::kHead;
  if (name == "tail" || name == "left") return TruncationStrategy::kTail;
  if (name == "head+tail" || name == "head_tail") return TruncationStrategy::kHeadTail;
  return std::nullopt;
}

const char* truncation_name(TruncationStrategy s) {
  switch (s) {
    case TruncationStrategy::kHead: return "head";
    case TruncationStrategy::kTail: return "tail";
    case TruncationStrategy::kHeadTail: return "head+tail";
  }
  return "?";
}

// Per-thread working memory for the fused normalize/pre-tokenize/WordPiece pass.
struct Tokenizer::Scratch {
  std::string word;                // normalized word, UTF-8
  std::vector<uint32_t> char_pos;  // byte offset in `word` of each char (+ end)
  std::vector<Span> orig_cp, orig_bytes;  // original span of each normalized char
  std::vector<WordPiece_Piece> pieces;
  std::vector<AddedTokenMatch> matches;
  void clear_word() {
    word.clear();
    char_pos.clear();
    orig_cp.clear();
    orig_bytes.clear();
  }
  // After a long word (a hostile 2 MB "word", say), give the memory back: a thread keeps at
  // most a few kilobytes between calls, whatever it has read.
  void trim() {
    constexpr size_t kKeep = 4096;
    auto release = [](auto& v) {
      if (v.capacity() > kKeep) std::remove_reference_t<decltype(v)>().swap(v);
    };
    release(word);
    release(char_pos);
    release(orig_cp);
    release(orig_bytes);
    release(pieces);
    release(matches);
  }
};

Tokenizer::Tokenizer(Vocab vocab, TokenizerConfig config)
    : config_(std::move(config)), wordpiece_(std::move(vocab), config_.wordpiece),
      added_(config_.added_tokens) {
  pad_id_ = wordpiece_.vocab().find(config_.pad_token);
  if (pad_id_ < 0) pad_id_ = 0;
  const NormalizerOptions& n = config_.normalizer;
  for (int c = 0; c < 128; ++c) {
    uint8_t action = kAsciiChar;
    char mapped = static_cast<char>(c);
    bool control = c != '\t' && c != '\n' && c != '\r' && (c < 0x20 || c == 0x7F);
    if (n.enabled && n.clean_text && control) action = kAsciiDrop;
    else if (is_bert_whitespace(static_cast<char32_t>(c))) action = kAsciiSpace;
    else if (is_bert_punctuation(static_cast<char32_t>(c))) action = kAsciiPunct;
    if (n.enabled && n.lowercase && c >= 'A' && c <= 'Z') mapped = static_cast<char>(c + 32);
    if (!config_.bert_pre_tokenizer && (action == kAsciiSpace || action == kAsciiPunct))
      action = kAsciiChar;
    ascii_action_[c] = action;
    ascii_map_[c] = mapped;
  }
}

size_t Tokenizer::num_special_tokens() const {
  size_t n = 0;
  for (const auto& p : config_.single_template)
    if (!p.is_sequence) n += p.ids.size();
  return n;
}

EncodeOptions Tokenizer::default_options() const {
  EncodeOptions o;
  o.truncation = config_.truncation;
  return o;
}

void Tokenizer::flush_word(Encoding& out, Scratch& s, const WordSink* sink) const {
  if (s.orig_cp.empty()) return;
  if (sink) {
    (*sink)(s.word);
    s.clear_word();
    return;
  }
  s.char_pos.push_back(static_cast<uint32_t>(s.word.size()));
  s.pieces.clear();
  wordpiece_.split(s.word, s.char_pos, s.pieces);
  for (const auto& p : s.pieces) {
    Span cp{s.orig_cp[p.char_begin].first, s.orig_cp[p.char_end - 1].second};
    Span by{s.orig_bytes[p.char_begin].first, s.orig_bytes[p.char_end - 1].second};
    out.push(p.id, 0, false, cp, by);
  }
  s.clear_word();
}

void Tokenizer::tokenize_segment(std::string_view text, size_t byte_begin, uint32_t cp_begin,
                                 Encoding& out, Scratch& s, const WordSink* sink) const {
  const NormalizerOptions& norm = config_.normalizer;
  const bool normalize = norm.enabled;
  const bool strip = normalize && norm.strips_accents();
  const bool lower = normalize && norm.lowercase;
  const bool pre = config_.bert_pre_tokenizer;
  uint32_t cp = cp_begin;
  s.clear_word();

  auto append = [&](char32_t c, Span ocp, Span oby) {
    s.char_pos.push_back(static_cast<uint32_t>(s.word.size()));
    append_utf8(s.word, c);
    s.orig_cp.push_back(ocp);
    s.orig_bytes.push_back(oby);
  };

  for (size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    const uint32_t ob = static_cast<uint32_t>(byte_begin + i);
    if (b < 0x80) {
      switch (ascii_action_[b]) {
        case kAsciiChar:
          s.char_pos.push_back(static_cast<uint32_t>(s.word.size()));
          s.word.push_back(ascii_map_[b]);
          s.orig_cp.push_back({cp, cp + 1});
          s.orig_bytes.push_back({ob, ob + 1});
          break;
        case kAsciiSpace:
          flush_word(out, s, sink);
          break;
        case kAsciiPunct:
          flush_word(out, s, sink);
          append(static_cast<char32_t>(b), {cp, cp + 1}, {ob, ob + 1});
          flush_word(out, s, sink);
          break;
        default:  // dropped control character
          break;
      }
      ++i;
      ++cp;
      continue;
    }
    size_t len;
    const char32_t c = decode_utf8(text, i, len);
    const Span ocp{cp, cp + 1}, oby{ob, static_cast<uint32_t>(ob + len)};
    i += len;
    ++cp;
    if (normalize && norm.clean_text && (c == kReplacementChar || is_bert_control(c))) continue;
    if (pre && is_bert_whitespace(c)) {
      flush_word(out, s, sink);
      continue;
    }
    const bool cjk = normalize && norm.handle_chinese_chars && is_cjk_char(c);
    if (cjk) flush_word(out, s, sink);
    char32_t decomposed[8];
    int nd = 1;
    decomposed[0] = c;
    if (strip) nd = nfd_decompose(c, decomposed, 8);
    for (int k = 0; k < nd; ++k) {
      char32_t d = decomposed[k];
      if (strip && is_nonspacing_mark(d)) continue;
      char32_t lowered[2];
      int nl = 1;
      lowered[0] = d;
      if (lower) nl = to_lower_full(d, lowered);
      for (int m = 0; m < nl; ++m) {
        char32_t r = lowered[m];
        if (pre && is_bert_punctuation(r)) {
          flush_word(out, s, sink);
          append(r, ocp, oby);
          flush_word(out, s, sink);
        } else if (pre && is_bert_whitespace(r)) {
          flush_word(out, s, sink);
        } else {
          append(r, ocp, oby);
        }
      }
    }
    if (cjk) flush_word(out, s, sink);
  }
  flush_word(out, s, sink);
}

void Tokenizer::tokenize(std::string_view text, Encoding& out) const {
  thread_local Scratch s;
  struct Trim {
    Scratch& s;
    ~Trim() { s.trim(); }
  } trim{s};
  added_.find_all(text, s.matches);
  if (s.matches.empty()) {
    tokenize_segment(text, 0, 0, out, s);
    return;
  }
  // Code-point index advances over the bytes between segments.
  std::vector<AddedTokenMatch> matches = s.matches;  // tokenize_segment reuses s
  size_t pos = 0;
  uint32_t cp = 0;
  for (const auto& m : matches) {
    std::string_view seg = text.substr(pos, m.begin - pos);
    tokenize_segment(seg, pos, cp, out, s);
    cp += static_cast<uint32_t>(count_code_points(seg));
    uint32_t mcp = static_cast<uint32_t>(count_code_points(text.substr(m.begin, m.end - m.begin)));
    out.push(m.id, 0, false, {cp, cp + mcp},
             {static_cast<uint32_t>(m.begin), static_cast<uint32_t>(m.end)});
    cp += mcp;
    pos = m.end;
  }
  tokenize_segment(text.substr(pos), pos, cp, out, s);
}

void Tokenizer::pre_tokenize(std::string_view text,
                             const std::function<void(std::string_view)>& on_word) const {
  Scratch s;
  Encoding unused;
  std::vector<AddedTokenMatch> matches;
  added_.find_all(text, matches);
  size_t pos = 0;
  for (const auto& m : matches) {
    tokenize_segment(text.substr(pos, m.begin - pos), pos, 0, unused, s, &on_word);
    pos = m.end;
  }
  tokenize_segment(text.substr(pos), pos, 0, unused, s, &on_word);
}

namespace {
// Keeps the content positions [0, head) and [n - tail, n) of each field of an Encoding.
void keep_head_tail(Encoding& e, size_t head, size_t tail) {
  const size_t n = e.size();
  auto cut = [&](auto& v) {
    if (tail > 0) std::move(v.end() - static_cast<long>(tail), v.end(), v.begin() + static_cast<long>(head));
    v.resize(head + tail);
  };
  cut(e.ids);
  cut(e.type_ids);
  cut(e.attention_mask);
  cut(e.special_tokens_mask);
  cut(e.offsets);
  cut(e.byte_offsets);
  e.num_truncated = n - head - tail;
}
}  // namespace

Encoding Tokenizer::encode(std::string_view text, const EncodeOptions& options) const {
  Encoding content;
  content.ids.reserve(text.size() / 4 + 8);
  tokenize(text, content);

  const size_t specials = options.add_special_tokens ? num_special_tokens() : 0;
  const TruncationOptions& t = options.truncation;
  if (t.max_length > 0) {
    if (t.max_length < specials)
      fail(ErrorCode::kInvalidArgument,
           "max_length " + std::to_string(t.max_length) + " is smaller than the " +
               std::to_string(specials) + " special tokens the template adds");
    const size_t budget = t.max_length - specials;
    const size_t n = content.size();
    if (n > budget) {
      size_t head = budget;
      if (t.strategy == TruncationStrategy::kTail) head = 0;
      else if (t.strategy == TruncationStrategy::kHeadTail)
        head = t.head_tokens > 0 ? std::min(t.head_tokens, budget)
                                 : static_cast<size_t>(std::lround(budget * 128.0 / 510.0));
      keep_head_tail(content, head, budget - head);
    }
  }
  if (!options.add_special_tokens || config_.single_template.empty()) return content;

  Encoding out;
  const size_t total = content.size() + specials;
  out.ids.reserve(total);
  out.type_ids.reserve(total);
  out.attention_mask.reserve(total);
  out.special_tokens_mask.reserve(total);
  out.offsets.reserve(total);
  out.byte_offsets.reserve(total);
  out.num_truncated = content.num_truncated;
  for (const auto& piece : config_.single_template) {
    if (piece.is_sequence) {
      for (size_t i = 0; i < content.size(); ++i)
        out.push(content.ids[i], piece.type_id, false, content.offsets[i], content.byte_offsets[i]);
    } else {
      for (int32_t id : piece.ids) out.push(id, piece.type_id, true, {0, 0}, {0, 0});
    }
  }
  return out;
}

std::vector<std::vector<int32_t>> Tokenizer::encode_windows(std::string_view text, size_t max_length,
                                                            size_t stride) const {
  Encoding content;
  tokenize(text, content);
  const size_t specials = num_special_tokens();
  if (max_length <= specials + 1) fail(ErrorCode::kInvalidArgument, "window must exceed the special tokens");
  const size_t span = max_length - specials;
  if (stride >= span) fail(ErrorCode::kInvalidArgument, "stride must be smaller than the window's content");
  const size_t step = span - stride, n = content.ids.size();
  std::vector<std::vector<int32_t>> out;
  for (size_t start = 0;; start += step) {
    const size_t end = std::min(n, start + span);
    std::vector<int32_t> ids;
    ids.reserve(end - start + specials);
    for (const auto& piece : config_.single_template) {
      if (piece.is_sequence) ids.insert(ids.end(), content.ids.begin() + static_cast<long>(start), content.ids.begin() + static_cast<long>(end));
      else ids.insert(ids.end(), piece.ids.begin(), piece.ids.end());
    }
    if (config_.single_template.empty()) ids.assign(content.ids.begin() + static_cast<long>(start), content.ids.begin() + static_cast<long>(end));
    out.push_back(std::move(ids));
    if (end >= n) break;
  }
  return out;
}

std::vector<Encoding> Tokenizer::encode_batch(const std::vector<std::string_view>& texts,
                                              const EncodeOptions& options,
                                              const PaddingOptions& padding,
                                              ThreadPool* pool) const {
  std::vector<Encoding> out(texts.size());
  auto work = [&](size_t begin, size_t end, int) {
    for (size_t i = begin; i < end; ++i) out[i] = encode(texts[i], options);
  };
  if (pool) pool->parallel_for(texts.size(), 16, work);
  else work(0, texts.size(), 0);
  pad(out, padding);
  return out;
}

void Tokenizer::pad(std::vector<Encoding>& batch, const PaddingOptions& padding) const {
  if (padding.strategy == PaddingStrategy::kNone || batch.empty()) return;
  size_t target = 0;
  if (padding.strategy == PaddingStrategy::kMaxLength) target = padding.length;
  for (const auto& e : batch) target = std::max(target, e.size());
  if (padding.multiple_of > 0)
    target = (target + padding.multiple_of - 1) / padding.multiple_of * padding.multiple_of;
  for (auto& e : batch)
    while (e.size() < target) e.push(pad_id_, 0, true, {0, 0}, {0, 0}, false);
}

}  // namespace senti::text
