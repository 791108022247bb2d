// senti's public C++ API for inference: load a DistilBERT sequence classifier from a Hugging
// Face checkpoint folder and classify texts, with results shaped like the Hugging Face
// text-classification pipeline. Thread-safe: concurrent calls are serialized internally.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace senti {

namespace text {
class Tokenizer;
}

enum class Truncation { kHead, kTail, kHeadTail };
// The pipeline's function_to_apply; kDefault = sigmoid for one label or multi-label problems,
// softmax otherwise (as transformers decides).
enum class ScoreFunction { kDefault, kSoftmax, kSigmoid, kNone };

// How a text is read: where it is cut when longer than the model reads, or how it is covered
// by sliding windows. What logits() and tokenize() take.
struct ReadOptions {
  size_t max_length = 0;  // tokens per window including [CLS]/[SEP]; 0 = the model's maximum
  Truncation truncation = Truncation::kHeadTail;
  size_t head_tokens = 0;  // head+tail: content tokens from the start (0 = 128/510 of the budget)
  // Sliding window over long texts (0 = off): windows of `window` tokens (incl. specials),
  // consecutive windows sharing `stride` tokens; the logits of all windows are averaged.
  size_t window = 0;
  size_t stride = 0;
};

// How logits become scores: which function, how many labels.
struct ScoreOptions {
  int top_k = 1;  // labels returned per text, best first; -1 = all
  ScoreFunction function = ScoreFunction::kDefault;
};

// Both, for classify(): read as ReadOptions says, score as ScoreOptions says.
struct ClassifyOptions : ReadOptions, ScoreOptions {
  ClassifyOptions() = default;
  ClassifyOptions(const ReadOptions& r, const ScoreOptions& s) : ReadOptions(r), ScoreOptions(s) {}
};

struct LabelScore {
  std::string label;
  float score;
};

struct ModelInfo {
  std::string path;
  std::vector<std::string> labels;
  size_t max_length = 0;
  int64_t dim = 0, layers = 0, heads = 0, vocab_size = 0, parameters = 0;
  std::string weights_dtype;  // as stored in model.safetensors
  std::string compute_dtype;  // what the linear layers run in: "f32", "bf16" or "int8"
  int64_t weight_bytes = 0;   // memory the loaded weights take (packed, quantized)
  std::string problem_type;
};

struct LoadOptions {
  int threads = 0;  // 0 = $SENTI_THREADS, else all hardware threads
  // Compute type of the linear layers, chosen once at load (the file on disk is unchanged):
  // "f32" (default), "bf16", "int8", or "auto" (the fastest this CPU runs natively).
  std::string dtype = "f32";
};

// A text tokenized for the model: one window of token ids, or several with a sliding window.
struct TokenizedText {
  std::vector<std::vector<int32_t>> windows;
  size_t tokens = 0;     // sum of the window lengths
  size_t truncated = 0;  // content tokens truncation dropped (0 with a sliding window)
};

class Classifier {
 public:
  static std::unique_ptr<Classifier> load(const std::string& model_dir, const LoadOptions& options = {});
  ~Classifier();

  const ModelInfo& info() const;
  // Raw logits per text, (num_labels) each.
  std::vector<std::vector<float>> logits(const std::vector<std::string_view>& texts,
                                         const ReadOptions& options = {}) const;
  // The two halves of logits(), for servers that batch requests themselves:
  // tokenize() is lock-free and may run on many threads at once; logits(tokenized) runs the
  // model (calls are serialized) and averages the logits of each text's windows.
  TokenizedText tokenize(std::string_view text, const ReadOptions& options = {}) const;
  std::vector<std::vector<float>> logits(const std::vector<const TokenizedText*>& texts) const;
  // Labels with scores per text, best first (top_k of them).
  std::vector<std::vector<LabelScore>> classify(const std::vector<std::string_view>& texts,
                                                const ClassifyOptions& options = {}) const;
  // Scores from logits as classify() computes them (for callers that keep logits).
  std::vector<LabelScore> scores_from_logits(const std::vector<float>& logits, const ScoreOptions& options) const;
  // Token counts per text after tokenization (before truncation), for metrics and batching.
  size_t count_tokens(std::string_view text) const;
  // The tokenizer the model reads with (for callers that show tokens, e.g. a /tokenize route).
  const text::Tokenizer& tokenizer() const;

 private:
  struct Impl;
  explicit Classifier(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace senti
