#include "kube/base64.h"

#include <gtest/gtest.h>

namespace tfws::kube {
namespace {

TEST(Base64, EncodesEveryPaddingCase) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("h"), "aA==");
  EXPECT_EQ(Base64Encode("he"), "aGU=");
  EXPECT_EQ(Base64Encode("hel"), "aGVs");
  EXPECT_EQ(Base64Encode(std::string("\xff\x00\xfe", 3)), "/wD+");
}

TEST(Base64, DecodesWhatItEncodesForAllByteValues) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  for (std::size_t len = 0; len <= bytes.size(); len += 37) {
    std::string out;
    ASSERT_TRUE(DecodeBase64(Base64Encode(bytes.substr(0, len)), out)) << len;
    EXPECT_EQ(out, bytes.substr(0, len));
  }
}

TEST(Base64, AcceptsLineWrappedTextAndRejectsMalformedText) {
  std::string out;
  EXPECT_TRUE(DecodeBase64("aGVs\nbG8=", out));
  EXPECT_EQ(out, "hello");
  EXPECT_TRUE(DecodeBase64(" aGVs\r\n\tbG8= \n", out));
  EXPECT_EQ(out, "hello");
  EXPECT_FALSE(DecodeBase64("aGVsbG8", out)) << "not a whole group of four";
  EXPECT_FALSE(DecodeBase64("a$==", out)) << "not in the alphabet";
  EXPECT_FALSE(DecodeBase64("aG=sbG8=", out)) << "data after padding";
  EXPECT_FALSE(DecodeBase64("a===", out)) << "three padding characters";
  EXPECT_FALSE(DecodeBase64("aGVsbG8-", out)) << "base64url is not standard base64";
}

}  // namespace
}  // namespace tfws::kube
