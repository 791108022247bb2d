// Train-step throughput of senti's fine-tuning on DistilBERT-base-shaped weights: embeddings +
// layers 0-3 frozen, layers 4-5 and the head trained, AdamW, random ids of fixed length.
//   bench_train MODEL_DIR THREADS BATCH SEQ STEPS
// Prints two JSON lines: without the frozen-activation cache (frozen layers run every step)
// and with it (the frozen prefix's output read back, as epochs after the first do).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include "kernels/runtime.h"
#include "model/trainable.h"
#include "train/optimizer.h"

using namespace senti;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s MODEL_DIR THREADS BATCH SEQ STEPS\n", argv[0]);
    return 2;
  }
  const int threads = std::stoi(argv[2]), batch = std::stoi(argv[3]), seq = std::stoi(argv[4]), steps = std::stoi(argv[5]);
  kernels::set_num_threads(threads);
  auto m = model::TrainableDistilBert::from_checkpoint(argv[1], {}, 0);
  std::vector<bool> frozen(static_cast<size_t>(m->config().n_layers), false);
  for (int i = 0; i < 4 && i < static_cast<int>(frozen.size()); ++i) frozen[i] = true;
  m->set_frozen(true, frozen);
  train::AdamW opt(m->params(), {});
  std::mt19937 rng(0);
  model::TrainBatch b;
  for (int i = 0; i < batch; ++i) {
    std::vector<int32_t> s(static_cast<size_t>(seq));
    for (auto& id : s) id = 1000 + static_cast<int32_t>(rng() % 20000);
    s.front() = 101;
    s.back() = 102;
    b.sequences.push_back(s);
    b.labels.push_back(i % 2);
  }
  std::vector<float> prefix;
  m->frozen_prefix_forward(b.sequences, prefix);
  for (int cached = 0; cached < 2; ++cached) {
    std::vector<double> secs;
    for (int s = 0; s <= steps; ++s) {  // step 0 warms up
      auto t0 = Clock::now();
      m->zero_grad();
      m->forward_backward(b, static_cast<uint64_t>(s), cached ? &prefix : nullptr);
      train::clip_grad_norm(m->params(), 1.0);
      opt.step(5e-5);
      if (s > 0) secs.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    }
    std::sort(secs.begin(), secs.end());
    const double med = secs[secs.size() / 2];
    std::printf("{\"impl\": \"senti\", \"threads\": %d, \"cache\": %s, \"batch\": %d, \"seq\": %d, \"steps\": %d, "
                "\"seq_per_s\": %.3f, \"seq_per_s_min\": %.3f, \"seq_per_s_max\": %.3f}\n",
                threads, cached ? "true" : "false", batch, seq, steps, batch / med, batch / secs.back(), batch / secs.front());
    std::fflush(stdout);
  }
  return 0;
}
