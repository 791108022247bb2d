// Loading a Tokenizer from Hugging Face files: tokenizer.json, or vocab.txt with
// tokenizer_config.json / special_tokens_map.json. Every field is type-checked; a component
// senti does not implement is an error that names it.
#include <nlohmann/json.hpp>

#include "text/tokenizer.h"
#include "util/error.h"
#include "util/file.h"

namespace senti::text {

using nlohmann::json;

namespace {

[[noreturn]] void bad(const std::string& origin, const std::string& field, const std::string& what) {
  fail(ErrorCode::kParse, origin + ": field '" + field + "': " + what);
}

const json& member(const json& obj, const char* key, const std::string& origin, const std::string& path) {
  auto it = obj.find(key);
  if (it == obj.end()) bad(origin, path + key, "missing");
  return *it;
}

bool get_bool(const json& obj, const char* key, bool def, const std::string& origin, const std::string& path) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return def;
  if (!it->is_boolean()) bad(origin, path + key, "expected true or false");
  return it->get<bool>();
}

std::string get_string(const json& obj, const char* key, const std::string& def, const std::string& origin,
                       const std::string& path) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return def;
  if (!it->is_string()) bad(origin, path + key, "expected a string");
  return it->get<std::string>();
}

size_t get_size(const json& obj, const char* key, size_t def, const std::string& origin, const std::string& path) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return def;
  if (!it->is_number_unsigned()) bad(origin, path + key, "expected a non-negative integer");
  return it->get<size_t>();
}

json parse_json(std::string_view text, const std::string& origin) {
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) fail(ErrorCode::kParse, origin + ": not valid JSON");
  if (!j.is_object()) fail(ErrorCode::kParse, origin + ": expected a JSON object at the top level");
  return j;
}

void load_normalizer(const json& n, TokenizerConfig& cfg, const std::string& origin) {
  if (n.is_null()) {
    cfg.normalizer.enabled = false;
    return;
  }
  if (!n.is_object()) bad(origin, "normalizer", "expected an object or null");
  std::string type = get_string(n, "type", "", origin, "normalizer.");
  if (type != "BertNormalizer")
    fail(ErrorCode::kUnsupported, origin + ": normalizer type '" + type +
                                      "' is not supported (senti implements BertNormalizer)");
  cfg.normalizer.clean_text = get_bool(n, "clean_text", true, origin, "normalizer.");
  cfg.normalizer.handle_chinese_chars = get_bool(n, "handle_chinese_chars", true, origin, "normalizer.");
  cfg.normalizer.lowercase = get_bool(n, "lowercase", true, origin, "normalizer.");
  auto sa = n.find("strip_accents");
  if (sa != n.end() && !sa->is_null()) {
    if (!sa->is_boolean()) bad(origin, "normalizer.strip_accents", "expected true, false or null");
    cfg.normalizer.strip_accents = sa->get<bool>();
  }
}

void load_post_processor(const json& p, const Vocab& vocab, TokenizerConfig& cfg, const std::string& origin) {
  cfg.single_template.clear();
  if (p.is_null()) return;
  if (!p.is_object()) bad(origin, "post_processor", "expected an object or null");
  std::string type = get_string(p, "type", "", origin, "post_processor.");
  if (type == "BertProcessing") {
    auto pair_of = [&](const char* key) -> std::pair<std::string, int32_t> {
      const json& v = member(p, key, origin, "post_processor.");
      if (!v.is_array() || v.size() != 2 || !v[0].is_string() || !v[1].is_number_integer())
        bad(origin, std::string("post_processor.") + key, "expected [token, id]");
      return {v[0].get<std::string>(), v[1].get<int32_t>()};
    };
    auto cls = pair_of("cls");
    auto sep = pair_of("sep");
    cfg.single_template = {{false, {cls.second}, 0}, {true, {}, 0}, {false, {sep.second}, 0}};
    return;
  }
  if (type != "TemplateProcessing")
    fail(ErrorCode::kUnsupported, origin + ": post_processor type '" + type +
                                      "' is not supported (senti implements TemplateProcessing and BertProcessing)");
  // special_tokens: name -> {"id", "ids", "tokens"}
  const json& specials = member(p, "special_tokens", origin, "post_processor.");
  if (!specials.is_object()) bad(origin, "post_processor.special_tokens", "expected an object");
  const json& single = member(p, "single", origin, "post_processor.");
  if (!single.is_array()) bad(origin, "post_processor.single", "expected an array");
  for (size_t i = 0; i < single.size(); ++i) {
    const json& item = single[i];
    std::string field = "post_processor.single[" + std::to_string(i) + "]";
    if (!item.is_object() || item.size() != 1) bad(origin, field, "expected {SpecialToken: …} or {Sequence: …}");
    TemplatePiece piece;
    if (auto it = item.find("Sequence"); it != item.end()) {
      std::string id = get_string(*it, "id", "", origin, field + ".Sequence.");
      if (id != "A") bad(origin, field, "a single-sequence template may only use sequence A");
      piece.is_sequence = true;
      piece.type_id = static_cast<int32_t>(get_size(*it, "type_id", 0, origin, field + ".Sequence."));
    } else if (auto st = item.find("SpecialToken"); st != item.end()) {
      std::string name = get_string(*st, "id", "", origin, field + ".SpecialToken.");
      piece.type_id = static_cast<int32_t>(get_size(*st, "type_id", 0, origin, field + ".SpecialToken."));
      auto sp = specials.find(name);
      if (sp == specials.end()) bad(origin, "post_processor.special_tokens", "no entry for '" + name + "'");
      const json& ids = member(*sp, "ids", origin, "post_processor.special_tokens." + name + ".");
      if (!ids.is_array() || ids.empty()) bad(origin, "post_processor.special_tokens." + name + ".ids", "expected a non-empty array");
      for (const auto& v : ids) {
        if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<uint64_t>() >= vocab.size())
          bad(origin, "post_processor.special_tokens." + name + ".ids", "id out of the vocabulary's range");
        piece.ids.push_back(v.get<int32_t>());
      }
    } else {
      bad(origin, field, "expected {SpecialToken: …} or {Sequence: …}");
    }
    cfg.single_template.push_back(std::move(piece));
  }
}

}  // namespace

Tokenizer Tokenizer::from_json(std::string_view text, const std::string& origin) {
  json j = parse_json(text, origin);
  TokenizerConfig cfg;

  const json& model = member(j, "model", origin, "");
  if (!model.is_object()) bad(origin, "model", "expected an object");
  std::string mtype = get_string(model, "type", "WordPiece", origin, "model.");
  if (mtype != "WordPiece")
    fail(ErrorCode::kUnsupported, origin + ": model type '" + mtype + "' is not supported (senti implements WordPiece)");
  cfg.wordpiece.unk_token = get_string(model, "unk_token", "[UNK]", origin, "model.");
  cfg.wordpiece.continuing_subword_prefix = get_string(model, "continuing_subword_prefix", "##", origin, "model.");
  cfg.wordpiece.max_input_chars_per_word = get_size(model, "max_input_chars_per_word", 100, origin, "model.");
  const json& vj = member(model, "vocab", origin, "model.");
  if (!vj.is_object() || vj.empty()) bad(origin, "model.vocab", "expected a non-empty object token -> id");
  std::vector<std::string> tokens(vj.size());
  std::vector<bool> seen(vj.size(), false);
  for (auto it = vj.begin(); it != vj.end(); ++it) {
    if (!it.value().is_number_unsigned() || it.value().get<uint64_t>() >= vj.size())
      bad(origin, "model.vocab[\"" + it.key() + "\"]", "ids must be 0 .. vocab size - 1");
    size_t id = it.value().get<size_t>();
    if (seen[id]) bad(origin, "model.vocab", "id " + std::to_string(id) + " is used twice");
    seen[id] = true;
    tokens[id] = it.key();
  }
  Vocab vocab(std::move(tokens), cfg.wordpiece.continuing_subword_prefix);

  if (auto n = j.find("normalizer"); n != j.end()) load_normalizer(*n, cfg, origin);
  else cfg.normalizer.enabled = false;

  if (auto pt = j.find("pre_tokenizer"); pt != j.end() && !pt->is_null()) {
    std::string t = pt->is_object() ? get_string(*pt, "type", "", origin, "pre_tokenizer.") : "";
    if (t != "BertPreTokenizer")
      fail(ErrorCode::kUnsupported, origin + ": pre_tokenizer type '" + t +
                                        "' is not supported (senti implements BertPreTokenizer)");
  } else {
    cfg.bert_pre_tokenizer = false;
  }

  if (auto at = j.find("added_tokens"); at != j.end() && !at->is_null()) {
    if (!at->is_array()) bad(origin, "added_tokens", "expected an array");
    for (size_t i = 0; i < at->size(); ++i) {
      const json& t = (*at)[i];
      std::string f = "added_tokens[" + std::to_string(i) + "].";
      if (!t.is_object()) bad(origin, f, "expected an object");
      AddedToken tok;
      tok.content = get_string(t, "content", "", origin, f);
      tok.id = static_cast<int32_t>(get_size(t, "id", 0, origin, f));
      tok.special = get_bool(t, "special", false, origin, f);
      tok.single_word = get_bool(t, "single_word", false, origin, f);
      tok.lstrip = get_bool(t, "lstrip", false, origin, f);
      tok.rstrip = get_bool(t, "rstrip", false, origin, f);
      if (tok.content.empty()) bad(origin, f + "content", "must not be empty");
      if (static_cast<size_t>(tok.id) >= vocab.size() || vocab.find(tok.content) != tok.id)
        fail(ErrorCode::kUnsupported, origin + ": added token '" + tok.content + "' (id " + std::to_string(tok.id) +
                                          ") is not the vocabulary entry with that id; tokens outside the WordPiece "
                                          "vocabulary are not supported");
      if (get_bool(t, "normalized", false, origin, f))
        fail(ErrorCode::kUnsupported, origin + ": added token '" + tok.content +
                                          "' has normalized=true; senti matches added tokens in the raw text only");
      cfg.added_tokens.push_back(std::move(tok));
    }
  }

  if (auto pp = j.find("post_processor"); pp != j.end()) load_post_processor(*pp, vocab, cfg, origin);

  if (auto tr = j.find("truncation"); tr != j.end() && !tr->is_null()) {
    if (!tr->is_object()) bad(origin, "truncation", "expected an object or null");
    cfg.truncation.max_length = get_size(*tr, "max_length", 512, origin, "truncation.");
    std::string dir = get_string(*tr, "direction", "Right", origin, "truncation.");
    cfg.truncation.strategy = dir == "Left" ? TruncationStrategy::kTail : TruncationStrategy::kHead;
  }
  if (auto pd = j.find("padding"); pd != j.end() && !pd->is_null()) {
    if (!pd->is_object()) bad(origin, "padding", "expected an object or null");
    const json& strat = member(*pd, "strategy", origin, "padding.");
    if (strat.is_string() && strat.get<std::string>() == "BatchLongest") {
      cfg.padding.strategy = PaddingStrategy::kLongest;
    } else if (strat.is_object() && strat.contains("Fixed")) {
      cfg.padding.strategy = PaddingStrategy::kMaxLength;
      cfg.padding.length = get_size(strat, "Fixed", 0, origin, "padding.strategy.");
    } else {
      bad(origin, "padding.strategy", "expected \"BatchLongest\" or {\"Fixed\": n}");
    }
    cfg.padding.multiple_of = get_size(*pd, "pad_to_multiple_of", 0, origin, "padding.");
    cfg.pad_token = get_string(*pd, "pad_token", "[PAD]", origin, "padding.");
  }
  return Tokenizer(std::move(vocab), std::move(cfg));
}

Tokenizer Tokenizer::from_json_file(const std::string& path) { return from_json(read_file(path), path); }

namespace {
std::string dirname_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// A special token in tokenizer_config.json is a string or an AddedToken-like {"content": …}.
std::string special_token(const json& cfg, const char* key, const std::string& def, const std::string& origin) {
  auto it = cfg.find(key);
  if (it == cfg.end() || it->is_null()) return def;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object()) return get_string(*it, "content", def, origin, std::string(key) + ".");
  bad(origin, key, "expected a string or an object with 'content'");
}
}  // namespace

Tokenizer Tokenizer::from_vocab_file(const std::string& vocab_path) {
  Vocab vocab = Vocab::from_file(vocab_path);
  TokenizerConfig cfg;
  const std::string dir = dirname_of(vocab_path);
  json tc = json::object();
  for (const char* name : {"special_tokens_map.json", "tokenizer_config.json"}) {
    std::string p = dir + "/" + name;
    if (!file_exists(p)) continue;
    json j = parse_json(read_file(p), p);
    for (auto it = j.begin(); it != j.end(); ++it) tc[it.key()] = it.value();  // config wins
  }
  const std::string origin = dir + "/tokenizer_config.json";
  cfg.normalizer.lowercase = get_bool(tc, "do_lower_case", true, origin, "");
  cfg.normalizer.handle_chinese_chars = get_bool(tc, "tokenize_chinese_chars", true, origin, "");
  if (auto sa = tc.find("strip_accents"); sa != tc.end() && !sa->is_null()) {
    if (!sa->is_boolean()) bad(origin, "strip_accents", "expected true, false or null");
    cfg.normalizer.strip_accents = sa->get<bool>();
  }
  if (auto m = tc.find("model_max_length"); m != tc.end() && m->is_number()) {
    double v = m->get<double>();  // transformers writes 1e30 for "no limit"
    cfg.model_max_length = v > 0 && v < 1e9 ? static_cast<size_t>(v) : 0;
  }
  cfg.wordpiece.unk_token = special_token(tc, "unk_token", "[UNK]", origin);
  cfg.pad_token = special_token(tc, "pad_token", "[PAD]", origin);
  const std::string cls = special_token(tc, "cls_token", "[CLS]", origin);
  const std::string sep = special_token(tc, "sep_token", "[SEP]", origin);
  const std::string mask = special_token(tc, "mask_token", "[MASK]", origin);
  // transformers' BertTokenizerFast registers the special tokens as added tokens (in
  // this order, each normalized=false) and builds the [CLS] $A [SEP] template.
  for (const std::string& t : {cfg.pad_token, cfg.wordpiece.unk_token, cls, sep, mask}) {
    int32_t id = vocab.find(t);
    if (id >= 0) cfg.added_tokens.push_back({t, id, true, false, false, false});
  }
  int32_t cls_id = vocab.find(cls), sep_id = vocab.find(sep);
  if (cls_id < 0 || sep_id < 0)
    fail(ErrorCode::kParse, vocab_path + ": the special tokens '" + cls + "' and '" + sep + "' must be in the vocabulary");
  cfg.single_template = {{false, {cls_id}, 0}, {true, {}, 0}, {false, {sep_id}, 0}};
  return Tokenizer(std::move(vocab), std::move(cfg));
}

Tokenizer Tokenizer::from_path(const std::string& path) {
  if (is_directory(path)) {
    if (file_exists(path + "/tokenizer.json")) {
      Tokenizer t = from_json_file(path + "/tokenizer.json");
      // tokenizer_config.json may still carry model_max_length.
      if (file_exists(path + "/tokenizer_config.json")) {
        json tc = parse_json(read_file(path + "/tokenizer_config.json"), path + "/tokenizer_config.json");
        if (auto m = tc.find("model_max_length"); m != tc.end() && m->is_number()) {
          double v = m->get<double>();
          t.config_.model_max_length = v > 0 && v < 1e9 ? static_cast<size_t>(v) : 0;
        }
      }
      return t;
    }
    if (file_exists(path + "/vocab.txt")) return from_vocab_file(path + "/vocab.txt");
    fail(ErrorCode::kNotFound, "'" + path + "' has neither tokenizer.json nor vocab.txt");
  }
  if (path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0) return from_json_file(path);
  return from_vocab_file(path);
}

}  // namespace senti::text
