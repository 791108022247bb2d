// The public Classifier API on a tiny golden model: options (top_k, function_to_apply,
// truncation, sliding window), invariants (batch = single, order kept) and load errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <thread>

#include "io/safetensors.h"
#include "kernels/linear.h"
#include "kernels/runtime.h"
#include "model/trainable.h"
#include "senti/classifier.h"
#include "text/tokenizer.h"
#include "test_util.h"
#include "util/error.h"

using namespace senti;

namespace {
std::string fixture(const std::string& name) { return test::source_dir() + "/tests/fixtures/models/" + name; }
}  // namespace

TEST(Classifier, TopKAndScoreFunctions) {
  auto clf = Classifier::load(fixture("odd-3label"), {.threads = 1});
  std::vector<std::string_view> texts = {"the movie was great", "awful"};
  ClassifyOptions o;
  auto top1 = clf->classify(texts, o);
  ASSERT_EQ(top1[0].size(), 1u);
  o.top_k = -1;
  auto all = clf->classify(texts, o);
  ASSERT_EQ(all[0].size(), 3u);
  EXPECT_EQ(all[0][0].label, top1[0][0].label);
  o.function = ScoreFunction::kNone;
  auto raw = clf->classify(texts, o);
  auto logits = clf->logits(texts, o);
  float best = *std::max_element(logits[0].begin(), logits[0].end());
  EXPECT_FLOAT_EQ(raw[0][0].score, best);
  o.function = ScoreFunction::kSigmoid;
  auto sig = clf->classify(texts, o);
  EXPECT_FLOAT_EQ(sig[0][0].score, 1.f / (1.f + std::exp(-best)));
}

TEST(Classifier, BatchEqualsSingleAndKeepsOrder) {
  auto clf = Classifier::load(fixture("tiny-2label"), {.threads = 2});
  std::vector<std::string> texts;
  for (int i = 0; i < 50; ++i) texts.push_back(i % 3 ? "i loved it" : "the plot was boring and the acting was bad");
  std::vector<std::string_view> views(texts.begin(), texts.end());
  auto batch = clf->logits(views);
  for (size_t i = 0; i < texts.size(); ++i) {
    auto single = clf->logits({views[i]});
    for (size_t l = 0; l < 2; ++l) EXPECT_NEAR(batch[i][l], single[0][l], 1e-5f);
  }
}

// The thread count is a per-thread OpenMP setting: a forward pass on a thread other than the
// loader's (the server's batcher, a Python thread) must still run with the Classifier's count,
// not every hardware thread (two 1-thread servers on two cores each ran 2 spinning threads).
// --dtype bf16 on a CPU whose oneDNN cannot run it (no AVX-512): the classifier answers in f32,
// says so in its info, and gives f32's numbers; where bf16 runs, it runs bf16.
TEST(Classifier, Bf16FallsBackToF32WhereThisCpuCannotRunIt) {
  auto f32 = Classifier::load(fixture("tiny-2label"), {.threads = 1});
  auto bf16 = Classifier::load(fixture("tiny-2label"), {.threads = 1, .dtype = "bf16"});
  const bool available = kernels::compute_type_available(kernels::ComputeType::kBf16);
  EXPECT_EQ(bf16->info().compute_dtype, available ? "bf16" : "f32");
  const std::vector<std::string_view> texts = {"a good movie", "the plot was boring"};
  const auto a = f32->logits(texts), b = bf16->logits(texts);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t l = 0; l < a[i].size(); ++l) {
      if (!available) {
        EXPECT_EQ(a[i][l], b[i][l]) << i << " " << l;
      }
      EXPECT_NEAR(a[i][l], b[i][l], 0.05) << i << " " << l;
    }
}

TEST(Classifier, AnotherThreadRunsWithTheClassifiersThreadCount) {
  auto clf = Classifier::load(fixture("tiny-2label"), {.threads = 3});
  int seen = -1;
  std::thread other([&] {
    clf->logits({std::string_view("i loved it")});
    seen = kernels::num_threads();
  });
  other.join();
  EXPECT_EQ(seen, 3);
}

TEST(Classifier, LongTextsAreTruncatedOrWindowedNeverACrash) {
  auto clf = Classifier::load(fixture("tiny-2label"), {.threads = 1});  // max_position_embeddings 64
  const auto tok = text::Tokenizer::from_path(fixture("tiny-2label"));
  std::string long_text;
  for (int i = 0; i < 500; ++i) long_text += i % 7 < 3 ? "good " : "bad ";
  std::vector<std::string_view> t = {long_text};
  // The content tokens, and what each strategy must keep of them: 62 of 64 positions (the
  // template adds [CLS] and [SEP]); head+tail keeps round(62 * 128 / 510) = 16 from the start.
  text::EncodeOptions raw;
  raw.add_special_tokens = false;
  const std::vector<int32_t> content = tok.encode(long_text, raw).ids;
  ASSERT_GT(content.size(), 62u);
  const int32_t cls = tok.token_to_id("[CLS]"), sep = tok.token_to_id("[SEP]");
  auto framed = [&](std::vector<int32_t> ids) {
    ids.insert(ids.begin(), cls);
    ids.push_back(sep);
    return ids;
  };
  const std::vector<int32_t> head(content.begin(), content.begin() + 62), tail(content.end() - 62, content.end());
  std::vector<int32_t> head_tail(content.begin(), content.begin() + 16);
  head_tail.insert(head_tail.end(), content.end() - 46, content.end());
  ASSERT_NE(head, tail);  // the text tells the strategies apart
  ClassifyOptions o;
  for (auto [tr, want] : {std::pair{Truncation::kHead, head}, {Truncation::kTail, tail}, {Truncation::kHeadTail, head_tail}}) {
    o.truncation = tr;
    TokenizedText tt = clf->tokenize(long_text, o);
    ASSERT_EQ(tt.windows.size(), 1u);
    EXPECT_EQ(tt.windows[0], framed(want)) << static_cast<int>(tr);
    EXPECT_EQ(tt.truncated, content.size() - 62);
    // The logits are those of exactly that selection.
    TokenizedText sel;
    sel.windows = {framed(want)};
    EXPECT_EQ(clf->logits(t, o)[0], clf->logits(std::vector<const TokenizedText*>{&sel})[0]);
  }
  // A window covering the whole (short) text equals plain truncation.
  o = {};
  o.window = 64;
  o.stride = 16;
  std::vector<std::string_view> s = {"the movie was great"};
  auto w = clf->logits(s, o)[0];
  auto plain = clf->logits(s)[0];
  EXPECT_NEAR(w[0], plain[0], 1e-6f);
  // Windows over a long text: 62 content tokens each, 16 shared, logits averaged.
  TokenizedText tw = clf->tokenize(long_text, o);
  std::vector<std::vector<int32_t>> want_windows;
  for (size_t start = 0;; start += 46) {
    const size_t end = std::min(content.size(), start + 62);
    want_windows.push_back(framed(std::vector<int32_t>(content.begin() + static_cast<long>(start), content.begin() + static_cast<long>(end))));
    if (end >= content.size()) break;
  }
  ASSERT_EQ(tw.windows, want_windows);
  std::vector<double> mean(2, 0.0);
  for (const auto& win : want_windows) {
    TokenizedText one;
    one.windows = {win};
    auto l = clf->logits(std::vector<const TokenizedText*>{&one})[0];
    for (size_t k = 0; k < 2; ++k) mean[k] += l[k] / static_cast<double>(want_windows.size());
  }
  auto lw = clf->logits(t, o)[0];
  for (size_t k = 0; k < 2; ++k) EXPECT_NEAR(lw[k], mean[k], 1e-5 * (1 + std::fabs(mean[k])));
  o.stride = 62;
  EXPECT_THROW(clf->logits(t, o), Error);
}

TEST(Classifier, LoadErrorsAreClear) {
  try {
    Classifier::load("/nonexistent");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent"), std::string::npos);
  }
  try {
    Classifier::load(fixture("tiny-mlm"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no sequence-classification head"), std::string::npos) << e.what();
  }
}

TEST(Classifier, WrongShapesAndMissingTensorsNameTheTensor) {
  std::string dir = ::testing::TempDir() + "/broken_model";
  std::system(("rm -rf " + dir + " && cp -r " + fixture("tiny-2label") + " " + dir).c_str());
  std::system(("sed -i 's/\"hidden_dim\": 64/\"hidden_dim\": 65/' " + dir + "/config.json").c_str());
  try {
    Classifier::load(dir);
    FAIL();
  } catch (const Error& e) {
    const std::string m = e.what();  // names the tensor (weight or bias of lin1) and both shapes
    EXPECT_NE(m.find("tensor 'distilbert.transformer.layer.0.ffn.lin1."), std::string::npos) << m;
    EXPECT_NE(m.find("has shape [64"), std::string::npos) << m;
    EXPECT_NE(m.find("expected [65"), std::string::npos) << m;
  }
  std::system(("sed -i 's/\"hidden_dim\": 65/\"hidden_dim\": 64/; s/\"n_layers\": 2/\"n_layers\": 3/' " + dir + "/config.json").c_str());
  try {
    Classifier::load(dir);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing tensor 'distilbert.transformer.layer.2."), std::string::npos) << e.what();
  }
}

TEST(Classifier, ConfigWithFewerLayersThanTheWeightsIsAnError) {
  std::string dir = ::testing::TempDir() + "/fewer_layers_model";
  std::system(("rm -rf " + dir + " && cp -r " + fixture("tiny-2label") + " " + dir).c_str());
  std::system(("sed -i 's/\"n_layers\": 2/\"n_layers\": 1/' " + dir + "/config.json").c_str());
  for (int task = 0; task < 2; ++task) {
    try {
      if (task == 0) Classifier::load(dir);
      else model::TrainableDistilBert::from_checkpoint(dir, {}, 1);
      ADD_FAILURE() << "loaded 2 layers of weights under n_layers 1";
    } catch (const Error& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("distilbert.transformer.layer.1."), std::string::npos) << m;
      EXPECT_NE(m.find("n_layers 1"), std::string::npos) << m;
    }
  }
}

TEST(Classifier, NonFiniteWeightsAreAnErrorAtLoad) {
  std::string dir = ::testing::TempDir() + "/nan_model";
  std::system(("rm -rf " + dir + " && cp -r " + fixture("tiny-2label") + " " + dir).c_str());
  // Rewrite one weight as NaN through the safetensors writer.
  auto file = io::SafetensorsFile::open(dir + "/model.safetensors");
  std::vector<Tensor> tensors;
  std::vector<io::NamedTensor> named;
  tensors.reserve(file->tensors().size());
  for (const auto& [name, entry] : file->tensors()) {
    Tensor stored = file->load_f32(name, entry.shape);
    tensors.emplace_back(entry.shape);
    std::copy(stored.data(), stored.data() + stored.numel(), tensors.back().mutable_data());
    if (name == "classifier.bias") tensors.back().mutable_data()[1] = std::nanf("");
  }
  size_t i = 0;
  for (const auto& [name, entry] : file->tensors()) named.push_back({name, &tensors[i++]});
  file.reset();
  io::write_safetensors(dir + "/model.safetensors", named, io::SafeDType::kF32);
  try {
    Classifier::load(dir);
    FAIL() << "loaded NaN weights";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'classifier.bias' holds a non-finite value"), std::string::npos) << e.what();
  }
}
