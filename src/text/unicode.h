// Character classes and mappings exactly as Hugging Face's BertNormalizer and BertPreTokenizer
// apply them. The classes of non-ASCII code points come from unicode_classes.inc, generated
// from the reference tokenizer itself (tools/gen-unicode-classes.js): its Rust crates use
// Unicode tables older than utf8proc's, so newer characters are ordinary letters there.
// Decomposition and case mapping come from utf8proc. Knows nothing of words or tokens.
#pragma once
#include <cstdint>
#include <string_view>

namespace senti::text {

enum class CharClass : uint8_t {
  kOrdinary,        // part of a word
  kControl,         // removed by clean_text (Cc, Cf, Co in HF's tables; not \t \n \r)
  kWhitespace,      // splits words (Rust's char::is_whitespace)
  kPunctuation,     // its own word (ASCII punctuation or a P* category)
  kNonspacingMark,  // removed by strip_accents after NFD (Mn)
};

CharClass bert_char_class(char32_t c);

// Rust's char::is_whitespace (the Unicode White_Space property), plus \t \n \r.
bool is_bert_whitespace(char32_t c);
// Categories Cc, Cf, Co (not Cn: HF keeps unassigned code points), except \t \n \r, which count as whitespace.
bool is_bert_control(char32_t c);
// True when a UTF-8 text has nothing to read: empty, or only whitespace (NBSP and the other
// Unicode spaces included) and control or format characters (zero-width spaces, BOM).
bool is_blank_text(std::string_view utf8);
// ASCII punctuation (which includes $ + < = > ^ ` | ~) or any Unicode P* category.
bool is_bert_punctuation(char32_t c);
// CJK Unified Ideographs blocks as listed in BERT's original tokenization.py.
bool is_cjk_char(char32_t c);
// Unicode category Mn (nonspacing mark): what strip_accents removes after NFD.
bool is_nonspacing_mark(char32_t c);
// Canonical combining class (for canonical reordering after decomposition).
int combining_class(char32_t c);
// Canonical (NFD) decomposition of one code point into out (capacity >= 4); returns the count.
int nfd_decompose(char32_t c, char32_t* out, int capacity);
// Full lowercase mapping (as Rust's char::to_lowercase): writes 1 or 2 code points.
int to_lower_full(char32_t c, char32_t* out);

}  // namespace senti::text
