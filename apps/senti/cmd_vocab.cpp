// `senti vocab`: train a WordPiece vocabulary (vocab.txt) on a corpus.
#include "cli.h"
#include "data/text_source.h"
#include "text/tokenizer.h"
#include "text/vocab_trainer.h"
#include "util/error.h"
#include "util/log.h"
#include "util/progress.h"

namespace senti::cli {

namespace {
struct VocabArgs {
  CommonOptions common;
  std::string data, out;
  text::VocabTrainerOptions trainer;
  bool cased = false;
};

int run(VocabArgs& a) {
  apply_common_options(a.common);
  if (a.trainer.vocab_size <= a.trainer.special_tokens.size())
    fail(ErrorCode::kInvalidArgument, "--size must exceed the number of special tokens");
  // Normalization as in bert-base-uncased (or cased): a tiny vocabulary suffices here,
  // because only the normalizer and pre-tokenizer are used.
  text::TokenizerConfig cfg;
  cfg.normalizer.lowercase = !a.cased;
  cfg.single_template.clear();
  text::Tokenizer normalizer(text::Vocab({"[UNK]"}), cfg);
  text::VocabTrainer trainer(normalizer, a.trainer);
  Progress progress("counting words", 0, "texts", !a.common.quiet);
  size_t n = data::for_each_text(a.data, [&](std::string_view t, const std::string&) {
    trainer.add_text(t);
    progress.add(1);
  });
  progress.finish();
  log::info("read " + std::to_string(n) + " texts, " + std::to_string(trainer.num_unique_words()) + " distinct words");
  text::Vocab vocab = trainer.train();
  vocab.save(a.out);
  log::info("wrote " + std::to_string(vocab.size()) + " tokens to " + a.out);
  return kExitOk;
}
}  // namespace

Action register_vocab(CLI::App& app) {
  auto a = std::make_shared<VocabArgs>();
  CLI::App* cmd = app.add_subcommand("vocab", "Train a WordPiece vocabulary on a corpus (as HF's WordPieceTrainer)");
  cmd->add_option("--data", a->data, "Folder of .txt files (recursive), a .jsonl file, or a text file (one text per line)")
      ->required();
  cmd->add_option("--size", a->trainer.vocab_size, "Vocabulary size, special tokens included")->capture_default_str();
  cmd->add_option("--out", a->out, "Where to write vocab.txt")->required();
  cmd->add_option("--min-frequency", a->trainer.min_frequency, "Never merge pairs seen fewer times")->capture_default_str();
  cmd->add_option("--limit-alphabet", a->trainer.limit_alphabet, "Keep at most this many distinct characters")
      ->capture_default_str();
  cmd->add_flag("--cased", a->cased, "Keep case (default: lowercase and strip accents, as bert-base-uncased)");
  add_common_options(*cmd, a->common);
  return [a] { return run(*a); };
}

}  // namespace senti::cli
