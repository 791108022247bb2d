// `senti serve` as a process: it prints its URL, answers, and on SIGTERM finishes the request
// in flight before exiting 0; a port in use is an error with exit code 1.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <future>
#include <regex>
#include <thread>

#include "e2e/serve_process.h"
#include "test_util.h"

using namespace senti::test;


TEST(ServeCli, SigtermFinishesTheRequestInFlightAndExitsZero) {
  // A long batching wait keeps the request in flight while the signal arrives.
  Child c = spawn_serve({"--port", "0", "--max-wait-ms", "1500"});
  std::string port = wait_for_line(c.err, std::regex(R"(http://127\.0\.0\.1:(\d+)/)"));
  ASSERT_FALSE(port.empty()) << "senti serve printed no URL";
  ASSERT_FALSE(wait_for_line(c.err, std::regex("ready")).empty());
  auto in_flight = std::async(std::launch::async, [&] {
    httplib::Client client("127.0.0.1", std::stoi(port));
    client.set_read_timeout(20, 0);
    auto res = client.Post("/api/predict", R"({"inputs": "a good film"})", "application/json");
    return res ? res->status : -1;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  ASSERT_EQ(kill(c.pid, SIGTERM), 0);
  EXPECT_EQ(in_flight.get(), 200);
  EXPECT_EQ(wait_exit(c.pid), 0);
  std::string rest;
  wait_for_line(c.err, std::regex("$^"), &rest);
  EXPECT_NE(rest.find("SIGTERM"), std::string::npos) << rest;
  fclose(c.err);
}

TEST(ServeCli, PortInUseIsARuntimeError) {
  Child first = spawn_serve({"--port", "0"});
  std::string port = wait_for_line(first.err, std::regex(R"(http://127\.0\.0\.1:(\d+)/)"));
  ASSERT_FALSE(port.empty());
  Child second = spawn_serve({"--port", port});
  std::string log;
  wait_for_line(second.err, std::regex("$^"), &log);
  EXPECT_EQ(wait_exit(second.pid), 1);
  EXPECT_NE(log.find("cannot listen on 127.0.0.1:" + port), std::string::npos) << log;
  kill(first.pid, SIGINT);
  EXPECT_EQ(wait_exit(first.pid), 0);
  fclose(first.err);
  fclose(second.err);
}
