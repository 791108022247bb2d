// Negation for data augmentation: which sentences are flipped and how (one site, kept casing and
// punctuation), which are left alone (two verbs, clause boundaries, questions, imperatives, other
// negations), and the mirrored targets.
#include "train/negation.h"

#include <gtest/gtest.h>

using senti::train::negate_sentence;
using senti::train::negated_target;

namespace {
std::string negated(const char* s) {
  auto n = negate_sentence(s);
  return n ? n->text : "(unchanged)";
}
}  // namespace

TEST(Negation, AddsNotAfterTheOneAuxiliary) {
  EXPECT_EQ(negated("The plot is predictable."), "The plot is not predictable.");
  EXPECT_EQ(negated("This was a waste of time!"), "This was not a waste of time!");
  EXPECT_EQ(negated("It's worth every penny."), "It's not worth every penny.");
  EXPECT_EQ(negated("I can recommend it."), "I cannot recommend it.");
  EXPECT_EQ(negated("The ending has improved."), "The ending has not improved.");
  EXPECT_EQ(negated("You will be bored."), "You will not be bored.");
  EXPECT_EQ(negated("It is probably his best film."), "It is probably not his best film.");
  EXPECT_EQ(negated("I did enjoy it."), "I did not enjoy it.");
  EXPECT_EQ(negated("It\xE2\x80\x99s great."), "It\xE2\x80\x99s not great.");
  auto n = negate_sentence("The plot is predictable.");
  ASSERT_TRUE(n);
  EXPECT_TRUE(n->added);
}

TEST(Negation, RemovesTheOneNegation) {
  EXPECT_EQ(negated("I didn't like it."), "I did like it.");
  EXPECT_EQ(negated("The film isn't funny."), "The film is funny.");
  EXPECT_EQ(negated("I was not disappointed."), "I was disappointed.");
  EXPECT_EQ(negated("It never fails to make me laugh."), "It fails to make me laugh.");
  EXPECT_EQ(negated("Not recommended."), "Recommended.");
  EXPECT_EQ(negated("He cannot act."), "He can act.");
  EXPECT_EQ(negated("I DIDN'T enjoy it."), "I DID enjoy it.");
  EXPECT_EQ(negated("\"It wasn't good.\""), "\"It was good.\"");
  EXPECT_EQ(negated("I didnt like it."), "I did like it.");
  auto n = negate_sentence("I didn't like it.");
  ASSERT_TRUE(n);
  EXPECT_FALSE(n->added);
  // Negating and removing again gives the sentence back.
  EXPECT_EQ(negated(negated("The acting is superb.").c_str()), "The acting is superb.");
}

TEST(Negation, LeavesAloneWhatOneFlipWouldNotNegate) {
  for (const char* s : {
           "The acting is good and the plot is great.",  // two clauses
           "The acting was fine, the plot was not.",     // a comma
           "It is long but it is worth it.",             // but
           "I loved it because it was funny.",           // because
           "Is it good?",                                // a question
           "Don't miss it.",                             // an imperative
           "Do see it.",
           "There is no plot.",                          // another negation
           "It was not bad and not good.",
           "Everyone does a great job.",                 // "does" is the main verb
           "I loved every minute.",                      // no auxiliary
           "Great.",
           "",
           "The film was not what I had hoped.",         // two sites
       })
    EXPECT_FALSE(negate_sentence(s)) << s << " -> " << negated(s);
  std::string long_sentence = "It is";
  for (int i = 0; i < 30; ++i) long_sentence += " very";
  EXPECT_FALSE(negate_sentence(long_sentence + " good."));
}

TEST(Negation, TargetsMirrorAboutOneHalf) {
  EXPECT_NEAR(negated_target(0.9, true), 0.5 - 0.9 * 0.4, 1e-12);  // "good" -> "not good": negative
  EXPECT_NEAR(negated_target(0.1, true), 0.5 + 0.6 * 0.4, 1e-12);  // "bad" -> "not bad": mildly positive
  EXPECT_NEAR(negated_target(0.1, false), 0.5 + 0.9 * 0.4, 1e-12);
  EXPECT_NEAR(negated_target(0.5, true), 0.5, 1e-12);
  for (double p = 0; p <= 1; p += 0.05) {
    const double t = negated_target(p, true);
    EXPECT_TRUE(t >= 0 && t <= 1);
    EXPECT_TRUE((p - 0.5) * (t - 0.5) <= 0) << p;
  }
}
