#include "train/suite.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "data/text_source.h"
#include "util/error.h"
#include "util/file.h"

namespace senti::train {

using nlohmann::json;

namespace {
std::string upper_ascii(std::string s) {
  for (char& ch : s)
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
  return s;
}
}  // namespace

std::vector<SuiteCase> read_suite(const std::string& path) {
  if (!file_exists(path)) fail(ErrorCode::kNotFound, "behaviour suite '" + path + "' does not exist");
  const std::string data = read_file(path);
  std::vector<SuiteCase> cases;
  data::for_each_line(data, [&](std::string_view line, size_t n) {
    const std::string where = path + ":" + std::to_string(n);
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) fail(ErrorCode::kParse, where + ": not a JSON object");
    auto field = [&](const char* key, bool required) -> std::string {
      if (!j.contains(key)) {
        if (required) fail(ErrorCode::kParse, where + ": missing \"" + key + "\"");
        return "";
      }
      if (!j[key].is_string()) fail(ErrorCode::kParse, where + ": \"" + key + "\" must be a string");
      return j[key].get<std::string>();
    };
    SuiteCase c{field("id", true), field("capability", true), field("text", true), field("label", true),
                field("same_as", false)};
    if (c.capability.empty()) fail(ErrorCode::kParse, where + ": \"capability\" is empty");
    if (c.label.empty()) fail(ErrorCode::kParse, where + ": \"label\" is empty");
    cases.push_back(std::move(c));
  });
  if (cases.empty()) fail(ErrorCode::kParse, path + ": no cases");
  return cases;
}

SuiteResult run_suite(const Classifier& classifier, const std::vector<SuiteCase>& cases, const ClassifyOptions& options,
                      size_t batch_size) {
  const auto& labels = classifier.info().labels;
  int positive = -1;
  for (size_t i = 0; i < labels.size(); ++i)
    if (upper_ascii(labels[i]) == "POSITIVE") positive = static_cast<int>(i);
  for (const auto& c : cases) {
    const bool known = c.label == "NEUTRAL" || std::find(labels.begin(), labels.end(), c.label) != labels.end();
    if (!known) fail(ErrorCode::kInvalidArgument, "suite case " + c.id + ": label '" + c.label + "' is not one of the model's labels");
    if (c.label == "NEUTRAL" && positive < 0)
      fail(ErrorCode::kInvalidArgument, "suite case " + c.id + " is NEUTRAL but the model has no POSITIVE label");
  }
  // Every distinct text once: the cases' and their originals'.
  std::vector<std::string_view> texts;
  std::unordered_map<std::string_view, size_t> index;
  auto add = [&](const std::string& t) {
    if (index.emplace(t, texts.size()).second) texts.push_back(t);
  };
  for (const auto& c : cases) {
    add(c.text);
    if (!c.same_as.empty()) add(c.same_as);
  }
  // Probabilities per label, in the model's label order, from the classifier's own softmax.
  ClassifyOptions o = options;
  o.function = ScoreFunction::kSoftmax;
  o.top_k = -1;
  std::vector<std::vector<float>> probs;
  for (size_t i = 0; i < texts.size(); i += batch_size) {
    std::vector<std::string_view> batch(texts.begin() + static_cast<long>(i),
                                        texts.begin() + static_cast<long>(std::min(texts.size(), i + batch_size)));
    for (const auto& scores : classifier.classify(batch, o)) {
      std::vector<float> p(labels.size(), 0.f);
      for (const auto& ls : scores)
        p[static_cast<size_t>(std::find(labels.begin(), labels.end(), ls.label) - labels.begin())] = ls.score;
      probs.push_back(std::move(p));
    }
  }
  auto predicted = [&](size_t t) {
    const auto& p = probs[t];
    return labels[static_cast<size_t>(std::max_element(p.begin(), p.end()) - p.begin())];
  };

  SuiteResult r;
  std::map<std::string, size_t> cap_index;
  for (const auto& c : cases) {
    const size_t t = index.at(c.text);
    SuiteOutcome out;
    out.c = &c;
    out.predicted = predicted(t);
    out.p_positive = positive >= 0 ? probs[t][static_cast<size_t>(positive)] : 0.0;
    char buf[160];
    if (c.label == "NEUTRAL") {
      out.passed = out.p_positive >= kNeutralLow && out.p_positive <= kNeutralHigh;
      std::snprintf(buf, sizeof buf, "P(POSITIVE) %.3f outside [%.2f, %.2f]", out.p_positive, kNeutralLow, kNeutralHigh);
    } else {
      out.passed = out.predicted == c.label;
      std::snprintf(buf, sizeof buf, "predicted %s (P(POSITIVE) %.3f)", out.predicted.c_str(), out.p_positive);
    }
    if (!out.passed) out.why = buf;
    if (out.passed && !c.same_as.empty()) {
      const std::string original = predicted(index.at(c.same_as));
      if (original != out.predicted) {
        out.passed = false;
        out.why = "predicted " + out.predicted + " but " + original + " for the original";
      }
    }
    auto [it, fresh] = cap_index.emplace(c.capability, r.capabilities.size());
    if (fresh) r.capabilities.push_back({c.capability});
    CapabilityScore& cs = r.capabilities[it->second];
    ++cs.total;
    ++r.all.total;
    if (out.passed) {
      ++cs.passed;
      ++r.all.passed;
    }
    r.outcomes.push_back(std::move(out));
  }
  return r;
}

std::string SuiteResult::to_json() const {
  auto score = [](const CapabilityScore& s) {
    return json{{"total", s.total}, {"passed", s.passed}, {"pass_rate", s.rate()}};
  };
  json j = score(all);
  j["capabilities"] = json::object();
  for (const auto& c : capabilities) j["capabilities"][c.name] = score(c);
  j["failures"] = json::array();
  for (const auto& o : outcomes) {
    if (o.passed) continue;
    json f = {{"id", o.c->id}, {"capability", o.c->capability}, {"text", o.c->text}, {"label", o.c->label},
              {"predicted", o.predicted}, {"p_positive", o.p_positive}, {"why", o.why}};
    if (!o.c->same_as.empty()) f["same_as"] = o.c->same_as;
    j["failures"].push_back(f);
  }
  return j.dump();
}

std::string SuiteResult::table() const {
  std::string s = "capability     passed  total  rate\n";
  char line[128];
  for (const auto* c : [&] {
         std::vector<const CapabilityScore*> v;
         for (const auto& x : capabilities) v.push_back(&x);
         v.push_back(&all);
         return v;
       }()) {
    std::snprintf(line, sizeof line, "%-14s %6zu %6zu  %5.1f %%\n", c->name.c_str(), c->passed, c->total, 100 * c->rate());
    s += line;
  }
  return s;
}

}  // namespace senti::train
