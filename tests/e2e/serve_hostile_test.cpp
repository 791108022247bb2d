// `senti serve` under hostile clients, each probe of the hostile-input report as a test over raw
// sockets: a deeply nested JSON body, slow-header (slowloris) connections, chunked bodies over
// the limit, header floods, lenient framing (two Content-Lengths, "+22", pipelining), methods,
// SIGTERM with slow clients, CSV injection through /api/flag, memory after huge words.
// No timing thresholds: waits are hang guards, what is asserted is behaviour.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "e2e/serve_process.h"
#include "test_util.h"

using nlohmann::json;

namespace {
struct Server {
  pid_t pid = -1;
  int port = 0;
  FILE* err = nullptr;
  std::string dir, flag_file;  // a temporary folder of its own, removed with it

  explicit Server(std::vector<std::string> extra) {
    char tmpl[] = "/tmp/senti-hostile-XXXXXX";
    EXPECT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
    flag_file = dir + "/flags.csv";
    std::vector<std::string> args = {"--port", "0", "--flag-file", flag_file};
    args.insert(args.end(), extra.begin(), extra.end());
    senti::test::Child c = senti::test::spawn_serve(args);
    pid = c.pid;
    err = c.err;
    const std::string url = senti::test::wait_for_line(err, std::regex(R"(http://127\.0\.0\.1:(\d+)/)"));
    port = url.empty() ? 0 : std::stoi(url);
    senti::test::wait_for_line(err, std::regex("ready"));
    EXPECT_GT(port, 0) << "senti serve printed no URL";
    // Keep draining its log so that it never blocks on a full pipe.
    drain = std::thread([f = err] {
      char buf[4096];
      while (std::fgets(buf, sizeof buf, f)) {
      }
    });
  }
  ~Server() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    if (drain.joinable()) drain.join();
    if (err) fclose(err);
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  // Exit code after SIGTERM, or -2 when it did not exit within `guard_s` (a hang guard).
  int terminate(int guard_s = 30) {
    kill(pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < guard_s * 100; ++i) {
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -2;
  }
  long rss_kb() const {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
  }
  std::thread drain;
};

int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Everything the server sends until it closes, or until `guard_ms` passes without data.
std::string read_until_close(int fd, int guard_ms = 20000) {
  std::string out;
  char buf[65536];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, guard_ms) <= 0) break;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// One complete HTTP response (headers + Content-Length body) from fd.
std::string read_response(int fd, std::string& pending, int guard_ms = 20000) {
  char buf[65536];
  for (;;) {
    auto end = pending.find("\r\n\r\n");
    if (end != std::string::npos) {
      std::smatch m;
      std::string head = pending.substr(0, end);
      size_t length = 0;
      if (std::regex_search(head, m, std::regex("Content-Length: (\\d+)", std::regex::icase))) length = std::stoul(m[1]);
      if (pending.size() >= end + 4 + length) {
        std::string r = pending.substr(0, end + 4 + length);
        pending.erase(0, end + 4 + length);
        return r;
      }
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, guard_ms) <= 0) return "";
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return "";
    pending.append(buf, static_cast<size_t>(n));
  }
}

// One request on a fresh connection: the raw response.
std::string round_trip(int port, const std::string& request) {
  int fd = connect_to(port);
  if (fd < 0) return "";
  std::string pending, r;
  if (send_all(fd, request)) r = read_response(fd, pending);
  close(fd);
  return r;
}

int status_of(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0) return -1;
  return std::stoi(response.substr(9, 3));
}
std::string body_of(const std::string& response) {
  auto p = response.find("\r\n\r\n");
  return p == std::string::npos ? "" : response.substr(p + 4);
}

std::string post(const std::string& path, const std::string& body, const std::string& extra_headers = "") {
  return "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + extra_headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}
const std::string kHealth = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";

std::string nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

void raise_fd_limit() {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
}
}  // namespace

TEST(ServeHostile, DeeplyNestedJsonIsRefusedWithAShortErrorAndTheServerLives) {
  Server s({});
  const std::string deep = nested(70000);
  const std::vector<std::pair<std::string, std::string>> probes = {
      {"/api/predict", R"({"inputs":"x","top_k":)" + deep + "}"},
      {"/api/predict", R"({"inputs":"x","truncation":)" + deep + "}"},
      {"/api/explain", R"({"inputs":"x","method":)" + deep + "}"},
      {"/predict", R"({"inputs":"x","truncation_direction":)" + deep + "}"},
      {"/api/flag", R"({"input":"x","output":)" + deep + "}"},
  };
  for (const auto& [path, body] : probes) {
    std::string r = round_trip(s.port, post(path, body));
    EXPECT_EQ(status_of(r), 422) << path << ": " << r.substr(0, 300);
    EXPECT_LT(body_of(r).size(), 300u) << "the error echoes the value";
    EXPECT_NE(body_of(r).find("nested more than 64"), std::string::npos) << body_of(r);
  }
  // Just under the limit the value is parsed, and the error quotes a short excerpt of it.
  std::string r = round_trip(s.port, post("/api/predict", R"({"inputs":"x","top_k":)" + nested(60) + "}"));
  EXPECT_EQ(status_of(r), 422) << r;
  EXPECT_LT(body_of(r).size(), 300u) << r;
  EXPECT_EQ(status_of(round_trip(s.port, kHealth)), 200);
}

TEST(ServeHostile, SlowHeaderConnectionsDoNotMakeTheServerDeaf) {
  raise_fd_limit();
  // Four workers, 600 connections that each trickle a header line: connections are not threads.
  Server s({"--http-threads", "4", "--header-timeout", "60"});
  std::vector<int> slow;
  for (int i = 0; i < 600; ++i) {
    int fd = connect_to(s.port);
    ASSERT_GE(fd, 0) << "connection " << i;
    ASSERT_TRUE(send_all(fd, "GET /health HTTP/1.1\r\nHost: x\r\n"));
    slow.push_back(fd);
  }
  for (int round = 0; round < 3; ++round) {
    for (int fd : slow) send_all(fd, "X-Slow: " + std::to_string(round) + "\r\n");
    EXPECT_EQ(status_of(round_trip(s.port, kHealth)), 200) << "round " << round;
    std::string r = round_trip(s.port, post("/api/predict", R"({"inputs":"a fine film"})"));
    EXPECT_EQ(status_of(r), 200) << r;
  }
  // The slow requests are still valid: finishing them gets answers.
  for (size_t i = 0; i < 5; ++i) {
    ASSERT_TRUE(send_all(slow[i], "\r\n"));
    std::string pending;
    EXPECT_EQ(status_of(read_response(slow[i], pending)), 200);
  }
  for (int fd : slow) close(fd);
}

TEST(ServeHostile, HeaderDeadlineIsTotalNotPerLine) {
  Server s({"--header-timeout", "1"});
  int fd = connect_to(s.port);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(send_all(fd, "GET /health HTTP/1.1\r\nHost: x\r\n"));
  // A line every 200 ms keeps an idle timer alive forever; a total deadline closes it.
  std::string got;
  for (int i = 0; i < 50 && got.empty(); ++i) {
    if (!send_all(fd, "X-Slow: 1\r\n")) break;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 200) > 0) got = read_until_close(fd);
  }
  close(fd);
  EXPECT_EQ(status_of(got), 408) << got;
  EXPECT_NE(got.find("--header-timeout"), std::string::npos) << got;
}

TEST(ServeHostile, PostWithoutContentLengthIsAnsweredAtOnce) {
  Server s({});
  // No Content-Length and no chunking: the body is empty (RFC 9112), not awaited.
  std::string r = round_trip(s.port, "POST /api/predict HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(r), 422) << r;
}

TEST(ServeHostile, SigtermExitsWithinTheShutdownDeadlineWhateverSlowClientsDo) {
  Server s({"--shutdown-timeout", "2", "--header-timeout", "60", "--body-timeout", "60"});
  std::vector<int> fds;
  for (int i = 0; i < 3; ++i) {  // three clients mid-headers, three mid-body
    int a = connect_to(s.port), b = connect_to(s.port);
    ASSERT_TRUE(send_all(a, "GET /health HTTP/1.1\r\nHost: x\r\n"));
    ASSERT_TRUE(send_all(b, "POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"inputs\""));
    fds.push_back(a);
    fds.push_back(b);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(s.terminate(), 0);
  for (int fd : fds) close(fd);
}

TEST(ServeHostile, ChunkedBodiesCountAgainstMaxBody) {
  Server s({"--max-body", "100000"});
  int fd = connect_to(s.port);
  ASSERT_TRUE(send_all(fd, "POST /api/predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
  // 200 KB in 1 KB chunks, then stop sending: the 413 must come without the rest of the body.
  const std::string chunk = "400\r\n" + std::string(1024, 'a') + "\r\n";
  for (int i = 0; i < 200; ++i)
    if (!send_all(fd, chunk)) break;
  std::string r = read_until_close(fd);
  close(fd);
  EXPECT_EQ(status_of(r), 413) << r.substr(0, 300);
  EXPECT_NE(r.find("--max-body"), std::string::npos);
  // A chunked body within the limit is read and answered.
  const std::string body = R"({"inputs":"a fine film"})";
  char size[16];
  std::snprintf(size, sizeof size, "%zx", body.size());
  r = round_trip(s.port, "POST /api/predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(size) +
                           "\r\n" + body + "\r\n0\r\n\r\n");
  EXPECT_EQ(status_of(r), 200) << r;
}

TEST(ServeHostile, HeaderCountAndSizeAreCapped) {
  Server s({});
  std::string many = "GET /health HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 150; ++i) many += "X-" + std::to_string(i) + ": y\r\n";
  std::string r = round_trip(s.port, many + "\r\n");
  EXPECT_EQ(status_of(r), 431) << r;
  // 2 million headers: refused at the size cap, long before they are all sent.
  int fd = connect_to(s.port);
  ASSERT_TRUE(send_all(fd, "GET /health HTTP/1.1\r\nHost: x\r\n"));
  std::string block;
  for (int i = 0; i < 1000; ++i) block += "X-a: b\r\n";
  for (int i = 0; i < 2000; ++i)
    if (!send_all(fd, block)) break;
  r = read_until_close(fd);
  close(fd);
  EXPECT_EQ(status_of(r), 431) << r.substr(0, 300);
  EXPECT_EQ(status_of(round_trip(s.port, kHealth)), 200);
}

TEST(ServeHostile, FramingIsStrict) {
  Server s({});
  const std::string body = R"({"inputs":"a fine film"})";
  auto with_length = [&](const std::string& length_headers) {
    return "POST /api/predict HTTP/1.1\r\nHost: x\r\n" + length_headers + "\r\n" + body;
  };
  const std::string n = std::to_string(body.size());
  EXPECT_EQ(status_of(round_trip(s.port, with_length("Content-Length: " + n + "\r\nContent-Length: 5\r\n"))), 400);
  EXPECT_EQ(status_of(round_trip(s.port, with_length("Content-Length: " + n + "\r\nContent-Length: " + n + "\r\n"))), 400);
  EXPECT_EQ(status_of(round_trip(s.port, with_length("Content-Length: +" + n + "\r\n"))), 400);
  EXPECT_EQ(status_of(round_trip(s.port, with_length("Content-Length: abc\r\n"))), 400);
  EXPECT_EQ(status_of(round_trip(s.port, with_length("Content-Length: " + n + "\r\n"))), 200);
  // Three requests in one write get three answers, in order.
  int fd = connect_to(s.port);
  ASSERT_TRUE(send_all(fd, kHealth + post("/api/predict", body) + "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string pending;
  EXPECT_EQ(status_of(read_response(fd, pending)), 200);
  std::string second = read_response(fd, pending);
  EXPECT_EQ(status_of(second), 200);
  EXPECT_NE(body_of(second).find("label"), std::string::npos) << second;
  EXPECT_EQ(status_of(read_response(fd, pending)), 404);
  close(fd);
}

TEST(ServeHostile, OtherMethodsGet405WithAllow) {
  Server s({});
  for (const char* method : {"GET", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    for (const char* path : {"/api/predict", "/predict", "/api/explain", "/api/flag"}) {
      std::string r = round_trip(s.port, std::string(method) + " " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
      EXPECT_EQ(status_of(r), 405) << method << " " << path << ": " << r;
      EXPECT_NE(r.find("Allow: POST"), std::string::npos) << r;
    }
  }
  std::string r = round_trip(s.port, "DELETE /health HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(r), 405) << r;
  EXPECT_NE(r.find("Allow: GET, HEAD"), std::string::npos) << r;
}

TEST(ServeHostile, BodiesAreJsonWhateverTheContentTypeAndCrossSitePostsAreRefused) {
  Server s({});
  // curl -d sends a form Content-Type: a JSON body over 8 KB is still read as JSON.
  const std::string long_text = R"({"inputs":")" + std::string(9000, 'a') + R"( good"})";
  std::string r = round_trip(s.port, "POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                                   "Content-Length: " + std::to_string(long_text.size()) + "\r\n\r\n" + long_text);
  EXPECT_EQ(status_of(r), 200) << r.substr(0, 300);
  // A page on another site posting without asking (a "simple" request) is refused.
  r = round_trip(s.port, post("/api/flag", R"({"input":"x"})", "Sec-Fetch-Site: cross-site\r\n"));
  EXPECT_EQ(status_of(r), 403) << r;
}

TEST(ServeHostile, InvisibleTextIsEmpty) {
  Server s({});
  // Zero-width space, NBSP, a control character, BOM, ideographic space: nothing to read.
  for (const char* text : {"\\u200b\\u200b", "\\u00a0 \\u00a0", "\\u0001\\u0002", "\\ufeff", "\\u3000\\u2060"}) {
    std::string r = round_trip(s.port, post("/api/predict", std::string(R"({"inputs":")") + text + "\"}"));
    EXPECT_EQ(status_of(r), 422) << text << ": " << r;
  }
}

TEST(ServeHostile, LowercaseBearerIsAccepted) {
  Server s({"--api-key", "k3y"});
  EXPECT_EQ(status_of(round_trip(s.port, post("/api/predict", R"({"inputs":"fine"})", "Authorization: bearer k3y\r\n"))), 200);
  EXPECT_EQ(status_of(round_trip(s.port, post("/api/predict", R"({"inputs":"fine"})", "Authorization: Bearer nope\r\n"))), 401);
}

TEST(ServeHostile, FlagLogNeutralizesFormulasAndRecordsTheServersOwnAnswer) {
  Server s({});
  json req = {{"input", "=HYPERLINK(\"http://evil\",\"x\")"},
              {"output", {{{"label", "HACKED"}, {"score", 1.0}}}},
              {"flag", "@SUM(1+1)"}};
  std::string r = round_trip(s.port, post("/api/flag", req.dump()));
  ASSERT_EQ(status_of(r), 200) << r;
  const std::string label = json::parse(body_of(r))["label"];
  EXPECT_TRUE(label == "POSITIVE" || label == "NEGATIVE") << label;
  std::ifstream in(s.flag_file);
  std::string csv((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(csv.find("HACKED"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\"'=HYPERLINK("), std::string::npos) << csv;
  EXPECT_NE(csv.find(",'@SUM(1+1),"), std::string::npos) << csv;
  EXPECT_NE(csv.find("," + label + ","), std::string::npos) << csv;
  for (const std::string line_start : {"\n=", "\n+", "\n-", "\n@", ",=", ",+", ",-", ",@", ",\"=", ",\"@"})
    EXPECT_EQ(csv.find(line_start), std::string::npos) << line_start << " in " << csv;
}

TEST(ServeHostile, MemoryComesBackAfterHugeWords) {
  Server s({"--http-threads", "16", "--max-body", "4000000"});
  const long before = s.rss_kb();
  const std::string word(1900000, 'a');
  for (int i = 0; i < 40; ++i) {  // new connections: new worker threads each time, in turn
    std::string r = round_trip(s.port, post("/api/predict", R"({"inputs":")" + word + "\"}"));
    ASSERT_EQ(status_of(r), 200) << r.substr(0, 300);
  }
  const long after = s.rss_kb();
  // 16 threads keeping a 2 MB word's scratch each (char offsets, spans: ~60 B a byte) would
  // hold gigabytes; given back, RSS grows by what one request needs at most.
  EXPECT_LT(after - before, 400 * 1024) << "RSS " << before << " kB -> " << after << " kB";
}

TEST(ServeHostile, ExplanationsOverTheWorkBudgetAre413) {
  Server s({"--max-explain-work", "1000"});
  json req = {{"inputs", "a fine film that i would watch again with friends and family"},
              {"steps", 256},
              {"tolerance", 0}};
  std::string r = round_trip(s.port, post("/api/explain", req.dump()));
  EXPECT_EQ(status_of(r), 413) << r;
  EXPECT_NE(r.find("--max-explain-work"), std::string::npos) << r;
  req["steps"] = 8;
  r = round_trip(s.port, post("/api/explain", req.dump()));
  EXPECT_EQ(status_of(r), 200) << r;
}
