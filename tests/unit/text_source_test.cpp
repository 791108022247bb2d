#include <gtest/gtest.h>

#include <fstream>

#include "data/text_source.h"
#include "util/error.h"

using namespace senti::data;

TEST(TextSource, CleansHtmlLineBreaks) {
  EXPECT_EQ(clean_html_breaks("a<br /><br />b<BR>c<br/>d<bravo>"), "a  b c d<bravo>");
}

TEST(TextSource, ReadsFoldersJsonlAndLines) {
  std::string dir = ::testing::TempDir() + "/corpus";
  std::system(("rm -rf " + dir + " && mkdir -p " + dir + "/pos").c_str());
  { std::ofstream(dir + "/pos/1_9.txt") << "great<br />film"; }
  { std::ofstream(dir + "/pos/0_7.txt") << "fine"; }
  { std::ofstream(dir + "/urls_pos.txt") << "http://x"; }
  std::vector<std::string> texts;
  EXPECT_EQ(for_each_text(dir, [&](std::string_view t, const std::string&) { texts.emplace_back(t); }), 2u);
  EXPECT_EQ(texts, (std::vector<std::string>{"fine", "great film"}));

  { std::ofstream(dir + "/a.jsonl") << "{\"text\": \"one\"}\n\n{\"text\": \"two\"}\n"; }
  texts.clear();
  for_each_text(dir + "/a.jsonl", [&](std::string_view t, const std::string&) { texts.emplace_back(t); });
  EXPECT_EQ(texts, (std::vector<std::string>{"one", "two"}));

  { std::ofstream(dir + "/b.jsonl") << "{\"text\": \"one\"}\n{\"txt\": 1}\n"; }
  try {
    for_each_text(dir + "/b.jsonl", [](std::string_view, const std::string&) {});
    FAIL() << "malformed JSONL accepted";
  } catch (const senti::Error& e) {
    EXPECT_NE(std::string(e.what()).find("b.jsonl:2"), std::string::npos) << e.what();
  }
}
