// `senti tokenize`: texts in, one JSON line per text out (ids, tokens, offsets).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "input.h"
#include "text/tokenizer.h"
#include "util/error.h"
#include "util/thread_pool.h"

namespace senti::cli {

namespace {
struct TokenizeArgs {
  CommonOptions common;
  std::vector<std::string> texts;
  std::string tokenizer;
  std::string file;
  size_t max_length = 0;
  std::string truncation = "head+tail";
  size_t head_tokens = 0;
  bool no_special = false;
};

std::string to_json_line(const text::Tokenizer& tok, const text::Encoding& e) {
  nlohmann::json j;
  j["ids"] = e.ids;
  auto& tokens = j["tokens"] = nlohmann::json::array();
  for (int32_t id : e.ids) tokens.push_back(tok.id_to_token(id));
  auto& offsets = j["offsets"] = nlohmann::json::array();
  for (auto [s, t] : e.offsets) offsets.push_back({s, t});
  auto& bytes = j["byte_offsets"] = nlohmann::json::array();
  for (auto [s, t] : e.byte_offsets) bytes.push_back({s, t});
  if (e.num_truncated) j["num_truncated"] = e.num_truncated;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int run(const TokenizeArgs& a) {
  int threads = apply_common_options(a.common);
  if (a.tokenizer.empty())
    fail(ErrorCode::kInvalidArgument,
         "no tokenizer given: pass --tokenizer PATH (tokenizer.json, vocab.txt, or a model folder)");
  text::Tokenizer tok = text::Tokenizer::from_path(a.tokenizer);
  text::EncodeOptions opts = tok.default_options();
  opts.add_special_tokens = !a.no_special;
  if (a.max_length > 0) {
    opts.truncation.max_length = a.max_length;
    opts.truncation.strategy = *text::parse_truncation(a.truncation);
    opts.truncation.head_tokens = a.head_tokens;
  }
  ThreadPool pool(threads);
  auto emit = [&](const std::vector<std::string>& texts) {
    std::vector<std::string_view> views(texts.begin(), texts.end());
    auto encs = tok.encode_batch(views, opts, {}, &pool);
    for (const auto& e : encs) {
      std::string line = to_json_line(tok, e);
      line.push_back('\n');
      std::fwrite(line.data(), 1, line.size(), stdout);
    }
  };
  if (!a.texts.empty()) {
    emit(a.texts);
  } else {
    TextReader reader(a.file);
    std::vector<std::string> chunk;
    while (chunk.clear(), reader.next_chunk(chunk, 4096)) emit(chunk);
  }
  if (std::fflush(stdout) != 0) fail(ErrorCode::kIo, "cannot write to stdout");
  return kExitOk;
}
}  // namespace

Action register_tokenize(CLI::App& app) {
  auto a = std::make_shared<TokenizeArgs>();
  CLI::App* cmd = app.add_subcommand("tokenize", "Tokenize texts; prints one JSON line per text "
                                                 "(ids, tokens, code-point and byte offsets)");
  cmd->add_option("texts", a->texts, "Texts to tokenize (default: read --file or stdin, one per line or JSONL {\"text\": ...})");
  cmd->add_option("--tokenizer", a->tokenizer, "tokenizer.json, vocab.txt, or a model folder holding either")->required();
  cmd->add_option("-f,--file", a->file, "Read texts from this file ('-' = stdin)");
  cmd->add_option("--max-length", a->max_length, "Truncate to this many tokens including [CLS]/[SEP] (0 = no truncation)")
      ->capture_default_str();
  cmd->add_option("--truncation", a->truncation, "Which tokens to keep: head, tail, head+tail")
      ->check(CLI::IsMember({"head", "tail", "head+tail"}))
      ->capture_default_str();
  cmd->add_option("--head-tokens", a->head_tokens, "head+tail: content tokens kept from the start (0 = 128/510 of the budget)")
      ->capture_default_str();
  cmd->add_flag("--no-special-tokens", a->no_special, "Do not add [CLS]/[SEP]");
  add_common_options(*cmd, a->common);
  return [a] { return run(*a); };
}

}  // namespace senti::cli
