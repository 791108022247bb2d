#include <gtest/gtest.h>

#include "util/progress.h"

using senti::Progress;

TEST(Progress, RateAndEtaCountOnlyThisRunsWork) {
  // 1,000 of 1,500 steps were done before a resume; 100 more in 50 s: 2 steps/s, 400 left.
  std::string l = Progress::line("train", "steps", 1100, 1000, 1500, 50.0, false);
  EXPECT_NE(l.find("1100/1500 steps (73%)"), std::string::npos) << l;
  EXPECT_NE(l.find("2.0 steps/s"), std::string::npos) << l;
  EXPECT_NE(l.find("eta 3:20"), std::string::npos) << l;
}

TEST(Progress, FreshRunAndUnknownTotal) {
  std::string l = Progress::line("evaluate", "examples", 30, 0, 120, 10.0, true);
  EXPECT_NE(l.find("[######..................] 30/120 examples (25%) 3.0 examples/s"), std::string::npos) << l;
  EXPECT_NE(l.find("eta 0:30"), std::string::npos) << l;
  std::string u = Progress::line("read", "rows", 500, 0, 0, 0.0, false);
  EXPECT_EQ(u, "read 500 rows 0.0 rows/s elapsed 0:00");
  // Nothing new yet after a resume: no rate, unknown ETA rather than a division by zero.
  std::string r = Progress::line("train", "steps", 10, 10, 20, 5.0, false);
  EXPECT_NE(r.find("0.0 steps/s"), std::string::npos) << r;
  EXPECT_NE(r.find("eta ?"), std::string::npos) << r;
}

TEST(Progress, LinesFitTheTerminalWithoutSplittingCharacters) {
  const std::string line(133, 'x');
  EXPECT_EQ(senti::Progress::fit(line, 80).size(), 79u);  // the last column stays free
  EXPECT_EQ(senti::Progress::fit("short", 80), "short");
  // "é" is two bytes: a cut never leaves half of it.
  const std::string accents = "ééééé";
  EXPECT_EQ(senti::Progress::fit(accents, 4), "ééé");
}
