// `senti pretrain`: masked-language-model pretraining of a DistilBERT encoder on raw text;
// prints the final figures as JSON on stdout.
#include <cstdio>

#include "cli.h"
#include "train/pretrain.h"

namespace senti::cli {

Action register_pretrain(CLI::App& app) {
  struct Args {
    CommonOptions common;
    train::PretrainOptions o;
    bool no_progress = false;
    std::string objective = "mlm";
  };
  auto a = std::make_shared<Args>();
  auto& o = a->o;
  CLI::App* cmd = app.add_subcommand(
      "pretrain",
      "Pretrain a DistilBERT encoder on raw text: masked language modelling (DistilBertForMaskedLM: 15 % of tokens "
      "chosen, 80/10/10 mask/random/keep) or ELECTRA's replaced-token detection (a small generator fills masked "
      "positions, the encoder learns to tell every token original or replaced)");
  cmd->add_option("--objective", a->objective, "mlm | electra (electra writes the encoder with its detection head, "
                                               "which `senti train -m` fine-tunes, and the generator in OUT/generator)")
      ->check(CLI::IsMember({"mlm", "electra"}))
      ->capture_default_str();
  auto* config = cmd->add_option("--config", o.config, "config.json of a fresh model (random initialization)");
  cmd->add_option("-m,--model", o.base_model, "Checkpoint folder to continue pretraining from")->excludes(config);
  cmd->add_option("--tokenizer", o.tokenizer, "Folder with vocab.txt or tokenizer.json (default: the model's folder, "
                                              "or the config's)");
  cmd->add_option("--data", o.data, "Raw text: folders of .txt files (one text each, e.g. aclImdb/train/pos), .jsonl "
                                    "({\"text\": ...}) or text files (one text per line); repeatable")->required();
  cmd->add_option("--validation-fraction", o.validation_fraction, "Fraction of texts held out for the validation loss")->capture_default_str();
  cmd->add_option("-o,--out", o.out_dir, "Output folder (DistilBertForMaskedLM in Hugging Face layout, metrics, checkpoint)")->required();
  cmd->add_option("--epochs", o.epochs, "Epochs (new masks every epoch)")->capture_default_str();
  cmd->add_option("-b,--batch-size", o.batch_size, "Windows per micro-batch")->capture_default_str();
  cmd->add_option("--grad-accum", o.grad_accum, "Micro-batches per optimizer step")->capture_default_str();
  cmd->add_option("--max-length", o.max_length, "Tokens per window incl. [CLS]/[SEP]; longer texts become several windows")->capture_default_str();
  cmd->add_option("--mask-prob", o.mask_prob, "Fraction of ordinary tokens chosen for the loss")->capture_default_str();
  cmd->add_option("--lr", o.adam.lr, "Peak learning rate (AdamW)")->capture_default_str();
  cmd->add_option("--weight-decay", o.adam.weight_decay, "AdamW weight decay (not on biases and LayerNorm)")->capture_default_str();
  cmd->add_option("--adam-eps", o.adam.eps, "AdamW epsilon")->capture_default_str();
  cmd->add_option("--warmup-ratio", o.warmup_ratio, "Fraction of steps with linear warmup, then linear decay")->capture_default_str();
  cmd->add_option("--max-grad-norm", o.max_grad_norm, "Gradient clipping (0 = off)")->capture_default_str();
  cmd->add_option("--seed", o.seed, "Seed for initialization, held-out texts, order, masks and dropout")->capture_default_str();
  cmd->add_option("--validation-seed", o.validation_seed, "Seed of the held-out texts and their validation masks "
                                                         "(-1 = --seed): a later piece with a new --seed and the first "
                                                         "piece's validation seed reports a comparable validation loss")
      ->capture_default_str();
  cmd->add_option("--save-steps", o.save_steps, "Checkpoint for --resume every N steps (and after each epoch)")->capture_default_str();
  cmd->add_option("--max-steps", o.max_steps, "Stop after N optimizer steps (0 = all); continue later with --resume")->capture_default_str();
  add_max_time_option(*cmd, o.max_seconds);
  cmd->add_option("--steps", o.steps, "Train for N optimizer steps instead of whole epochs (the schedule spans N; "
                                      "the data repeats as needed; 0 = --epochs). For comparisons at equal time")
      ->capture_default_str();
  cmd->add_option("--generator-layers", o.generator_layers, "ELECTRA generator's layers (0 = a quarter of the "
                                                            "encoder's, at least 1)")->capture_default_str();
  cmd->add_option("--generator-hidden-dim", o.generator_hidden_dim, "ELECTRA generator's FFN width (0 = a quarter of "
                                                                    "the encoder's); its dim is the encoder's, as the "
                                                                    "two share the embeddings")->capture_default_str();
  cmd->add_option("--rtd-weight", o.rtd_weight, "ELECTRA: weight of the replaced-token loss against the generator's "
                                                "MLM loss (the paper's lambda)")->capture_default_str();
  cmd->add_flag("--bf16", o.bf16, "Matrix products on bf16 copies of the operands, accumulated in f32 (weights, gradients "
                                  "and optimizer state stay f32)");
  cmd->add_flag("--resume", o.resume, "Continue from the checkpoint in --out");
  cmd->add_flag("--no-progress", a->no_progress, "No progress bar");
  add_common_options(*cmd, a->common);
  return [a] {
    a->o.threads = apply_training_options(a->common);
    a->o.progress = !a->no_progress && !a->common.quiet;
    a->o.objective = *train::parse_pretrain_objective(a->objective);  // IsMember checked the name
    train::PretrainResult r = train::pretrain(a->o);
    if (!prints_result()) return kExitOk;
    char out[256];
    std::snprintf(out, sizeof out,
                  "{\"finished\": %s, \"steps\": %lld, \"seconds\": %.1f, \"train_windows\": %zu, \"validation_windows\": "
                  "%zu, \"validation_loss\": %.5f%s}\n",
                  r.finished ? "true" : "false", static_cast<long long>(r.steps), r.seconds, r.train_windows,
                  r.validation_windows, r.validation_loss,
                  a->o.objective == train::PretrainObjective::kElectra
                      ? (", \"generator_loss\": " + std::to_string(r.generator_loss)).c_str()
                      : "");
    std::fputs(out, stdout);
    return kExitOk;
  };
}

}  // namespace senti::cli
