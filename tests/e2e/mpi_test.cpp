// Data-parallel training over MPI (train/ranks.h): 2 ranks started by mpirun on loopback
// compute what one process computes with the same global batch. Loss curves and final weights
// agree within 1e-5 relative (the ranks sum their gradients in another order), both ranks hold
// identical weights (checked by the run itself at each epoch's end), rank 0 alone writes and
// prints, a checkpoint written by 2 ranks resumes in one process, and an error on one rank
// ends the run instead of leaving the other waiting.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <sys/wait.h>

#include "io/safetensors.h"
#include "test_util.h"

namespace {
namespace fs = std::filesystem;

struct Outcome {
  int code;
  std::string out, err;
};

const std::string kMpirun = "mpirun --allow-run-as-root --oversubscribe -np 2 ";

// Runs a shell command line; stdout captured, stderr read back from a file.
Outcome run(const std::string& cmd, const std::string& work) {
  const std::string err = work + "/stderr.txt";
  Outcome r{0, "", ""};
  FILE* p = popen(("env -u SENTI_MODEL -u SENTI_THREADS " + cmd + " 2>" + err + " </dev/null").c_str(), "r");
  std::array<char, 4096> buf;
  for (size_t n; (n = fread(buf.data(), 1, buf.size(), p)) > 0;) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::stringstream s;
  s << std::ifstream(err).rdbuf();
  r.err = s.str();
  return r;
}

std::string senti_bin() { return SENTI_BINARY; }

// |a - b| <= 1e-5 * max(|a|, |b|), with a floor of 1e-7 for values near zero.
bool close(double a, double b) { return std::fabs(a - b) <= 1e-5 * std::max({std::fabs(a), std::fabs(b), 1e-2}); }
// Weights after the run: the same, with a floor of 1e-6 (about 1e-4 of the weights' typical size,
// 0.02). Adam's step is lr·m/√v, so a weight whose gradient is close to zero moves by rounding
// noise scaled up towards the learning rate (1e-2 here); the order of the float sums differs
// between one process and two ranks, and by the CPU's matrix-product kernels (seen on AVX2:
// 1.05e-7 on a weight of 1.2e-3 after 30 steps). A lost or doubled micro-batch moves weights by
// about the learning rate, 1e4 times this floor.
bool close_weight(double a, double b) { return std::fabs(a - b) <= 1e-5 * std::max(std::fabs(a), std::fabs(b)) + 1e-6; }

// Every tensor of two checkpoints, element by element; returns the first disagreement.
std::string compare_weights(const std::string& a_dir, const std::string& b_dir, size_t& compared) {
  auto a = senti::io::SafetensorsFile::open(a_dir + "/model.safetensors");
  auto b = senti::io::SafetensorsFile::open(b_dir + "/model.safetensors");
  if (a->tensors().size() != b->tensors().size()) return "different tensor counts";
  compared = 0;
  for (const auto& [name, entry] : a->tensors()) {
    if (!b->find(name)) return name + " missing";
    // The key bias has no gradient in exact arithmetic (softmax ignores a shift common to a
    // row's scores): its "gradient" is rounding noise, which differs with the order of the sums
    // and which Adam scales up to learning-rate-sized steps. Its value is not a computation
    // to compare.
    if (name.find("attention.k_lin.bias") != std::string::npos) continue;
    senti::Tensor ta = a->load_f32(name, entry.shape), tb = b->load_f32(name, entry.shape);
    for (int64_t i = 0; i < ta.numel(); ++i, ++compared)
      if (!close_weight(ta.data()[i], tb.data()[i]))
      {
        char msg[160];
        std::snprintf(msg, sizeof msg, "[%lld]: %.9g vs %.9g", static_cast<long long>(i), ta.data()[i], tb.data()[i]);
        return name + msg;
      }
  }
  return "";
}

std::vector<double> losses(const std::string& metrics_file) {
  std::ifstream f(metrics_file);
  nlohmann::json j = nlohmann::json::parse(f);
  std::vector<double> out;
  for (const auto& s : j.at("steps")) out.push_back(s.at("loss").get<double>());
  return out;
}

void expect_same_run(const std::string& one, const std::string& two, const std::string& metrics) {
  const auto la = losses(one + "/" + metrics), lb = losses(two + "/" + metrics);
  ASSERT_EQ(la.size(), lb.size());
  ASSERT_GE(la.size(), 4u);
  for (size_t i = 0; i < la.size(); ++i) EXPECT_TRUE(close(la[i], lb[i])) << "step " << i + 1 << ": " << la[i] << " vs " << lb[i];
  size_t compared = 0;
  EXPECT_EQ(compare_weights(one, two, compared), "");
  EXPECT_GT(compared, 10000u);
}

std::string write_data(const std::string& work) {
  std::ofstream f(work + "/data.csv");
  f << "text,label\n";
  const char* pos[] = {"a great movie", "i loved it", "wonderful acting", "good fun", "great plot"};
  const char* neg[] = {"a bad movie", "i hated it", "awful acting", "boring plot", "terrible film"};
  for (int r = 0; r < 8; ++r)
    for (int i = 0; i < 5; ++i) f << pos[i] << " " << r << ",POSITIVE\n" << neg[i] << " " << r << ",NEGATIVE\n";
  return work + "/data.csv";
}

class Mpi : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(std::system("command -v mpirun >/dev/null"), 0) << "mpirun is missing: run scripts/install-deps (openmpi-bin)";
    work = ::testing::TempDir() + "/senti_mpi_" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(work);
    fs::create_directories(work);
  }
  void TearDown() override { fs::remove_all(work); }
  std::string work;
};

}  // namespace

TEST_F(Mpi, TwoRanksTrainAsOneProcess) {
  const std::string model = senti::test::source_dir() + "/tests/fixtures/models/tiny-2label";
  // Global batch 2 × 4 sequences; dropout on (the tiny model has 0.1): the masks are keyed by
  // the micro-batch's number, so they are the same whichever rank computes it.
  const std::string common = " train -m " + model + " --data " + write_data(work) +
                             " --max-length 32 --epochs 2 -b 4 --grad-accum 2 --lr 1e-3 --validation-fraction 0.25 -t 1 "
                             "--no-progress --seed 7 --save-steps 3";
  Outcome one = run(senti_bin() + common + " -o " + work + "/one", work);
  ASSERT_EQ(one.code, 0) << one.err;
  Outcome two = run(kMpirun + senti_bin() + common + " -o " + work + "/two", work);
  ASSERT_EQ(two.code, 0) << two.err;
  // Rank 0 alone prints the result and writes the files.
  EXPECT_EQ(std::count(two.out.begin(), two.out.end(), '\n'), 1) << two.out;
  EXPECT_EQ(nlohmann::json::parse(two.out)["finished"], true);
  EXPECT_NE(two.err.find("data-parallel over 2 ranks"), std::string::npos) << two.err;
  EXPECT_NE(two.err.find("weights identical on all 2 ranks after epoch 2"), std::string::npos) << two.err;
  const auto count = [](const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count(two.err, "info: data: "), 1u) << "only rank 0 logs its progress:\n" << two.err;
  EXPECT_FALSE(fs::exists(work + "/two/frozen-cache.rank1.bin"));
  expect_same_run(work + "/one", work + "/two", "training_metrics.json");
  std::ifstream ja(work + "/one/eval_results.json"), jb(work + "/two/eval_results.json");
  EXPECT_TRUE(close(nlohmann::json::parse(ja)["loss"].get<double>(), nlohmann::json::parse(jb)["loss"].get<double>()));

  // Interrupted on 2 ranks after 4 steps, resumed by one process: the same run again.
  Outcome part = run(kMpirun + senti_bin() + common + " -o " + work + "/part --max-steps 4", work);
  ASSERT_EQ(part.code, 0) << part.err;
  EXPECT_EQ(nlohmann::json::parse(part.out)["finished"], false);
  Outcome rest = run(senti_bin() + common + " -o " + work + "/part --resume", work);
  ASSERT_EQ(rest.code, 0) << rest.err;
  expect_same_run(work + "/one", work + "/part", "training_metrics.json");
}

TEST_F(Mpi, TwoRanksPretrainAsOneProcess) {
  const std::string fixture = senti::test::source_dir() + "/tests/fixtures/models/tiny-mlm";
  {
    const char* phrases[] = {"i loved this movie and the acting was great", "the plot was boring and the ending was bad",
                             "this film is a waste of time and money", "i really recommend it the music is wonderful"};
    std::ofstream f(work + "/corpus.txt");
    std::mt19937 rng(3);
    for (int i = 0; i < 120; ++i) f << phrases[rng() % 4] << " " << phrases[rng() % 4] << "\n";
  }
  for (const char* objective : {"mlm", "electra"}) {
    SCOPED_TRACE(objective);
    const std::string common = std::string(" pretrain --objective ") + objective + " --config " + fixture +
                               "/config.json --tokenizer " + fixture + " --data " + work +
                               "/corpus.txt --epochs 2 -b 8 --grad-accum 2 --max-length 32 --lr 1e-2 -t 1 --no-progress";
    const std::string a = work + "/one-" + objective, b = work + "/two-" + objective;
    Outcome one = run(senti_bin() + common + " -o " + a, work);
    ASSERT_EQ(one.code, 0) << one.err;
    Outcome two = run(kMpirun + senti_bin() + common + " -o " + b, work);
    ASSERT_EQ(two.code, 0) << two.err;
    EXPECT_EQ(std::count(two.out.begin(), two.out.end(), '\n'), 1) << two.out;
    EXPECT_NE(two.err.find("weights identical on all 2 ranks after epoch 2"), std::string::npos) << two.err;
    expect_same_run(a, b, "pretrain_metrics.json");
  }
}

TEST_F(Mpi, AnErrorOnOneRankEndsTheRun) {
  // Rank 0 refuses to replace a finished model; rank 1 would wait for it forever.
  const std::string model = senti::test::source_dir() + "/tests/fixtures/models/tiny-2label";
  const std::string data = write_data(work);
  fs::create_directories(work + "/out");
  std::ofstream(work + "/out/model.safetensors") << "x";
  Outcome r = run("timeout 120 " + kMpirun + senti_bin() + " train -m " + model + " --data " + data +
                  " --max-length 32 --epochs 1 -b 4 -t 1 --no-progress -o " + work + "/out",
              work);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.code, 124) << "the ranks hung";
  EXPECT_NE(r.err.find("already holds a trained model"), std::string::npos) << r.err;
}
