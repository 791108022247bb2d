// Labelled datasets for fine-tuning and evaluation: the aclImdb folder layout (split/pos,
// split/neg; the rating in "<id>_<rating>.txt" kept), CSV with a header (the Kaggle "IMDB
// Dataset.csv" form included), and JSONL. HTML line breaks become spaces. Rows that cannot be
// read are reported with file and line, then skipped or fatal as the caller asks; never
// silently dropped. Also the deterministic train/validation split.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace senti::data {

struct Example {
  std::string text;
  int label = -1;      // index into the label names
  int rating = -1;     // aclImdb star rating (1-10), -1 if unknown
  std::string origin;  // "file" or "file:line"
  std::vector<float> target;  // soft target, a probability per label (JSONL "probs"); empty = `label`
};

struct Dataset {
  std::vector<Example> examples;
  std::vector<std::string> labels;  // label names by index
  size_t skipped = 0;               // malformed rows skipped (each was reported)
};

enum class BadRows { kSkip, kFail };

// Reads a folder (aclImdb layout: a folder of per-label folders, or a split folder holding
// pos/neg), a .csv or a .jsonl file. A JSONL row may carry a soft target besides its label,
// "probs": {"NEGATIVE": 0.2, "POSITIVE": 0.8} (probabilities in [0, 1] summing to 1; labels
// left out get 0), as distillation data does. `labels` fixes the label order (e.g. from a model's
// id2label); empty = NEGATIVE, POSITIVE for aclImdb and for names that mean them, else the
// sorted distinct names. Label names match case-insensitively; "pos"/"positive"/"1" style
// aliases map onto NEGATIVE/POSITIVE.
Dataset read_dataset(const std::string& path, const std::vector<std::string>& labels = {},
                     BadRows bad_rows = BadRows::kFail);

// Deterministic split: a fraction of examples (chosen by a seeded shuffle, stratified per
// label) goes to validation. Same seed, same split.
void split_validation(const Dataset& all, double fraction, uint64_t seed, Dataset& train, Dataset& validation);

// Splits one CSV record starting at `pos` (RFC 4180: quotes, doubled quotes, newlines inside
// quotes). Returns false at the end of input; sets `error` for an unterminated quote.
bool read_csv_record(const std::string& data, size_t& pos, std::vector<std::string>& fields, std::string& error,
                     size_t& lines);

}  // namespace senti::data
