// Distillation data for fine-tuning on texts of every length: whole labelled reviews, spans cut
// from them (one sentence, two or three sentences, short word windows), and optionally unlabeled
// texts and their spans, each with a soft target from a teacher ensemble. The ensemble averages
// calibrated log-odds: an NB-weighted n-gram logistic model (ngram_teacher.h, cross-fitted over
// folds so a labelled text is scored by a model that never saw it; a second n-gram model trained
// on spans with their review's label scores spans) and any transformer classifiers given, each
// Platt-scaled per kind of text (whole reviews, spans) on held-out reviews and their spans; a
// polarity lexicon (lexicon.h) may join the span teacher. A span of a positive review is often
// negative, so spans take the teacher's target, not the review's label; whole labelled reviews
// mix the two. Writes JSONL rows that
// `senti train` reads ({"text", "label", "probs", "kind"}), and a held-out validation file of
// whole reviews with their true labels. Binary NEGATIVE/POSITIVE only. No command-line parsing.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "train/ngram_teacher.h"

namespace senti::train {

struct DistillDataOptions {
  std::string data;                    // labelled reviews (aclImdb folder, .csv, .jsonl)
  std::vector<std::string> unlabeled;  // raw texts (folders of .txt, .jsonl, text files)
  size_t unlabeled_limit = 0;          // at most this many unlabeled texts, chosen by seed (0 = all)
  std::vector<std::string> teachers;   // transformer classifier folders in the ensemble
  double ngram_weight = 0.5;           // the n-gram teacher's share of the ensemble log-odds
                                       // (1 when there is no transformer teacher)
  double label_weight = 0.5;           // a whole labelled review's target: this much of its label,
                                       // the rest the teacher's
  double span_label_weight = 0;        // a labelled review's span: this much of the review's label
  double span_temperature = 1;         // a span's or negation pair's target: sigmoid(teacher log-odds
                                       // / this); below 1 sharpens (pairs are kept or dropped on the
                                       // unsharpened answer)
  int spans_per_text = 4;
  bool unlabeled_whole = true;         // unlabeled texts themselves, besides their spans
  std::string lexicon;                 // a polarity lexicon (lexicon.h): its score of a span, weighted
                                       // by a fit on the held-out spans, is added to the n-gram
                                       // teacher's log-odds of spans and negation pairs
  double lexicon_weight = 0;           // log-odds a unit of lexicon score; 0: fitted on held-out
                                       // spans (whose labels are their reviews', so the fit is timid)
  int negation_pairs = 0;              // per text, up to this many of its sentences and their
                                       // negations (negation.h), the pair's targets from the teacher's
                                       // answer on the member without a negation
  int negation_spans = 0;              // per text, up to this many of its sentences that hold a
                                       // negation (of 2-40 words), as spans scored like any span
  double validation_fraction = 0.04;   // labelled reviews held out (validation + calibration)
  int folds = 5;                       // cross-fitting of the n-gram teacher
  NgramTeacherOptions ngram;
  std::string eval_data;               // labelled data to report the teachers' accuracy on, and
                                       // each text's scores (eval_scores.jsonl)
  std::string out_dir;                 // writes train.jsonl, validation.jsonl, teacher_report.json
  uint64_t seed = 42;
  int threads = 0;
  bool progress = true;
};

struct TeacherScore {
  std::string name;
  double accuracy = 0;
  size_t n = 0;
};

struct DistillDataResult {
  size_t reviews = 0, spans = 0, unlabeled = 0, unlabeled_spans = 0, validation = 0;
  size_t negations = 0;  // texts of negation pairs, both members
  size_t negation_spans = 0;
  std::vector<TeacherScore> validation_scores;  // each teacher and the ensemble, held-out reviews
  std::vector<TeacherScore> validation_span_scores;  // the same on their spans (the review's label)
  std::vector<TeacherScore> eval_scores;        // the same on eval_data, when given
  std::string to_json() const;
};

DistillDataResult make_distill_data(const DistillDataOptions& options);

// Sentences of a text: cut after a run of '.', '!' or '?' that is followed by whitespace.
std::vector<std::string_view> split_sentences(std::string_view text);

// Up to `count` distinct spans of a text, chosen by `seed`: a sentence (50 %), two or three
// consecutive sentences (30 %), or a window of 3-16 words (20 %); spans of fewer than two words
// and the whole text itself are left out.
std::vector<std::string> cut_spans(std::string_view text, int count, uint64_t seed);

}  // namespace senti::train
