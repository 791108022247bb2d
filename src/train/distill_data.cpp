#include "train/distill_data.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <unordered_set>

#include "data/dataset.h"
#include "data/text_source.h"
#include "senti/classifier.h"
#include "train/checkpoint.h"
#include "train/lexicon.h"
#include "train/negation.h"
#include "util/error.h"
#include "util/file.h"
#include "util/log.h"
#include "util/progress.h"

namespace senti::train {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<std::string_view> split_sentences(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  auto push = [&](size_t end) {
    std::string_view s = text.substr(start, end - start);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    if (!s.empty()) out.push_back(s);
  };
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '.' && text[i] != '!' && text[i] != '?') continue;
    size_t j = i;
    while (j < text.size() && (text[j] == '.' || text[j] == '!' || text[j] == '?')) ++j;
    if (j == text.size() || std::isspace(static_cast<unsigned char>(text[j]))) {
      push(j);
      start = j;
    }
    i = j - 1;
  }
  push(text.size());
  return out;
}

namespace {
size_t count_words(std::string_view s) {
  size_t n = 0;
  bool in = false;
  for (char c : s) {
    const bool space = std::isspace(static_cast<unsigned char>(c));
    if (!space && !in) ++n;
    in = !space;
  }
  return n;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

double accuracy(const std::vector<double>& z, const std::vector<int>& y) {
  size_t right = 0;
  for (size_t i = 0; i < z.size(); ++i) right += (z[i] > 0) == (y[i] == 1);
  return z.empty() ? 0 : static_cast<double>(right) / static_cast<double>(z.size());
}

// Log-odds of POSITIVE from a transformer classifier, for many texts.
std::vector<double> classifier_log_odds(const Classifier& clf, const std::vector<std::string_view>& texts, bool progress_on,
                                        const std::string& what) {
  const auto& labels = clf.info().labels;
  const auto pos = std::find(labels.begin(), labels.end(), "POSITIVE"), neg = std::find(labels.begin(), labels.end(), "NEGATIVE");
  if (labels.size() != 2 || pos == labels.end() || neg == labels.end())
    fail(ErrorCode::kInvalidArgument, clf.info().path + ": a teacher must classify into NEGATIVE and POSITIVE");
  const size_t ip = static_cast<size_t>(pos - labels.begin()), in = static_cast<size_t>(neg - labels.begin());
  std::vector<double> z(texts.size(), 0.0);
  Progress progress("teacher " + what, texts.size(), "texts", progress_on);
  // Sorted by length so that a batch holds similar lengths; results put back in order.
  std::vector<size_t> order(texts.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return texts[a].size() < texts[b].size(); });
  const size_t batch = 32;
  for (size_t i = 0; i < order.size(); i += batch) {
    std::vector<std::string_view> b;
    for (size_t k = i; k < std::min(order.size(), i + batch); ++k) b.push_back(texts[order[k]]);
    auto lg = clf.logits(b);
    for (size_t k = 0; k < lg.size(); ++k) z[order[i + k]] = static_cast<double>(lg[k][ip]) - lg[k][in];
    progress.add(b.size());
  }
  progress.finish();
  return z;
}
}  // namespace

std::vector<std::string> cut_spans(std::string_view text, int count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const auto sents = split_sentences(text);
  std::vector<std::string_view> words;
  for (size_t i = 0; i < text.size();) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t j = i;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    if (j > i) words.push_back(text.substr(i, j - i));
    i = j;
  }
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  for (int attempt = 0; attempt < count * 3 && static_cast<int>(out.size()) < count; ++attempt) {
    const double r = u(rng);
    std::string span;
    if (r < 0.5 && !sents.empty()) {
      span = std::string(sents[rng() % sents.size()]);
    } else if (r < 0.8 && sents.size() >= 2) {
      const size_t n = std::min(sents.size(), size_t{2} + rng() % 2), first = rng() % (sents.size() - n + 1);
      const char* begin = sents[first].data();
      const char* end = sents[first + n - 1].data() + sents[first + n - 1].size();
      span = std::string(begin, static_cast<size_t>(end - begin));
    } else if (words.size() >= 3) {
      const size_t n = std::min(words.size(), size_t{3} + rng() % 14), first = rng() % (words.size() - n + 1);
      const char* begin = words[first].data();
      const char* end = words[first + n - 1].data() + words[first + n - 1].size();
      span = std::string(begin, static_cast<size_t>(end - begin));
    }
    if (count_words(span) < 2 || span.size() == text.size() || !seen.insert(span).second) continue;
    out.push_back(std::move(span));
  }
  return out;
}

std::string DistillDataResult::to_json() const {
  auto scores = [](const std::vector<TeacherScore>& v) {
    json a = json::array();
    for (const auto& s : v) a.push_back({{"teacher", s.name}, {"accuracy", s.accuracy}, {"n", s.n}});
    return a;
  };
  return json{{"reviews", reviews}, {"spans", spans}, {"unlabeled", unlabeled}, {"unlabeled_spans", unlabeled_spans},
              {"negations", negations}, {"negation_spans", negation_spans},
              {"validation", validation}, {"validation_accuracy", scores(validation_scores)},
              {"validation_span_accuracy", scores(validation_span_scores)},
              {"eval_accuracy", scores(eval_scores)}}
      .dump();
}

namespace {
const std::vector<std::string> kLabels = {"NEGATIVE", "POSITIVE"};

// What a text is, which decides who scores it and where it goes.
// A negation pair: a sentence of a text (kNegationSource) and its negation (kNegation), and the
// words ahead of the negation site (kNegationPrefix: scored, never written out). A negation span:
// a sentence of a text that holds a negation, scored as any span.
enum Kind {
  kReview, kSpan, kUnlabeled, kUnlabeledSpan, kValidation, kValidationSpan, kEval, kNegationSource, kNegation,
  kNegationPrefix, kNegationSpan
};
bool is_span(Kind k) {
  return k == kSpan || k == kUnlabeledSpan || k == kValidationSpan || k == kNegationSource || k == kNegation ||
         k == kNegationPrefix || k == kNegationSpan;
}
constexpr size_t kNoPrefix = static_cast<size_t>(-1);
// The item of the empty text scored by the n-gram models of a fold (gather_items puts them first).
size_t baseline_item(int fold) { return static_cast<size_t>(fold + 1); }

struct Item {
  std::string text;
  Kind kind;
  int label;  // -1 when unknown; a span of a labelled review: the review's label
  int fold;   // the n-gram models that score it (-1: those trained on every fold)
  // kNegation: the sentence it negates, whether a negation was added to it (else removed), and
  // the item of the words ahead of the negation site (kNoPrefix when there are none). Those words
  // are compared with the empty text of the same fold, item fold + 1 (baseline_item).
  size_t source = 0;
  bool added = false;
  size_t prefix = kNoPrefix;
};

// The sentences of a text in an order chosen by seed.
std::vector<std::string_view> shuffled_sentences(std::string_view text, uint64_t seed) {
  std::vector<std::string_view> sentences = split_sentences(text);
  std::mt19937_64 rng(seed);
  std::shuffle(sentences.begin(), sentences.end(), rng);
  return sentences;
}

// Up to `pairs` sentences of a text that negate_sentence can flip, chosen by seed, each with its
// negation; scored by the teachers of the text's fold (see targets()).
void push_negation_pairs(std::vector<Item>& items, std::string_view text, int fold, int pairs, uint64_t seed) {
  if (pairs <= 0) return;
  const std::vector<std::string_view> sentences = shuffled_sentences(text, seed);
  int made = 0;
  for (size_t i = 0; i < sentences.size() && made < pairs; ++i) {
    auto n = negate_sentence(sentences[i]);
    if (!n) continue;
    const size_t source = items.size();
    items.push_back({std::string(sentences[i]), kNegationSource, -1, fold});
    size_t prefix = kNoPrefix;
    if (!n->before.empty()) {  // the words ahead of the negation
      prefix = items.size();
      items.push_back({std::move(n->before), kNegationPrefix, -1, fold});
    }
    items.push_back({std::move(n->text), kNegation, -1, fold, source, n->added, prefix});
    ++made;
  }
}

// Up to `count` sentences of a text that hold a negation (2-40 words), chosen by seed.
void push_negation_spans(std::vector<Item>& items, std::string_view text, int fold, int count, uint64_t seed) {
  if (count <= 0) return;
  const std::vector<std::string_view> sentences = shuffled_sentences(text, seed);
  int made = 0;
  for (size_t i = 0; i < sentences.size() && made < count; ++i) {
    const size_t words = count_words(sentences[i]);
    if (words < 2 || words > 40 || sentences[i].size() == text.size() || !has_negation(sentences[i])) continue;
    items.push_back({std::string(sentences[i]), kNegationSpan, -1, fold});
    ++made;
  }
}

// Every text the teachers score: training reviews (in folds) and their spans, unlabeled texts
// and their spans, held-out reviews and their spans, and the evaluation data.
std::vector<Item> gather_items(const DistillDataOptions& o, const data::Dataset& train_ds, const data::Dataset& val_ds) {
  std::vector<Item> items;
  if (o.negation_pairs > 0)  // the empty text of each fold (-1 first): the baseline of a pair's prefix
    for (int f = -1; f < o.folds; ++f) items.push_back({std::string(), kNegationPrefix, -1, f});
  std::mt19937_64 rng(o.seed ^ 0xd15711ull);
  std::vector<int> fold_of(train_ds.examples.size());
  for (size_t i = 0; i < fold_of.size(); ++i) fold_of[i] = static_cast<int>(i % static_cast<size_t>(o.folds));
  std::shuffle(fold_of.begin(), fold_of.end(), rng);
  for (size_t i = 0; i < train_ds.examples.size(); ++i) {
    const auto& e = train_ds.examples[i];
    items.push_back({e.text, kReview, e.label, fold_of[i]});
    for (auto& s : cut_spans(e.text, o.spans_per_text, mix_seed(o.seed, i)))
      items.push_back({std::move(s), kSpan, e.label, fold_of[i]});
    push_negation_pairs(items, e.text, fold_of[i], o.negation_pairs, mix_seed(o.seed ^ 0x9e6ull, i));
    push_negation_spans(items, e.text, fold_of[i], o.negation_spans, mix_seed(o.seed ^ 0x5a9ull, i));
  }
  if (!o.unlabeled.empty()) {
    std::vector<std::string> texts;
    for (const auto& path : o.unlabeled)
      data::for_each_text(path, [&](std::string_view t, const std::string&) { texts.emplace_back(t); });
    if (o.unlabeled_limit > 0 && texts.size() > o.unlabeled_limit) {
      std::shuffle(texts.begin(), texts.end(), rng);
      texts.resize(o.unlabeled_limit);
    }
    for (size_t i = 0; i < texts.size(); ++i) {
      for (auto& s : cut_spans(texts[i], o.spans_per_text, mix_seed(o.seed ^ 0x0a5e7ull, i)))
        items.push_back({std::move(s), kUnlabeledSpan, -1, -1});
      push_negation_pairs(items, texts[i], -1, o.negation_pairs, mix_seed(o.seed ^ 0x9e7ull, i));
      push_negation_spans(items, texts[i], -1, o.negation_spans, mix_seed(o.seed ^ 0x5a8ull, i));
      if (o.unlabeled_whole) items.push_back({std::move(texts[i]), kUnlabeled, -1, -1});
    }
  }
  for (size_t i = 0; i < val_ds.examples.size(); ++i) {
    const auto& e = val_ds.examples[i];
    items.push_back({e.text, kValidation, e.label, -1});
    for (auto& s : cut_spans(e.text, o.spans_per_text, mix_seed(o.seed ^ 0x7a1ull, i)))
      items.push_back({std::move(s), kValidationSpan, e.label, -1});
  }
  if (!o.eval_data.empty())
    for (const auto& e : data::read_dataset(o.eval_data, kLabels).examples) items.push_back({e.text, kEval, e.label, -1});
  return items;
}

// Held-out texts of one kind with their (review's) labels, for calibration.
void held_out(const std::vector<Item>& items, Kind kind, std::vector<std::string_view>& texts, std::vector<int>& labels) {
  for (const auto& it : items)
    if (it.kind == kind) {
      texts.push_back(it.text);
      labels.push_back(it.label);
    }
}

// The n-gram teacher, two models per fold (trained on the other folds; "all folds" for texts
// outside the labelled training reviews): one on whole reviews, one on spans labelled with their
// review's label, which learns how much a short piece of text says; each Platt-scaled on the
// held-out texts of its kind. z: each item's log-odds; z_span: the span model's, for kEval items.
void score_ngram(const DistillDataOptions& o, const std::vector<Item>& items, std::vector<double>& z,
                 std::vector<double>& z_span) {
  std::vector<std::string_view> val_texts, val_span_texts;
  std::vector<int> val_labels, val_span_labels;
  held_out(items, kValidation, val_texts, val_labels);
  held_out(items, kValidationSpan, val_span_texts, val_span_labels);
  z.assign(items.size(), 0.0);
  z_span.assign(items.size(), 0.0);
  for (int f = -1; f < o.folds; ++f) {
    std::vector<std::string_view> texts, span_texts;
    std::vector<int> labels, span_labels;
    for (const auto& it : items) {
      if (it.fold < 0 || it.fold == f || (it.kind != kReview && it.kind != kSpan)) continue;
      (it.kind == kReview ? texts : span_texts).push_back(it.text);
      (it.kind == kReview ? labels : span_labels).push_back(it.label);
    }
    NgramTeacher whole = NgramTeacher::train(texts, labels, o.ngram);
    whole.calibrate(val_texts, val_labels);
    NgramTeacher spans = span_texts.empty() ? whole : NgramTeacher::train(span_texts, span_labels, o.ngram);
    if (!span_texts.empty()) spans.calibrate(val_span_texts, val_span_labels);
    for (size_t i = 0; i < items.size(); ++i)
      if (items[i].fold == f) {
        z[i] = (is_span(items[i].kind) ? spans : whole).logit(items[i].text);
        if (items[i].kind == kEval) z_span[i] = spans.logit(items[i].text);
      }
    log::info("n-gram teachers " + (f < 0 ? std::string("(all folds)") : "without fold " + std::to_string(f)) +
              ": Platt a " + std::to_string(whole.calibration().a) + ", b " + std::to_string(whole.calibration().b) +
              " (reviews); a " + std::to_string(spans.calibration().a) + ", b " + std::to_string(spans.calibration().b) +
              " (spans)");
  }
}

// The lexicon's score of each span-like item, added to the n-gram log-odds z (and z_span, the
// span model's, of kEval items) with the weight and shift that fit the held-out spans best
// given the n-gram log-odds: the lexicon decides where the n-grams know nothing. The score is
// capped at one strong word's worth (3), so that a long span's sum of many words ("Don't waste
// your time. If you like good movies with good actors, ...") cannot override the n-grams.
void add_lexicon(const std::string& path, double weight, const std::vector<Item>& items, std::vector<double>& z,
                 std::vector<double>& z_span) {
  const PolarityLexicon lex = PolarityLexicon::load(path);
  std::vector<double> score(items.size(), 0.0), x, offset;
  std::vector<int> y;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!is_span(items[i].kind) && items[i].kind != kEval) continue;
    score[i] = std::clamp(lex.score(items[i].text), -3.0, 3.0);
    if (items[i].kind == kValidationSpan) {
      x.push_back(score[i]);
      offset.push_back(z[i]);
      y.push_back(items[i].label);
    }
  }
  if (x.empty()) fail(ErrorCode::kInvalidArgument, "--lexicon needs held-out spans to fit its weight (spans a text > 0)");
  const Platt fit = weight > 0 ? Platt{weight, 0} : fit_platt(x, y, offset);
  for (size_t i = 0; i < items.size(); ++i) {
    if (is_span(items[i].kind)) z[i] += fit(score[i]);
    if (items[i].kind == kEval) z_span[i] += fit(score[i]);
  }
  log::info("lexicon " + path + ": " + std::to_string(lex.size()) + " entries, weight " + std::to_string(fit.a) +
            ", shift " + std::to_string(fit.b) +
            (weight > 0 ? std::string(" (given)") : " (fitted on " + std::to_string(x.size()) + " held-out spans)"));
}

// A transformer teacher's log-odds for every item, Platt-scaled on the held-out reviews for
// whole texts and on the held-out reviews' spans for spans (which also corrects a prior learnt
// from long reviews).
std::vector<double> score_transformer(const DistillDataOptions& o, const std::string& dir, const std::vector<Item>& items) {
  auto clf = Classifier::load(dir, {o.threads});
  std::vector<std::string_view> all_texts;
  for (const auto& it : items) all_texts.push_back(it.text);
  std::vector<double> z = classifier_log_odds(*clf, all_texts, o.progress, fs::path(dir).filename().string());
  std::vector<double> zw, zs;
  std::vector<int> yw, ys;
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].kind == kValidation) {
      zw.push_back(z[i]);
      yw.push_back(items[i].label);
    } else if (items[i].kind == kValidationSpan) {
      zs.push_back(z[i]);
      ys.push_back(items[i].label);
    }
  }
  const Platt whole = fit_platt(zw, yw), spans = zs.empty() ? whole : fit_platt(zs, ys);
  for (size_t i = 0; i < items.size(); ++i) z[i] = (is_span(items[i].kind) ? spans : whole)(z[i]);
  log::info("teacher " + dir + ": Platt a " + std::to_string(whole.a) + ", b " + std::to_string(whole.b) +
            " (reviews); a " + std::to_string(spans.a) + ", b " + std::to_string(spans.b) + " (spans)");
  return z;
}

// Accuracy of each named log-odds vector on the items of one kind.
std::vector<TeacherScore> score_kind(const std::vector<Item>& items, Kind kind,
                                     const std::vector<std::pair<std::string, const std::vector<double>*>>& teachers) {
  std::vector<TeacherScore> out;
  for (const auto& [name, z] : teachers) {
    std::vector<double> zs;
    std::vector<int> ys;
    for (size_t i = 0; i < items.size(); ++i)
      if (items[i].kind == kind) {
        zs.push_back((*z)[i]);
        ys.push_back(items[i].label);
      }
    if (!zs.empty()) out.push_back({name, accuracy(zs, ys), zs.size()});
  }
  return out;
}

// Each item's target P(POSITIVE): the teacher's, mixed with the label for labelled reviews (and
// spans, by span_label_weight). A negation pair takes its targets from the teacher's answer for
// the member without a negation, which a word n-gram teacher reads well (it reads "not
// disappointed" as negative): that member keeps its own target, the other gets it mirrored
// (negated_target). A pair is dropped (NaN) when the teacher is unsure of its plain member, or
// when the words ahead of the negation already lean one way: then the sentiment sits outside what
// the negation governs ("A dull film I would never watch again" stays negative without "never").
std::vector<double> targets(const DistillDataOptions& o, const std::vector<Item>& items, const std::vector<double>& z) {
  constexpr double kMinConfidence = 0.2;  // |P - 0.5| of the plain member for a pair to be kept
  constexpr double kMaxPrefixLean = 0.1;  // |P(words ahead of the negation) - P(empty text)|, at most
  // A span's target is sharpened by the span temperature: the span teacher is calibrated to the
  // review's label, which a short text says little about, so its answers sit near 0.5.
  auto sharp = [&](size_t i) { return sigmoid(is_span(items[i].kind) ? z[i] / o.span_temperature : z[i]); };
  std::vector<double> p(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    p[i] = sharp(i);
    if (items[i].kind == kReview) p[i] = o.label_weight * items[i].label + (1 - o.label_weight) * p[i];
    if (items[i].kind == kSpan) p[i] = o.span_label_weight * items[i].label + (1 - o.span_label_weight) * p[i];
  }
  size_t dropped_prefix = 0, dropped_unsure = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].kind != kNegation) continue;
    const size_t plain = items[i].added ? items[i].source : i, negated = items[i].added ? i : items[i].source;
    const double pp = sigmoid(z[plain]);
    const size_t pre = items[i].prefix;
    const bool prefix_leans =
        pre != kNoPrefix && std::abs(sigmoid(z[pre]) - sigmoid(z[baseline_item(items[pre].fold)])) > kMaxPrefixLean;
    if (std::abs(pp - 0.5) < kMinConfidence || prefix_leans) {
      p[plain] = p[negated] = std::nan("");
      ++(prefix_leans ? dropped_prefix : dropped_unsure);
      continue;
    }
    p[plain] = sharp(plain);
    p[negated] = negated_target(p[plain], true);
  }
  if (dropped_prefix + dropped_unsure > 0)
    log::info("negation pairs dropped: " + std::to_string(dropped_unsure) + " with an unsure plain member, " +
              std::to_string(dropped_prefix) + " whose words ahead of the negation lean one way");
  return p;
}

// train.jsonl (soft targets) and validation.jsonl (true labels); counts into r.
void write_outputs(const DistillDataOptions& o, const std::vector<Item>& items, const std::vector<double>& z,
                   DistillDataResult& r) {
  std::string train_out, val_out;
  auto line = [](const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"; };
  const std::vector<double> target = targets(o, items, z);
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& it = items[i];
    if (it.kind == kEval || it.kind == kValidationSpan || it.kind == kNegationPrefix || std::isnan(target[i])) continue;
    if (it.kind == kValidation) {
      val_out += line({{"text", it.text}, {"label", kLabels[static_cast<size_t>(it.label)]}});
      ++r.validation;
      continue;
    }
    const double p = target[i];
    static const std::map<Kind, const char*> kKinds = {
        {kReview, "review"}, {kSpan, "span"}, {kUnlabeled, "unlabeled"}, {kUnlabeledSpan, "unlabeled-span"},
        {kNegationSource, "negation"}, {kNegation, "negation"}, {kNegationSpan, "negation-span"}};
    train_out += line({{"text", it.text}, {"label", p >= 0.5 ? "POSITIVE" : "NEGATIVE"},
                       {"probs", {{"NEGATIVE", 1 - p}, {"POSITIVE", p}}}, {"kind", kKinds.at(it.kind)}});
    (it.kind == kReview     ? r.reviews
     : it.kind == kSpan     ? r.spans
     : it.kind == kUnlabeled ? r.unlabeled
     : it.kind == kNegation || it.kind == kNegationSource ? r.negations
     : it.kind == kNegationSpan ? r.negation_spans
                            : r.unlabeled_spans)++;
  }
  write_file_atomic(o.out_dir + "/train.jsonl", train_out);
  write_file_atomic(o.out_dir + "/validation.jsonl", val_out);
}
// Each evaluation text with every teacher's P(POSITIVE), to see where the teachers go wrong.
void write_eval_scores(const std::string& path, const std::vector<Item>& items,
                       const std::vector<std::pair<std::string, const std::vector<double>*>>& teachers) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].kind != kEval) continue;
    json j = {{"text", items[i].text}, {"label", kLabels[static_cast<size_t>(items[i].label)]}};
    for (const auto& [name, z] : teachers) j["p_positive"][name] = sigmoid((*z)[i]);
    out += j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  }
  write_file_atomic(path, out);
}
}  // namespace

DistillDataResult make_distill_data(const DistillDataOptions& o) {
  if (o.out_dir.empty()) fail(ErrorCode::kInvalidArgument, "an output folder is required");
  if (o.folds < 2) fail(ErrorCode::kInvalidArgument, "cross-fitting needs at least 2 folds");
  if (o.negation_pairs < 0) fail(ErrorCode::kInvalidArgument, "the number of negation pairs a text must be 0 or more");
  if (o.negation_spans < 0) fail(ErrorCode::kInvalidArgument, "the number of negation spans a text must be 0 or more");
  if (!(o.ngram_weight >= 0 && o.ngram_weight <= 1) || !(o.label_weight >= 0 && o.label_weight <= 1) ||
      !(o.span_label_weight >= 0 && o.span_label_weight <= 1))
    fail(ErrorCode::kInvalidArgument, "the n-gram, label and span-label weights must lie in [0, 1]");
  if (!(o.lexicon_weight >= 0 && std::isfinite(o.lexicon_weight)))
    fail(ErrorCode::kInvalidArgument, "the lexicon weight must be 0 (fitted) or a positive number");
  if (!(o.span_temperature > 0 && std::isfinite(o.span_temperature)))
    fail(ErrorCode::kInvalidArgument, "the span temperature must be a positive number");
  fs::create_directories(o.out_dir);
  data::Dataset train_ds, val_ds;
  data::split_validation(data::read_dataset(o.data, kLabels), o.validation_fraction, o.seed, train_ds, val_ds);
  if (val_ds.examples.empty()) fail(ErrorCode::kInvalidArgument, "the validation fraction leaves no held-out review");
  const std::vector<Item> items = gather_items(o, train_ds, val_ds);
  log::info("distillation data: " + std::to_string(items.size()) + " texts to score");

  std::vector<double> z_ngram, z_ngram_span;
  score_ngram(o, items, z_ngram, z_ngram_span);
  if (!o.lexicon.empty()) add_lexicon(o.lexicon, o.lexicon_weight, items, z_ngram, z_ngram_span);
  std::vector<std::vector<double>> z_tf;
  for (const auto& dir : o.teachers) z_tf.push_back(score_transformer(o, dir, items));
  // The ensemble: the n-gram teacher's share of the log-odds, the mean transformer the rest.
  const double w = z_tf.empty() ? 1.0 : o.ngram_weight;
  std::vector<double> z_ens(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    double tf = 0;
    for (const auto& z : z_tf) tf += z[i];
    z_ens[i] = w * z_ngram[i] + (z_tf.empty() ? 0.0 : (1 - w) * tf / static_cast<double>(z_tf.size()));
  }

  DistillDataResult r;
  std::vector<std::pair<std::string, const std::vector<double>*>> teachers = {{"ngram", &z_ngram}};
  for (size_t t = 0; t < z_tf.size(); ++t) teachers.push_back({o.teachers[t], &z_tf[t]});
  teachers.push_back({"ensemble", &z_ens});
  r.validation_scores = score_kind(items, kValidation, teachers);
  r.validation_span_scores = score_kind(items, kValidationSpan, teachers);
  teachers.insert(teachers.begin() + 1, {"ngram-span", &z_ngram_span});
  r.eval_scores = score_kind(items, kEval, teachers);
  if (!o.eval_data.empty()) write_eval_scores(o.out_dir + "/eval_scores.jsonl", items, teachers);
  write_outputs(o, items, z_ens, r);
  write_file_atomic(o.out_dir + "/teacher_report.json", r.to_json() + "\n");
  return r;
}

}  // namespace senti::train
