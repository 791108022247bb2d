#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>

#include "io/safetensors.h"
#include "util/error.h"

using namespace senti;
using namespace senti::io;

namespace {
std::string file_with(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + header + data;
}

std::string error_of(const std::string& bytes) {
  try {
    parse_safetensors(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "t.safetensors");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Safetensors, WritesAndReadsBackEveryDtype) {
  Tensor a({2, 3}), b({4});
  for (int i = 0; i < 6; ++i) a.mutable_data()[i] = 0.5f * i - 1.f;
  for (int i = 0; i < 4; ++i) b.mutable_data()[i] = 100.f + i;
  for (SafeDType dt : {SafeDType::kF32, SafeDType::kF16, SafeDType::kBF16}) {
    std::string path = ::testing::TempDir() + "/rt.safetensors";
    write_safetensors(path, {{"b", &b}, {"layer.a", &a}}, dt);
    auto f = SafetensorsFile::open(path);
    EXPECT_EQ(f->tensors().size(), 2u);
    EXPECT_EQ(f->metadata().at("format"), "pt");
    Tensor ra = f->load_f32("layer.a", {2, 3}), rb = f->load_f32("b", {4});
    for (int i = 0; i < 6; ++i) EXPECT_EQ(ra.data()[i], a.data()[i]) << dtype_name(dt);  // exactly representable
    for (int i = 0; i < 4; ++i) EXPECT_EQ(rb.data()[i], b.data()[i]) << dtype_name(dt);
    if (dt == SafeDType::kF32) {
      EXPECT_FALSE(ra.owned());  // zero-copy from the map
    }
    try {
      f->load_f32("layer.a", {3, 2});
      FAIL();
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("'layer.a' has shape [2, 3], expected [3, 2]"), std::string::npos) << e.what();
    }
    EXPECT_THROW(f->load_f32("missing", {1}), Error);
  }
}

TEST(Safetensors, RejectsHostileAndBrokenFiles) {
  const std::string ok = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  EXPECT_EQ(error_of(file_with(ok, std::string(8, '\0'))), "");
  EXPECT_NE(error_of("abc").find("shorter than"), std::string::npos);
  EXPECT_NE(error_of(std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8) + "{}").find("cap"), std::string::npos);
  EXPECT_NE(error_of(file_with(ok, std::string(8, '\0')).substr(0, 30)).find("past the end"), std::string::npos);
  EXPECT_NE(error_of(file_with("{\"a\":", "")).find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of(file_with("[1, 2]", "")).find("not a JSON object"), std::string::npos);
  EXPECT_NE(error_of(file_with(R"({"a":{"dtype":"F31","shape":[2],"data_offsets":[0,8]}})", std::string(8, '\0')))
                .find("unknown dtype 'F31'"), std::string::npos);
  EXPECT_NE(error_of(file_with(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(8, '\0')))
                .find("8 bytes for 3 F32 elements"), std::string::npos);
  EXPECT_NE(error_of(file_with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", std::string(8, '\0')))
                .find("outside"), std::string::npos);
  EXPECT_NE(error_of(file_with(ok, std::string(12, '\0'))).find("end exactly"), std::string::npos);  // trailing bytes
  EXPECT_NE(error_of(file_with(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                               R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})", std::string(12, '\0')))
                .find("contiguous"), std::string::npos);  // a gap
  EXPECT_NE(error_of(file_with(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                               R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", std::string(8, '\0')))
                .find("duplicate tensor 'a'"), std::string::npos);
  EXPECT_NE(error_of(file_with(R"({"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}})",
                               std::string(8, '\0'))).find("overflows"), std::string::npos);
  EXPECT_NE(error_of(file_with(R"({"__metadata__":{"x":1}})", "")).find("__metadata__"), std::string::npos);
}

TEST(Safetensors, HalfPrecisionConversionsRoundToNearestEven) {
  EXPECT_EQ(f32_to_bf16(1.f), 0x3f80);
  EXPECT_EQ(bf16_to_f32(0x3f80), 1.f);
  EXPECT_EQ(f32_to_f16(1.f), 0x3c00);
  EXPECT_EQ(f16_to_f32(0x3c00), 1.f);
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.f, -24));  // smallest subnormal
  EXPECT_EQ(f32_to_f16(std::ldexp(1.f, -24)), 0x0001);
  EXPECT_EQ(f32_to_f16(70000.f), 0x7c00);  // overflow to infinity
  EXPECT_EQ(f32_to_f16(1.f + std::ldexp(1.f, -11)), 0x3c00);  // tie to even
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(NAN))));
}
