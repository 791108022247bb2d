#include "train/electra.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>

#include "model/weight_names.h"
#include "train/checkpoint.h"
#include "train/pretrain.h"
#include "util/error.h"
#include "util/log.h"

namespace senti::train {

using nlohmann::json;

namespace {
std::vector<std::string> tied_names() {
  const auto e = model::hf_names::embeddings(model::hf_names::kTaskPrefix);
  return {e.word, e.position, e.ln_w, e.ln_b};
}

// Draws one id from softmax(logits) (length V).
int32_t sample(const float* logits, int64_t V, std::mt19937_64& rng) {
  const float mx = *std::max_element(logits, logits + V);
  double sum = 0;
  for (int64_t v = 0; v < V; ++v) sum += std::exp(static_cast<double>(logits[v] - mx));
  double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng) * sum;
  for (int64_t v = 0; v < V; ++v) {
    u -= std::exp(static_cast<double>(logits[v] - mx));
    if (u <= 0) return static_cast<int32_t>(v);
  }
  return static_cast<int32_t>(V - 1);
}
}  // namespace

model::DistilBertConfig generator_config(const model::DistilBertConfig& disc, int64_t layers, int64_t hidden_dim) {
  model::DistilBertConfig g = disc;
  g.n_layers = layers > 0 ? layers : std::max<int64_t>(1, disc.n_layers / 4);
  g.hidden_dim = hidden_dim > 0 ? hidden_dim : std::max<int64_t>(1, disc.hidden_dim / 4);
  g.architectures = {"DistilBertForMaskedLM"};
  return g;
}

ElectraObjective::ElectraObjective(model::TrainableDistilBert& discriminator,
                                   std::unique_ptr<model::TrainableDistilBert> generator, const PretrainOptions& o,
                                   const Windows& train, const Windows& val, const Masker& masker, const std::string& tok_dir)
    : WindowObjective(o, train, val, masker, tok_dir), disc_(discriminator), gen_(std::move(generator)) {
  if (disc_.task() != model::Task::kReplacedTokenDetection || gen_->task() != model::Task::kMaskedLM)
    fail(ErrorCode::kInternal, "ELECTRA needs a replaced-token-detection discriminator and a masked-LM generator");
  if (gen_->config().dim != disc_.config().dim || gen_->config().vocab_size != disc_.config().vocab_size ||
      gen_->config().max_position_embeddings != disc_.config().max_position_embeddings)
    fail(ErrorCode::kInvalidArgument, "the ELECTRA generator must have the discriminator's dim, vocabulary and positions "
                                      "(they share the embeddings)");
  tie();
  // The generator's optimizer leaves the shared tables to the discriminator's: their gradients
  // are handed over before each step.
  for (const auto& n : tied_names()) gen_->param(n).trainable = false;
  gen_opt_ = std::make_unique<AdamW>(gen_->params(), o.adam);
  for (const auto& n : tied_names()) gen_->param(n).trainable = true;
  gen_->zero_grad();
}

void ElectraObjective::tie() {
  for (const auto& n : tied_names()) {
    const model::Param& d = disc_.param(n);
    model::Param& g = gen_->param(n);
    std::memcpy(g.value.mutable_data(), d.value.data(), sizeof(float) * static_cast<size_t>(d.value.numel()));
  }
}

model::TrainBatch ElectraObjective::replace(const model::TrainBatch& masked, const std::vector<size_t>& idx,
                                            const Windows& w, const model::Activations& gen, uint64_t seed) const {
  const int64_t V = gen_->config().vocab_size;
  std::mt19937_64 rng(seed);
  model::TrainBatch b;
  b.loss_weight = o_.rtd_weight;
  size_t row = 0;  // the generator's logits rows follow the labelled positions in order
  for (size_t s = 0; s < idx.size(); ++s) {
    std::vector<int32_t> ids = w.ids[idx[s]];
    std::vector<int32_t> labels(ids.size(), 0);
    const auto& lab = masked.mlm_labels[s];
    for (size_t k = 0; k < ids.size(); ++k) {
      if (lab[k] == model::TrainBatch::kIgnore) continue;
      if (row >= gen.mlm_rows.size()) fail(ErrorCode::kInternal, "generator rows and masked positions differ");
      const int32_t drawn = sample(gen.logits.data() + static_cast<int64_t>(row++) * V, V, rng);
      labels[k] = drawn != ids[k];  // a draw of the original token counts as original
      ids[k] = drawn;
    }
    b.sequences.push_back(std::move(ids));
    b.rtd_labels.push_back(std::move(labels));
  }
  return b;
}

double ElectraObjective::micro_batch(size_t index, uint64_t dropout_seed, size_t& tokens) {
  std::vector<size_t> idx;
  const model::TrainBatch masked = masked_batch(index, idx);
  model::Activations ga;
  const double gen_loss = gen_->forward(masked, model::PassMode::kTrain, dropout_seed, ga);
  gen_->backward(ga);
  const model::TrainBatch replaced = replace(masked, idx, train_, ga, mix_seed(dropout_seed, 2));
  for (const auto& s : replaced.sequences) tokens += s.size();
  const double disc_loss = disc_.forward_backward(replaced, mix_seed(dropout_seed, 1));
  gen_sum_ += gen_loss;
  disc_sum_ += disc_loss / o_.rtd_weight;
  ++sum_n_;
  return gen_loss + disc_loss;
}

void ElectraObjective::before_step(const Step& step) {
  for (const auto& n : tied_names()) {
    model::Param& g = gen_->param(n);
    model::Param& d = disc_.param(n);
    if (!d.trainable) continue;  // frozen embeddings: nothing to hand over
    float* dg = d.grad.mutable_data();
    const float* gg = g.grad.data();
    for (int64_t i = 0; i < g.grad.numel(); ++i) dg[i] += gg[i];
  }
  for (const auto& n : tied_names()) {
    model::Param& g = gen_->param(n);
    std::memset(g.grad.mutable_data(), 0, sizeof(float) * static_cast<size_t>(g.grad.numel()));
  }
  optimizer_step(gen_->params(), *gen_opt_, step.micro_batches, step.max_grad_norm, step.step, step.warmup, step.total);
}

void ElectraObjective::after_step() {
  tie();
  gen_->zero_grad();
  // The total the progress line shows hides which part learns: both, every 100 steps.
  if (++steps_seen_ % 100 == 0 && sum_n_ > 0) {
    char line[160];
    std::snprintf(line, sizeof line, "last 100 steps: generator MLM loss %.4f, discriminator loss %.4f (unweighted)",
                  gen_sum_ / static_cast<double>(sum_n_), disc_sum_ / static_cast<double>(sum_n_));
    log::info(line);
    gen_sum_ = disc_sum_ = 0;
    sum_n_ = 0;
  }
}

ElectraValidation ElectraObjective::validate() {
  ElectraValidation v;
  double gen_total = 0, disc_total = 0;
  size_t masked_n = 0, tokens = 0, replaced_n = 0, correct = 0, found = 0;
  for (size_t i = 0; i < val_.ids.size(); i += 64) {
    std::vector<size_t> idx;
    for (size_t k = i; k < std::min(val_.ids.size(), i + 64); ++k) idx.push_back(k);
    const model::TrainBatch masked = masker_.batch(val_, idx, validation_seed(o_));  // fixed masks
    model::Activations ga;
    const double gl = gen_->forward(masked, model::PassMode::kEval, 0, ga);
    gen_total += gl * static_cast<double>(ga.mlm_rows.size());
    masked_n += ga.mlm_rows.size();
    model::TrainBatch replaced = replace(masked, idx, val_, ga, mix_seed(validation_seed(o_), i));
    replaced.loss_weight = 1.0;
    model::Activations da;
    const double dl = disc_.forward(replaced, model::PassMode::kEval, 0, da);
    size_t n = 0;
    for (size_t s = 0; s < replaced.sequences.size(); ++s)
      for (size_t k = 0; k < replaced.sequences[s].size(); ++k, ++n) {
        const int32_t y = replaced.rtd_labels[s][k];
        replaced_n += y;
        found += y == 1 && da.logits[n] > 0;
        correct += (da.logits[n] > 0) == (y == 1);
      }
    disc_total += dl * static_cast<double>(n);
    tokens += n;
  }
  if (masked_n) v.generator_loss = gen_total / static_cast<double>(masked_n);
  if (tokens) {
    v.discriminator_loss = disc_total / static_cast<double>(tokens);
    v.replaced_fraction = static_cast<double>(replaced_n) / static_cast<double>(tokens);
    v.accuracy = static_cast<double>(correct) / static_cast<double>(tokens);
  }
  if (replaced_n) v.replaced_found = static_cast<double>(found) / static_cast<double>(replaced_n);
  return v;
}

bool ElectraObjective::end_epoch(LoopState& s, double train_seconds) {
  const auto t0 = std::chrono::steady_clock::now();
  const ElectraValidation v = validate();
  const double seconds = train_seconds + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  s.epochs.push_back({{"epoch", s.epoch + 1}, {"step", s.step}, {"seconds", seconds},
                      {"validation_generator_loss", v.generator_loss},
                      {"validation_discriminator_loss", v.discriminator_loss},
                      {"validation_replaced_fraction", v.replaced_fraction},
                      {"validation_discriminator_accuracy", v.accuracy},
                      {"validation_replaced_found", v.replaced_found}});
  char line[240];
  std::snprintf(line, sizeof line,
                "epoch %d: validation generator MLM loss %.4f; discriminator loss %.4f, accuracy %.4f, %.1f %% of "
                "the %.1f %% replaced tokens found (%.0f s)",
                s.epoch + 1, v.generator_loss, v.discriminator_loss, v.accuracy, 100 * v.replaced_found,
                100 * v.replaced_fraction, seconds);
  log::info(line);
  disc_.save(o_.out_dir);
  copy_tokenizer_files(tok_dir_, o_.out_dir, o_.max_length);
  std::filesystem::create_directories(o_.out_dir + "/generator");
  gen_->save(o_.out_dir + "/generator");
  copy_tokenizer_files(tok_dir_, o_.out_dir + "/generator", o_.max_length);
  last_validation = v;
  return false;
}

json ElectraObjective::save_state() const { return {{"generator_optimizer_steps", gen_opt_->steps()}}; }

void ElectraObjective::load_state(const json& j) { restored_steps_ = j.at("generator_optimizer_steps").get<int64_t>(); }

void ElectraObjective::save_files(const std::string& checkpoint_dir) const {
  save_weights_and_moments(checkpoint_dir + "/generator", *gen_, *gen_opt_);
}

void ElectraObjective::load_files(const std::string& checkpoint_dir) {
  load_weights_and_moments(checkpoint_dir + "/generator", *gen_, *gen_opt_, restored_steps_);
  tie();
}

}  // namespace senti::train
