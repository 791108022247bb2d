// Implements api.h with nlohmann::json; every field is type-checked and named in errors.
#include "serve/api.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace senti::serve {

using nlohmann::json;

namespace {

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

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

json parse_object(std::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) invalid("the body is not valid JSON (UTF-8 text expected)");
  if (!j.is_object()) invalid(std::string("the body must be a JSON object, got ") + type_name(j));
  return j;
}

bool blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); });
}

std::string text_at(const json& v, const std::string& field) {
  if (!v.is_string()) invalid("\"" + field + "\" must be a string, got " + type_name(v));
  std::string s = v.get<std::string>();
  if (blank(s)) invalid("\"" + field + "\" is empty: send some text to classify");
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

PredictRequest parse_pipeline_request(std::string_view body, size_t max_inputs, const ClassifyOptions& defaults) {
  json j = parse_object(body);
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
      invalid(std::string("\"top_k\" must be a positive integer, \"all\" or null, got ") + dump(*k));
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
      invalid("\"truncation\" must be \"head\", \"tail\", \"head+tail\" or a boolean, got " + dump(*t));
    }
  }
  if (const json* f = option(j, "function_to_apply")) {
    std::string s = f->is_string() ? lower(f->get<std::string>()) : "";
    if (s == "default") r.options.function = ScoreFunction::kDefault;
    else if (s == "softmax") r.options.function = ScoreFunction::kSoftmax;
    else if (s == "sigmoid") r.options.function = ScoreFunction::kSigmoid;
    else if (s == "none") r.options.function = ScoreFunction::kNone;
    else invalid("\"function_to_apply\" must be \"default\", \"softmax\", \"sigmoid\" or \"none\", got " + dump(*f));
  }
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
    else invalid("\"truncation_direction\" must be \"left\" or \"right\", got " + dump(*it));
  }
  return r;
}

std::string predict_response(const PredictRequest& request, const std::vector<std::vector<LabelScore>>& results) {
  auto labels = [](const std::vector<LabelScore>& r) {
    json a = json::array();
    for (const auto& ls : r) a.push_back({{"label", ls.label}, {"score", ls.score}});
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

ApiError too_long_error(size_t index, size_t tokens, size_t max_length) {
  return ApiError(413, "Validation",
                  "input " + std::to_string(index) + " has " + std::to_string(tokens) + " tokens; the model reads at most " +
                      std::to_string(max_length) + " (allow truncation: \"truncate\": true or \"truncation\": \"head+tail\")");
}

}  // namespace senti::serve
