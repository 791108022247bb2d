// Distillation data: sentence splitting and span cutting, the n-gram teacher (learns a
// synthetic task, a text without known n-grams is a balanced 0 log-odds before calibration, Platt scaling),
// make_distill_data's files (soft targets senti train reads back), and the behaviour suite
// reader and scorer on the tiny golden classifier.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "data/dataset.h"
#include "senti/classifier.h"
#include "test_util.h"
#include "train/distill_data.h"
#include "train/negation.h"
#include "train/ngram_teacher.h"
#include "train/suite.h"
#include "util/error.h"
#include "util/file.h"

using namespace senti;
using namespace senti::train;

namespace {
std::string write(const std::string& name, const std::string& content) {
  std::string p = ::testing::TempDir() + "/" + name;
  std::ofstream(p, std::ios::binary) << content;
  return p;
}

// Two-word sentiment reviews, as the trainer test makes them.
std::string synthetic(int n) {
  const char* pos[] = {"great", "wonderful", "good", "fun", "best", "loved"};
  const char* neg[] = {"bad", "awful", "terrible", "boring", "worst", "hated"};
  std::string s;
  for (int i = 0; i < n; ++i) {
    const bool p = i % 2 == 0;
    s += std::string("{\"text\": \"The movie was ") + (p ? pos[i % 6] : neg[i % 6]) + ". The acting was " +
         (p ? pos[(i / 2) % 6] : neg[(i / 2) % 6]) + " and the plot was fine. I saw it on day " + std::to_string(i) +
         ".\", \"label\": \"" + (p ? "POSITIVE" : "NEGATIVE") + "\"}\n";
  }
  return s;
}
}  // namespace

TEST(Distill, SplitsSentencesAtTerminalPunctuationFollowedBySpace) {
  auto s = split_sentences("Great film. Loved it!! Really?  Rated 3.5 stars... the end");
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(s[0], "Great film.");
  EXPECT_EQ(s[1], "Loved it!!");
  EXPECT_EQ(s[2], "Really?");
  EXPECT_EQ(s[3], "Rated 3.5 stars...");  // "3.5" is not cut: no space after its '.'
  EXPECT_EQ(s[4], "the end");
  EXPECT_TRUE(split_sentences("   ").empty());
}

TEST(Distill, SpansAreDeterministicSubstringsOfAtLeastTwoWords) {
  const std::string text = "The first act drags. The second act is wonderful! Then the ending falls apart. "
                           "Still, the music is lovely and the cast does well.";
  auto a = cut_spans(text, 6, 7), b = cut_spans(text, 6, 7);
  EXPECT_EQ(a, b);
  ASSERT_GE(a.size(), 3u);
  EXPECT_LE(a.size(), 6u);
  for (const auto& s : a) {
    EXPECT_NE(text.find(s), std::string::npos) << s;
    EXPECT_NE(s, text);
    EXPECT_NE(s.find(' '), std::string::npos) << s;
  }
  EXPECT_TRUE(cut_spans("Fine.", 4, 1).empty());  // one word: nothing to cut
}

TEST(Distill, NgramTeacherLearnsAndKnowsNothingOfUnseenWords) {
  std::vector<std::string> texts;
  std::vector<int> labels;
  data::Dataset d = data::read_dataset(write("ngram.jsonl", synthetic(200)), {"NEGATIVE", "POSITIVE"});
  for (const auto& e : d.examples) {
    texts.push_back(e.text);
    labels.push_back(e.label);
  }
  std::vector<std::string_view> views(texts.begin(), texts.end());
  NgramTeacherOptions o;
  o.hash_bits = 16;
  NgramTeacher t = NgramTeacher::train(views, labels, o);
  EXPECT_GT(t.logit("It was wonderful, the best."), 0.5);
  EXPECT_LT(t.logit("It was awful, the worst."), -0.5);
  EXPECT_EQ(t.logit(""), 0.0);
  EXPECT_EQ(t.logit("zyxw qvut"), 0.0);
  t.calibrate(views, labels);
  EXPECT_EQ(t.logit(""), t.calibration().b);
  EXPECT_GT(t.calibration().a, 0.0);
  EXPECT_TRUE(std::isfinite(t.calibration().b));
  // Platt scaling recovers a known scale and shift.
  std::vector<double> z;
  std::vector<int> y;
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  for (int i = 0; i < 20000; ++i) {
    const double x = 6 * u(rng) - 3;
    z.push_back(x);
    y.push_back(u(rng) < 1 / (1 + std::exp(-(2 * x - 0.5))) ? 1 : 0);
  }
  Platt p = fit_platt(z, y);
  EXPECT_NEAR(p.a, 2.0, 0.15);
  EXPECT_NEAR(p.b, -0.5, 0.1);
  // Confident scores that are right only 70 % of the time (a review model's log-odds on spans):
  // the fit must shrink them (a = log(0.7 / 0.3) / 8 = 0.106), where plain Newton from a = 1
  // diverged (a = 4.9e12 on real spans).
  z.clear();
  y.clear();
  for (int i = 0; i < 4000; ++i) {
    const bool positive = u(rng) < 0.5, right = u(rng) < 0.7;
    z.push_back(positive ? 8.0 : -8.0);
    y.push_back(positive == right ? 1 : 0);
  }
  p = fit_platt(z, y);
  EXPECT_NEAR(p.a, std::log(0.7 / 0.3) / 8, 0.01);
  EXPECT_NEAR(p.b, 0.0, 0.1);
  // Features: each n-gram once, case-insensitive, "!" and "?" are tokens.
  auto f = NgramTeacher::features("Good good GOOD!", 1, 16);
  EXPECT_EQ(f.size(), 2u);
  EXPECT_EQ(NgramTeacher::features("a b c", 3, 16).size(), 6u);
}

namespace {
// 200 synthetic reviews, 20 held out, small hashing, no progress bar; files named after `name`.
DistillDataOptions small_options(const std::string& name) {
  DistillDataOptions o;
  o.data = write(name + ".jsonl", synthetic(200));
  o.out_dir = ::testing::TempDir() + "/" + name + "_out";
  o.validation_fraction = 0.1;
  o.ngram.hash_bits = 16;
  o.spans_per_text = 3;
  o.progress = false;
  return o;
}

// The texts of one kind ("span", "negation", ...) in a distillation folder's train.jsonl, in order.
std::vector<std::string> texts_of_kind(const std::string& out_dir, const std::string& kind) {
  std::vector<std::string> texts;
  std::istringstream lines(read_file(out_dir + "/train.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line);
    if (j["kind"] == kind) texts.push_back(j["text"]);
  }
  return texts;
}
}  // namespace

TEST(Distill, WritesSoftTargetsThatTrainingReadsBack) {
  DistillDataOptions o = small_options("distill");
  DistillDataResult r = make_distill_data(o);
  EXPECT_EQ(r.reviews, 180u);
  EXPECT_EQ(r.validation, 20u);
  EXPECT_GT(r.spans, 180u);
  ASSERT_EQ(r.validation_scores.size(), 2u);  // the n-gram teacher and the ensemble
  EXPECT_GE(r.validation_scores[0].accuracy, 0.9);
  data::Dataset train = data::read_dataset(o.out_dir + "/train.jsonl");
  ASSERT_EQ(train.examples.size(), r.reviews + r.spans);
  for (const auto& e : train.examples) {
    ASSERT_EQ(e.target.size(), 2u);
    EXPECT_NEAR(e.target[0] + e.target[1], 1.0, 1e-5);
    EXPECT_EQ(e.label, e.target[1] >= 0.5f ? 1 : 0);
  }
  EXPECT_EQ(data::read_dataset(o.out_dir + "/validation.jsonl").examples.size(), 20u);
  EXPECT_TRUE(file_exists(o.out_dir + "/teacher_report.json"));
  EXPECT_FALSE(file_exists(o.out_dir + "/eval_scores.jsonl"));
  // With evaluation data: each text's scores, whose accuracy is the one reported.
  o.eval_data = write("distill_eval.jsonl", synthetic(40));
  o.out_dir += "_eval";
  r = make_distill_data(o);
  std::istringstream lines(read_file(o.out_dir + "/eval_scores.jsonl"));
  std::map<std::string, size_t> right;
  size_t n = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    auto j = nlohmann::json::parse(line);
    ASSERT_EQ(j["p_positive"].size(), 3u) << line;  // ngram, ngram-span, ensemble
    for (const auto& [name, p] : j["p_positive"].items()) {
      ASSERT_TRUE(p.get<double>() >= 0 && p.get<double>() <= 1) << line;
      right[name] += (p.get<double>() > 0.5) == (j["label"] == "POSITIVE");
    }
  }
  ASSERT_EQ(n, 40u);
  ASSERT_EQ(r.eval_scores.size(), 3u);
  for (const auto& t : r.eval_scores) EXPECT_NEAR(t.accuracy, right[t.name] / 40.0, 1e-9) << t.name;
  o.data = write("distill_bad.jsonl", "{\"text\": \"x\", \"label\": \"NEUTRAL\"}\n");
  EXPECT_THROW(make_distill_data(o), Error);
}

TEST(Distill, NegationPairsTakeMirroredTargetsFromThePlainMember) {
  DistillDataOptions o = small_options("distill_neg");
  o.negation_pairs = 2;
  DistillDataResult r = make_distill_data(o);
  EXPECT_GT(r.negations, 20u);
  std::map<std::string, std::vector<double>> targets;  // plain member -> P(POSITIVE) (a sentence recurs)
  std::vector<std::pair<std::string, double>> negations;
  std::istringstream lines(read_file(o.out_dir + "/train.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line);
    const double p = j["probs"]["POSITIVE"];
    if (j["kind"] != "negation") continue;
    const std::string text = j["text"];
    if (text.find(" not ") != std::string::npos) negations.emplace_back(text, p);
    else targets[text].push_back(p);
  }
  ASSERT_EQ(2 * negations.size(), r.negations);  // the synthetic sentences have no negation to remove
  size_t checked = 0;
  for (const auto& [text, p] : negations) {
    // "The movie was not great." negates "The movie was great.", whose target the teacher gave.
    const size_t at = text.find(" not ");
    ASSERT_NE(at, std::string::npos) << text;
    auto plain = targets.find(text.substr(0, at) + text.substr(at + 4));
    ASSERT_NE(plain, targets.end()) << text;
    bool mirrors_one = false;  // of the plain span's targets, one per occurrence
    for (double q : plain->second) mirrors_one |= std::abs(q - 0.5) >= 0.2 && std::abs(p - negated_target(q, true)) < 1e-5;
    EXPECT_TRUE(mirrors_one) << text << " " << p;
    ++checked;
  }
  EXPECT_GT(checked, 10u);
  o.negation_pairs = -1;
  EXPECT_THROW(make_distill_data(o), Error);
  EXPECT_EQ(data::read_dataset(o.out_dir + "/train.jsonl").examples.size(), r.reviews + r.spans + r.negations);
}

TEST(Distill, NegationSpansAreSentencesThatHoldANegation) {
  // Half the reviews say "It was not <word>." (the word's opposite sentiment), half do not.
  const char* pos[] = {"great", "wonderful", "good", "fun"};
  const char* neg[] = {"bad", "awful", "terrible", "boring"};
  std::string s;
  for (int i = 0; i < 200; ++i) {
    const bool p = i % 2 == 0;
    const std::string extra = i % 4 < 2 ? std::string(" It was not ") + (p ? neg[i % 4] : pos[i % 4]) + "." : "";
    s += std::string("{\"text\": \"The plot was ") + (p ? pos[i % 4] : neg[i % 4]) + "." + extra + " I saw it on day " +
         std::to_string(i) + ".\", \"label\": \"" + (p ? "POSITIVE" : "NEGATIVE") + "\"}\n";
  }
  DistillDataOptions o = small_options("distill_neg_spans");
  o.data = write("distill_neg_spans.jsonl", s);
  o.negation_spans = 2;
  DistillDataResult r = make_distill_data(o);
  const auto texts = texts_of_kind(o.out_dir, "negation-span");
  for (const auto& text : texts) EXPECT_EQ(text.rfind("It was not ", 0), 0u) << text;  // the sentence with a negation
  const size_t n = texts.size();
  EXPECT_EQ(n, r.negation_spans);
  EXPECT_GT(n, 70u);   // about one a review that has one, among the 180 training reviews
  EXPECT_LE(n, 100u);  // and never two: a review holds only one
  EXPECT_EQ(data::read_dataset(o.out_dir + "/train.jsonl").examples.size(), r.reviews + r.spans + r.negation_spans);
  o.negation_spans = -1;
  EXPECT_THROW(make_distill_data(o), Error);
}

TEST(Distill, NegationPairsAreDroppedWhenTheWordsAheadOfTheNegationLeanOneWay) {
  // Each review's first sentence carries its sentiment ahead of the verb ("Great actors were in
  // it."); the second carries it after ("The plot was great."). Only the second kind is negated.
  const char* pos[] = {"great", "wonderful", "good", "fun"};
  const char* neg[] = {"bad", "awful", "terrible", "boring"};
  std::string s;
  for (int i = 0; i < 200; ++i) {
    const bool p = i % 2 == 0;
    const char* w = p ? pos[i % 4] : neg[i % 4];
    s += std::string("{\"text\": \"") + (char)std::toupper(w[0]) + (w + 1) + " actors were in it. The plot was " + w +
         ". I saw it on day " + std::to_string(i) + ".\", \"label\": \"" + (p ? "POSITIVE" : "NEGATIVE") + "\"}\n";
  }
  DistillDataOptions o = small_options("distill_neg_prefix");
  o.data = write("distill_neg_prefix.jsonl", s);
  o.negation_pairs = 3;
  DistillDataResult r = make_distill_data(o);
  size_t plot = 0;
  for (const auto& text : texts_of_kind(o.out_dir, "negation")) {
    EXPECT_EQ(text.find("actors were"), std::string::npos) << text;  // the prefix leans: dropped
    plot += text.find("The plot was") != std::string::npos;
  }
  EXPECT_GT(plot, 20u);  // "The plot was" leans neither way: its pairs are kept
  EXPECT_EQ(plot, r.negations);
}

TEST(Distill, SpanTemperatureSharpensShortTextTargetsOnly) {
  // The same data at temperature 1 and 0.5: each span's log-odds doubles, a review's target stays,
  // and the same negation pairs are kept (they are chosen on the unsharpened answer).
  auto lines_of = [](const std::string& dir) {
    std::vector<nlohmann::json> out;
    std::istringstream lines(read_file(dir + "/train.jsonl"));
    for (std::string line; std::getline(lines, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  };
  DistillDataOptions o = small_options("distill_t1");
  o.negation_pairs = 2;
  make_distill_data(o);
  const auto plain = lines_of(o.out_dir);
  o.out_dir = ::testing::TempDir() + "/distill_t05_out";
  o.span_temperature = 0.5;
  make_distill_data(o);
  const auto sharp = lines_of(o.out_dir);
  ASSERT_EQ(plain.size(), sharp.size());
  auto logit = [](double p) { return std::log(p / (1 - p)); };
  size_t spans = 0, reviews = 0, pairs = 0;
  for (size_t i = 0; i < plain.size(); ++i) {
    ASSERT_EQ(plain[i]["text"], sharp[i]["text"]);
    ASSERT_EQ(plain[i]["kind"], sharp[i]["kind"]);
    const double p1 = plain[i]["probs"]["POSITIVE"], p2 = sharp[i]["probs"]["POSITIVE"];
    if (plain[i]["kind"] == "span") {
      if (p1 > 1e-6 && p1 < 1 - 1e-6) {
        EXPECT_NEAR(logit(p2), 2 * logit(p1), 1e-3 * (1 + std::abs(logit(p1))));
      }
      ++spans;
    } else if (plain[i]["kind"] == "review") {
      EXPECT_DOUBLE_EQ(p1, p2);
      ++reviews;
    } else if (plain[i]["kind"] == "negation") {
      EXPECT_GE(std::abs(p2 - 0.5) + 1e-9, std::abs(p1 - 0.5)) << plain[i]["text"];  // never less sure
      ++pairs;
    }
  }
  EXPECT_GT(spans, 100u);
  EXPECT_GT(reviews, 100u);
  EXPECT_GT(pairs, 20u);
  for (double t : {0.0, -1.0, std::nan("")}) {
    o.span_temperature = t;
    EXPECT_THROW(make_distill_data(o), Error) << t;
  }
}

TEST(Distill, LexiconDecidesSpansTheNgramsKnowNothingAbout) {
  // "detest" and "adore" never occur in the training reviews: the n-gram teachers give both the
  // same answer; a lexicon that knows them (and the training words, so that its fitted weight is
  // positive) moves each the right way.
  const std::string eval = write("distill_lex_eval.jsonl",
                                 "{\"text\": \"I detest it.\", \"label\": \"NEGATIVE\"}\n"
                                 "{\"text\": \"I adore it.\", \"label\": \"POSITIVE\"}\n"
                                 "{\"text\": \"I detest it, detest it, detest it.\", \"label\": \"NEGATIVE\"}\n");
  auto span_scores = [](const std::string& dir) {
    std::vector<double> p;
    std::istringstream lines(read_file(dir + "/eval_scores.jsonl"));
    for (std::string line; std::getline(lines, line);) p.push_back(nlohmann::json::parse(line)["p_positive"]["ngram-span"]);
    return p;
  };
  DistillDataOptions o = small_options("distill_lex");
  o.eval_data = eval;
  make_distill_data(o);
  const auto plain = span_scores(o.out_dir);
  ASSERT_EQ(plain.size(), 3u);
  EXPECT_NEAR(plain[0], plain[1], 1e-9);  // the n-grams cannot tell them apart
  o.lexicon = write("distill_lex.tsv",
                    "great 3\nwonderful 3\ngood 2\nfun 2\nbest 3\nloved 3\nadore 3\n"
                    "bad -2\nawful -3\nterrible -3\nboring -2\nworst -3\nhated -3\ndetest -3\n");
  o.out_dir += "_lexicon";
  make_distill_data(o);
  const auto with = span_scores(o.out_dir);
  ASSERT_EQ(with.size(), 3u);
  EXPECT_LT(with[0], plain[0] - 0.1);
  EXPECT_GT(with[1], plain[1] + 0.1);
  EXPECT_GT(with[1], 0.5);
  // A given weight: "detest" (-3) then moves the n-gram log-odds by exactly -3 * 0.25, and so
  // does "detest" three times: the score is capped at one strong word's worth.
  o.lexicon_weight = 0.25;
  make_distill_data(o);
  const auto given = span_scores(o.out_dir);
  auto logit = [](double p) { return std::log(p / (1 - p)); };
  EXPECT_NEAR(logit(given[0]) - logit(plain[0]), -0.75, 1e-6);
  EXPECT_NEAR(logit(given[1]) - logit(plain[1]), 0.75, 1e-6);
  EXPECT_NEAR(logit(given[2]) - logit(plain[2]), -0.75, 1e-6);  // -9 is capped at -3
  o.lexicon_weight = -1;
  EXPECT_THROW(make_distill_data(o), Error);
  o.lexicon_weight = 0;
  o.lexicon = ::testing::TempDir() + "/no_such_lexicon.tsv";
  EXPECT_THROW(make_distill_data(o), Error);
}

TEST(Suite, ReadsCasesAndScoresEachCapability) {
  const std::string path = write("suite.jsonl",
                                 "{\"id\": \"a\", \"capability\": \"short\", \"text\": \"good\", \"label\": \"POSITIVE\"}\n"
                                 "{\"id\": \"b\", \"capability\": \"short\", \"text\": \"bad\", \"label\": \"NEGATIVE\"}\n"
                                 "{\"id\": \"c\", \"capability\": \"neutral\", \"text\": \"\", \"label\": \"NEUTRAL\"}\n"
                                 "{\"id\": \"d\", \"capability\": \"invariance\", \"text\": \"GOOD\", \"label\": "
                                 "\"POSITIVE\", \"same_as\": \"good\"}\n");
  auto cases = read_suite(path);
  ASSERT_EQ(cases.size(), 4u);
  EXPECT_EQ(cases[3].same_as, "good");
  auto clf = Classifier::load(test::source_dir() + "/tests/fixtures/models/tiny-2label", {.threads = 1});
  SuiteResult r = run_suite(*clf, cases, {});
  ASSERT_EQ(r.capabilities.size(), 3u);
  EXPECT_EQ(r.capabilities[0].name, "short");
  EXPECT_EQ(r.capabilities[0].total, 2u);
  EXPECT_EQ(r.all.total, 4u);
  // A random tiny model: whatever it predicts, the two short cases cannot both pass unless it
  // tells them apart, and each outcome is consistent with its probability.
  size_t passed = 0;
  for (const auto& o : r.outcomes) {
    passed += o.passed;
    if (o.c->label == "NEUTRAL") {
      EXPECT_EQ(o.passed, o.p_positive >= kNeutralLow && o.p_positive <= kNeutralHigh);
    } else if (o.c->same_as.empty()) {
      EXPECT_EQ(o.passed, o.predicted == o.c->label);
    }
    if (!o.passed) {
      EXPECT_FALSE(o.why.empty());
    }
  }
  EXPECT_EQ(passed, r.all.passed);
  EXPECT_NE(r.to_json().find("\"capabilities\""), std::string::npos);
  EXPECT_NE(r.table().find("short"), std::string::npos);
  // Errors name the file and line.
  try {
    read_suite(write("bad_suite.jsonl", "{\"id\": \"a\", \"text\": \"x\", \"label\": \"POSITIVE\"}\n"));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad_suite.jsonl:1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("capability"), std::string::npos) << e.what();
  }
  auto bad_label = read_suite(write("bad_label.jsonl", "{\"id\": \"a\", \"capability\": \"x\", \"text\": \"x\", \"label\": \"MAYBE\"}\n"));
  EXPECT_THROW(run_suite(*clf, bad_label, {}), Error);
}
