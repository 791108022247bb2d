// Rule-based negation of a simple English sentence, for data augmentation: a sentence and its
// negation form a pair whose sentiments point opposite ways, which teaches a classifier what
// "not" does ("The plot is predictable." <-> "The plot is not predictable.", "I didn't like it."
// -> "I did like it.", "It never fails." -> "It fails."). Only sentences of one clause with
// exactly one place to negate are changed: a sentence with two verbs, a clause boundary (a
// comma, "but", "because", a relative "that"/"which"/"who", ...), a question or a second negation
// is left alone, since flipping one clause of it would not flip the whole; so is a negation that
// intensifies rather than negates ("I have never been so bored", "I can't recommend it enough").
// No parsing, no dictionary: word lists of English auxiliaries and negations only. Does not decide
// the new sentence's sentiment (the caller does, and can check with `before` that the words ahead
// of the negation carry none of it: in "The awful film is not long" the negation governs "long").
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace senti::train {

struct Negated {
  std::string text;
  bool added = false;  // true: a negation was added ("is" -> "is not"); false: one was removed
  std::string before;  // the words ahead of the negation site (its subject: "The plot" in "The plot is")
};

// The sentence with its one negation site flipped, or nothing when it has none or several.
std::optional<Negated> negate_sentence(std::string_view sentence);

// Whether the sentence holds a negation ("not", "never", "no", "nothing", a "n't" form, "hardly",
// "without", ...), wherever it is and whatever it governs.
bool has_negation(std::string_view sentence);

// The target for a negated sentence from the original's P(POSITIVE): mirrored about 0.5 and
// pulled towards it, more so when a negation is added to a negative statement ("not bad" is
// weaker praise than "good").
double negated_target(double p_positive, bool added);

}  // namespace senti::train
