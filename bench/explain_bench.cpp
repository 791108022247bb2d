// Time to explain one review with each method, beside the time of one prediction, at a given
// thread count; one JSON line per case. Also writes the review's token ids and senti's
// integrated-gradients token attributions (fixed steps) so the PyTorch peer can compute the
// same thing on the same ids and the script can compare the numbers.
//   bench_explain MODEL_DIR THREADS TEXT_FILE MAX_LENGTH STEPS SECONDS OUT_PREFIX
// Each case repeats until SECONDS have passed (at least 3 runs) after a warm-up; the median is
// reported with the spread.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "senti/classifier.h"
#include "senti/explainer.h"
#include "text/tokenizer.h"
#include "util/file.h"

using namespace senti;
using Clock = std::chrono::steady_clock;

namespace {
nlohmann::json timed(const std::string& name, double min_seconds, const std::function<void()>& fn) {
  fn();  // warm-up
  std::vector<double> t;
  const auto start = Clock::now();
  while (t.size() < 3 || std::chrono::duration<double>(Clock::now() - start).count() < min_seconds) {
    const auto t0 = Clock::now();
    fn();
    t.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return {{"case", name}, {"runs", t.size()}, {"ms", t[t.size() / 2] * 1e3}, {"ms_min", t.front() * 1e3},
          {"ms_max", t.back() * 1e3}};
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 8) {
    std::fprintf(stderr, "usage: %s MODEL_DIR THREADS TEXT_FILE MAX_LENGTH STEPS SECONDS OUT_PREFIX\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1], prefix = argv[7];
  const int threads = std::stoi(argv[2]);
  const std::string text = read_file(argv[3]);
  const size_t max_length = std::stoul(argv[4]);
  const int steps = std::stoi(argv[5]);
  const double seconds = std::stod(argv[6]);

  auto clf = Classifier::load(dir, {threads});
  auto ex = Explainer::load(dir, {threads});
  const auto tok = text::Tokenizer::from_path(dir);
  text::EncodeOptions eo;
  eo.truncation.max_length = max_length;
  const text::Encoding enc = tok.encode(text, eo);
  std::ofstream(prefix + "ids.json") << nlohmann::json(enc.ids).dump() << "\n";

  ClassifyOptions co;
  co.max_length = max_length;
  ExplainOptions fixed;
  fixed.max_length = max_length;
  fixed.steps = steps;
  fixed.tolerance = 0;
  const Explanation reference = ex->explain(text, fixed);
  nlohmann::json attr = nlohmann::json::array();
  for (const auto& t : reference.tokens) attr.push_back(t.score);
  std::ofstream(prefix + "senti-ig.json")
      << nlohmann::json{{"label", reference.label}, {"log_odds", reference.log_odds}, {"tokens", attr}}.dump() << "\n";

  auto emit = [&](nlohmann::json j) {
    j["impl"] = "senti";
    j["threads"] = threads;
    j["tokens"] = enc.size();
    std::printf("%s\n", j.dump().c_str());
    std::fflush(stdout);
  };
  emit(timed("predict", seconds, [&] { clf->classify({text}, co); }));
  emit(timed("ig " + std::to_string(steps) + " steps", seconds, [&] { ex->explain(text, fixed); }));
  ExplainOptions adaptive;
  adaptive.max_length = max_length;
  const Explanation a = ex->explain(text, adaptive);
  auto j = timed("ig default (from 32 steps, tolerance 2 %)", seconds, [&] { ex->explain(text, adaptive); });
  j["steps_used"] = a.steps;
  emit(j);
  ExplainOptions gxi = fixed;
  gxi.method = ExplainMethod::kGradientTimesInput;
  emit(timed("gxi", seconds, [&] { ex->explain(text, gxi); }));
  ExplainOptions occ = fixed;
  occ.method = ExplainMethod::kOcclusion;
  auto o = timed("occlusion", seconds, [&] { ex->explain(text, occ); });
  o["words"] = reference.words.size();
  emit(o);
  return 0;
}
