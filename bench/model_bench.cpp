// Inference throughput of senti's DistilBERT engine on given token ids (the same ids the
// PyTorch and ONNX Runtime peers get), one JSON line per case.
//   bench_model [--dtype f32|bf16|int8] MODEL_DIR THREADS fixed BATCH SEQ SECONDS
//   bench_model [--dtype ...] MODEL_DIR THREADS ids FILE.jsonl BATCH   (one JSON array of ids per line)
//   bench_model MODEL_DIR THREADS ceiling       oneDNN's matmul alone, in f32, bf16 and int8
//   bench_model MODEL_DIR THREADS sensitivity FILE.jsonl
//       per kind of layer, int8 (or bf16) for that kind alone, everything else f32: the mean and
//       largest change of the logits and how many predicted labels change, against f32
// Repeats each case until SECONDS have passed (at least 3 runs), after one warm-up run; reports
// the median and spread. Peak RSS is measured by the calling script (/usr/bin/time).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "kernels/runtime.h"
#include "kernels/linear.h"
#include "io/safetensors.h"
#include "model/config.h"
#include "model/distilbert.h"
#include "tensor/tensor.h"

using namespace senti;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  kernels::ComputeType dtype = kernels::ComputeType::kF32;
  if (argc > 2 && std::string(argv[1]) == "--dtype") {
    auto t = kernels::parse_compute_type(argv[2]);
    if (!t) {
      std::fprintf(stderr, "unknown dtype %s\n", argv[2]);
      return 2;
    }
    dtype = *t;
    argc -= 2;
    argv += 2;
  }
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s MODEL_DIR THREADS fixed BATCH SEQ SECONDS | ids FILE BATCH\n", argv[0]);
    return 2;
  }
  const int threads = std::stoi(argv[2]);
  kernels::set_num_threads(threads);
  if (std::string(argv[3]) == "ceiling") {
    // The matrix-product ceilings: oneDNN matmul with packed weights on the encoder's four
    // shapes at 4,096 rows (batch 32 x 128), inputs already in the type, no epilogue; the rate
    // the whole model could reach if everything else were free.
    const int64_t M = 4096;
    const int64_t shapes[4][2] = {{768, 2304}, {768, 768}, {768, 3072}, {3072, 768}};
    for (auto type : {kernels::ComputeType::kF32, kernels::ComputeType::kBf16, kernels::ComputeType::kInt8}) {
      double flops = 0, secs = 0;
      for (auto [k, n] : shapes) {
        flops += 2.0 * M * k * n;
        secs += kernels::matmul_seconds(type, M, k, n, 7);
      }
      std::printf("{\"impl\": \"onednn-matmul\", \"dtype\": \"%s\", \"threads\": %d, \"case\": \"ceiling\", "
                  "\"gflops\": %.1f}\n",
                  kernels::compute_type_name(type), threads, flops / secs / 1e9);
    }
    return 0;
  }
  if (std::string(argv[3]) == "sensitivity") {
    std::vector<std::vector<int32_t>> all;
    std::ifstream in(argv[4]);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) all.push_back(nlohmann::json::parse(line).get<std::vector<int32_t>>());
    const std::string dir = argv[1];
    auto weights = io::SafetensorsFile::open(dir + "/model.safetensors");
    const auto config = model::DistilBertConfig::from_file(dir + "/config.json");
    auto logits = [&](const model::LayerComputeTypes& types) {
      model::DistilBert m(config, *weights, types);
      model::Workspace ws;
      std::vector<float> out;
      for (size_t i = 0; i < all.size(); i += 32) {
        std::vector<std::vector<int32_t>> b(all.begin() + i, all.begin() + std::min(all.size(), i + 32));
        auto l = m.classify(b, ws);
        out.insert(out.end(), l.begin(), l.end());
      }
      return out;
    };
    const auto ref = logits(model::LayerComputeTypes::all(kernels::ComputeType::kF32));
    const size_t L = ref.size() / all.size();
    using T = model::LayerComputeTypes;
    const auto q = kernels::ComputeType::kInt8, b16 = kernels::ComputeType::kBf16;
    const std::vector<std::pair<std::string, model::LayerComputeTypes>> cases = {
        {"qkv int8", [&] { T t; t.qkv = q; return t; }()},
        {"attention output int8", [&] { T t; t.attention_out = q; return t; }()},
        {"ffn1 int8", [&] { T t; t.ffn1 = q; return t; }()},
        {"ffn2 int8", [&] { T t; t.ffn2 = q; return t; }()},
        {"pre_classifier int8", [&] { T t; t.pre_classifier = q; return t; }()},
        {"attention products bf16", [&] { T t; t.attention = b16; return t; }()},
        {"all bf16", T::all(b16)},
        {"all int8 (attention products bf16)", T::all(q)},
    };
    for (const auto& [name, types] : cases) {
      const auto got = logits(types);
      double sum = 0, worst = 0;
      size_t flips = 0;
      for (size_t i = 0; i < all.size(); ++i) {
        size_t a = 0, b = 0;
        for (size_t l = 0; l < L; ++l) {
          const double d = std::fabs(got[i * L + l] - ref[i * L + l]);
          sum += d;
          worst = std::max(worst, d);
          if (ref[i * L + l] > ref[i * L + a]) a = l;
          if (got[i * L + l] > got[i * L + b]) b = l;
        }
        flips += a != b;
      }
      std::printf("{\"case\": \"sensitivity\", \"layers\": \"%s\", \"texts\": %zu, \"mean_abs_logit_change\": %.5f, "
                  "\"max_abs_logit_change\": %.4f, \"labels_changed\": %zu}\n",
                  name.c_str(), all.size(), sum / static_cast<double>(ref.size()), worst, flips);
    }
    return 0;
  }
  auto model = model::DistilBert::load(argv[1], dtype);
  model::Workspace ws;
  const std::string mode = argv[3];
  std::vector<std::vector<std::vector<int32_t>>> batches;
  double min_seconds = 10;
  size_t min_runs = 3;
  std::string label;
  if (mode == "fixed") {
    const int b = std::stoi(argv[4]), t = std::stoi(argv[5]);
    min_seconds = std::stod(argv[6]);
    std::mt19937 rng(0);
    std::vector<std::vector<int32_t>> batch(b, std::vector<int32_t>(t));
    for (auto& s : batch) {
      for (auto& id : s) id = 1000 + static_cast<int32_t>(rng() % 20000);
      s.front() = 101;
      s.back() = 102;
    }
    batches.push_back(batch);
    label = "batch " + std::to_string(b) + " x " + std::to_string(t);
  } else {
    const size_t b = std::stoul(argv[5]);
    std::ifstream in(argv[4]);
    std::vector<std::vector<int32_t>> all;
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) all.push_back(nlohmann::json::parse(line).get<std::vector<int32_t>>());
    for (size_t i = 0; i < all.size(); i += b)
      batches.emplace_back(all.begin() + i, all.begin() + std::min(all.size(), i + b));
    min_seconds = 0;  // one timed pass over the whole set
    min_runs = 1;
    label = "imdb " + std::to_string(all.size()) + " reviews, batch " + std::to_string(b);
  }
  size_t seqs_per_run = 0, tokens_per_run = 0;
  for (const auto& b : batches) {
    seqs_per_run += b.size();
    for (const auto& s : b) tokens_per_run += s.size();
  }
  model->classify(batches.front(), ws);  // warm-up: primitive creation, first touch of buffers
  std::vector<double> secs;
  auto start = Clock::now();
  do {
    auto t0 = Clock::now();
    for (const auto& b : batches) model->classify(b, ws);
    secs.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  } while (secs.size() < min_runs || std::chrono::duration<double>(Clock::now() - start).count() < min_seconds);
  std::sort(secs.begin(), secs.end());
  const double med = secs[secs.size() / 2];
  const std::string impl =
      dtype == kernels::ComputeType::kF32 ? "senti" : std::string("senti-") + kernels::compute_type_name(dtype);
  std::printf("{\"impl\": \"%s\", \"threads\": %d, \"case\": \"%s\", \"runs\": %zu, \"seq_per_s\": %.3f, "
              "\"seq_per_s_min\": %.3f, \"seq_per_s_max\": %.3f, \"tokens\": %zu}\n",
              impl.c_str(), threads, label.c_str(), secs.size(), seqs_per_run / med, seqs_per_run / secs.back(),
              seqs_per_run / secs.front(), tokens_per_run);
  return 0;
}
