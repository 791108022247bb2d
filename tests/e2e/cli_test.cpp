// The senti binary as a user runs it: exit codes, --help, --version, tokenize, vocab, predict,
// explain and convert.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/wait.h>

#include "io/safetensors.h"
#include "test_util.h"
#include "util/file.h"

namespace {
struct Result {
  int code;
  std::string out;
};

// Runs the senti binary with a shell-quoted argument string; captures stdout (stderr to a file).
Result run(const std::string& args, const std::string& input = "", const std::string& env = "") {
  std::string err = ::testing::TempDir() + "/senti_stderr.txt";
  std::string cmd = "env -u SENTI_MODEL " + env + " " + std::string(SENTI_BINARY) + " " + args + " 2>" + err;
  if (!input.empty()) {
    std::string in = ::testing::TempDir() + "/senti_stdin.txt";
    std::ofstream(in) << input;
    cmd += " <" + in;
  } else {
    cmd += " </dev/null";
  }
  Result r{0, ""};
  FILE* p = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string write_tiny_vocab() {
  std::string dir = ::testing::TempDir() + "/cli_model";
  std::system(("mkdir -p " + dir).c_str());
  std::ofstream(dir + "/vocab.txt") << "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nworld\n!\n";
  return dir;
}
}  // namespace

TEST(Cli, HelpVersionAndUsageErrors) {
  Result r = run("--help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("tokenize"), std::string::npos);
  r = run("--version");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("senti "), std::string::npos);
  EXPECT_EQ(run("").code, 2);                     // no subcommand
  EXPECT_EQ(run("frobnicate").code, 2);           // unknown subcommand
  EXPECT_EQ(run("tokenize --threads 0 x").code, 2);  // out-of-range flag
  r = run("tokenize --help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("head+tail"), std::string::npos);  // defaults are shown
}

TEST(Cli, TokenizeArgumentsStdinAndJsonl) {
  std::string dir = write_tiny_vocab();
  Result r = run("tokenize --tokenizer " + dir + " 'Hello world!'");
  ASSERT_EQ(r.code, 0);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["ids"], nlohmann::json({2, 5, 6, 7, 3}));
  EXPECT_EQ(j["tokens"][1], "hello");
  EXPECT_EQ(j["offsets"][2], nlohmann::json({6, 11}));

  r = run("tokenize --tokenizer " + dir, "hello\n{\"text\": \"world\"}\n{not json\n");
  ASSERT_EQ(r.code, 0);
  std::vector<nlohmann::json> lines;
  std::istringstream in(r.out);
  for (std::string l; std::getline(in, l);) lines.push_back(nlohmann::json::parse(l));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["ids"], nlohmann::json({2, 5, 3}));
  EXPECT_EQ(lines[1]["ids"], nlohmann::json({2, 6, 3}));  // JSONL object: its "text"
  EXPECT_EQ(lines[2]["tokens"][1], "[UNK]");            // not JSON: the line itself
}

TEST(Cli, RuntimeErrorsExitWithOne) {
  EXPECT_EQ(run("tokenize --tokenizer /nonexistent hello").code, 1);
  std::string bad = ::testing::TempDir() + "/bad_tokenizer.json";
  std::ofstream(bad) << "{\"model\": {\"type\": \"BPE\"}}";
  EXPECT_EQ(run("tokenize --tokenizer " + bad + " hello").code, 1);
}

TEST(Cli, VocabTrainsAVocabularyFile) {
  std::string dir = ::testing::TempDir() + "/cli_corpus";
  std::system(("rm -rf " + dir + " && mkdir -p " + dir).c_str());
  std::ofstream(dir + "/corpus.txt") << "the movie was great\nthe movie was bad\ngreat great movie\n";
  std::string out = dir + "/vocab.txt";
  Result r = run("vocab --data " + dir + "/corpus.txt --size 40 --min-frequency 1 --out " + out + " -q");
  ASSERT_EQ(r.code, 0);
  std::ifstream in(out);
  std::vector<std::string> tokens;
  for (std::string l; std::getline(in, l);) tokens.push_back(l);
  EXPECT_EQ(tokens.size(), 40u);
  EXPECT_EQ(tokens[0], "[PAD]");
  EXPECT_NE(std::find(tokens.begin(), tokens.end(), "movie"), tokens.end());
  // and it loads as a tokenizer
  r = run("tokenize --tokenizer " + out + " 'great movie'");
  ASSERT_EQ(r.code, 0);
  EXPECT_EQ(nlohmann::json::parse(r.out)["tokens"], nlohmann::json({"[CLS]", "great", "movie", "[SEP]"}));
}

TEST(Cli, PredictPrintsPipelineShapedJsonInInputOrder) {
  const std::string model = senti::test::source_dir() + "/tests/fixtures/models/odd-3label";
  Result r = run("predict -m " + model + " 'the movie was great' 'i hated it' --top-k all");
  ASSERT_EQ(r.code, 0);
  std::istringstream in(r.out);
  std::vector<nlohmann::json> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(nlohmann::json::parse(l));
  ASSERT_EQ(lines.size(), 2u);
  ASSERT_EQ(lines[0].size(), 3u);
  EXPECT_TRUE(lines[0][0].contains("label") && lines[0][0].contains("score"));

  // stdin: plain lines and JSONL objects, many of them, order kept; same results as arguments
  std::string input;
  for (int i = 0; i < 300; ++i) input += i % 2 ? "{\"text\": \"i hated it\"}\n" : "the movie was great\n";
  r = run("predict -m " + model + " --top-k all -b 7", input);
  ASSERT_EQ(r.code, 0);
  std::istringstream in2(r.out);
  int n = 0;
  for (std::string l; std::getline(in2, l); ++n) EXPECT_EQ(nlohmann::json::parse(l), lines[n % 2]) << n;
  EXPECT_EQ(n, 300);
}

TEST(Cli, PredictErrors) {
  const std::string model = senti::test::source_dir() + "/tests/fixtures/models/odd-3label";
  EXPECT_EQ(run("predict -m /nonexistent hello").code, 1);
  EXPECT_EQ(run("predict -m " + model + " --top-k zero hello").code, 2);
  EXPECT_EQ(run("predict -m " + model + " --truncation middle hello").code, 2);
  EXPECT_EQ(run("predict -m " + model + " --dtype int4 hello").code, 2);
  // --dtype: the same labels in int8 and bf16 as in f32 on the fixture's clear texts.
  const std::string f32 = run("predict -m " + model + " 'the movie was great' 'i hated it'").out;
  for (const char* dtype : {"bf16", "int8", "auto"}) {
    Result r = run("predict -m " + model + " --dtype " + dtype + " 'the movie was great' 'i hated it'");
    ASSERT_EQ(r.code, 0) << dtype;
    std::istringstream a(f32), b(r.out);
    for (std::string la, lb; std::getline(a, la) && std::getline(b, lb);)
      EXPECT_EQ(nlohmann::json::parse(la)[0]["label"], nlohmann::json::parse(lb)[0]["label"]) << dtype;
  }
  // No -m: $SENTI_MODEL, else the shipped default model (a usage error only when it is missing).
  if (senti::file_exists(senti::test::source_dir() + "/models/default/config.json")) {
    Result r = run("predict 'What a wonderful film, I loved every minute.'");
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("\"label\":\"POSITIVE\""), std::string::npos) << r.out;
  } else {
    EXPECT_EQ(run("predict hello").code, 2);
  }
  EXPECT_EQ(run("predict hello", "", "SENTI_MODEL=/nonexistent").code, 1);
}

TEST(Cli, PredictEmptyTexts) {
  const std::string model = senti::test::source_dir() + "/tests/fixtures/models/odd-3label";
  // On the command line an empty or whitespace-only text is a usage error, as the API's 422.
  EXPECT_EQ(run("predict -m " + model + " ''").code, 2);
  Result r = run("predict -m " + model + " 'fine' '  	'");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");  // nothing classified before the refusal
  // In a stream, a blank line gets an error object in its place; the others are classified.
  r = run("predict -m " + model + " --no-progress", "great film\n\n   \nawful\n");
  ASSERT_EQ(r.code, 0);
  std::istringstream in(r.out);
  std::vector<nlohmann::json> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(nlohmann::json::parse(l));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_TRUE(lines[0].is_array());
  EXPECT_EQ(lines[1]["error_type"], "Validation");
  EXPECT_NE(lines[1]["error"].get<std::string>().find("line 2"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2]["error"].get<std::string>().find("line 3"), std::string::npos) << lines[2];
  EXPECT_TRUE(lines[3].is_array());
  // Not a terminal: no "reading from stdin" prompt; --help shows --no-progress without a default.
  std::stringstream err;
  err << std::ifstream(::testing::TempDir() + "/senti_stderr.txt").rdbuf();
  EXPECT_EQ(err.str().find("Ctrl+D"), std::string::npos) << err.str();
  EXPECT_NE(err.str().find("2 empty or malformed line(s)"), std::string::npos) << err.str();
  r = run("predict --help");
  EXPECT_EQ(r.out.find("--no-progress{"), std::string::npos) << r.out;
}

TEST(Cli, PredictFileProgressCountsTexts) {
  const std::string model = senti::test::source_dir() + "/tests/fixtures/models/odd-3label";
  const std::string file = ::testing::TempDir() + "/senti_predict_texts.txt";
  {
    std::ofstream f(file);
    for (int i = 0; i < 50; ++i) f << "text number " << i << "\n";
    f << "no newline at the end";
  }
  // Progress on stderr, forced on by a plain (non-terminal) stream: its lines count texts.
  Result r = run("predict -m " + model + " --file " + file);
  ASSERT_EQ(r.code, 0);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 51);
  std::stringstream err;
  err << std::ifstream(::testing::TempDir() + "/senti_stderr.txt").rdbuf();
  EXPECT_EQ(err.str().find("bytes"), std::string::npos) << err.str();
}

TEST(Cli, ExplainPrintsColouredWordsOrJson) {
  const std::string model = senti::test::source_dir() + "/tests/fixtures/models/tiny-2label";
  const std::string text = "the acting was wonderful but the plot was boring";
  Result r = run("explain -m " + model + " --json '" + text + "' 'great fun'");
  ASSERT_EQ(r.code, 0);
  std::istringstream in(r.out);
  std::vector<nlohmann::json> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(nlohmann::json::parse(l));
  ASSERT_EQ(lines.size(), 2u);
  const auto& e = lines[0];
  for (const char* field : {"label", "score", "method", "words", "delta", "relative_delta", "log_odds"})
    EXPECT_TRUE(e.contains(field)) << field;
  EXPECT_EQ(e["method"], "ig");
  ASSERT_EQ(e["words"].size(), 9u);
  EXPECT_EQ(e["words"][3]["word"], "wonderful");
  EXPECT_EQ(e["words"][3]["start"], 15);
  EXPECT_EQ(e["words"][3]["end"], 24);
  EXPECT_LE(e["relative_delta"].get<double>(), 0.05);

  // Terminal form: the text with ANSI colours (forced), a summary; no colours when piped.
  r = run("explain -m " + model + " --color always --method occlusion '" + text + "'");
  ASSERT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("\033["), std::string::npos);
  EXPECT_NE(r.out.find("leave one word out"), std::string::npos) << r.out;
  r = run("explain -m " + model + " --method gxi --label NEGATIVE '" + text + "'");
  ASSERT_EQ(r.code, 0);
  EXPECT_EQ(r.out.find("\033["), std::string::npos);
  EXPECT_EQ(r.out.rfind(text + "\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("NEGATIVE"), std::string::npos);

  // Every method states its starting point: the explained label's probability with no words
  // read, the same for all methods, and the line that says it in the terminal form.
  double base = -1;
  for (const char* method : {"ig", "gxi", "occlusion"}) {
    Result m = run("explain -m " + model + " --json --method " + method + " '" + text + "'");
    ASSERT_EQ(m.code, 0) << method;
    auto j = nlohmann::json::parse(m.out);
    ASSERT_TRUE(j.contains("baseline_score")) << method;
    const double b = j["baseline_score"].get<double>();
    EXPECT_GT(b, 0.0);
    EXPECT_LT(b, 1.0);
    EXPECT_NEAR(b, 1 / (1 + std::exp(-j["baseline_log_odds"].get<double>())), 1e-6) << method;
    if (base >= 0) {
      EXPECT_NEAR(b, base, 1e-6) << method;
    }
    base = b;
  }
  r = run("explain -m " + model + " '" + text + "'");
  EXPECT_NE(r.out.find("with no words read: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("the words move it to"), std::string::npos) << r.out;
  // Punctuation is not listed as a word.
  r = run("explain -m " + model + " --method occlusion 'great , fun !'");
  ASSERT_EQ(r.code, 0);
  EXPECT_EQ(r.out.find(", ("), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("! ("), std::string::npos) << r.out;

  EXPECT_EQ(run("explain -m " + model + " --method lime x").code, 2);
  EXPECT_EQ(run("explain -m " + model + " --steps 0 x").code, 2);
  EXPECT_EQ(run("explain -m " + model + " --label NEUTRAL x").code, 2);  // invalid arguments are usage errors
  EXPECT_EQ(run("explain -m " + model + " --window 16 x").code, 2);
  EXPECT_EQ(run("explain -m /nonexistent x").code, 1);
}

namespace {
std::string stderr_text() {
  std::stringstream err;
  err << std::ifstream(::testing::TempDir() + "/senti_stderr.txt").rdbuf();
  return err.str();
}
}  // namespace

// `senti train` ends with a line for people; --max-time stops with a checkpoint that --resume
// continues; `senti eval` on a terminal prints a summary naming the labels, --json the JSON.
TEST(Cli, TrainAndEvalSayWhatHappened) {
  const std::string work = ::testing::TempDir() + "/senti_cli_train";
  std::system(("rm -rf " + work + " && mkdir -p " + work).c_str());
  {
    std::ofstream f(work + "/data.csv");
    f << "id,comment,label\n";
    const char* pos[] = {"a great movie", "i loved it", "wonderful acting", "good fun", "great plot"};
    const char* neg[] = {"a bad movie", "i hated it", "awful acting", "boring plot", "terrible film"};
    for (int r = 0; r < 8; ++r)
      for (int i = 0; i < 5; ++i) f << r << i << "," << pos[i] << ",POSITIVE\n" << r << i << "b," << neg[i] << ",NEGATIVE\n";
  }
  const std::string model = senti::test::source_dir() + "/tests/fixtures/models/tiny-2label";
  const std::string common = " --data " + work + "/data.csv --max-length 32 --epochs 3 -b 8 --lr 1e-3 --validation-fraction 0.25 -t 1 --no-progress";
  // A time budget of a microsecond stops after the first step, resumably.
  Result r = run("train -m " + model + " -o " + work + "/out --max-time 0.000001s" + common);
  ASSERT_EQ(r.code, 0) << stderr_text();
  EXPECT_NE(stderr_text().find("(the time limit)"), std::string::npos) << stderr_text();
  EXPECT_NE(stderr_text().find("continue with the same command and --resume"), std::string::npos) << stderr_text();
  EXPECT_EQ(nlohmann::json::parse(r.out)["finished"], false);
  r = run("train -m " + model + " -o " + work + "/out --resume" + common);
  ASSERT_EQ(r.code, 0) << stderr_text();
  EXPECT_EQ(nlohmann::json::parse(r.out)["finished"], true);
  const std::string err = stderr_text();
  EXPECT_NE(err.find("model saved to " + work + "/out: validation accuracy"), std::string::npos) << err;
  EXPECT_NE(err.find("next: senti eval -m " + work + "/out"), std::string::npos) << err;
  EXPECT_EQ(run("train -m " + model + " -o " + work + "/o2 --max-time 20x" + common).code, 2);
  // eval: JSON through a pipe; on a terminal (script(1) gives it one) the summary; --json there too.
  r = run("eval -m " + work + "/out --data " + work + "/data.csv --no-progress");
  ASSERT_EQ(r.code, 0);
  EXPECT_TRUE(nlohmann::json::parse(r.out).contains("accuracy"));
  const std::string eval = std::string(SENTI_BINARY) + " eval -m " + work + "/out --data " + work + "/data.csv --no-progress";
  FILE* p = popen(("script -qec '" + eval + " --report " + work + "/report.html' /dev/null 2>&1").c_str(), "r");
  std::string tty;
  std::array<char, 4096> buf;
  for (size_t n; (n = fread(buf.data(), 1, buf.size(), p)) > 0;) tty.append(buf.data(), n);
  EXPECT_EQ(pclose(p), 0);
  EXPECT_NE(tty.find("accuracy "), std::string::npos) << tty;
  EXPECT_NE(tty.find("are those of POSITIVE (label 1)"), std::string::npos) << tty;
  EXPECT_NE(tty.find("confusion matrix (rows: true label, columns: predicted)"), std::string::npos) << tty;
  EXPECT_EQ(tty.find("{\"n\""), std::string::npos) << tty;
  p = popen(("script -qec '" + eval + " --json' /dev/null 2>&1").c_str(), "r");
  std::string tty_json;
  for (size_t n; (n = fread(buf.data(), 1, buf.size(), p)) > 0;) tty_json.append(buf.data(), n);
  pclose(p);
  EXPECT_NE(tty_json.find("{\"n\""), std::string::npos) << tty_json;
  // The report labels the ROC axes.
  std::stringstream report;
  report << std::ifstream(work + "/report.html").rdbuf();
  EXPECT_NE(report.str().find("true positive rate"), std::string::npos);
  std::system(("rm -rf " + work).c_str());
}

// Pipe-based engines (Spark's RDD.pipe, Hadoop Streaming, GNU parallel --pipe) split the input
// and concatenate the outputs in order: output line N must answer input line N. A malformed
// JSONL line gets an error object in its place, -q keeps stderr empty, and the output of a
// file split over two processes by GNU parallel equals one process's byte for byte.
TEST(Cli, PredictIsAPipeStage) {
  const std::string model = senti::test::source_dir() + "/tests/fixtures/models/tiny-2label";
  const std::string work = ::testing::TempDir() + "/senti_pipe";
  std::system(("rm -rf " + work + " && mkdir -p " + work).c_str());
  {
    std::ofstream f(work + "/in.jsonl");
    const char* texts[] = {"the movie was great", "i hated it", "a boring plot", "wonderful acting", "not very fun"};
    for (int i = 0; i < 200; ++i) f << nlohmann::json{{"text", std::string(texts[i % 5]) + " " + std::to_string(i)}}.dump() << "\n";
  }
  Result one = run("predict -q -m " + model + " --file " + work + "/in.jsonl");
  ASSERT_EQ(one.code, 0);
  EXPECT_EQ(std::count(one.out.begin(), one.out.end(), '\n'), 200);
  EXPECT_EQ(stderr_text(), "") << "-q keeps stderr clean";
  // A malformed line and a cut-off last line: error objects in their places, the rest in order.
  Result bad = run("predict -q -m " + model, "{\"text\": \"great\"}\n{\"text\": oops}\nplain text\n{\"text\": \"cut off");
  ASSERT_EQ(bad.code, 0);
  std::istringstream lines(bad.out);
  std::vector<nlohmann::json> out;
  for (std::string l; std::getline(lines, l);) out.push_back(nlohmann::json::parse(l));
  ASSERT_EQ(out.size(), 4u);
  EXPECT_TRUE(out[0].is_array());
  EXPECT_NE(out[1]["error"].get<std::string>().find("line 2"), std::string::npos) << out[1];
  EXPECT_TRUE(out[2].is_array());
  EXPECT_NE(out[3]["error"].get<std::string>().find("line 4"), std::string::npos) << out[3];
  EXPECT_EQ(stderr_text(), "");
  // GNU parallel: 2 processes, blocks of 17 lines, output kept in input order (-k).
  ASSERT_EQ(std::system("command -v parallel >/dev/null"), 0) << "GNU parallel is missing: run scripts/install-deps";
  const std::string cmd = "parallel --will-cite --pipe -k -N 17 -j 2 " + std::string(SENTI_BINARY) + " predict -q -t 1 -m " +
                          model + " < " + work + "/in.jsonl > " + work + "/split.out 2>" + work + "/split.err";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::stringstream split;
  split << std::ifstream(work + "/split.out").rdbuf();
  EXPECT_EQ(split.str(), one.out) << "split over 2 processes differs from one process";
  std::system(("rm -rf " + work).c_str());
}

// `senti convert`: other dtypes with the config's torch_dtype, and the mean of several models
// (a model soup) checked tensor by tensor against the inputs; mismatched models are refused.
TEST(Cli, ConvertWritesDtypesAndAveragesModels) {
  const std::string model = senti::test::source_dir() + "/tests/fixtures/models/odd-3label";
  const std::string work = ::testing::TempDir() + "/cli_convert";
  std::system(("rm -rf " + work).c_str());
  ASSERT_EQ(run("convert -q -m " + model + " -o " + work + "/f16 --dtype f16").code, 0);
  EXPECT_EQ(nlohmann::json::parse(senti::read_file(work + "/f16/config.json"))["torch_dtype"], "float16");
  EXPECT_EQ(senti::read_file(work + "/f16/vocab.txt"), senti::read_file(model + "/vocab.txt"));
  ASSERT_EQ(run("convert -q -m " + model + " -o " + work + "/f32 --dtype f32").code, 0);
  // The mean of a model and itself is the model, bit for bit.
  ASSERT_EQ(run("convert -q -m " + model + " -m " + model + " -o " + work + "/self --dtype f32").code, 0);
  EXPECT_EQ(senti::read_file(work + "/self/model.safetensors"), senti::read_file(work + "/f32/model.safetensors"));
  // The mean of the model and its F16 copy (their configs differ only in torch_dtype).
  Result r = run("convert -m " + model + " -m " + work + "/f16 -o " + work + "/soup --dtype f32");
  ASSERT_EQ(r.code, 0);
  EXPECT_NE(stderr_text().find("the mean of 2 models"), std::string::npos) << stderr_text();
  auto a = senti::io::SafetensorsFile::open(model + "/model.safetensors");
  auto b = senti::io::SafetensorsFile::open(work + "/f16/model.safetensors");
  auto soup = senti::io::SafetensorsFile::open(work + "/soup/model.safetensors");
  ASSERT_EQ(soup->tensors().size(), a->tensors().size());
  size_t differing = 0;
  for (const auto& [name, entry] : a->tensors()) {
    const senti::Tensor x = a->load_f32(name, entry.shape), y = b->load_f32(name, entry.shape),
                        m = soup->load_f32(name, entry.shape);
    for (int64_t k = 0; k < x.numel(); ++k) {
      ASSERT_FLOAT_EQ(m.data()[k], (x.data()[k] + y.data()[k]) / 2) << name << "[" << k << "]";
      differing += x.data()[k] != y.data()[k];
    }
  }
  EXPECT_GT(differing, 100u);  // F16 rounding moved most weights: the mean is not a copy
  // Another architecture, or another vocabulary: refused as a usage error, naming the file that differs.
  r = run("convert -m " + model + " -m " + senti::test::source_dir() + "/tests/fixtures/models/tiny-2label -o " + work + "/bad");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(stderr_text().find("config.json differs"), std::string::npos) << stderr_text();
  std::system(("cp -r " + work + "/f16 " + work + "/vocab && echo extra >> " + work + "/vocab/vocab.txt").c_str());
  r = run("convert -m " + model + " -m " + work + "/vocab -o " + work + "/bad");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(stderr_text().find("vocab.txt differs"), std::string::npos) << stderr_text();
  EXPECT_EQ(run("convert -m " + model + " -m " + work + "/f16 -o " + work + "/f16").code, 2);  // --out is an input
  EXPECT_EQ(run("convert -m /nonexistent -o " + work + "/missing").code, 1);
  std::system(("rm -rf " + work).c_str());
}
