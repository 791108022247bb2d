// Tokenizer throughput: encodes every review of a folder (aclImdb/train) with senti, on one
// thread and on N threads, and prints one JSON line per run with the rate and a hash of all
// ids (so bench/tokenizer.sh can check that senti and the HF peer did the same work).
// Usage: bench_tokenizer TOKENIZER DATA_DIR THREADS REPEATS
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "data/text_source.h"
#include "text/tokenizer.h"
#include "util/file.h"
#include "util/thread_pool.h"

using namespace senti;

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s TOKENIZER DATA_DIR THREADS REPEATS\n", argv[0]);
    return 2;
  }
  text::Tokenizer tok = text::Tokenizer::from_path(argv[1]);
  std::vector<std::string> texts;
  size_t bytes = 0;
  for (const auto& f : data::list_files(argv[2], ".txt")) {
    if (f.find("/urls_") != std::string::npos) continue;
    texts.push_back(read_file(f));
    bytes += texts.back().size();
  }
  std::vector<std::string_view> views(texts.begin(), texts.end());
  const int threads = std::stoi(argv[3]);
  const int repeats = std::stoi(argv[4]);
  ThreadPool pool(threads);
  std::vector<double> seconds;
  uint64_t hash = 0, tokens = 0;
  for (int r = 0; r < repeats; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    std::vector<text::Encoding> out;
    if (threads == 1) {
      out.reserve(views.size());
      for (auto v : views) out.push_back(tok.encode(v));
    } else {
      out = tok.encode_batch(views, tok.default_options(), {}, &pool);
    }
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    hash = 1469598103934665603ull;
    tokens = 0;
    for (const auto& e : out) {
      for (int32_t id : e.ids) hash = (hash ^ static_cast<uint64_t>(id)) * 1099511628211ull;
      tokens += e.size();
    }
  }
  std::sort(seconds.begin(), seconds.end());
  double median = seconds[seconds.size() / 2];
  std::printf("{\"impl\": \"senti\", \"threads\": %d, \"texts\": %zu, \"bytes\": %zu, \"tokens\": %llu, "
              "\"ids_hash\": \"%016llx\", \"median_s\": %.4f, \"min_s\": %.4f, \"max_s\": %.4f, "
              "\"texts_per_s\": %.1f, \"mb_per_s\": %.2f}\n",
              threads, texts.size(), bytes, (unsigned long long)tokens, (unsigned long long)hash, median,
              seconds.front(), seconds.back(), texts.size() / median, bytes / median / 1e6);
  return 0;
}
