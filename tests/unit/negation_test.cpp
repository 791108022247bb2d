// Negation for data augmentation: which sentences are flipped and how (one site, kept casing and
// punctuation), which are left alone (two verbs, clause boundaries, questions, imperatives, other
// negations), and the mirrored targets.
#include "train/negation.h"

#include <gtest/gtest.h>

using senti::train::negate_sentence;
using senti::train::negated_target;
using senti::train::has_negation;

namespace {
std::string negated(const char* s) {
  auto n = negate_sentence(s);
  return n ? n->text : "(unchanged)";
}
}  // namespace

// Each sentence, what negating it gives, and whether that added a negation (else removed one).
struct Case {
  const char* in;
  const char* out;
  bool added;
};

TEST(Negation, FlipsTheOneSiteKeepingCaseAndPunctuation) {
  const Case cases[] = {
      {"The plot is predictable.", "The plot is not predictable.", true},
      {"This was a waste of time!", "This was not a waste of time!", true},
      {"It's worth every penny.", "It's not worth every penny.", true},
      {"It\xE2\x80\x99s great.", "It\xE2\x80\x99s not great.", true},  // a typographic apostrophe
      {"I can recommend it.", "I cannot recommend it.", true},
      {"The ending has improved.", "The ending has not improved.", true},
      {"You will be bored.", "You will not be bored.", true},
      {"It is probably his best film.", "It is probably not his best film.", true},
      {"I did enjoy it.", "I did not enjoy it.", true},
      {"I didn't like it.", "I did like it.", false},
      {"I didnt like it.", "I did like it.", false},
      {"The film isn't funny.", "The film is funny.", false},
      {"I was not disappointed.", "I was disappointed.", false},
      {"It never fails to make me laugh.", "It fails to make me laugh.", false},
      {"Not recommended.", "Recommended.", false},
      {"He cannot act.", "He can act.", false},
      {"I DIDN'T enjoy it.", "I DID enjoy it.", false},
      {"\"It wasn't good.\"", "\"It was good.\"", false},
  };
  for (const Case& c : cases) {
    auto n = negate_sentence(c.in);
    ASSERT_TRUE(n) << c.in;
    EXPECT_EQ(n->text, c.out);
    EXPECT_EQ(n->added, c.added) << c.in;
  }
  // A relative word at the start is a subject, and an intensifier before an added negation stays.
  EXPECT_EQ(negated("That was fun."), "That was not fun.");
  EXPECT_EQ(negated("It is so good."), "It is not so good.");
  // The words ahead of the site: the subject, or nothing when the sentence starts with it.
  EXPECT_EQ(negate_sentence("The awful sequel is long.")->before, "The awful sequel");
  EXPECT_EQ(negate_sentence("I didn't like it.")->before, "I");
  EXPECT_EQ(negate_sentence("Not recommended.")->before, "");
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
           "Every class had something to do with this show.",  // "to do": the main verb
           "I loved every minute.",                      // no auxiliary
           "Great.",
           "",
           "The film was not what I had hoped.",         // two sites
           "A dull film that I would never watch again.",  // the negation is in an inner clause
           "It is a show which I will never forget.",
           "The actor who plays him is not convincing.",
           "I have never been so bored in a cinema.",    // the negation intensifies
           "I have never seen such a mess.",
           "I can't recommend it enough.",
           "It has never looked better.",
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

TEST(Negation, FindsANegationAnywhere) {
  for (const char* yes : {"It is not good.", "I didn't like it", "Never again!", "No complaints.", "I can\xE2\x80\x99t wait",
                          "Nothing works", "Hardly a masterpiece.", "It comes without a manual", "I cannot say"})
    EXPECT_TRUE(has_negation(yes)) << yes;
  for (const char* no : {"It is good.", "Notable and knotty.", "I know it", "A nonstop ride", ""})
    EXPECT_FALSE(has_negation(no)) << no;
}
