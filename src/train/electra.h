// ELECTRA pretraining (Clark et al., ICLR 2020) as a training-loop objective: a small masked-LM
// generator fills the masked positions with tokens sampled from its softmax, and the
// discriminator (the DistilBERT encoder being pretrained, the loop's model) tells every token
// whether it was replaced. loss = MLM(generator) + λ·RTD(discriminator), one optimizer step for
// both. The generator shares the discriminator's embedding module (word and position tables and
// their LayerNorm): it has the same width so no projection is needed, and is made small by
// depth and FFN width instead. No data loading, no command line.
#pragma once
#include <memory>
#include <string>

#include "model/trainable.h"
#include "train/loop.h"
#include "train/optimizer.h"
#include "train/pretrain_data.h"

namespace senti::train {

struct PretrainOptions;

// The generator's config from the discriminator's: `layers` and `hidden_dim` (0 = a quarter of
// the discriminator's, at least 1 layer).
model::DistilBertConfig generator_config(const model::DistilBertConfig& disc, int64_t layers, int64_t hidden_dim);

// One validation pass: the generator's MLM loss, the discriminator's RTD loss (unweighted), the
// fraction of tokens replaced, the discriminator's accuracy over all tokens and the fraction of
// replaced tokens it finds.
struct ElectraValidation {
  double generator_loss = 0, discriminator_loss = 0, replaced_fraction = 0, accuracy = 0, replaced_found = 0;
};

class ElectraObjective : public WindowObjective {
 public:
  // `discriminator` is the loop's model (Task::kReplacedTokenDetection); `generator` a masked-LM
  // model of the same dim and vocabulary, whose embedding module is overwritten by the
  // discriminator's here and kept equal to it after every step.
  ElectraObjective(model::TrainableDistilBert& discriminator, std::unique_ptr<model::TrainableDistilBert> generator,
                   const PretrainOptions& o, const Windows& train, const Windows& val, const Masker& masker,
                   const std::string& tok_dir);

  double micro_batch(size_t index, uint64_t dropout_seed, size_t& tokens) override;
  bool end_epoch(LoopState& s, double train_seconds) override;
  nlohmann::json save_state() const override;
  void load_state(const nlohmann::json& j) override;
  void before_step(const Step& step) override;
  void after_step() override;
  void save_files(const std::string& checkpoint_dir) const override;
  void load_files(const std::string& checkpoint_dir) override;
  std::vector<model::Param>* own_params() override { return &gen_->params(); }

  ElectraValidation validate();
  ElectraValidation last_validation;  // after the last epoch

 private:
  // The discriminator's batch from the generator's: sampled tokens at the masked positions,
  // labels 1 where the sample differs from the original.
  model::TrainBatch replace(const model::TrainBatch& masked, const std::vector<size_t>& idx, const Windows& w,
                            const model::Activations& gen, uint64_t seed) const;
  void tie();  // copies the discriminator's embedding module into the generator

  model::TrainableDistilBert& disc_;
  std::unique_ptr<model::TrainableDistilBert> gen_;
  std::unique_ptr<AdamW> gen_opt_;
  int64_t restored_steps_ = 0;
  // Running sums of the two losses since the last log line (every 100 steps).
  double gen_sum_ = 0, disc_sum_ = 0;
  int64_t sum_n_ = 0, steps_seen_ = 0;
};

}  // namespace senti::train
