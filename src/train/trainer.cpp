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
#include "kernels/dense.h"
#include "kernels/runtime.h"
#include "model/trainable.h"
#include "senti/classifier.h"
#include "text/tokenizer.h"
#include "train/checkpoint.h"
#include "train/report.h"
#include "util/error.h"
#include "util/file.h"
#include "util/log.h"
#include "util/progress.h"
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

FreezePolicy parse_freeze(const std::string& spec, int64_t n_layers, int64_t train_top) {
  FreezePolicy p;
  p.layers.assign(static_cast<size_t>(n_layers), false);
  if (train_top >= 0) {
    if (train_top > n_layers) fail(ErrorCode::kInvalidArgument, "--train-top " + std::to_string(train_top) +
                                                                     " exceeds the model's " + std::to_string(n_layers) + " layers");
    p.embeddings = true;
    for (int64_t i = 0; i < n_layers - train_top; ++i) p.layers[i] = true;
    return p;
  }
  if (spec.empty() || spec == "none") return p;
  if (spec == "all") {
    p.embeddings = true;
    p.layers.assign(p.layers.size(), true);
    return p;
  }
  size_t pos = 0;
  while (pos <= spec.size()) {
    size_t comma = spec.find(',', pos);
    if (comma == std::string::npos) comma = spec.size();
    std::string item = spec.substr(pos, comma - pos);
    pos = comma + 1;
    if (item == "embeddings") {
      p.embeddings = true;
      continue;
    }
    size_t dash = item.find('-');
    try {
      size_t used = 0;
      int64_t a = std::stoll(item.substr(0, dash), &used), b = a;
      if (used != (dash == std::string::npos ? item.size() : dash)) throw std::invalid_argument("");
      if (dash != std::string::npos) b = std::stoll(item.substr(dash + 1), &used);
      if (a < 0 || b < a || b >= n_layers) throw std::out_of_range("");
      for (int64_t i = a; i <= b; ++i) p.layers[i] = true;
    } catch (const std::exception&) {
      fail(ErrorCode::kInvalidArgument, "--freeze: '" + item + "' is not 'embeddings', a layer or a range of layers 0-" +
                                            std::to_string(n_layers - 1) + " (e.g. embeddings,0-3)");
    }
    if (comma == spec.size()) break;
  }
  return p;
}

namespace {

struct Tokenized {
  std::vector<std::vector<int32_t>> ids;
  std::vector<int32_t> labels;
  size_t tokens = 0;
};

Tokenized tokenize_all(const text::Tokenizer& tok, const data::Dataset& ds, size_t max_len, const std::string& trunc,
                       ThreadPool& pool) {
  Tokenized t;
  t.ids.resize(ds.examples.size());
  t.labels.resize(ds.examples.size());
  text::EncodeOptions eo;
  eo.truncation.max_length = max_len;
  auto strategy = text::parse_truncation(trunc);
  if (!strategy) fail(ErrorCode::kInvalidArgument, "unknown truncation '" + trunc + "' (head, tail, head+tail)");
  eo.truncation.strategy = *strategy;
  pool.parallel_for(ds.examples.size(), 64, [&](size_t b, size_t e, int) {
    for (size_t i = b; i < e; ++i) {
      auto enc = tok.encode(ds.examples[i].text, eo);
      t.ids[i].assign(enc.ids.begin(), enc.ids.end());
      t.labels[i] = ds.examples[i].label;
    }
  });
  for (const auto& s : t.ids) t.tokens += s.size();
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
class PrefixCache {
 public:
  PrefixCache(size_t examples, int64_t dim, size_t total_tokens, double max_gb, const std::string& dir)
      : dim_(dim), offsets_(examples, -1), lengths_(examples, 0) {
    const double bytes = static_cast<double>(total_tokens) * dim * 2;
    if (bytes > max_gb * 1e9) {
      path_ = dir + "/frozen-cache.bin";
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
      float* p = probs.data() + (i + b) * L;
      const float* l = lg.data() + b * L;
      float mx = *std::max_element(l, l + L);
      double sum = 0;
      for (int64_t k = 0; k < L; ++k) sum += std::exp(l[k] - mx);
      for (int64_t k = 0; k < L; ++k) p[k] = static_cast<float>(std::exp(l[k] - mx) / sum);
    }
    if (progress) progress->add(seqs.size());
  }
  return probs;
}

json step_json(const StepRecord& s) { return {{"step", s.step}, {"loss", s.loss}, {"lr", s.lr}, {"tokens_per_s", s.tokens_per_s}}; }

json metrics_json(const Metrics& m) { return json::parse(m.to_json()); }

Metrics metrics_from_json(const json& j) {
  Metrics m;
  m.n = j.value("n", size_t{0});
  m.loss = j.value("loss", 0.0);
  m.accuracy = j.value("accuracy", 0.0);
  m.precision = j.value("precision", 0.0);
  m.recall = j.value("recall", 0.0);
  m.f1 = j.value("f1", 0.0);
  m.roc_auc = j.value("roc_auc", 0.0);
  m.ece = j.value("ece", 0.0);
  if (j.contains("confusion_matrix")) m.confusion = j["confusion_matrix"].get<std::vector<std::vector<int64_t>>>();
  if (j.contains("roc")) m.roc = j["roc"].get<std::vector<std::pair<double, double>>>();
  if (j.contains("calibration"))
    for (const auto& b : j["calibration"])
      m.calibration.push_back({b["confidence"].get<double>(), b["accuracy"].get<double>(), b["count"].get<size_t>()});
  return m;
}

struct RunState {
  int epoch = 0;              // epoch in progress
  size_t batch = 0;           // next batch within the epoch
  int64_t step = 0;           // optimizer steps done
  int64_t micro = 0;          // micro-batches done
  double best = NAN;
  int best_epoch = -1;
  int since_best = 0;
  std::vector<StepRecord> steps;
  std::vector<EpochRecord> epochs;
};

std::string options_fingerprint(const TrainOptions& o, const FreezePolicy& f) {
  json j = {{"base_model", o.base_model}, {"data", o.data}, {"eval_data", o.eval_data},
            {"validation_fraction", o.validation_fraction}, {"limit", o.limit}, {"epochs", o.epochs},
            {"batch_size", o.batch_size}, {"grad_accum", o.grad_accum}, {"max_length", o.max_length},
            {"truncation", o.truncation}, {"lr", o.adam.lr}, {"weight_decay", o.adam.weight_decay},
            {"warmup_ratio", o.warmup_ratio}, {"max_grad_norm", o.max_grad_norm}, {"freeze", f.describe()},
            {"cache_frozen", o.cache_frozen}, {"seed", o.seed}};
  return j.dump();
}

void save_run(const std::string& dir, const model::TrainableDistilBert& m, const AdamW& opt, const RunState& s,
              const std::string& fingerprint) {
  json j = {{"fingerprint", fingerprint}, {"epoch", s.epoch}, {"batch", s.batch}, {"step", s.step}, {"micro", s.micro},
            {"best", std::isnan(s.best) ? json(nullptr) : json(s.best)}, {"best_epoch", s.best_epoch},
            {"since_best", s.since_best}};
  for (const auto& st : s.steps) j["steps"].push_back(step_json(st));
  for (const auto& e : s.epochs) {
    json ej = {{"epoch", e.epoch}, {"step", e.step}, {"seconds", e.seconds}, {"validation", metrics_json(e.validation)}};
    ej["validation"]["roc"] = e.validation.roc;
    j["epochs"].push_back(ej);
  }
  save_checkpoint(dir, m, opt, j.dump());
}

bool load_run(const std::string& dir, model::TrainableDistilBert& m, AdamW& opt, RunState& s,
              const std::string& fingerprint) {
  if (!file_exists(dir + "/trainer_state.json")) return false;
  json j = json::parse(read_file(dir + "/trainer_state.json"), nullptr, false);
  if (j.is_discarded()) fail(ErrorCode::kParse, dir + "/trainer_state.json: not valid JSON");
  if (j.value("fingerprint", std::string()) != fingerprint)
    fail(ErrorCode::kInvalidArgument, "--resume: the checkpoint in " + dir +
                                          " was made with different training options or freeze policy; resume with the "
                                          "same command line, or choose another --out");
  load_checkpoint(dir, m, opt);
  s.epoch = j["epoch"].get<int>();
  s.batch = j["batch"].get<size_t>();
  s.step = j["step"].get<int64_t>();
  s.micro = j["micro"].get<int64_t>();
  s.best = j["best"].is_null() ? NAN : j["best"].get<double>();
  s.best_epoch = j["best_epoch"].get<int>();
  s.since_best = j["since_best"].get<int>();
  s.steps.clear();
  s.epochs.clear();
  if (j.contains("steps"))
    for (const auto& st : j["steps"])
      s.steps.push_back({st["step"].get<int64_t>(), st["loss"].get<double>(), st["lr"].get<double>(),
                         st["tokens_per_s"].get<double>()});
  if (j.contains("epochs"))
    for (const auto& e : j["epochs"])
      s.epochs.push_back({e["epoch"].get<int>(), e["step"].get<int64_t>(), e["seconds"].get<double>(),
                          metrics_from_json(e["validation"])});
  return true;
}

}  // namespace

TrainResult train(const TrainOptions& o) {
  const auto t_start = Clock::now();
  if (o.out_dir.empty()) fail(ErrorCode::kInvalidArgument, "--out is required");
  if (o.batch_size == 0 || o.grad_accum < 1 || o.epochs < 1)
    fail(ErrorCode::kInvalidArgument, "--batch-size, --grad-accum and --epochs must be at least 1");
  if (o.base_model.empty()) fail(ErrorCode::kInvalidArgument, "-m/--model (the base checkpoint) is required");
  const int threads = resolve_threads(o.threads);
  kernels::set_num_threads(threads);
  kernels::set_training_matmul(o.bf16 ? kernels::MatmulPrecision::kBf16 : kernels::MatmulPrecision::kF32);
  ThreadPool pool(threads);
  fs::create_directories(o.out_dir);

  // Data.
  data::Dataset all = data::read_dataset(o.data, {}, o.bad_rows);
  data::Dataset train_ds, val_ds;
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

  text::Tokenizer tok = text::Tokenizer::from_path(o.base_model);
  Tokenized tr = tokenize_all(tok, train_ds, o.max_length, o.truncation, pool);
  Tokenized va = tokenize_all(tok, val_ds, o.max_length, o.truncation, pool);

  std::unique_ptr<model::TrainableDistilBert> model;
  if (file_exists(o.base_model + "/model.safetensors")) {
    model = model::TrainableDistilBert::from_checkpoint(o.base_model, train_ds.labels, o.seed);
  } else {  // a config (and tokenizer) only: fresh initialization
    model::DistilBertConfig config = model::DistilBertConfig::from_file(o.base_model + "/config.json");
    config.id2label = train_ds.labels;
    model = model::TrainableDistilBert::from_config(config, o.seed);
    log::info(o.base_model + " has no model.safetensors: random initialization (N(0, " +
              std::to_string(config.initializer_range) + "), seed " + std::to_string(o.seed) + ")");
  }
  if (static_cast<int64_t>(tok.vocab().size()) != model->config().vocab_size)
    fail(ErrorCode::kParse, o.base_model + ": tokenizer and config.json disagree on the vocabulary size");
  if (static_cast<int64_t>(o.max_length) > model->config().max_position_embeddings)
    fail(ErrorCode::kInvalidArgument, "--max-length exceeds the model's max_position_embeddings");
  FreezePolicy freeze = parse_freeze(o.freeze, model->config().n_layers, o.train_top);
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

  RunState s;
  const std::string ckpt = o.out_dir + "/checkpoint";
  if (o.resume) {
    if (load_run(ckpt, *model, opt, s, fingerprint))
      log::info("resumed at epoch " + std::to_string(s.epoch + 1) + ", step " + std::to_string(s.step));
    else
      log::warn("--resume: no checkpoint in " + ckpt + "; starting from the beginning");
  }

  const size_t batches_per_epoch = (tr.ids.size() + o.batch_size - 1) / o.batch_size;
  const int64_t steps_per_epoch = static_cast<int64_t>((batches_per_epoch + o.grad_accum - 1) / o.grad_accum);
  const int64_t total_steps = steps_per_epoch * o.epochs;
  const int64_t warmup = static_cast<int64_t>(std::ceil(o.warmup_ratio * total_steps));

  const int64_t prefix_layer = model->frozen_prefix();
  std::unique_ptr<PrefixCache> cache;
  if (o.cache_frozen && prefix_layer > 0)
    cache = std::make_unique<PrefixCache>(tr.ids.size(), model->config().dim, tr.tokens, o.cache_max_gb, o.out_dir);

  TrainResult result;
  Progress progress("train", static_cast<uint64_t>(total_steps), "steps", o.progress);
  progress.resume_at(static_cast<uint64_t>(s.step));
  const int64_t D = model->config().dim;
  std::vector<float> prefix;
  auto save_best = [&](const Metrics& m) {
    model->save(o.out_dir);
    copy_tokenizer_files(o.base_model, o.out_dir, o.max_length);
    write_file_atomic(o.out_dir + "/eval_results.json", m.to_json() + "\n");
  };

  for (; s.epoch < o.epochs; ++s.epoch, s.batch = 0) {
    const auto t_epoch = Clock::now();
    auto batches = epoch_batches(tr.ids, o.batch_size, o.seed, s.epoch);
    double window_loss = 0;
    int window_n = 0;
    size_t window_tokens = 0;
    auto t_window = Clock::now();
    int in_accum = 0;
    for (; s.batch < batches.size(); ++s.batch) {
      const auto& idx = batches[s.batch];
      model::TrainBatch b;
      for (size_t i : idx) {
        b.sequences.push_back(tr.ids[i]);
        b.labels.push_back(tr.labels[i]);
        window_tokens += tr.ids[i].size();
      }
      if (in_accum == 0) model->zero_grad();
      double loss;
      if (cache) {
        size_t tokens = 0;
        for (const auto& q : b.sequences) tokens += q.size();
        prefix.resize(tokens * static_cast<size_t>(D));
        bool all_cached = true;
        for (size_t i : idx) all_cached = all_cached && cache->has(i);
        if (!all_cached) {
          auto t0 = Clock::now();
          std::vector<float> fresh;
          model->frozen_prefix_forward(b.sequences, fresh);
          result.frozen_forward_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
          size_t row = 0;
          for (size_t k = 0; k < idx.size(); ++k) {
            if (!cache->has(idx[k])) cache->put(idx[k], fresh.data() + row * D, static_cast<int64_t>(b.sequences[k].size()));
            row += b.sequences[k].size();
          }
        }
        // Always read back through the cache, so every epoch sees the same (bf16) values.
        size_t row = 0;
        for (size_t k = 0; k < idx.size(); ++k) {
          cache->get(idx[k], prefix.data() + row * D);
          row += b.sequences[k].size();
        }
        loss = model->forward_backward(b, mix_seed(o.seed, static_cast<uint64_t>(s.micro)), &prefix);
      } else {
        loss = model->forward_backward(b, mix_seed(o.seed, static_cast<uint64_t>(s.micro)), nullptr);
      }
      ++s.micro;
      ++in_accum;
      window_loss += loss;
      ++window_n;
      const bool last = s.batch + 1 == batches.size();
      if (in_accum < o.grad_accum && !last) continue;
      const double lr = optimizer_step(model->params(), opt, in_accum, o.max_grad_norm, s.step, warmup, total_steps);
      in_accum = 0;
      ++s.step;
      const double secs = std::chrono::duration<double>(Clock::now() - t_window).count();
      StepRecord rec{s.step, window_loss / window_n, lr, secs > 0 ? window_tokens / secs : 0};
      s.steps.push_back(rec);
      char suffix[160];
      std::snprintf(suffix, sizeof suffix, "epoch %d/%d loss %.4f lr %.2e %.0f tok/s", s.epoch + 1, o.epochs, rec.loss,
                    lr, rec.tokens_per_s);
      progress.set_suffix(suffix);
      progress.add(1);
      window_loss = 0;
      window_n = 0;
      window_tokens = 0;
      t_window = Clock::now();
      const bool stop = o.max_steps > 0 && s.step >= o.max_steps;
      if (stop || (o.save_steps > 0 && s.step % o.save_steps == 0)) {
        RunState at = s;
        at.batch = s.batch + 1;
        save_run(ckpt, *model, opt, at, fingerprint);
      }
      if (stop) {
        progress.finish();
        log::info("stopped after " + std::to_string(s.step) + " steps (--max-steps); continue with --resume");
        result.steps = s.step;
        result.seconds = std::chrono::duration<double>(Clock::now() - t_start).count();
        return result;
      }
    }
    // Evaluate.
    Progress eval_progress("evaluate", va.ids.size(), "examples", o.progress && !va.ids.empty());
    Metrics m = compute_metrics(predict_probs(*model, va, 64, &eval_progress), va.labels, model->config().num_labels());
    eval_progress.finish();
    const double epoch_secs = std::chrono::duration<double>(Clock::now() - t_epoch).count();
    s.epochs.push_back({s.epoch + 1, s.step, epoch_secs, m});
    const double v = metric_value(m, o.metric);
    const bool better = std::isnan(s.best) || (metric_higher_is_better(o.metric) ? v > s.best : v < s.best);
    log::info("epoch " + std::to_string(s.epoch + 1) + ": validation accuracy " + std::to_string(m.accuracy) + ", f1 " +
              std::to_string(m.f1) + ", loss " + std::to_string(m.loss) + (better ? " (best so far)" : ""));
    if (better) {
      s.best = v;
      s.best_epoch = static_cast<int>(s.epochs.size()) - 1;
      s.since_best = 0;
      save_best(m);
    } else {
      ++s.since_best;
    }
    RunState next = s;
    next.epoch = s.epoch + 1;
    next.batch = 0;
    save_run(ckpt, *model, opt, next, fingerprint);
    if (o.early_stopping > 0 && s.since_best >= o.early_stopping) {
      log::info("early stopping: no improvement in " + std::to_string(o.early_stopping) + " epochs");
      result.stopped_early = true;
      ++s.epoch;
      break;
    }
  }
  progress.finish();

  // Report and records.
  RunSummary run;
  run.title = "senti fine-tuning: " + fs::path(o.base_model).filename().string() + " on " + fs::path(o.data).filename().string();
  run.labels = train_ds.labels;
  run.steps = s.steps;
  run.epochs = s.epochs;
  run.best_epoch = s.best_epoch;
  run.metric = o.metric;
  run.settings = {{"base model", o.base_model}, {"data", o.data}, {"validation", o.eval_data.empty() ? "split from data" : o.eval_data},
                  {"training examples", std::to_string(tr.ids.size())}, {"validation examples", std::to_string(va.ids.size())},
                  {"epochs", std::to_string(o.epochs)}, {"batch size", std::to_string(o.batch_size)},
                  {"gradient accumulation", std::to_string(o.grad_accum)}, {"max length", std::to_string(o.max_length)},
                  {"truncation", o.truncation}, {"learning rate", std::to_string(o.adam.lr)},
                  {"warmup steps", std::to_string(warmup)}, {"weight decay", std::to_string(o.adam.weight_decay)},
                  {"frozen", freeze.describe()}, {"frozen-activation cache", cache ? "on (bf16)" : "off"},
                  {"trainable parameters", std::to_string(trainable) + " of " + std::to_string(total_params)},
                  {"seed", std::to_string(o.seed)}, {"threads", std::to_string(threads)}};
  write_file_atomic(o.out_dir + "/report.html", render_report(run));
  json metrics;
  for (const auto& st : s.steps) metrics["steps"].push_back(step_json(st));
  for (const auto& e : s.epochs)
    metrics["epochs"].push_back({{"epoch", e.epoch}, {"step", e.step}, {"seconds", e.seconds}, {"validation", metrics_json(e.validation)}});
  write_file_atomic(o.out_dir + "/training_metrics.json", metrics.dump() + "\n");
  json args = json::parse(fingerprint);
  args["threads"] = threads;
  args["early_stopping"] = o.early_stopping;
  args["metric"] = o.metric;
  write_file_atomic(o.out_dir + "/training_args.json", args.dump(2) + "\n");

  result.best_epoch = s.best_epoch;
  if (s.best_epoch >= 0) result.best = s.epochs[s.best_epoch].validation;
  result.steps = s.step;
  result.finished = true;
  result.seconds = std::chrono::duration<double>(Clock::now() - t_start).count();
  return result;
}

Metrics evaluate(const std::string& model_dir, const std::string& data_path, const ClassifyOptions& options,
                 size_t batch_size, int threads, data::BadRows bad_rows, bool progress_on, const std::string& report) {
  // Inference through the packed engine (the same path `senti predict` takes).
  auto clf = Classifier::load(model_dir, {threads});
  data::Dataset ds = data::read_dataset(data_path, clf->info().labels, bad_rows);
  ClassifyOptions co = options;
  co.function = ScoreFunction::kSoftmax;
  co.top_k = -1;
  const int64_t L = static_cast<int64_t>(clf->info().labels.size());
  std::vector<float> probs(ds.examples.size() * static_cast<size_t>(L));
  std::vector<int32_t> labels;
  Progress progress("evaluate", ds.examples.size(), "examples", progress_on);
  for (size_t i = 0; i < ds.examples.size(); i += batch_size) {
    std::vector<std::string_view> texts;
    for (size_t k = i; k < std::min(ds.examples.size(), i + batch_size); ++k) texts.push_back(ds.examples[k].text);
    auto lg = clf->logits(texts, co);
    for (size_t b = 0; b < lg.size(); ++b) {
      float mx = *std::max_element(lg[b].begin(), lg[b].end());
      double sum = 0;
      for (float v : lg[b]) sum += std::exp(v - mx);
      for (int64_t k = 0; k < L; ++k) probs[(i + b) * L + k] = static_cast<float>(std::exp(lg[b][k] - mx) / sum);
    }
    progress.add(texts.size());
  }
  progress.finish();
  for (const auto& e : ds.examples) labels.push_back(e.label);
  Metrics m = compute_metrics(probs, labels, L);
  if (!report.empty()) {
    const char* trunc = co.truncation == Truncation::kHead ? "head" : co.truncation == Truncation::kTail ? "tail" : "head+tail";
    std::vector<std::pair<std::string, std::string>> settings = {
        {"model", model_dir}, {"data", data_path}, {"examples", std::to_string(m.n)},
        {"max length", co.max_length ? std::to_string(co.max_length) : "the model's (" + std::to_string(clf->info().max_length) + ")"},
        {"reading", co.window ? "sliding window " + std::to_string(co.window) + ", stride " + std::to_string(co.stride)
                              : std::string("truncation ") + trunc}};
    write_file_atomic(report, render_eval_report("senti evaluation: " + fs::path(model_dir).filename().string() + " on " +
                                                     fs::path(data_path).filename().string(),
                                                 clf->info().labels, m, settings));
  }
  return m;
}

}  // namespace senti::train
