// Implements api.h with nlohmann::json; every field is type-checked and named in errors.
#include "serve/api.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>

#include "text/unicode.h"

namespace senti::serve {

using nlohmann::json;

namespace {

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// A bad value as errors quote it: its JSON, cut to a short excerpt (the value is at most
// kMaxJsonDepth deep, so dumping it is safe; a long one is not echoed whole).
std::string excerpt(const json& j) {
  constexpr size_t kMax = 80;
  std::string s = dump(j);
  if (s.size() <= kMax) return s;
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 sequence
  return s.substr(0, cut) + "... (" + std::to_string(s.size()) + " bytes)";
}

[[noreturn]] void invalid(const std::string& message) { throw ApiError(422, "Validation", message); }

const char* type_name(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "a list";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return "a number";
    default: return "something else";
  }
}

struct TooDeep {};

json parse_object(std::string_view body) {
  // The depth is checked while parsing, so a hostile body nested thousands of levels deep is
  // refused before anything is built from it, dumped or echoed.
  json j;
  try {
    j = json::parse(
        body.begin(), body.end(),
        [](int depth, json::parse_event_t, json&) {
          if (depth > kMaxJsonDepth) throw TooDeep{};
          return true;
        },
        /*allow_exceptions=*/false);
  } catch (const TooDeep&) {
    invalid("the body is nested more than " + std::to_string(kMaxJsonDepth) + " levels deep");
  }
  if (j.is_discarded()) invalid("the body is not valid JSON (UTF-8 text expected)");
  if (!j.is_object()) invalid(std::string("the body must be a JSON object, got ") + type_name(j));
  return j;
}

std::string text_at(const json& v, const std::string& field) {
  if (!v.is_string()) invalid("\"" + field + "\" must be a string, got " + type_name(v));
  std::string s = v.get<std::string>();
  if (text::is_blank_text(s)) invalid("\"" + field + "\" is empty: send some text to classify");
  return s;
}

void check_count(size_t n, size_t max_inputs) {
  if (n == 0) invalid("\"inputs\" is an empty list: send at least one text");
  if (n > max_inputs)
    throw ApiError(413, "Validation", "\"inputs\" has " + std::to_string(n) + " texts; at most " +
                                          std::to_string(max_inputs) + " per request (--max-inputs)");
}

// A field from the top level, or from "parameters" (the Hugging Face Inference API's place).
const json* option(const json& body, const char* name) {
  if (auto it = body.find(name); it != body.end()) return &*it;
  if (auto p = body.find("parameters"); p != body.end() && p->is_object())
    if (auto it = p->find(name); it != p->end()) return &*it;
  return nullptr;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string error_body(std::string_view message, std::string_view type) {
  return dump(json{{"error", std::string(message)}, {"error_type", std::string(type)}});
}

namespace {

// "method", "steps", "tolerance", "label" from `fields` (an object) into o (the doubling of
// integrated-gradients steps stops at ExplainOptions::max_steps, 256 = kMaxExplainSteps).
void explain_fields(const json& fields, const std::string& where, ExplainOptions& o) {
  auto field = [&](const char* name) -> const json* {
    auto it = fields.find(name);
    return it == fields.end() || it->is_null() ? nullptr : &*it;
  };
  if (const json* m = field("method")) {
    const auto method = m->is_string() ? parse_explain_method(m->get<std::string>()) : std::nullopt;
    if (!method) invalid("\"" + where + "method\" must be \"ig\", \"gxi\" or \"occlusion\", got " + excerpt(*m));
    o.method = *method;
  }
  if (const json* st = field("steps")) {
    if (!st->is_number_integer() || st->get<int64_t>() < 1 || st->get<int64_t>() > kMaxExplainSteps)
      invalid("\"" + where + "steps\" must be an integer from 1 to " + std::to_string(kMaxExplainSteps) + ", got " +
              excerpt(*st));
    o.steps = static_cast<int>(st->get<int64_t>());
  }
  if (const json* t = field("tolerance")) {
    if (!t->is_number() || !(t->get<double>() >= 0 && t->get<double>() <= 1))
      invalid("\"" + where + "tolerance\" must be a number from 0 to 1, got " + excerpt(*t));
    o.tolerance = t->get<double>();
  }
  if (const json* l = field("label")) {
    if (!l->is_string()) invalid("\"" + where + "label\" must be a label name, got " + type_name(*l));
    o.label = l->get<std::string>();
  }
}

PredictRequest parse_pipeline(const json& j, size_t max_inputs, const ClassifyOptions& defaults) {
  if (auto p = j.find("parameters"); p != j.end() && !p->is_object() && !p->is_null())
    invalid(std::string("\"parameters\" must be an object, got ") + type_name(*p));
  PredictRequest r;
  r.options = defaults;
  auto in = j.find("inputs");
  if (in == j.end()) invalid("\"inputs\" is missing: send {\"inputs\": \"some text\"} or a list of texts");
  if (in->is_array()) {
    r.batched = true;
    check_count(in->size(), max_inputs);
    for (size_t i = 0; i < in->size(); ++i) r.inputs.push_back(text_at((*in)[i], "inputs[" + std::to_string(i) + "]"));
  } else {
    if (!in->is_string()) invalid(std::string("\"inputs\" must be a string or a list of strings, got ") + type_name(*in));
    r.inputs.push_back(text_at(*in, "inputs"));
  }
  if (const json* k = option(j, "top_k")) {
    r.top_k_given = true;
    if (k->is_null() || (k->is_string() && k->get<std::string>() == "all")) {
      r.options.top_k = -1;
    } else if (k->is_number_integer() && k->get<int64_t>() >= 1) {
      r.options.top_k = static_cast<int>(std::min<int64_t>(k->get<int64_t>(), 1 << 20));
    } else {
      invalid(std::string("\"top_k\" must be a positive integer, \"all\" or null, got ") + excerpt(*k));
    }
  }
  if (const json* t = option(j, "truncation")) {
    if (t->is_boolean()) {
      r.truncate = t->get<bool>();
      r.options.truncation = Truncation::kHead;  // the pipeline's truncation=True keeps the head
    } else if (t->is_string() && t->get<std::string>() == "head") {
      r.options.truncation = Truncation::kHead;
    } else if (t->is_string() && t->get<std::string>() == "tail") {
      r.options.truncation = Truncation::kTail;
    } else if (t->is_string() && t->get<std::string>() == "head+tail") {
      r.options.truncation = Truncation::kHeadTail;
    } else {
      invalid("\"truncation\" must be \"head\", \"tail\", \"head+tail\" or a boolean, got " + excerpt(*t));
    }
  }
  if (const json* f = option(j, "function_to_apply")) {
    std::string s = f->is_string() ? lower(f->get<std::string>()) : "";
    if (s == "default") r.options.function = ScoreFunction::kDefault;
    else if (s == "softmax") r.options.function = ScoreFunction::kSoftmax;
    else if (s == "sigmoid") r.options.function = ScoreFunction::kSigmoid;
    else if (s == "none") r.options.function = ScoreFunction::kNone;
    else invalid("\"function_to_apply\" must be \"default\", \"softmax\", \"sigmoid\" or \"none\", got " + excerpt(*f));
  }
  if (const json* e = option(j, "explain")) {
    if (e->is_boolean()) {
      r.explain = e->get<bool>();
    } else if (e->is_object()) {
      r.explain = true;
      explain_fields(*e, "explain.", r.explain_options);
    } else if (!e->is_null()) {
      invalid(std::string("\"explain\" must be a boolean or an object {\"method\", \"steps\", \"label\"}, got ") +
              type_name(*e));
    }
  }
  return r;
}

// The explanation options follow what the prediction reads (truncation, length).
void explain_reads_like_predict(PredictRequest& r) {
  static_cast<ReadOptions&>(r.explain_options) = r.options;
  r.explain_options.window = r.explain_options.stride = 0;  // one window: what the explainer reads
}

}  // namespace

PredictRequest parse_pipeline_request(std::string_view body, size_t max_inputs, const ClassifyOptions& defaults) {
  PredictRequest r = parse_pipeline(parse_object(body), max_inputs, defaults);
  explain_reads_like_predict(r);
  return r;
}

PredictRequest parse_explain_request(std::string_view body, size_t max_inputs, const ClassifyOptions& defaults) {
  const json j = parse_object(body);
  PredictRequest r = parse_pipeline(j, max_inputs, defaults);
  r.explain = true;
  json fields = json::object();  // method/steps/label at the top level or in "parameters"
  for (const char* name : {"method", "steps", "tolerance", "label"})
    if (const json* v = option(j, name)) fields[name] = *v;
  explain_fields(fields, "", r.explain_options);
  explain_reads_like_predict(r);
  return r;
}

PredictRequest parse_tei_request(std::string_view body, size_t max_inputs, const ClassifyOptions& defaults) {
  json j = parse_object(body);
  PredictRequest r;
  r.dialect = Dialect::kTei;
  r.options = defaults;
  r.options.function = ScoreFunction::kDefault;
  r.truncate = false;  // TEI's default: refuse what does not fit
  r.options.truncation = Truncation::kHead;
  r.options.top_k = -1;
  auto in = j.find("inputs");
  if (in == j.end()) invalid("\"inputs\" is missing: send {\"inputs\": \"some text\"} or [[\"t1\"], [\"t2\"]]");
  // TEI: a string or a one-string list is one input; two strings are a text pair; a list of
  // lists is a batch.
  auto sequence = [&](const json& v, const std::string& field) -> std::string {
    if (v.is_string()) return text_at(v, field);
    if (v.is_array() && v.size() == 1) return text_at(v[0], field + "[0]");
    if (v.is_array() && v.size() == 2 && v[0].is_string() && v[1].is_string())
      invalid("\"" + field + "\" is a text pair; this model classifies single texts (send [[\"t1\"], [\"t2\"]] for a batch)");
    invalid("\"" + field + "\" must be a string or a list of one string, got " +
            (v.is_array() ? "a list of " + std::to_string(v.size()) + " items" : std::string(type_name(v))));
  };
  if (in->is_array() && !in->empty() && in->at(0).is_array()) {
    r.batched = true;
    check_count(in->size(), max_inputs);
    for (size_t i = 0; i < in->size(); ++i) r.inputs.push_back(sequence((*in)[i], "inputs[" + std::to_string(i) + "]"));
  } else {
    if (in->is_array() && in->empty()) check_count(0, max_inputs);
    r.inputs.push_back(sequence(*in, "inputs"));
  }
  auto flag = [&](const char* name, bool& out) {
    if (auto it = j.find(name); it != j.end() && !it->is_null()) {
      if (!it->is_boolean()) invalid(std::string("\"") + name + "\" must be a boolean, got " + type_name(*it));
      out = it->get<bool>();
    }
  };
  bool raw = false;
  flag("raw_scores", raw);
  if (raw) r.options.function = ScoreFunction::kNone;
  flag("truncate", r.truncate);
  if (auto it = j.find("truncation_direction"); it != j.end() && !it->is_null()) {
    std::string d = it->is_string() ? lower(it->get<std::string>()) : "";
    if (d == "right") r.options.truncation = Truncation::kHead;
    else if (d == "left") r.options.truncation = Truncation::kTail;
    else invalid("\"truncation_direction\" must be \"left\" or \"right\", got " + excerpt(*it));
  }
  return r;
}

namespace {
json explanation_object(const Explanation& e) {
  json words = json::array(), tokens = json::array();
  for (const auto& w : e.words) words.push_back({{"word", w.word}, {"start", w.start}, {"end", w.end}, {"score", w.score}});
  for (const auto& t : e.tokens)
    tokens.push_back({{"token", t.token}, {"start", t.start}, {"end", t.end}, {"score", t.score}});
  json j = {{"label", e.label},   {"score", e.score},         {"predicted", e.predicted},
            {"log_odds", e.log_odds}, {"method", explain_method_name(e.method)}, {"words", words}, {"tokens", tokens},
            {"truncated_tokens", e.truncated}, {"baseline_log_odds", e.baseline_log_odds},
            {"baseline_score", e.baseline_score}};
  if (e.method == ExplainMethod::kIntegratedGradients) {
    const double diff = e.log_odds - e.baseline_log_odds;
    j.update({{"steps", e.steps},
              {"delta", e.delta},
              {"relative_delta", diff != 0 ? std::abs(e.delta / diff) : 0.0}});
  }
  return j;
}
}  // namespace

std::string explanation_json(const Explanation& e) { return dump(explanation_object(e)); }

std::string explain_response(const PredictRequest& request, const std::vector<Explanation>& explanations) {
  if (!request.batched) return dump(explanation_object(explanations.at(0)));
  json out = json::array();
  for (const auto& e : explanations) out.push_back(explanation_object(e));
  return dump(out);
}

std::string predict_response(const PredictRequest& request, const std::vector<std::vector<LabelScore>>& results,
                             const std::vector<Explanation>& explanations) {
  size_t index = 0;
  auto labels = [&](const std::vector<LabelScore>& r) {
    json a = json::array();
    for (const auto& ls : r) a.push_back({{"label", ls.label}, {"score", ls.score}});
    // The top label's entry carries the text's explanation.
    if (index < explanations.size() && !a.empty()) a[0]["explanation"] = explanation_object(explanations[index]);
    ++index;
    return a;
  };
  json out = json::array();
  // The pipeline without top_k answers one dict per text (a one-element list for one string);
  // with top_k (and always in TEI) a list of labels per text, nested for batches.
  const bool nested = request.dialect == Dialect::kTei || request.top_k_given;
  if (!nested) {
    for (const auto& r : results) out.push_back(labels(r).at(0));
  } else if (!request.batched) {
    out = labels(results.at(0));
  } else {
    for (const auto& r : results) out.push_back(labels(r));
  }
  return dump(out);
}

FlagRequest parse_flag_request(std::string_view body) {
  const json j = parse_object(body);
  FlagRequest r;
  auto input = j.find("input");
  if (input == j.end()) invalid("\"input\" is missing: send the text that was classified");
  r.input = text_at(*input, "input");
  if (auto f = j.find("flag"); f != j.end() && !f->is_null()) {
    if (!f->is_string()) invalid(std::string("\"flag\" must be a string, got ") + type_name(*f));
    r.reason = f->get<std::string>();
    if (r.reason.size() > kMaxFlagReason)
      invalid("\"flag\" is " + std::to_string(r.reason.size()) + " bytes; at most " + std::to_string(kMaxFlagReason));
  }
  // "output" (what the page showed) is accepted and ignored: the log records the server's own answer.
  return r;
}

TokenizeRequest parse_tokenize_request(std::string_view body, size_t max_inputs) {
  const json j = parse_object(body);
  TokenizeRequest r;
  auto in = j.find("inputs");
  if (in == j.end()) invalid("\"inputs\" is missing: send {\"inputs\": \"some text\"} or a list of texts");
  if (in->is_array()) {
    check_count(in->size(), max_inputs);
    for (size_t i = 0; i < in->size(); ++i) r.inputs.push_back(text_at((*in)[i], "inputs[" + std::to_string(i) + "]"));
  } else {
    if (!in->is_string()) invalid(std::string("\"inputs\" must be a string or a list of strings, got ") + type_name(*in));
    r.inputs.push_back(text_at(*in, "inputs"));
  }
  if (auto a = j.find("add_special_tokens"); a != j.end() && !a->is_null()) {
    if (!a->is_boolean()) invalid("\"add_special_tokens\" must be true or false, got " + excerpt(*a));
    r.add_special_tokens = a->get<bool>();
  }
  if (auto t = j.find("truncate"); t != j.end() && !t->is_null()) {
    if (!t->is_boolean()) invalid("\"truncate\" must be true or false, got " + excerpt(*t));
    r.truncate = t->get<bool>();
  }
  return r;
}

std::string tokenize_response(const std::vector<std::vector<TokenOut>>& tokens) {
  json out = json::array();
  for (const auto& list : tokens) {
    json a = json::array();
    for (const auto& t : list) {
      json o = {{"id", t.id}, {"text", t.text}, {"special", t.special}};
      if (t.special) o.update({{"start", nullptr}, {"stop", nullptr}});
      else o.update({{"start", t.start}, {"stop", t.stop}});
      a.push_back(std::move(o));
    }
    out.push_back(std::move(a));
  }
  return dump(out);
}

ApiError too_long_error(size_t index, size_t tokens, size_t max_length) {
  return ApiError(413, "Validation",
                  "input " + std::to_string(index) + " has " + std::to_string(tokens) + " tokens; the model reads at most " +
                      std::to_string(max_length) + " (allow truncation: \"truncate\": true or \"truncation\": \"head+tail\")");
}

}  // namespace senti::serve
