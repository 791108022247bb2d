// deploy/ as an operator uses it: nginx (deploy/nginx/senti.conf, only its ports changed) in
// front of two `senti serve` processes on loopback; 500 requests while one backend is killed
// and later restarted: every request is answered 200 (nginx retries on the other backend), and
// the backends' /metrics account for every one. The systemd unit passes `systemd-analyze
// verify`, and the Kubernetes manifest's arguments and probes work against a real server.
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "serve_process.h"
#include "test_util.h"

namespace {
namespace fs = std::filesystem;
using namespace senti::test;

std::string read_file(const std::string& path) {
  std::stringstream s;
  s << std::ifstream(path).rdbuf();
  return s.str();
}

// Replaces the one occurrence of `from` (a second one, or none, fails the test: the file changed shape).
void replace_once(std::string& text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << "'" << from << "' not found";
  ASSERT_EQ(text.find(from, at + 1), std::string::npos) << "'" << from << "' found twice";
  text.replace(at, from.size(), to);
}

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t n = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
  close(fd);
  return ntohs(a.sin_port);
}

// The backend's count of answered POST /api/predict requests with status 200.
long answered(int port) {
  httplib::Client c("127.0.0.1", port);
  auto res = c.Get("/metrics");
  if (!res || res->status != 200) return -1;
  std::smatch m;
  static const std::regex re(R"(senti_requests_total\{route="/api/predict",code="200"\} (\d+))");
  return std::regex_search(res->body, m, re) ? std::stol(m[1].str()) : 0;
}

bool wait_healthy(int port, int seconds) {
  httplib::Client c("127.0.0.1", port);
  for (int i = 0; i < seconds * 20; ++i) {
    if (auto res = c.Get("/health"); res && res->status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::string nginx_binary() {
  for (const char* p : {"/usr/sbin/nginx", "/usr/bin/nginx"})
    if (fs::exists(p)) return p;
  return "";
}

}  // namespace

TEST(Deploy, NginxKeepsAnsweringWhileABackendDiesAndReturns) {
  const std::string nginx = nginx_binary();
  ASSERT_FALSE(nginx.empty()) << "nginx is missing: run scripts/install-deps";
  const std::string work = ::testing::TempDir() + "/senti_deploy";
  fs::remove_all(work);
  fs::create_directories(work);

  Child a = spawn_serve({"--port", "0"}), b = spawn_serve({"--port", "0"});
  const std::regex url(R"(http://127\.0\.0\.1:(\d+)/)");
  const int port_a = std::stoi(wait_for_line(a.err, url)), port_b = std::stoi(wait_for_line(b.err, url));
  ASSERT_TRUE(wait_healthy(port_a, 30) && wait_healthy(port_b, 30));

  // The shipped configuration, with this test's ports.
  std::string site = read_file(source_dir() + "/deploy/nginx/senti.conf");
  const int port_lb = free_port();
  replace_once(site, "127.0.0.1:7861", "127.0.0.1:" + std::to_string(port_a));
  replace_once(site, "127.0.0.1:7862", "127.0.0.1:" + std::to_string(port_b));
  replace_once(site, "listen 8080;", "listen 127.0.0.1:" + std::to_string(port_lb) + ";");
  std::ofstream(work + "/senti.conf") << site;
  std::ofstream(work + "/nginx.conf") << "daemon off;\nworker_processes 1;\npid " << work << "/nginx.pid;\nerror_log " << work
                                      << "/error.log warn;\nuser root;\nevents { worker_connections 1024; }\nhttp {\n"
                                      << "  access_log off;\n  client_body_temp_path " << work << "/body;\n  proxy_temp_path "
                                      << work << "/proxy;\n  fastcgi_temp_path " << work << "/fastcgi;\n  uwsgi_temp_path "
                                      << work << "/uwsgi;\n  scgi_temp_path " << work << "/scgi;\n  include " << work
                                      << "/senti.conf;\n}\n";
  const pid_t lb = fork();
  if (lb == 0) {
    freopen((work + "/nginx.out").c_str(), "w", stderr);
    execl(nginx.c_str(), "nginx", "-p", work.c_str(), "-c", (work + "/nginx.conf").c_str(), "-e", (work + "/error.log").c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_TRUE(wait_healthy(port_lb, 10)) << read_file(work + "/error.log") << read_file(work + "/nginx.out");

  httplib::Client client("127.0.0.1", port_lb);
  client.set_read_timeout(30, 0);
  std::map<int, int> statuses;
  std::mutex statuses_mutex;
  auto predict = [&](httplib::Client& c, int i) {
    const std::string body = nlohmann::json{{"inputs", "review number " + std::to_string(i) + " was a good film"}}.dump();
    auto res = c.Post("/api/predict", body, "application/json");
    std::lock_guard<std::mutex> lock(statuses_mutex);
    ++statuses[res ? res->status : -1];
  };
  // Back on its port: once nginx's fail_timeout (5 s) has passed, it is in rotation again.
  auto restart_a = [&](std::vector<std::string> extra) {
    extra.insert(extra.begin(), {"--port", std::to_string(port_a)});
    Child c = spawn_serve(extra);
    EXPECT_TRUE(wait_healthy(port_a, 30));
    std::this_thread::sleep_for(std::chrono::milliseconds(5500));
    return c;
  };
  int i = 0;
  for (; i < 100; ++i) predict(client, i);
  // Backend A dies between requests, without warning.
  const long a_before_kill = answered(port_a);
  kill(a.pid, SIGKILL);
  waitpid(a.pid, nullptr, 0);
  fclose(a.err);
  for (; i < 250; ++i) predict(client, i);
  // It comes back slow (batches wait 4 s for company) and dies again with 8 requests in flight,
  // some of them inside it: nginx sends those to B (the POSTs are retried: non_idempotent).
  Child slow = restart_a({"--max-wait-ms", "4000"});
  std::vector<std::thread> burst;
  for (int k = 0; k < 8; ++k, ++i)
    burst.emplace_back([&, i] {
      httplib::Client c("127.0.0.1", port_lb);
      c.set_read_timeout(30, 0);
      predict(c, i);
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  kill(slow.pid, SIGKILL);
  waitpid(slow.pid, nullptr, 0);
  fclose(slow.err);
  for (auto& t : burst) t.join();
  const std::string lb_log = read_file(work + "/error.log");
  EXPECT_NE(lb_log.find("upstream: \"http://127.0.0.1:" + std::to_string(port_a)), std::string::npos)
      << "no request was in flight inside the backend when it died:\n" << lb_log;
  Child a2 = restart_a({});
  for (; i < 500; ++i) predict(client, i);
  EXPECT_EQ(statuses[200], 500) << "requests not answered 200: " << 500 - statuses[200] << "\n" << read_file(work + "/error.log");
  // Every answer is in a backend's /metrics: A's first life, B, A's third life (the second answered none).
  const long b_count = answered(port_b), a2_count = answered(port_a);
  EXPECT_GT(a_before_kill, 0) << "A took no traffic before it died";
  EXPECT_GT(a2_count, 0) << "the restarted backend was never back in rotation";
  EXPECT_EQ(a_before_kill + b_count + a2_count, 500) << a_before_kill << " + " << b_count << " + " << a2_count;

  kill(lb, SIGQUIT);  // nginx's graceful stop
  waitpid(lb, nullptr, 0);
  for (Child* c : {&b, &a2}) {
    kill(c->pid, SIGTERM);
    EXPECT_EQ(wait_exit(c->pid), 0);
    fclose(c->err);
  }
  fs::remove_all(work);
}

TEST(Deploy, SystemdUnitVerifies) {
  ASSERT_EQ(std::system("command -v systemd-analyze >/dev/null"), 0) << "systemd-analyze is missing: run scripts/install-deps";
  const std::string work = ::testing::TempDir() + "/senti_systemd";
  fs::remove_all(work);
  fs::create_directories(work);
  std::string unit = read_file(source_dir() + "/deploy/systemd/senti@.service");
  replace_once(unit, "ExecStart=/usr/local/bin/senti ", std::string("ExecStart=") + SENTI_BINARY + " ");
  std::ofstream(work + "/senti@.service") << unit;
  const std::string cmd = "systemd-analyze verify " + work + "/senti@7861.service > " + work + "/out.txt 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << read_file(work + "/out.txt");
  EXPECT_EQ(read_file(work + "/out.txt"), "") << "warnings";
  fs::remove_all(work);
}

TEST(Deploy, KubernetesManifestRunsAndProbes) {
  const std::string manifest = source_dir() + "/deploy/kubernetes/senti.yaml";
  const std::string work = ::testing::TempDir() + "/senti_k8s";
  fs::remove_all(work);
  fs::create_directories(work);
  const std::string cmd = "/usr/bin/python3 -c 'import sys, json, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))' " +
                          manifest + " > " + work + "/m.json 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(work + "/m.json") << "\n(python3-yaml: run scripts/install-deps)";
  const nlohmann::json docs = nlohmann::json::parse(read_file(work + "/m.json"));
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0]["kind"], "Deployment");
  EXPECT_EQ(docs[1]["kind"], "Service");
  const nlohmann::json& c = docs[0]["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(c["readinessProbe"]["httpGet"]["path"], "/health");
  EXPECT_EQ(c["livenessProbe"]["httpGet"]["path"], "/health");
  EXPECT_EQ(docs[1]["spec"]["selector"], docs[0]["spec"]["template"]["metadata"]["labels"]);
  EXPECT_EQ(docs[1]["spec"]["ports"][0]["targetPort"], c["ports"][0]["name"]);
  // The container's arguments, as senti runs them (only the port and flag file changed, to run here).
  std::vector<std::string> args = c["args"].get<std::vector<std::string>>();
  ASSERT_GE(args.size(), 1u);
  ASSERT_EQ(args[0], "serve");
  args.erase(args.begin());
  auto port = std::find(args.begin(), args.end(), "--port");
  ASSERT_NE(port, args.end());
  EXPECT_EQ(std::stoi(*(port + 1)), c["ports"][0]["containerPort"].get<int>());
  *(port + 1) = "0";
  auto flag = std::find(args.begin(), args.end(), "--flag-file");
  ASSERT_NE(flag, args.end());
  *(flag + 1) = work + "/flagged.csv";
  auto threads = std::find(args.begin(), args.end(), "--threads");  // spawn_serve passes -t 1 itself
  ASSERT_NE(threads, args.end());
  EXPECT_EQ(*(threads + 1), "1");
  args.erase(threads, threads + 2);
  Child s = spawn_serve(args);
  const std::string p = wait_for_line(s.err, std::regex(R"(http://[^:/]+:(\d+)/)"));
  ASSERT_FALSE(p.empty()) << "no URL printed";
  ASSERT_TRUE(wait_healthy(std::stoi(p), 30));
  kill(s.pid, SIGTERM);
  EXPECT_EQ(wait_exit(s.pid), 0);
  fclose(s.err);
  fs::remove_all(work);
}
