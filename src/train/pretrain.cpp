#include "train/pretrain.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "data/text_source.h"
#include "kernels/runtime.h"
#include "model/trainable.h"
#include "text/tokenizer.h"
#include "train/checkpoint.h"
#include "train/electra.h"
#include "train/loop.h"
#include "train/ranks.h"
#include "train/pretrain_data.h"
#include "util/error.h"
#include "util/file.h"
#include "util/log.h"
#include "util/progress.h"
#include "util/thread_pool.h"

namespace senti::train {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::optional<PretrainObjective> parse_pretrain_objective(const std::string& name) {
  if (name == "mlm") return PretrainObjective::kMlm;
  if (name == "electra") return PretrainObjective::kElectra;
  return std::nullopt;
}

MaskedWindow mask_for_mlm(const std::vector<int32_t>& ids, const std::vector<bool>& maskable, double prob,
                          int32_t mask_id, int32_t vocab_size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  MaskedWindow w{ids, std::vector<int32_t>(ids.size(), model::TrainBatch::kIgnore)};
  std::vector<size_t> candidates;
  for (size_t i = 0; i < ids.size(); ++i)
    if (maskable[i]) candidates.push_back(i);
  if (candidates.empty()) return w;
  std::vector<size_t> chosen;
  for (size_t i : candidates)
    if (u(rng) < prob) chosen.push_back(i);
  if (chosen.empty()) chosen.push_back(candidates[rng() % candidates.size()]);
  for (size_t i : chosen) {
    w.labels[i] = ids[i];
    const double r = u(rng);
    if (r < 0.8) w.input[i] = mask_id;
    else if (r < 0.9) w.input[i] = static_cast<int32_t>(rng() % static_cast<uint64_t>(vocab_size));
  }
  return w;
}

uint64_t validation_seed(const PretrainOptions& o) {
  return o.validation_seed >= 0 ? static_cast<uint64_t>(o.validation_seed) : o.seed;
}

namespace {

// Mean loss over the validation windows' masked tokens, with masks fixed by the seed.
double validation_loss(model::TrainableDistilBert& m, const Windows& val, const Masker& masker, uint64_t seed) {
  double total = 0;
  size_t count = 0;
  for (size_t i = 0; i < val.ids.size(); i += 64) {
    std::vector<size_t> idx;
    for (size_t k = i; k < std::min(val.ids.size(), i + 64); ++k) idx.push_back(k);
    model::TrainBatch b = masker.batch(val, idx, seed);
    size_t n = 0;
    for (const auto& l : b.mlm_labels)
      for (int32_t v : l) n += v != model::TrainBatch::kIgnore;
    total += m.pretraining_loss(b) * static_cast<double>(n);
    count += n;
  }
  return count ? total / static_cast<double>(count) : NAN;
}

std::string fingerprint(const PretrainOptions& o) {
  json j{{"config", o.config}, {"base_model", o.base_model}, {"tokenizer", o.tokenizer}, {"data", o.data},
              {"validation_fraction", o.validation_fraction}, {"epochs", o.epochs}, {"batch_size", o.batch_size},
              {"grad_accum", o.grad_accum}, {"max_length", o.max_length}, {"mask_prob", o.mask_prob},
              {"lr", o.adam.lr}, {"weight_decay", o.adam.weight_decay}, {"adam_eps", o.adam.eps},
              {"warmup_ratio", o.warmup_ratio}, {"max_grad_norm", o.max_grad_norm}, {"seed", o.seed}};
  // Keys added since: written only when they differ from the old behaviour, so earlier
  // checkpoints still resume.
  if (o.steps > 0) j["steps"] = o.steps;
  if (o.validation_seed >= 0 && static_cast<uint64_t>(o.validation_seed) != o.seed) j["validation_seed"] = o.validation_seed;
  if (o.objective == PretrainObjective::kElectra) {
    j["objective"] = "electra";
    j["generator_layers"] = o.generator_layers;
    j["generator_hidden_dim"] = o.generator_hidden_dim;
    j["rtd_weight"] = o.rtd_weight;
  }
  return j.dump();
}

// Masked-LM pretraining as the training loop sees it: shuffled windows with new masks every
// epoch, the validation loss with fixed masks, the encoder saved after each epoch.
class MlmObjective : public WindowObjective {
 public:
  MlmObjective(model::TrainableDistilBert& model, const PretrainOptions& o, const Windows& train, const Windows& val,
               const Masker& masker, const std::string& tok_dir)
      : WindowObjective(o, train, val, masker, tok_dir), model_(model) {}

  double micro_batch(size_t index, uint64_t dropout_seed, size_t& tokens) override {
    std::vector<size_t> idx;
    const model::TrainBatch b = masked_batch(index, idx);
    for (const auto& s : b.sequences) tokens += s.size();
    return model_.forward_backward(b, dropout_seed);
  }

  bool end_epoch(LoopState& s, double train_seconds) override {
    const auto t0 = Clock::now();
    const double vl = validation_loss(model_, val_, masker_, validation_seed(o_));
    const double seconds = train_seconds + std::chrono::duration<double>(Clock::now() - t0).count();
    s.epochs.push_back({{"epoch", s.epoch + 1}, {"step", s.step}, {"seconds", seconds},
                        {"validation_loss", std::isnan(vl) ? json(nullptr) : json(vl)},
                        {"validation_perplexity", std::isnan(vl) ? json(nullptr) : json(std::exp(vl))}});
    char line[160];
    std::snprintf(line, sizeof line, "epoch %d: validation MLM loss %.4f, perplexity %.2f (%.0f s)", s.epoch + 1, vl,
                  std::exp(vl), seconds);
    log::info(line);
    model_.save(o_.out_dir);
    copy_tokenizer_files(tok_dir_, o_.out_dir, o_.max_length);
    last_validation_loss = vl;
    return false;
  }

  double last_validation_loss = 0;  // after the last epoch

 private:
  model::TrainableDistilBert& model_;
};

// The options' own consistency, before anything is read.
void check_options(const PretrainOptions& o) {
  if (o.out_dir.empty()) fail(ErrorCode::kInvalidArgument, "no output folder given");
  if (o.config.empty() == o.base_model.empty())
    fail(ErrorCode::kInvalidArgument, "give either a config (a fresh model) or a checkpoint to continue from, not both");
  if (o.data.empty()) fail(ErrorCode::kInvalidArgument, "no training text given");
  if (o.steps < 0) fail(ErrorCode::kInvalidArgument, "the number of steps must be at least 0");
  if (o.objective == PretrainObjective::kElectra && !(o.rtd_weight > 0))
    fail(ErrorCode::kInvalidArgument, "the replaced-token loss weight must be positive");
  if (o.generator_layers < 0 || o.generator_hidden_dim < 0)
    fail(ErrorCode::kInvalidArgument, "the generator's layers and FFN width must be at least 0 (0 = a quarter of the encoder's)");
  if (o.batch_size == 0 || o.grad_accum < 1 || o.epochs < 1)
    fail(ErrorCode::kInvalidArgument, "the batch size, gradient accumulation and epochs must each be at least 1");
  if (o.max_length < 10) fail(ErrorCode::kInvalidArgument, "the maximum length must be at least 10 tokens");
  if (!(o.mask_prob > 0 && o.mask_prob < 1)) fail(ErrorCode::kInvalidArgument, "the masking probability must be in (0, 1)");
}

// ELECTRA's generator: continued from the base model's generator/ folder when there is one,
// else fresh from the discriminator's config.
std::unique_ptr<model::TrainableDistilBert> make_generator(const PretrainOptions& o, const model::DistilBertConfig& cfg) {
  std::unique_ptr<model::TrainableDistilBert> gen;
  const std::string gen_dir = o.base_model + "/generator";
  if (!o.base_model.empty() && file_exists(gen_dir + "/model.safetensors")) {
    gen = model::TrainableDistilBert::from_checkpoint_pretraining(gen_dir, model::Task::kMaskedLM, o.seed + 1);
  } else {
    gen = model::TrainableDistilBert::from_config(generator_config(cfg, o.generator_layers, o.generator_hidden_dim),
                                                  o.seed + 1, model::Task::kMaskedLM);
  }
  size_t gen_params = 0;  // its own: the embedding module is the discriminator's
  for (const auto& p : gen->params())
    if (p.name.find(".embeddings.") == std::string::npos) gen_params += static_cast<size_t>(p.value.numel());
  char line[200];
  std::snprintf(line, sizeof line, "ELECTRA generator: %lld layer(s), FFN %lld, %zu parameters of its own (the "
                "embeddings shared); discriminator loss weight %g", static_cast<long long>(gen->config().n_layers),
                static_cast<long long>(gen->config().hidden_dim), gen_params, o.rtd_weight);
  log::info(line);
  return gen;
}

// What masking does: the probability, and the tokens it never picks (the special ones). ELECTRA's
// generator reads every chosen position as [MASK].
Masker make_masker(const PretrainOptions& o, const text::Tokenizer& tok, const std::string& tok_dir, int64_t vocab_size,
                   bool mask_all) {
  Masker masker;
  masker.mask_id = tok.token_to_id("[MASK]");
  if (masker.mask_id < 0) fail(ErrorCode::kInvalidArgument, tok_dir + ": the tokenizer has no [MASK] token");
  masker.vocab_size = static_cast<int32_t>(vocab_size);
  masker.prob = o.mask_prob;
  masker.mask_all = mask_all;
  masker.special.assign(static_cast<size_t>(vocab_size), false);
  for (const char* t : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"})
    if (int32_t id = tok.token_to_id(t); id >= 0) masker.special[static_cast<size_t>(id)] = true;
  return masker;
}

// Every text of the data, a fraction held out (chosen by seed), cut into windows.
void read_windows(const PretrainOptions& o, const text::Tokenizer& tok, ThreadPool& pool, Windows& train, Windows& val) {
  std::vector<std::string> train_texts, val_texts;
  std::mt19937_64 split_rng(validation_seed(o) ^ 0x5eed5eedull);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (const auto& path : o.data)
    data::for_each_text(path, [&](std::string_view text, const std::string&) {
      (u(split_rng) < o.validation_fraction ? val_texts : train_texts).emplace_back(text);
    });
  if (train_texts.empty()) fail(ErrorCode::kInvalidArgument, "no training texts in the data given");
  train = make_windows(tok, train_texts, o.max_length, pool);
  val = make_windows(tok, val_texts, o.max_length, pool);
  log::info("data: " + std::to_string(train_texts.size()) + " texts -> " + std::to_string(train.ids.size()) + " windows (" +
            std::to_string(train.tokens) + " tokens) for training, " + std::to_string(val_texts.size()) + " texts -> " +
            std::to_string(val.ids.size()) + " windows for validation");
}

// pretrain_metrics.json (every step, every epoch) and pretrain_args.json (the options and the data's size).
void write_records(const PretrainOptions& o, const LoopState& s, const std::string& fp, int threads, bool bf16,
                   const Windows& train, const Windows& val) {
  json steps = json::array();
  for (const auto& st : s.steps) steps.push_back(step_to_json(st));
  write_file_atomic(o.out_dir + "/pretrain_metrics.json", json{{"steps", steps}, {"epochs", s.epochs}}.dump() + "\n");
  json args = json::parse(fp);
  args["threads"] = threads;
  args["matrix_products"] = bf16 ? "bf16" : "f32";  // what ran: --bf16 falls back to f32 without AVX-512
  args["train_windows"] = train.ids.size();
  args["validation_windows"] = val.ids.size();
  args["train_tokens"] = train.tokens;
  write_file_atomic(o.out_dir + "/pretrain_args.json", args.dump(2) + "\n");
}

}  // namespace

PretrainResult pretrain(const PretrainOptions& o) {
  const auto t_start = Clock::now();
  check_options(o);
  const int threads = resolve_threads(o.threads);
  kernels::set_num_threads(threads);
  const bool bf16 = use_training_precision(o.bf16);
  ThreadPool pool(threads);
  fs::create_directories(o.out_dir);

  // Model and tokenizer.
  std::string tok_dir = o.tokenizer;
  if (tok_dir.empty()) tok_dir = o.base_model.empty() ? fs::path(o.config).parent_path().string() : o.base_model;
  if (tok_dir.empty()) tok_dir = ".";
  text::Tokenizer tok = text::Tokenizer::from_path(tok_dir);
  const bool electra = o.objective == PretrainObjective::kElectra;
  const model::Task task = electra ? model::Task::kReplacedTokenDetection : model::Task::kMaskedLM;
  std::unique_ptr<model::TrainableDistilBert> model;
  if (!o.base_model.empty()) {
    model = model::TrainableDistilBert::from_checkpoint_pretraining(o.base_model, task, o.seed);
  } else {
    model::DistilBertConfig config = model::DistilBertConfig::from_file(o.config);
    model = model::TrainableDistilBert::from_config(config, o.seed, task);
  }
  const auto& cfg = model->config();
  if (static_cast<int64_t>(tok.vocab().size()) != cfg.vocab_size)
    fail(ErrorCode::kParse, tok_dir + ": the tokenizer has " + std::to_string(tok.vocab().size()) +
                                          " tokens but the model's vocab_size is " + std::to_string(cfg.vocab_size));
  if (static_cast<int64_t>(o.max_length) > cfg.max_position_embeddings)
    fail(ErrorCode::kInvalidArgument, "the maximum length " + std::to_string(o.max_length) + " exceeds the model's max_position_embeddings " +
                                          std::to_string(cfg.max_position_embeddings));
  const Masker masker = make_masker(o, tok, tok_dir, cfg.vocab_size, electra);
  Windows train, val;
  read_windows(o, tok, pool, train, val);

  size_t params = 0;
  for (const auto& p : model->params()) params += static_cast<size_t>(p.value.numel());
  log::info("model: " + std::to_string(params) + " parameters (dim " + std::to_string(cfg.dim) + ", " +
            std::to_string(cfg.n_layers) + " layers, vocabulary " + std::to_string(cfg.vocab_size) + ")");
  AdamW opt(model->params(), o.adam);
  const std::string fp = fingerprint(o);
  std::unique_ptr<Objective> objective;
  MlmObjective* mlm = nullptr;
  ElectraObjective* el = nullptr;
  if (electra) {
    std::unique_ptr<model::TrainableDistilBert> gen = make_generator(o, cfg);
    auto e = std::make_unique<ElectraObjective>(*model, std::move(gen), o, train, val, masker, tok_dir);
    el = e.get();
    objective = std::move(e);
  } else {
    auto m = std::make_unique<MlmObjective>(*model, o, train, val, masker, tok_dir);
    mlm = m.get();
    objective = std::move(m);
  }
  LoopOptions lo = loop_options(o, (train.ids.size() + o.batch_size - 1) / o.batch_size, o.out_dir + "/checkpoint", fp);
  lo.total_steps = o.steps;
  lo.what = "options";
  lo.progress_label = "pretrain";
  LoopState s;
  const LoopResult loop = run_training_loop(*model, opt, *objective, lo, s);
  PretrainResult result;
  result.train_windows = train.ids.size();
  result.validation_windows = val.ids.size();
  result.steps = s.step;
  result.validation_loss = mlm ? mlm->last_validation_loss : el->last_validation.discriminator_loss;
  if (el) result.generator_loss = el->last_validation.generator_loss;
  if (!loop.finished || !Ranks::world().root()) {  // rank 0 alone writes the records
    result.finished = loop.finished && !Ranks::world().root();
    result.seconds = std::chrono::duration<double>(Clock::now() - t_start).count();
    return result;
  }
  write_records(o, s, fp, threads, bf16, train, val);
  result.finished = true;
  result.seconds = std::chrono::duration<double>(Clock::now() - t_start).count();
  return result;
}

}  // namespace senti::train
