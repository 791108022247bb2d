// What fine-tuning and pretraining share around the loop: checkpoints, tokenizer files in the
// output folder, and seed mixing. A checkpoint is a folder holding the model
// (config.json, model.safetensors), the AdamW moments (optimizer.safetensors) and the loop's
// own state (trainer_state.json, JSON the caller writes and reads), replaced atomically, so an
// interruption at any moment leaves the previous complete checkpoint.
#pragma once
#include <functional>
#include <string>

#include "model/trainable.h"
#include "train/optimizer.h"

namespace senti::train {

// `state_json` is a JSON object; the optimizer's step count is added to it.
// `extra`, when given, writes further files into the folder before it replaces the previous one.
void save_checkpoint(const std::string& dir, const model::TrainableDistilBert& m, const AdamW& opt,
                     const std::string& state_json, const std::function<void(const std::string&)>& extra = {});
// The model and optimizer files alone (model.safetensors, config.json, optimizer.safetensors)
// into / from `dir`: what save_checkpoint writes, for a second model kept in a subfolder.
void save_weights_and_moments(const std::string& dir, const model::TrainableDistilBert& m, const AdamW& opt);
void load_weights_and_moments(const std::string& dir, model::TrainableDistilBert& m, AdamW& opt, int64_t optimizer_steps);
// Restores the weights and the optimizer from `dir` and returns trainer_state.json's text, or
// an empty string when `dir` holds no checkpoint. Throws senti::Error on a damaged one.
std::string load_checkpoint(const std::string& dir, model::TrainableDistilBert& m, AdamW& opt);

// Copies vocab.txt / tokenizer.json / special_tokens_map.json from `from` (a folder) into `to`,
// and writes tokenizer_config.json (lower-casing, model_max_length, DistilBertTokenizer).
void copy_tokenizer_files(const std::string& from, const std::string& to, size_t max_length);

// A well-mixed seed for the n-th item of a stream (dropout per micro-batch, masks per sequence).
uint64_t mix_seed(uint64_t seed, uint64_t n);

}  // namespace senti::train
