#include "train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "io/safetensors.h"
#include "kernels/runtime.h"
#include "model/config.h"
#include "model/truncation.h"
#include "model/trainable.h"
#include "senti/classifier.h"
#include "text/tokenizer.h"
#include "train/checkpoint.h"
#include "train/ranks.h"
#include "train/loop.h"
#include "train/report.h"
#include "util/error.h"
#include "util/file.h"
#include "util/log.h"
#include "util/progress.h"
#include "util/softmax.h"
#include "util/thread_pool.h"

namespace senti::train {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

std::string FreezePolicy::describe() const {
  std::string s = embeddings ? "embeddings" : "";
  for (size_t i = 0; i < layers.size(); ++i)
    if (layers[i]) s += (s.empty() ? "" : ",") + std::to_string(i);
  return s.empty() ? "none" : s;
}

std::optional<FreezeSpec> parse_freeze_spec(std::string_view text) {
  FreezeSpec f;
  if (text.empty() || text == "none") return f;
  if (text == "all") {
    f.embeddings = f.all = true;
    return f;
  }
  size_t pos = 0;
  for (;;) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string item(text.substr(pos, comma - pos));
    if (item == "embeddings") {
      f.embeddings = true;
    } else {
      const size_t dash = item.find('-');
      try {
        size_t used = 0;
        const int64_t a = std::stoll(item.substr(0, dash), &used);
        if (used != (dash == std::string::npos ? item.size() : dash)) return std::nullopt;
        int64_t b = a;
        if (dash != std::string::npos) {
          b = std::stoll(item.substr(dash + 1), &used);
          if (used != item.size() - dash - 1) return std::nullopt;
        }
        if (a < 0 || b < a) return std::nullopt;
        f.layers.push_back({a, b});
      } catch (const std::exception&) {
        return std::nullopt;
      }
    }
    if (comma == text.size()) break;
    pos = comma + 1;
  }
  return f;
}

FreezePolicy resolve_freeze(const FreezeSpec& spec, int64_t n_layers) {
  FreezePolicy p;
  p.layers.assign(static_cast<size_t>(n_layers), false);
  if (spec.train_top >= 0) {
    if (spec.train_top > n_layers)
      fail(ErrorCode::kInvalidArgument, "freeze policy: training the top " + std::to_string(spec.train_top) +
                                            " layers, but the model has " + std::to_string(n_layers));
    p.embeddings = true;
    for (int64_t i = 0; i < n_layers - spec.train_top; ++i) p.layers[static_cast<size_t>(i)] = true;
    return p;
  }
  p.embeddings = spec.embeddings;
  if (spec.all) p.layers.assign(p.layers.size(), true);
  for (auto [a, b] : spec.layers) {
    if (b >= n_layers)
      fail(ErrorCode::kInvalidArgument, "freeze policy: layer " + std::to_string(b) + " does not exist; the model's layers are 0-" +
                                            std::to_string(n_layers - 1));
    for (int64_t i = a; i <= b; ++i) p.layers[static_cast<size_t>(i)] = true;
  }
  return p;
}

FreezePolicy parse_freeze(const std::string& spec, int64_t n_layers, int64_t train_top) {
  std::optional<FreezeSpec> f = parse_freeze_spec(spec);
  if (!f)
    fail(ErrorCode::kInvalidArgument, "freeze policy '" + spec + "': expected none, all, embeddings, a layer or a range "
                                          "of layers such as 0-3, comma-separated");
  f->train_top = train_top;
  return resolve_freeze(*f, n_layers);
}

namespace {

struct Tokenized {
  std::vector<std::vector<int32_t>> ids;
  std::vector<int32_t> labels;
  std::vector<float> targets;  // (examples, labels) soft targets, one-hot where an example has none;
                               // empty when no example has one
  size_t tokens = 0;
};

Tokenized tokenize_all(const text::Tokenizer& tok, const data::Dataset& ds, size_t max_len, Truncation trunc,
                       ThreadPool& pool) {
  Tokenized t;
  t.ids.resize(ds.examples.size());
  t.labels.resize(ds.examples.size());
  text::EncodeOptions eo;
  eo.truncation.max_length = max_len;
  eo.truncation.strategy = model::to_text(trunc);
  pool.parallel_for(ds.examples.size(), 64, [&](size_t b, size_t e, int) {
    for (size_t i = b; i < e; ++i) {
      auto enc = tok.encode(ds.examples[i].text, eo);
      t.ids[i].assign(enc.ids.begin(), enc.ids.end());
      t.labels[i] = ds.examples[i].label;
    }
  });
  for (const auto& s : t.ids) t.tokens += s.size();
  const bool soft = std::any_of(ds.examples.begin(), ds.examples.end(), [](const data::Example& e) { return !e.target.empty(); });
  if (soft) {
    const size_t L = ds.labels.size();
    t.targets.assign(ds.examples.size() * L, 0.f);
    for (size_t i = 0; i < ds.examples.size(); ++i) {
      const auto& e = ds.examples[i];
      if (e.target.empty()) t.targets[i * L + static_cast<size_t>(e.label)] = 1.f;
      else std::copy(e.target.begin(), e.target.end(), t.targets.begin() + static_cast<long>(i * L));
    }
  }
  return t;
}

// Batches of one epoch, deterministic in (seed, epoch): shuffle, sort windows of 50 batches by
// length (so a batch holds similar lengths), cut, then shuffle the batches.
std::vector<std::vector<size_t>> epoch_batches(const std::vector<std::vector<int32_t>>& ids, size_t batch, uint64_t seed,
                                               int epoch) {
  std::mt19937_64 rng(seed * 1000003ull + static_cast<uint64_t>(epoch));
  std::vector<size_t> order(ids.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  const size_t window = batch * 50;
  for (size_t w = 0; w < order.size(); w += window) {
    auto end = order.begin() + static_cast<long>(std::min(order.size(), w + window));
    std::stable_sort(order.begin() + static_cast<long>(w), end, [&](size_t a, size_t b) { return ids[a].size() < ids[b].size(); });
  }
  std::vector<std::vector<size_t>> out;
  for (size_t i = 0; i < order.size(); i += batch)
    out.emplace_back(order.begin() + static_cast<long>(i), order.begin() + static_cast<long>(std::min(order.size(), i + batch)));
  std::shuffle(out.begin(), out.end(), rng);
  return out;
}

// The frozen prefix's output per example, stored as bf16: in memory, or in a file when large.
// Each rank of a data-parallel run keeps its own (of the examples it computes).
class PrefixCache {
 public:
  PrefixCache(size_t examples, int64_t dim, size_t total_tokens, double max_gb, const std::string& dir)
      : dim_(dim), offsets_(examples, -1), lengths_(examples, 0) {
    const double bytes = static_cast<double>(total_tokens) * dim * 2;
    if (bytes > max_gb * 1e9) {
      const Ranks& ranks = Ranks::world();
      path_ = dir + (ranks.distributed() ? "/frozen-cache.rank" + std::to_string(ranks.rank()) + ".bin" : "/frozen-cache.bin");
      file_.open(path_, std::ios::in | std::ios::out | std::ios::binary | std::ios::trunc);
      if (!file_) fail(ErrorCode::kIo, "cannot create the frozen-activation cache '" + path_ + "'");
      log::info("frozen-activation cache: " + std::to_string(static_cast<int>(bytes / 1e6)) + " MB in " + path_);
    } else {
      memory_.reserve(static_cast<size_t>(bytes / 2));
      log::info("frozen-activation cache: " + std::to_string(static_cast<int>(bytes / 1e6)) + " MB in memory (bf16)");
    }
  }
  ~PrefixCache() {
    if (!path_.empty()) {
      file_.close();
      std::remove(path_.c_str());
    }
  }
  bool has(size_t i) const { return offsets_[i] >= 0; }
  void put(size_t i, const float* x, int64_t tokens) {
    std::vector<uint16_t> b(static_cast<size_t>(tokens * dim_));
    for (size_t k = 0; k < b.size(); ++k) b[k] = f32_to_bf16(x[k]);
    lengths_[i] = tokens;
    if (path_.empty()) {
      offsets_[i] = static_cast<int64_t>(memory_.size());
      memory_.insert(memory_.end(), b.begin(), b.end());
    } else {
      offsets_[i] = next_;
      file_.seekp(next_ * 2);
      file_.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size() * 2));
      next_ += static_cast<int64_t>(b.size());
      if (!file_) fail(ErrorCode::kIo, "cannot write the frozen-activation cache '" + path_ + "' (disk full?)");
    }
  }
  void get(size_t i, float* out) {
    const size_t n = static_cast<size_t>(lengths_[i] * dim_);
    const uint16_t* src;
    std::vector<uint16_t> buf;
    if (path_.empty()) {
      src = memory_.data() + offsets_[i];
    } else {
      buf.resize(n);
      file_.seekg(offsets_[i] * 2);
      file_.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(n * 2));
      if (!file_) fail(ErrorCode::kIo, "cannot read the frozen-activation cache '" + path_ + "'");
      src = buf.data();
    }
    for (size_t k = 0; k < n; ++k) out[k] = bf16_to_f32(src[k]);
  }

 private:
  int64_t dim_;
  std::vector<int64_t> offsets_, lengths_;
  std::vector<uint16_t> memory_;
  std::string path_;
  std::fstream file_;
  int64_t next_ = 0;
};

std::vector<float> predict_probs(model::TrainableDistilBert& m, const Tokenized& t, size_t batch, Progress* progress) {
  const int64_t L = m.config().num_labels();
  std::vector<float> probs(t.ids.size() * static_cast<size_t>(L));
  for (size_t i = 0; i < t.ids.size(); i += batch) {
    std::vector<std::vector<int32_t>> seqs(t.ids.begin() + static_cast<long>(i),
                                           t.ids.begin() + static_cast<long>(std::min(t.ids.size(), i + batch)));
    std::vector<float> lg = m.logits(seqs);
    for (size_t b = 0; b < seqs.size(); ++b) {
      stable_softmax(lg.data() + b * L, static_cast<size_t>(L), probs.data() + (i + b) * L);
    }
    if (progress) progress->add(seqs.size());
  }
  return probs;
}

json metrics_json(const Metrics& m) { return json(m.as_json()); }

EpochRecord epoch_from_json(const json& e) {
  return {e.at("epoch").get<int>(), e.at("step").get<int64_t>(), e.at("seconds").get<double>(),
          Metrics::from_json(e.at("validation"))};
}

std::string options_fingerprint(const TrainOptions& o, const FreezePolicy& f) {
  json j = {{"base_model", o.base_model}, {"data", o.data}, {"eval_data", o.eval_data},
            {"validation_fraction", o.validation_fraction}, {"limit", o.limit}, {"epochs", o.epochs},
            {"batch_size", o.batch_size}, {"grad_accum", o.grad_accum}, {"max_length", o.max_length},
            {"truncation", model::truncation_name(o.truncation)}, {"lr", o.adam.lr}, {"weight_decay", o.adam.weight_decay},
            {"warmup_ratio", o.warmup_ratio}, {"max_grad_norm", o.max_grad_norm}, {"freeze", f.describe()},
            {"cache_frozen", o.cache_frozen}, {"seed", o.seed}};
  return j.dump();
}

// Fine-tuning as the training loop sees it: length-bucketed batches of labelled sequences, the
// frozen prefix read through its bf16 cache, validation every epoch, the best model kept.
class FineTuneObjective : public Objective {
 public:
  FineTuneObjective(model::TrainableDistilBert& model, const TrainOptions& o, const Tokenized& train,
                    const Tokenized& val, PrefixCache* cache)
      : model_(model), o_(o), tr_(train), va_(val), cache_(cache) {}

  size_t begin_epoch(int epoch) override {
    batches_ = epoch_batches(tr_.ids, o_.batch_size, o_.seed, epoch);
    return batches_.size();
  }

  double micro_batch(size_t index, uint64_t dropout_seed, size_t& tokens) override {
    const auto& idx = batches_[index];
    model::TrainBatch b;
    const size_t L = static_cast<size_t>(model_.config().num_labels());
    for (size_t i : idx) {
      b.sequences.push_back(tr_.ids[i]);
      b.labels.push_back(tr_.labels[i]);
      if (!tr_.targets.empty()) b.targets.insert(b.targets.end(), tr_.targets.begin() + static_cast<long>(i * L),
                                                 tr_.targets.begin() + static_cast<long>((i + 1) * L));
      tokens += tr_.ids[i].size();
    }
    if (!cache_) return model_.forward_backward(b, dropout_seed, nullptr);
    const int64_t D = model_.config().dim;
    size_t n = 0;
    for (const auto& q : b.sequences) n += q.size();
    prefix_.resize(n * static_cast<size_t>(D));
    bool all_cached = true;
    for (size_t i : idx) all_cached = all_cached && cache_->has(i);
    if (!all_cached) {
      auto t0 = Clock::now();
      std::vector<float> fresh;
      model_.frozen_prefix_forward(b.sequences, fresh);
      frozen_forward_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
      size_t row = 0;
      for (size_t k = 0; k < idx.size(); ++k) {
        if (!cache_->has(idx[k])) cache_->put(idx[k], fresh.data() + row * D, static_cast<int64_t>(b.sequences[k].size()));
        row += b.sequences[k].size();
      }
    }
    // Always read back through the cache, so every epoch sees the same (bf16) values.
    size_t row = 0;
    for (size_t k = 0; k < idx.size(); ++k) {
      cache_->get(idx[k], prefix_.data() + row * D);
      row += b.sequences[k].size();
    }
    return model_.forward_backward(b, dropout_seed, &prefix_);
  }

  bool end_epoch(LoopState& s, double train_seconds) override {
    const auto t0 = Clock::now();
    Progress eval_progress("evaluate", va_.ids.size(), "examples", o_.progress && !va_.ids.empty());
    Metrics m = compute_metrics(predict_probs(model_, va_, 64, &eval_progress), va_.labels, model_.config().num_labels());
    eval_progress.finish();
    const double seconds = train_seconds + std::chrono::duration<double>(Clock::now() - t0).count();
    json record = {{"epoch", s.epoch + 1}, {"step", s.step}, {"seconds", seconds}, {"validation", metrics_json(m)}};
    record["validation"]["roc"] = m.roc;
    s.epochs.push_back(record);
    const double v = metric_value(m, o_.metric);
    const bool better = std::isnan(best_) || (metric_higher_is_better(o_.metric) ? v > best_ : v < best_);
    log::info("epoch " + std::to_string(s.epoch + 1) + ": validation accuracy " + std::to_string(m.accuracy) + ", f1 " +
              std::to_string(m.f1) + ", loss " + std::to_string(m.loss) + (better ? " (best so far)" : ""));
    if (better) {
      best_ = v;
      best_epoch = static_cast<int>(s.epochs.size()) - 1;
      since_best_ = 0;
      model_.save(o_.out_dir);
      copy_tokenizer_files(o_.base_model, o_.out_dir, o_.max_length);
      write_file_atomic(o_.out_dir + "/eval_results.json", m.to_json() + "\n");
    } else {
      ++since_best_;
    }
    if (o_.early_stopping > 0 && since_best_ >= o_.early_stopping) {
      log::info("early stopping: no improvement in " + std::to_string(o_.early_stopping) + " epochs");
      return true;
    }
    return false;
  }

  json save_state() const override {
    return {{"best", std::isnan(best_) ? json(nullptr) : json(best_)}, {"best_epoch", best_epoch},
            {"since_best", since_best_}};
  }
  void load_state(const json& j) override {
    best_ = j.at("best").is_null() ? NAN : j.at("best").get<double>();
    best_epoch = j.at("best_epoch").get<int>();
    since_best_ = j.at("since_best").get<int>();
  }

  int best_epoch = -1;
  double frozen_forward_seconds = 0;  // time spent in the frozen prefix (first computation)

 private:
  model::TrainableDistilBert& model_;
  const TrainOptions& o_;
  const Tokenized &tr_, &va_;
  PrefixCache* cache_;
  std::vector<std::vector<size_t>> batches_;
  std::vector<float> prefix_;
  double best_ = NAN;
  int since_best_ = 0;
};

// A finished run in out_dir is not replaced by accident (its report would be left beside the
// new weights); --overwrite clears it first. Rank 0 owns the folder.
void prepare_out_dir(const TrainOptions& o) {
  if (Ranks::world().root() && !o.resume && file_exists(o.out_dir + "/model.safetensors")) {
    if (!o.overwrite)
      fail(ErrorCode::kInvalidArgument, "the output folder " + o.out_dir +
                                            " already holds a trained model (model.safetensors); overwrite it "
                                            "(--overwrite), resume its run, or choose another folder");
    for (const char* f : {"model.safetensors", "config.json", "report.html", "eval_results.json", "training_metrics.json",
                          "training_args.json", "trainer_state.json"})
      fs::remove(o.out_dir + "/" + f);
    fs::remove_all(o.out_dir + "/checkpoint");
  }
  fs::create_directories(o.out_dir);
}

// The training and validation examples: --data (split by seed, or with --eval-data), limited.
void load_data(const TrainOptions& o, data::Dataset& train_ds, data::Dataset& val_ds) {
  // Data. The labels are fixed up front when known (given, or the base classifier's own), so
  // that a stray label in the data is an error rather than a new class.
  std::vector<std::string> fixed_labels = o.labels;
  if (fixed_labels.empty() && file_exists(o.base_model + "/config.json")) {
    const model::DistilBertConfig base = model::DistilBertConfig::from_file(o.base_model + "/config.json");
    const bool classifier = std::find(base.architectures.begin(), base.architectures.end(),
                                      "DistilBertForSequenceClassification") != base.architectures.end();
    const bool placeholder = std::all_of(base.id2label.begin(), base.id2label.end(),
                                         [](const std::string& l) { return l.rfind("LABEL_", 0) == 0; });
    if (classifier && !placeholder && file_exists(o.base_model + "/model.safetensors")) fixed_labels = base.id2label;
  }
  data::Dataset all = data::read_dataset(o.data, fixed_labels, o.bad_rows);
  {
    std::vector<size_t> count(all.labels.size(), 0);
    for (const auto& e : all.examples) ++count[static_cast<size_t>(e.label)];
    std::string present;
    size_t classes = 0;
    for (size_t i = 0; i < count.size(); ++i)
      if (count[i]) {
        ++classes;
        present += (present.empty() ? "" : ", ") + all.labels[i] + " (" + std::to_string(count[i]) + ")";
      }
    if (classes < 2)
      fail(ErrorCode::kInvalidArgument, o.data + ": the training data has " +
                                            (classes ? "examples of one label only: " + present : std::string("no examples")) +
                                            "; a classifier needs examples of at least two labels");
  }
  if (o.eval_data.empty()) {
    data::split_validation(all, o.validation_fraction, o.seed, train_ds, val_ds);
  } else {
    train_ds = std::move(all);
    val_ds = data::read_dataset(o.eval_data, train_ds.labels, o.bad_rows);
  }
  if (o.limit > 0 && train_ds.examples.size() > o.limit) {
    std::mt19937_64 rng(o.seed);
    std::shuffle(train_ds.examples.begin(), train_ds.examples.end(), rng);
    train_ds.examples.resize(o.limit);
  }
  log::info("data: " + std::to_string(train_ds.examples.size()) + " training, " + std::to_string(val_ds.examples.size()) +
            " validation examples; labels " + [&] {
              std::string s;
              for (const auto& l : train_ds.labels) s += (s.empty() ? "" : ", ") + l;
              return s;
            }());

}

// The model to fine-tune: the base checkpoint with a head for `labels`, or a fresh one from its
// config; checked against the tokenizer and the maximum length.
std::unique_ptr<model::TrainableDistilBert> make_model(const TrainOptions& o, const std::vector<std::string>& labels,
                                                       const text::Tokenizer& tok) {
  std::unique_ptr<model::TrainableDistilBert> model;
  if (file_exists(o.base_model + "/model.safetensors")) {
    model = model::TrainableDistilBert::from_checkpoint(o.base_model, labels, o.seed);
  } else {  // a config (and tokenizer) only: fresh initialization
    model::DistilBertConfig config = model::DistilBertConfig::from_file(o.base_model + "/config.json");
    config.id2label = labels;
    model = model::TrainableDistilBert::from_config(config, o.seed);
    log::info(o.base_model + " has no model.safetensors: random initialization (N(0, " +
              std::to_string(config.initializer_range) + "), seed " + std::to_string(o.seed) + ")");
  }
  if (static_cast<int64_t>(tok.vocab().size()) != model->config().vocab_size)
    fail(ErrorCode::kParse, o.base_model + ": the tokenizer has " + std::to_string(tok.vocab().size()) +
                                " tokens but config.json's vocab_size is " + std::to_string(model->config().vocab_size));
  if (static_cast<int64_t>(o.max_length) > model->config().max_position_embeddings)
    fail(ErrorCode::kInvalidArgument, "the maximum length " + std::to_string(o.max_length) + " exceeds the model's max_position_embeddings " +
                                          std::to_string(model->config().max_position_embeddings));
  return model;
}

}  // namespace

std::string TrainResult::to_json() const {
  nlohmann::ordered_json j = {{"finished", finished},
                              {"steps", steps},
                              {"seconds", seconds},
                              {"best_epoch", best_epoch + 1},
                              {"frozen_forward_seconds", frozen_forward_seconds}};
  if (best_epoch >= 0) j["validation"] = best.as_json();
  return j.dump();
}

TrainResult train(const TrainOptions& o) {
  const auto t_start = Clock::now();
  if (o.out_dir.empty()) fail(ErrorCode::kInvalidArgument, "no output folder given");
  if (o.batch_size == 0 || o.grad_accum < 1 || o.epochs < 1)
    fail(ErrorCode::kInvalidArgument, "the batch size, gradient accumulation and epochs must each be at least 1");
  if (o.base_model.empty()) fail(ErrorCode::kInvalidArgument, "no base model given (a checkpoint folder to fine-tune)");
  const int threads = resolve_threads(o.threads);
  kernels::set_num_threads(threads);
  const bool bf16 = use_training_precision(o.bf16);
  ThreadPool pool(threads);
  const Ranks& ranks = Ranks::world();
  prepare_out_dir(o);

  data::Dataset train_ds, val_ds;
  load_data(o, train_ds, val_ds);

  text::Tokenizer tok = text::Tokenizer::from_path(o.base_model);
  Tokenized tr = tokenize_all(tok, train_ds, o.max_length, o.truncation, pool);
  Tokenized va = tokenize_all(tok, val_ds, o.max_length, o.truncation, pool);

  std::unique_ptr<model::TrainableDistilBert> model = make_model(o, train_ds.labels, tok);
  FreezePolicy freeze = resolve_freeze(o.freeze, model->config().n_layers);
  model->set_frozen(freeze.embeddings, freeze.layers);
  AdamW opt(model->params(), o.adam);
  const std::string fingerprint = options_fingerprint(o, freeze);

  size_t trainable = 0, total_params = 0;
  for (const auto& p : model->params()) {
    total_params += static_cast<size_t>(p.value.numel());
    if (p.trainable) trainable += static_cast<size_t>(p.value.numel());
  }
  log::info("model: " + std::to_string(total_params) + " parameters, " + std::to_string(trainable) + " trainable; frozen: " +
            freeze.describe());

  const int64_t prefix_layer = model->frozen_prefix();
  std::unique_ptr<PrefixCache> cache;
  if (o.cache_frozen && prefix_layer > 0)
    cache = std::make_unique<PrefixCache>(tr.ids.size(), model->config().dim, tr.tokens, o.cache_max_gb, o.out_dir);

  FineTuneObjective objective(*model, o, tr, va, cache.get());
  LoopOptions lo = loop_options(o, (tr.ids.size() + o.batch_size - 1) / o.batch_size, o.out_dir + "/checkpoint", fingerprint);
  lo.what = "training options or freeze policy";
  lo.progress_label = "train";
  LoopState s;
  const LoopResult loop = run_training_loop(*model, opt, objective, lo, s);
  TrainResult result;
  result.steps = s.step;
  result.frozen_forward_seconds = objective.frozen_forward_seconds;
  result.stopped_early = loop.stopped_early;
  if (!loop.finished || !ranks.root()) {  // rank 0 alone writes the report and records
    result.finished = loop.finished && !ranks.root();
    result.seconds = std::chrono::duration<double>(Clock::now() - t_start).count();
    return result;
  }
  std::vector<EpochRecord> epochs;
  for (const auto& e : s.epochs) epochs.push_back(epoch_from_json(e));

  // Report and records.
  RunSummary run;
  run.title = "senti fine-tuning: " + fs::path(o.base_model).filename().string() + " on " + fs::path(o.data).filename().string();
  run.labels = train_ds.labels;
  run.steps = s.steps;
  run.epochs = epochs;
  run.best_epoch = objective.best_epoch;
  run.metric = metric_name(o.metric);
  run.settings = {{"base model", o.base_model}, {"data", o.data}, {"validation", o.eval_data.empty() ? "split from data" : o.eval_data},
                  {"training examples", std::to_string(tr.ids.size())}, {"validation examples", std::to_string(va.ids.size())},
                  {"epochs", std::to_string(o.epochs)}, {"batch size", std::to_string(o.batch_size)},
                  {"gradient accumulation", std::to_string(o.grad_accum)}, {"max length", std::to_string(o.max_length)},
                  {"truncation", model::truncation_name(o.truncation)}, {"learning rate", std::to_string(o.adam.lr)},
                  {"warmup steps", std::to_string(loop.warmup_steps)}, {"weight decay", std::to_string(o.adam.weight_decay)},
                  {"frozen", freeze.describe()}, {"frozen-activation cache", cache ? "on (bf16)" : "off"},
                  {"trainable parameters", std::to_string(trainable) + " of " + std::to_string(total_params)},
                  {"matrix products", bf16 ? "bf16 operands, f32 accumulation" : "f32"},
                  {"seed", std::to_string(o.seed)}, {"threads", std::to_string(threads)}};
  write_file_atomic(o.out_dir + "/report.html", render_report(run));
  json metrics;
  for (const auto& st : s.steps) metrics["steps"].push_back(step_to_json(st));
  for (const auto& e : epochs)
    metrics["epochs"].push_back({{"epoch", e.epoch}, {"step", e.step}, {"seconds", e.seconds}, {"validation", metrics_json(e.validation)}});
  write_file_atomic(o.out_dir + "/training_metrics.json", metrics.dump() + "\n");
  json args = json::parse(fingerprint);
  args["threads"] = threads;
  args["matrix_products"] = bf16 ? "bf16" : "f32";  // what ran: --bf16 falls back to f32 without AVX-512
  args["early_stopping"] = o.early_stopping;
  args["metric"] = metric_name(o.metric);
  write_file_atomic(o.out_dir + "/training_args.json", args.dump(2) + "\n");

  result.best_epoch = objective.best_epoch;
  if (objective.best_epoch >= 0) result.best = epochs[objective.best_epoch].validation;
  result.finished = true;
  result.seconds = std::chrono::duration<double>(Clock::now() - t_start).count();
  return result;
}

Metrics evaluate(const std::string& model_dir, const std::string& data_path, const ReadOptions& options,
                 size_t batch_size, const LoadOptions& load, data::BadRows bad_rows, bool progress_on,
                 const std::string& report) {
  // Inference through the packed engine (the same path `senti predict` takes).
  auto clf = Classifier::load(model_dir, load);
  data::Dataset ds = data::read_dataset(data_path, clf->info().labels, bad_rows);
  const ReadOptions& co = options;
  const int64_t L = static_cast<int64_t>(clf->info().labels.size());
  std::vector<float> probs(ds.examples.size() * static_cast<size_t>(L));
  std::vector<int32_t> labels;
  Progress progress("evaluate", ds.examples.size(), "examples", progress_on);
  for (size_t i = 0; i < ds.examples.size(); i += batch_size) {
    std::vector<std::string_view> texts;
    for (size_t k = i; k < std::min(ds.examples.size(), i + batch_size); ++k) texts.push_back(ds.examples[k].text);
    auto lg = clf->logits(texts, co);
    for (size_t b = 0; b < lg.size(); ++b) stable_softmax(lg[b].data(), lg[b].size(), probs.data() + (i + b) * L);
    progress.add(texts.size());
  }
  progress.finish();
  for (const auto& e : ds.examples) labels.push_back(e.label);
  Metrics m = compute_metrics(probs, labels, L);
  if (!report.empty()) {
    // The mistakes made with the most confidence: where the model is most misleading.
    std::vector<Mistake> wrong;
    for (size_t i = 0; i < ds.examples.size(); ++i) {
      const float* p = probs.data() + i * static_cast<size_t>(L);
      const size_t pred = static_cast<size_t>(std::max_element(p, p + L) - p);
      if (static_cast<int32_t>(pred) == labels[i]) continue;
      std::string text = ds.examples[i].text;
      if (text.size() > 400) {  // cut on a character boundary
        size_t cut = 400;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
        text = text.substr(0, cut) + "…";
      }
      wrong.push_back({std::move(text), clf->info().labels[static_cast<size_t>(labels[i])], clf->info().labels[pred], p[pred]});
    }
    std::stable_sort(wrong.begin(), wrong.end(), [](const Mistake& a, const Mistake& b) { return a.confidence > b.confidence; });
    if (wrong.size() > 20) wrong.resize(20);
    const char* trunc = model::truncation_name(co.truncation);
    std::vector<std::pair<std::string, std::string>> settings = {
        {"model", model_dir}, {"data", data_path}, {"examples", std::to_string(m.n)},
        {"max length", co.max_length ? std::to_string(co.max_length) : "the model's (" + std::to_string(clf->info().max_length) + ")"},
        {"reading", co.window ? "sliding window " + std::to_string(co.window) + ", stride " + std::to_string(co.stride)
                              : std::string("truncation ") + trunc}};
    write_file_atomic(report, render_eval_report("senti evaluation: " + fs::path(model_dir).filename().string() + " on " +
                                                     fs::path(data_path).filename().string(),
                                                 clf->info().labels, m, settings, wrong));
  }
  return m;
}

}  // namespace senti::train
