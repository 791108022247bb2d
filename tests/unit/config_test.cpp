#include <gtest/gtest.h>

#include "model/config.h"
#include "util/error.h"

using senti::model::DistilBertConfig;

namespace {
std::string error_of(const std::string& json) {
  try {
    DistilBertConfig::from_json(json, "config.json");
  } catch (const senti::Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Config, ReadsDistilBertFieldsAndAliases) {
  auto c = DistilBertConfig::from_json(R"({"model_type": "distilbert", "hidden_size": 64, "num_attention_heads": 4,
      "num_hidden_layers": 2, "hidden_dim": 128, "vocab_size": 100, "activation": "gelu",
      "id2label": {"1": "POSITIVE", "0": "NEGATIVE"}, "architectures": ["DistilBertForSequenceClassification"]})",
                                       "config.json");
  EXPECT_EQ(c.dim, 64);
  EXPECT_EQ(c.n_heads, 4);
  EXPECT_EQ(c.n_layers, 2);
  EXPECT_EQ(c.head_dim(), 16);
  EXPECT_EQ(c.id2label, (std::vector<std::string>{"NEGATIVE", "POSITIVE"}));
  auto d = DistilBertConfig::from_json(c.to_json("DistilBertForSequenceClassification"), "roundtrip");
  EXPECT_EQ(d.dim, 64);
  EXPECT_EQ(d.id2label, c.id2label);
  EXPECT_EQ(DistilBertConfig::from_json(R"({"num_labels": 3})", "c").num_labels(), 3);
  EXPECT_EQ(DistilBertConfig::from_json("{}", "c").num_labels(), 2);  // transformers' default
}

TEST(Config, ErrorsNameTheField) {
  EXPECT_NE(error_of("{").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of(R"({"dim": "768"})").find("'dim'"), std::string::npos);
  EXPECT_NE(error_of(R"({"dim": 100, "n_heads": 12})").find("not divisible"), std::string::npos);
  EXPECT_NE(error_of(R"({"model_type": "bert"})").find("'bert'"), std::string::npos);
  EXPECT_NE(error_of(R"({"activation": "swish"})").find("'swish'"), std::string::npos);
  EXPECT_NE(error_of(R"({"id2label": {"0": "A", "2": "B"}})").find("id2label"), std::string::npos);
  EXPECT_NE(error_of(R"({"id2label": {"x": "A"}})").find("id2label"), std::string::npos);
  EXPECT_NE(error_of(R"({"id2label": {"0": "A"}, "num_labels": 2})").find("num_labels"), std::string::npos);
  EXPECT_NE(error_of(R"({"dropout": 1.5})").find("dropout"), std::string::npos);
  EXPECT_NE(error_of(R"({"n_layers": -1})").find("n_layers"), std::string::npos);
}
