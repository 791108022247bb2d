#include "data/dataset.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "data/text_source.h"
#include "text/unicode.h"
#include "text/utf8.h"
#include "util/error.h"
#include "util/file.h"
#include "util/log.h"

namespace senti::data {

namespace fs = std::filesystem;

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Maps raw label strings to indices, growing the label list when it was not fixed up front.
class LabelMap {
 public:
  explicit LabelMap(const std::vector<std::string>& fixed) : names_(fixed), fixed_(!fixed.empty()) {}

  // -1 when the label is unknown and the list is fixed.
  int index(const std::string& raw) {
    std::string key = lower(raw);
    const auto& aliases = sentiment_aliases();
    for (size_t i = 0; i < names_.size(); ++i)
      if (lower(names_[i]) == key) return static_cast<int>(i);
    if (auto a = aliases.find(key); a != aliases.end())
      for (size_t i = 0; i < names_.size(); ++i)
        if (lower(names_[i]) == a->second) return static_cast<int>(i);
    if (fixed_) {  // an integer label indexes a fixed list (a model's id2label) directly
      if (!key.empty() && std::all_of(key.begin(), key.end(), ::isdigit) && key.size() < 6) {
        size_t v = std::stoul(key);
        if (v < names_.size()) return static_cast<int>(v);
      }
      return -1;
    }
    if (auto a = aliases.find(key); a != aliases.end()) key = a->second;
    std::string name = key == "positive" ? "POSITIVE" : key == "negative" ? "NEGATIVE" : raw;
    names_.push_back(name);
    return static_cast<int>(names_.size() - 1);
  }
  const std::vector<std::string>& names() const { return names_; }
  bool fixed() const { return fixed_; }
  // "unknown label 'x' (expected one of: A, B)" for a row whose label is not in a fixed list.
  std::string unknown(const std::string& raw) const {
    std::string list;
    for (const auto& n : names_) list += (list.empty() ? "" : ", ") + n;
    return "unknown label '" + raw.substr(0, 100) + "' (expected one of: " + list +
           "; to train other labels, give them all with --labels)";
  }
  // Whether `raw` names a label already seen (or a sentiment label's usual spelling).
  bool known(const std::string& raw) const {
    const std::string key = lower(raw);
    if (key == "positive" || key == "negative") return true;
    // The spelled-out aliases (pos, neg, label_1...), not the digits: a number ending a line
    // is too often part of the text.
    if (auto a = sentiment_aliases().find(key); a != sentiment_aliases().end() && !std::isdigit(key[0])) return true;
    for (const auto& n : names_)
      if (lower(n) == key) return true;
    return false;
  }

 private:
  // Common spellings of the binary sentiment labels, lower case.
  static const std::map<std::string, std::string>& sentiment_aliases() {
    static const std::map<std::string, std::string> aliases = {
        {"pos", "positive"}, {"neg", "negative"}, {"1", "positive"}, {"0", "negative"},
        {"label_1", "positive"}, {"label_0", "negative"}};
    return aliases;
  }

  std::vector<std::string> names_;
  bool fixed_;
};

void bad_row(Dataset& ds, BadRows mode, const std::string& origin, const std::string& what) {
  if (mode == BadRows::kFail) fail(ErrorCode::kParse, origin + ": " + what + " (rows like this can be skipped: the skip-bad-rows option)");
  log::warn(origin + ": " + what + "; skipped");
  ++ds.skipped;
}

// An unterminated quote swallows the rows after it into one field: a quoted text whose inner
// lines end like rows ("...,POSITIVE") is that, not a review with line breaks.
bool swallowed_rows(const std::string& field, const LabelMap& labels) {
  size_t start = field.find('\n');
  while (start != std::string::npos) {
    const size_t end = field.find('\n', start + 1);
    std::string line = field.substr(start + 1, end == std::string::npos ? std::string::npos : end - start - 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == '"' || line.back() == ' ')) line.pop_back();
    if (auto comma = line.rfind(','); comma != std::string::npos && labels.known(line.substr(comma + 1))) return true;
    start = end;
  }
  return false;
}

int rating_of(const std::string& filename) {  // "<id>_<rating>.txt"
  size_t u = filename.rfind('_'), d = filename.rfind('.');
  if (u == std::string::npos || d == std::string::npos || d <= u + 1) return -1;
  try {
    return std::stoi(filename.substr(u + 1, d - u - 1));
  } catch (const std::exception&) {
    return -1;
  }
}

void read_folder(const std::string& dir, LabelMap& labels, BadRows mode, Dataset& ds) {
  // Label folders: pos/neg for aclImdb, or any set of subfolders named by label.
  std::vector<std::string> subdirs;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory()) subdirs.push_back(e.path().filename().string());
  std::sort(subdirs.begin(), subdirs.end());
  const bool imdb = std::find(subdirs.begin(), subdirs.end(), "pos") != subdirs.end() &&
                    std::find(subdirs.begin(), subdirs.end(), "neg") != subdirs.end();
  if (imdb) subdirs = {"neg", "pos"};
  else subdirs.erase(std::remove(subdirs.begin(), subdirs.end(), "unsup"), subdirs.end());
  if (subdirs.empty()) fail(ErrorCode::kParse, dir + ": expected one folder per label (e.g. pos/ and neg/)");
  for (const auto& sub : subdirs) {
    int label = labels.index(sub);
    if (label < 0) fail(ErrorCode::kParse, dir + "/" + sub + ": folder name is not one of the model's labels");
    for (const auto& f : list_files(dir + "/" + sub, ".txt")) {
      Example ex;
      ex.text = clean_html_breaks(text::repair_utf8(read_file(f)));
      if (text::is_blank_text(ex.text)) {
        bad_row(ds, mode, f, "the text is empty");
        continue;
      }
      ex.label = label;
      ex.rating = rating_of(fs::path(f).filename().string());
      ex.origin = f;
      ds.examples.push_back(std::move(ex));
    }
  }
}

int column_of(const std::vector<std::string>& header, std::initializer_list<const char*> names) {
  for (const char* n : names)
    for (size_t i = 0; i < header.size(); ++i)
      if (lower(header[i]) == n) return static_cast<int>(i);
  return -1;
}

void read_csv(const std::string& path, LabelMap& labels, BadRows mode, Dataset& ds) {
  std::string data = read_file(path);
  if (data.size() >= 3 && data.compare(0, 3, "\xEF\xBB\xBF") == 0) data.erase(0, 3);  // BOM
  size_t pos = 0, line = 1, lines = 0;
  std::vector<std::string> fields;
  std::string err;
  if (!read_csv_record(data, pos, fields, err, lines) || !err.empty())
    fail(ErrorCode::kParse, path + ":1: expected a header row (text,label)");
  const int tcol = column_of(fields, {"text", "review", "sentence", "content", "comment", "body", "message"});
  const int lcol = column_of(fields, {"label", "sentiment", "labels", "target"});
  if (tcol < 0 || lcol < 0)
    fail(ErrorCode::kParse, path + ":1: header needs a text column (text, review, sentence, content, comment, body or "
                                   "message) and a label column (label, sentiment, labels or target)");
  line += lines;
  const size_t columns = fields.size();
  for (;;) {
    const size_t start_line = line;
    lines = 0;
    if (!read_csv_record(data, pos, fields, err, lines)) break;
    line += lines;
    const std::string origin = path + ":" + std::to_string(start_line);
    if (!err.empty()) {
      bad_row(ds, mode, origin, err);
      break;  // an unterminated quote swallows the rest of the file
    }
    if (fields.size() == 1 && fields[0].empty()) continue;  // blank line
    if (fields.size() != columns) {
      bad_row(ds, mode, origin, "expected " + std::to_string(columns) + " fields as in the header, found " +
                                    std::to_string(fields.size()) + " (an unquoted comma in the text?)");
      continue;
    }
    if (swallowed_rows(fields[tcol], labels)) {
      bad_row(ds, mode, origin, "the quoted text runs over lines that look like rows of their own (an unterminated quote?)");
      continue;
    }
    if (text::is_blank_text(fields[tcol])) {
      bad_row(ds, mode, origin, "the text is empty");
      continue;
    }
    int label = labels.index(fields[lcol]);
    if (label < 0) {
      bad_row(ds, mode, origin, labels.unknown(fields[lcol]));
      continue;
    }
    ds.examples.push_back({clean_html_breaks(text::repair_utf8(fields[tcol])), label, -1, origin, {}});
  }
}

void read_jsonl(const std::string& path, LabelMap& labels, BadRows mode, Dataset& ds) {
  const std::string data = read_file(path);
  for_each_line(data, [&](std::string_view line, size_t line_no) {
    if (line.find_first_not_of(" \t") == std::string_view::npos) return;
    const std::string origin = path + ":" + std::to_string(line_no);
    auto j = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      bad_row(ds, mode, origin, "not a JSON object");
      return;
    }
    auto t = j.find("text");
    auto l = j.find("label");
    if (l == j.end()) l = j.find("sentiment");
    if (t == j.end() || !t->is_string() || l == j.end() || !(l->is_string() || l->is_number_integer())) {
      bad_row(ds, mode, origin, "expected {\"text\": string, \"label\": string or integer}");
      return;
    }
    if (text::is_blank_text(t->get<std::string>())) {
      bad_row(ds, mode, origin, "the text is empty");
      return;
    }
    const std::string raw = l->is_string() ? l->get<std::string>() : std::to_string(l->get<int64_t>());
    int label = labels.index(raw);
    if (label < 0) {
      bad_row(ds, mode, origin, labels.unknown(raw));
      return;
    }
    Example ex{clean_html_breaks(text::repair_utf8(t->get<std::string>())), label, -1, origin, {}};
    if (auto p = j.find("probs"); p != j.end()) {
      // Kept by label index for now (the label list may still grow); made dense at the end.
      if (!p->is_object() || p->empty()) {
        bad_row(ds, mode, origin, "\"probs\" must be an object of label: probability");
        return;
      }
      double sum = 0;
      for (auto it = p->begin(); it != p->end(); ++it) {
        const int k = labels.index(it.key());
        const double v = it.value().is_number() ? it.value().get<double>() : -1;
        if (k < 0 || !(v >= 0 && v <= 1)) {
          bad_row(ds, mode, origin, "\"probs\": " + it.key() + " must be a known label with a probability in [0, 1]");
          return;
        }
        if (static_cast<int>(ex.target.size()) <= k) ex.target.resize(static_cast<size_t>(k) + 1, -1.f);
        if (ex.target[static_cast<size_t>(k)] >= 0.f) {  // labels match case-insensitively: "POSITIVE", "positive"
          bad_row(ds, mode, origin, "\"probs\": " + it.key() + " names a label that is already given");
          return;
        }
        ex.target[static_cast<size_t>(k)] = static_cast<float>(v);
        sum += v;
      }
      if (std::abs(sum - 1.0) > 1e-3) {
        bad_row(ds, mode, origin, "\"probs\" sum to " + std::to_string(sum) + ", expected 1");
        return;
      }
      for (float& x : ex.target) x = std::max(x, 0.f);  // labels not named have probability 0
    }
    ds.examples.push_back(std::move(ex));
  });
}

}  // namespace

bool read_csv_record(const std::string& data, size_t& pos, std::vector<std::string>& fields, std::string& error,
                     size_t& lines) {
  fields.clear();
  error.clear();
  if (pos >= data.size()) return false;
  std::string field;
  bool quoted = false, was_quoted = false;
  while (pos < data.size()) {
    char c = data[pos++];
    if (quoted) {
      if (c == '"') {
        if (pos < data.size() && data[pos] == '"') {
          field.push_back('"');
          ++pos;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++lines;
        field.push_back(c);
      }
      continue;
    }
    if (c == '"' && field.empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
      was_quoted = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && pos < data.size() && data[pos] == '\n') ++pos;
      ++lines;
      fields.push_back(std::move(field));
      return true;
    } else {
      field.push_back(c);
    }
  }
  if (quoted) error = "unterminated quoted field";
  fields.push_back(std::move(field));
  ++lines;
  return true;
}

Dataset read_dataset(const std::string& path, const std::vector<std::string>& fixed_labels, BadRows bad_rows) {
  Dataset ds;
  LabelMap labels(fixed_labels);
  if (is_directory(path)) {
    // aclImdb's label order: NEGATIVE = 0, POSITIVE = 1, as in every IMDb model.
    if (fixed_labels.empty() && is_directory(path + "/pos") && is_directory(path + "/neg"))
      labels = LabelMap({"NEGATIVE", "POSITIVE"});
    read_folder(path, labels, bad_rows, ds);
  } else if (path.size() >= 4 && lower(path.substr(path.size() - 4)) == ".csv") {
    read_csv(path, labels, bad_rows, ds);
  } else if (path.size() >= 6 && lower(path.substr(path.size() - 6)) == ".jsonl") {
    read_jsonl(path, labels, bad_rows, ds);
  } else {
    fail(ErrorCode::kInvalidArgument, "'" + path + "': expected a folder (aclImdb layout), a .csv or a .jsonl file");
  }
  ds.labels = labels.names();
  // Without a fixed list, binary sentiment labels take the order every IMDb model uses.
  if (fixed_labels.empty() && ds.labels.size() == 2) {
    auto it_neg = std::find(ds.labels.begin(), ds.labels.end(), "NEGATIVE");
    auto it_pos = std::find(ds.labels.begin(), ds.labels.end(), "POSITIVE");
    if (it_neg != ds.labels.end() && it_pos != ds.labels.end() && it_neg > it_pos) {
      for (auto& e : ds.examples) {
        e.label = 1 - e.label;
        if (e.target.empty()) continue;
        e.target.resize(2, 0.f);
        std::swap(e.target[0], e.target[1]);
      }
      ds.labels = {"NEGATIVE", "POSITIVE"};
    }
  }
  if (ds.examples.empty()) fail(ErrorCode::kParse, "'" + path + "' holds no labelled examples");
  for (auto& e : ds.examples)
    if (!e.target.empty()) e.target.resize(ds.labels.size(), 0.f);
  return ds;
}

void split_validation(const Dataset& all, double fraction, uint64_t seed, Dataset& train, Dataset& validation) {
  if (fraction < 0 || fraction >= 1) fail(ErrorCode::kInvalidArgument, "validation fraction must be in [0, 1)");
  train = Dataset{{}, all.labels, all.skipped};
  validation = Dataset{{}, all.labels, 0};
  std::vector<std::vector<size_t>> by_label(all.labels.size());
  for (size_t i = 0; i < all.examples.size(); ++i) by_label[all.examples[i].label].push_back(i);
  std::vector<bool> to_val(all.examples.size(), false);
  std::mt19937_64 rng(seed);
  for (auto& idx : by_label) {
    std::shuffle(idx.begin(), idx.end(), rng);
    size_t n = static_cast<size_t>(idx.size() * fraction + 0.5);
    for (size_t k = 0; k < n; ++k) to_val[idx[k]] = true;
  }
  for (size_t i = 0; i < all.examples.size(); ++i)
    (to_val[i] ? validation : train).examples.push_back(all.examples[i]);
}

}  // namespace senti::data
