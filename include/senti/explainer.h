// senti's public C++ API for explanations: which words made a DistilBERT sequence classifier
// decide. Token attributions by Integrated Gradients or Gradient x Input on the embedding output
// (the model's own backward pass), or by leaving one word out (occlusion); word scores are the
// sums of their word pieces, with spans into the original text. What is attributed is the
// label's log-odds, log(p / (1 - p)) (the logit margin for two labels): it does not saturate
// near p = 1 the way p does, so confident predictions still get readable scores. Explains one
// window of tokens (the text truncated as ClassifyOptions says); it does not classify many
// texts fast — that is Classifier's job. Thread-safe: calls are serialized internally.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "senti/classifier.h"

namespace senti {

enum class ExplainMethod { kIntegratedGradients, kGradientTimesInput, kOcclusion };
// "ig", "gxi", "occlusion" (also "integrated_gradients", "gradient_x_input"); false if unknown.
std::optional<ExplainMethod> parse_explain_method(std::string_view name);
const char* explain_method_name(ExplainMethod m);  // "ig", "gxi", "occlusion"

// How to explain, and how the text is read (ReadOptions: truncation, length; an explanation
// reads one window, so a sliding window is refused).
struct ExplainOptions : ReadOptions {
  ExplainMethod method = ExplainMethod::kIntegratedGradients;
  // Integrated Gradients: Gauss-Legendre nodes on the straight path from the baseline
  // ([CLS] [PAD]... [SEP], positions kept). Starts with `steps`; while the completeness gap
  // |sum - (f(input) - f(baseline))| exceeds `tolerance` of |f(input) - f(baseline)|, doubles
  // the steps, up to max_steps (tolerance 0: exactly `steps`). bench/README.md has the
  // convergence measured on IMDb reviews.
  int steps = 32;
  double tolerance = 0.02;
  int max_steps = 256;
  std::string label;            // the label to explain; empty = the predicted one
  size_t max_batch_tokens = 8192;  // tokens per forward/backward pass (bounds memory)
};

// Spans are [start, end) in Unicode code points of the original text (as Python's str and
// Hugging Face's offsets count them).
struct TokenAttribution {
  std::string token;  // the vocabulary entry, e.g. "##ing"
  size_t start = 0, end = 0;
  float score = 0;
};

struct WordAttribution {
  std::string word;  // the original text of the span
  size_t start = 0, end = 0;
  float score = 0;  // sum of the word's pieces, in log-odds; > 0 supports the explained label
  size_t byte_start = 0, byte_end = 0;  // the same span in bytes of the UTF-8 text
};

struct Explanation {
  std::string label;  // the explained label
  float score = 0;    // its probability for the text
  double log_odds = 0;  // log(score / (1 - score)): what the attributions explain
  std::string predicted;  // the model's top label (the same as label unless one was asked for)
  ExplainMethod method = ExplainMethod::kIntegratedGradients;
  std::vector<WordAttribution> words;    // words the model read, in text order
  std::vector<TokenAttribution> tokens;  // content tokens (no [CLS]/[SEP]), in order
  size_t truncated = 0;                  // content tokens truncation dropped (unexplained)
  // The starting point, for every method: the model with no words read ([CLS] [PAD]... [SEP],
  // positions kept): its log-odds and probability of the explained label. The words move the
  // answer from there to `score`.
  double baseline_log_odds = 0;
  float baseline_score = 0;
  // Integrated Gradients only: sum(tokens) should equal log_odds - baseline_log_odds
  // (completeness); delta = sum - that difference.
  int steps = 0;  // the steps used (after any doubling)
  double delta = 0;
};

class Explainer {
 public:
  static std::unique_ptr<Explainer> load(const std::string& model_dir, const LoadOptions& options = {});
  ~Explainer();

  const std::vector<std::string>& labels() const;
  Explanation explain(std::string_view text, const ExplainOptions& options = {}) const;

 private:
  struct Impl;
  explicit Explainer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace senti
