// Backward pass and optimizer against PyTorch autograd (tools/make-golden-grads.py): the loss
// and every trainable parameter's gradient for one batch, with and without frozen layers, and
// ten AdamW steps (warmup, decay, clipping, weight-decay groups, frozen embeddings + layer 0).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "model/trainable.h"
#include "test_util.h"
#include "train/optimizer.h"

using nlohmann::json;
using namespace senti;

namespace {
std::string model_dir(const std::string& name) { return test::source_dir() + "/tests/fixtures/models/" + name; }

json fixture(const std::string& name) {
  std::ifstream in(model_dir(name) + "/grads.json");
  return json::parse(in);
}

// |got - want| <= 1e-4·|want| + 1e-4·max|want| + 1e-7 per tensor: relative, with an absolute
// floor near zero scaled to the tensor's magnitude, and one for float32 rounding noise (the
// attention key bias has an exactly zero gradient: softmax cancels it; both sides hold noise of
// about 1e-9 there). Reports the worst errors.
void expect_close(const float* got, size_t got_size, const std::vector<float>& want, const std::string& what,
                  double rel = 1e-4) {
  ASSERT_EQ(got_size, want.size()) << what << ": sizes differ";
  ASSERT_FALSE(want.empty()) << what << ": nothing to compare";
  double scale = 0;
  for (float w : want) scale = std::max(scale, std::fabs(double(w)));
  double max_abs = 0, max_rel = 0;
  size_t bad = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double d = std::fabs(double(got[i]) - want[i]);
    max_abs = std::max(max_abs, d);
    if (std::fabs(want[i]) > 1e-2 * scale) max_rel = std::max(max_rel, d / std::fabs(want[i]));
    if (!(d <= rel * std::fabs(want[i]) + rel * scale + 1e-7)) {
      if (++bad <= 3) ADD_FAILURE() << what << "[" << i << "]: got " << got[i] << ", want " << want[i];
    }
  }
  EXPECT_EQ(bad, 0u) << what;
  std::printf("  %-60s max abs %.1e, max rel %.1e\n", what.c_str(), max_abs, max_rel);
}

// Every trainable parameter's gradient against the fixture's, and none for frozen ones.
void expect_param_grads(const model::TrainableDistilBert& m, const json& grads, const std::string& name) {
  size_t checked = 0;
  for (const auto& p : m.params()) {
    auto it = grads.find(p.name);
    if (!p.trainable) {
      EXPECT_EQ(it, grads.end()) << p.name << " is frozen here but trains in PyTorch";
      continue;
    }
    ASSERT_NE(it, grads.end()) << p.name;
    expect_close(p.grad.data(), static_cast<size_t>(p.grad.numel()), it->get<std::vector<float>>(), name + " " + p.name);
    ++checked;
  }
  EXPECT_EQ(checked, grads.size());
}

std::unique_ptr<model::TrainableDistilBert> load(const std::string& name, int frozen_layers, bool frozen_emb,
                                                 model::Task task = model::Task::kSequenceClassification) {
  auto m = task == model::Task::kMaskedLM ? model::TrainableDistilBert::from_checkpoint_pretraining(model_dir(name), model::Task::kMaskedLM, 0)
                                          : model::TrainableDistilBert::from_checkpoint(model_dir(name), {}, 0);
  m->set_dropout(0, 0, 0);
  std::vector<bool> layers(static_cast<size_t>(m->config().n_layers), false);
  for (int i = 0; i < frozen_layers; ++i) layers[i] = true;
  m->set_frozen(frozen_emb, layers);
  return m;
}

class GradGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(GradGolden, LossAndGradientsMatchAutograd) {
  const std::string name = GetParam();
  json f = fixture(name);
  ASSERT_FALSE(f["cases"].empty()) << "the fixture holds no cases";
  for (const auto& c : f["cases"]) {
    auto m = load(name, c["frozen_layers"].get<int>(), c["frozen_embeddings"].get<bool>());
    m->zero_grad();
    model::TrainBatch batch{c["input_ids"].get<std::vector<std::vector<int32_t>>>(),
                            c["labels"].get<std::vector<int32_t>>(), {}, {}};
    double loss = m->forward_backward(batch, 0);
    EXPECT_NEAR(loss, c["loss"].get<double>(), 1e-5 * std::fabs(c["loss"].get<double>()));
    expect_param_grads(*m, c["grads"], name);
  }
}

TEST_P(GradGolden, TenAdamWStepsWithFrozenLayersMatchPyTorch) {
  const std::string name = GetParam();
  json a = fixture(name)["adamw"];
  auto m = load(name, a["frozen_layers"].get<int>(), a["frozen_embeddings"].get<bool>());
  train::AdamWOptions o;
  o.lr = a["lr"].get<double>();
  o.weight_decay = a["weight_decay"].get<double>();
  train::AdamW opt(m->params(), o);
  const int64_t warmup = a["warmup"].get<int64_t>(), total = a["total"].get<int64_t>();
  int64_t step = 0;
  for (const auto& s : a["steps"]) {
    m->zero_grad();
    model::TrainBatch batch{s["input_ids"].get<std::vector<std::vector<int32_t>>>(),
                            s["labels"].get<std::vector<int32_t>>(), {}, {}};
    double loss = m->forward_backward(batch, 0);
    EXPECT_NEAR(loss, s["loss"].get<double>(), 2e-4 * std::fabs(s["loss"].get<double>())) << "step " << step;
    train::clip_grad_norm(m->params(), a["clip"].get<double>());
    opt.step(o.lr * train::linear_schedule(step, warmup, total));
    ++step;
  }
  for (const auto& p : m->params()) {
    // The key bias's gradient is zero in exact arithmetic; Adam normalizes its float noise into
    // lr-sized steps of arbitrary sign, in PyTorch as here, so its final value is not comparable.
    if (!p.trainable || p.name.find("k_lin.bias") != std::string::npos) continue;
    expect_close(p.value.data(), static_cast<size_t>(p.value.numel()), a["final"][p.name].get<std::vector<float>>(), name + " final " + p.name);
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GradGolden, ::testing::Values("tiny-2label", "odd-3label"));

}  // namespace

// The masked-LM head (vocab_transform, GELU, vocab_layer_norm, projector tied to the word
// embeddings) trains as DistilBertForMaskedLM does in PyTorch: loss over the labelled positions,
// and every gradient, the word embeddings' summing the lookup and the tied projector.
TEST(GradGolden, MaskedLmLossAndGradientsMatchAutograd) {
  json f = fixture("tiny-mlm");
  ASSERT_FALSE(f["cases"].empty()) << "the fixture holds no cases";
  for (const auto& c : f["cases"]) {
    auto m = load("tiny-mlm", c["frozen_layers"].get<int>(), c["frozen_embeddings"].get<bool>(), model::Task::kMaskedLM);
    m->zero_grad();
    model::TrainBatch batch{c["input_ids"].get<std::vector<std::vector<int32_t>>>(), {},
                            c["mlm_labels"].get<std::vector<std::vector<int32_t>>>(), {}};
    const double want = c["loss"].get<double>();
    EXPECT_NEAR(m->pretraining_loss(batch), want, 1e-5 * want);
    EXPECT_NEAR(m->forward_backward(batch, 0), want, 1e-5 * want);
    expect_param_grads(*m, c["grads"], "tiny-mlm");
  }
}

// Gradients with respect to the embedding output (what integrated gradients and gradient ×
// input need) match autograd, whatever is frozen, with no parameter gradient computed.
TEST_P(GradGolden, EmbeddingOutputGradientMatchesAutograd) {
  const std::string name = GetParam();
  json f = fixture(name);
  ASSERT_FALSE(f["cases"].empty()) << "the fixture holds no cases";
  for (const auto& c : f["cases"]) {
    auto m = load(name, c["frozen_layers"].get<int>(), c["frozen_embeddings"].get<bool>());
    m->zero_grad();
    model::TrainBatch batch{c["input_ids"].get<std::vector<std::vector<int32_t>>>(),
                            c["labels"].get<std::vector<int32_t>>(), {}, {}};
    std::vector<float> grad, logits;
    const double loss = m->embedding_gradient(batch, nullptr, grad, &logits);
    EXPECT_NEAR(loss, c["loss"].get<double>(), 1e-5 * std::fabs(c["loss"].get<double>()));
    size_t row = 0;
    const size_t D = static_cast<size_t>(m->config().dim);
    for (size_t s = 0; s < batch.sequences.size(); ++s) {
      auto want = c["embedding_output_grad"][s].get<std::vector<float>>();
      ASSERT_EQ(want.size(), batch.sequences[s].size() * D);
      expect_close(grad.data() + row * D, batch.sequences[s].size() * D, want, name + " d/d(embedding output), sequence " + std::to_string(s));
      row += batch.sequences[s].size();
    }
    for (const auto& p : m->params()) {  // no parameter gradient was written
      const float* g = p.grad.data();
      for (int64_t i = 0; i < p.grad.numel(); ++i) ASSERT_EQ(g[i], 0.f) << p.name;
    }
    // Feeding the embedding output back in gives the same gradient.
    std::vector<float> emb, grad2;
    m->embedding_output(batch.sequences, emb);
    m->embedding_gradient(batch, &emb, grad2);
    ASSERT_EQ(grad2.size(), grad.size());
    for (size_t i = 0; i < grad.size(); ++i) ASSERT_NEAR(grad2[i], grad[i], 1e-6f + 1e-5f * std::fabs(grad[i]));
  }
}
