// Helpers for the e2e tests that run `senti serve` as a process on the tiny golden model: spawn
// it with its stderr on a pipe, read that log until a line matches, wait for the exit code.
#pragma once
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace senti::test {
struct Child {
  pid_t pid = -1;
  FILE* err = nullptr;  // the child's stderr
};

inline Child spawn_serve(const std::vector<std::string>& extra) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  Child c;
  c.pid = fork();
  if (c.pid == 0) {
    dup2(fds[1], 2);
    close(fds[0]);
    std::vector<std::string> args = {SENTI_BINARY, "serve", "-m",
                                     std::string(SENTI_SOURCE_DIR) + "/tests/fixtures/models/tiny-2label", "-t", "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  c.err = fdopen(fds[0], "r");
  return c;
}

// Reads the child's stderr until a line matches; returns the first capture group.
inline std::string wait_for_line(FILE* err, const std::regex& re, std::string* all = nullptr) {
  char line[4096];
  while (std::fgets(line, sizeof line, err)) {
    if (all) *all += line;
    std::cmatch m;
    if (std::regex_search(line, m, re)) return m.size() > 1 ? m[1].str() : m[0].str();
  }
  return "";
}

inline int wait_exit(pid_t pid) {
  int status = 0;
  for (int i = 0; i < 1000; ++i) {
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -2;  // did not exit within 10 s
}
}  // namespace senti::test
