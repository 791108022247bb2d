// The polarity lexicon (train/lexicon.h): its file format and errors, the score's rules
// (negation scope, clause ends, "but", phrases, "can't ... enough", "couldn't be happier"), and
// the committed lexicon itself.
#include <gtest/gtest.h>

#include "test_util.h"
#include "train/lexicon.h"
#include "util/error.h"

using namespace senti;
using namespace senti::train;

namespace {
const char* kSmall =
    "# a comment\n"
    "good 2\n"
    "bad -2   # trailing comment\n"
    "\n"
    "disappoint* -3\n"
    "Great\t3\n";
}  // namespace

TEST(Lexicon, ParsesWordsPrefixesAndComments) {
  PolarityLexicon lex = PolarityLexicon::parse(kSmall, "small.tsv");
  EXPECT_EQ(lex.size(), 4u);
  EXPECT_EQ(lex.polarity("good"), 2);
  EXPECT_EQ(lex.polarity("great"), 3);  // entries are lower-cased
  EXPECT_EQ(lex.polarity("disappointing"), -3);
  EXPECT_EQ(lex.polarity("disappoint"), -3);
  EXPECT_EQ(lex.polarity("disappoin"), 0);
  EXPECT_EQ(lex.polarity("goodness"), 0);  // exact words match exactly
}

TEST(Lexicon, RejectsMalformedLinesNamingFileAndLine) {
  const std::pair<const char*, const char*> bad[] = {
      {"good\n", "small.tsv:1"},                 // no polarity
      {"good 2\nbad x\n", "small.tsv:2"},        // not a number
      {"good 0\n", "other than 0"},              // zero
      {"good 5\n", "[-4, 4]"},                   // out of range
      {"good nan\n", "[-4, 4]"},
      {"good 2 3\n", "unexpected text"},
      {"go-od 2\n", "expected 'word polarity'"},  // not a word
      {"ab* 2\n", "at least 3 letters"},
      {"good 2\ngood 1\n", "listed twice"},
      {"# only a comment\n", "no entry"},
      {"", "no entry"},
      {"2 good\n", "expected 'word polarity'"},
      {"a b c d e 2\n", "at most 4 words"},
      {"waste* of 2\n", "single word"},
      {"waste of time -3\nWaste  of time -2\n", "listed twice"},  // case and spacing do not matter
  };
  for (const auto& [text, what] : bad) {
    try {
      PolarityLexicon::parse(text, "small.tsv");
      ADD_FAILURE() << "accepted: " << text;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("small.tsv"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(PolarityLexicon::load("/nonexistent/lexicon.tsv"), Error);
}

TEST(Lexicon, ScoresWithNegationScopeClausesAndBut) {
  PolarityLexicon lex = PolarityLexicon::parse(kSmall, "small.tsv");
  EXPECT_EQ(lex.score("It was good."), 2);
  EXPECT_EQ(lex.score("GOOD, 'good' and Good!"), 6);           // case and quotes
  EXPECT_EQ(lex.score("It was not good."), -1);                // reversed and halved
  EXPECT_EQ(lex.score("It wasn't good."), -1);                 // "n't"
  EXPECT_EQ(lex.score("Not bad at all."), 1);
  EXPECT_EQ(lex.score("Never, ever good."), 2);                // a comma ends the negation's clause
  EXPECT_EQ(lex.score("Not that it was really good."), 2);     // more than three words after it
  EXPECT_EQ(lex.score("No. Good."), 2);                        // a sentence end, too
  EXPECT_EQ(lex.score("Good but bad."), 2 * 0.5 - 2 * 1.5);    // "but": half before, 1.5 times after
  EXPECT_EQ(lex.score("Good but bad. Good."), -2 + 2);         // only in its sentence
  EXPECT_EQ(lex.score("It did not disappoint."), 1.5);
  EXPECT_EQ(lex.score(""), 0);
  EXPECT_EQ(lex.score("Nothing here has a polarity"), 0);
}

namespace {
const char* kPhrases =
    "good 2\n"
    "bad -2\n"
    "recommend 2\n"
    "can't wait 2\n"
    "waste of time -3\n"
    "waste of -1\n"
    "never gets old 2\n";
}  // namespace

TEST(Lexicon, MatchesTheLongestPhraseBeforeItsWords) {
  PolarityLexicon lex = PolarityLexicon::parse(kPhrases, "phrases.tsv");
  EXPECT_EQ(lex.size(), 7u);
  EXPECT_EQ(lex.polarity("waste"), 0);                          // a phrase's words are not entries
  EXPECT_EQ(lex.score("A waste of time."), -3);                 // the longest phrase
  EXPECT_EQ(lex.score("A waste of money."), -1);
  EXPECT_EQ(lex.score("What a waste, of time"), 0);             // not across a clause end
  EXPECT_EQ(lex.score("I can't wait to see it again."), 2);    // its "can't" negates nothing
  EXPECT_EQ(lex.score("I can\xE2\x80\x99t wait!"), 2);        // the typographic apostrophe
  EXPECT_EQ(lex.score("It never gets old."), 2);
  EXPECT_EQ(lex.score("It is not a waste of time."), 1.5);      // a phrase after a negation: reversed, halved
  EXPECT_EQ(lex.score("Good, a waste of time but good."), (2 - 3) * 0.5 + 1.5 * 2);
}

TEST(Lexicon, CantEnoughIntensifiesInsteadOfNegating) {
  PolarityLexicon lex = PolarityLexicon::parse(kPhrases, "phrases.tsv");
  EXPECT_EQ(lex.score("I can't recommend it."), -1);
  EXPECT_EQ(lex.score("I can't recommend it enough."), 2);
  EXPECT_EQ(lex.score("I cannot recommend this film enough!"), 2);
  EXPECT_EQ(lex.score("We could not recommend them enough"), 2);
  EXPECT_EQ(lex.score("It is not good enough."), -1);           // only after can/could
  EXPECT_EQ(lex.score("I can't recommend it. Enough."), -1);    // only in the same clause
  EXPECT_EQ(lex.score("I can't recommend it, enough said."), -1);
}

TEST(Lexicon, CouldntBeAComparativeIntensifiesInsteadOfNegating) {
  PolarityLexicon lex = PolarityLexicon::parse("happier 2\nworse -2\npleased 2\nbetter 1\n", "comparatives.tsv");
  EXPECT_EQ(lex.score("I couldn't be happier."), 2);
  EXPECT_EQ(lex.score("It couldn\xE2\x80\x99t have been worse."), -2);
  EXPECT_EQ(lex.score("I could not be more pleased."), 2);
  EXPECT_EQ(lex.score("We couldn't ask for a better hotel."), 1);
  EXPECT_EQ(lex.score("I am not happier."), -1);          // only after can/could
  EXPECT_EQ(lex.score("I couldn't be pleased."), -1);     // no comparative: a plain negation
}

TEST(Lexicon, TheCommittedLexiconLoads) {
  PolarityLexicon lex = PolarityLexicon::load(test::source_dir() + "/models/lexicon/polarity.tsv");
  EXPECT_GT(lex.size(), 300u);
  EXPECT_GT(lex.polarity("wonderful"), 0);
  EXPECT_LT(lex.polarity("dreadful"), 0);
  EXPECT_EQ(lex.polarity("like"), 0);  // context-dependent words are left out
}
