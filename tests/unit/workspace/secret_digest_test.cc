// The digest that stands in for a Secret's data in the cache: it tells a
// change, keeps no byte of the data, and is the same whether computed from the
// server's object or read back from the cached one.
#include "workspace/secret_digest.h"

#include <gtest/gtest.h>

namespace tfws::workspace {
namespace {

using Json = nlohmann::json;

Json Secret(const Json& data) {
  return {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "alice-token"}}}, {"data", data}};
}

TEST(SecretDigest, ChangesWithTheDataAndOnlyWithIt) {
  const Json a = Secret({{"token", "c2VjcmV0LW9uZQ=="}});
  Json renamed = a;
  renamed["metadata"]["name"] = "bob-token";
  EXPECT_EQ(SecretDataDigest(a), SecretDataDigest(renamed)) << "metadata does not count";
  EXPECT_NE(SecretDataDigest(a), SecretDataDigest(Secret({{"token", "c2VjcmV0LXR3bw=="}})));
  EXPECT_NE(SecretDataDigest(a), SecretDataDigest(Secret({{"token", "c2VjcmV0LW9uZQ=="}, {"extra", ""}})));
  EXPECT_EQ(SecretDataDigest(Secret(Json::object())), SecretDataDigest(Json{{"kind", "Secret"}}))
      << "no data and empty data are the same";
  EXPECT_EQ(SecretDataDigest(a).size(), 16u) << "64 bits: a change detector, not a copy";
}

TEST(SecretDigest, TheCachedSecretKeepsTheDigestAndNoData) {
  Json server = Secret({{"token", "c2VjcmV0LW9uZQ=="}});
  server["stringData"] = {{"token", "secret-one"}};  // never from the server, dropped all the same
  const Json cached = ReplaceSecretDataByDigest(server);
  EXPECT_FALSE(cached.contains("data"));
  EXPECT_FALSE(cached.contains("stringData"));
  EXPECT_EQ(cached.dump().find("c2VjcmV0"), std::string::npos);
  EXPECT_EQ(cached.dump().find("secret-one"), std::string::npos);
  EXPECT_EQ(SecretDataDigest(cached), SecretDataDigest(server)) << "comparable with a live object";
  EXPECT_EQ(ReplaceSecretDataByDigest(cached), cached) << "trimming twice changes nothing";
  EXPECT_EQ(cached["metadata"], server["metadata"]);
}

}  // namespace
}  // namespace tfws::workspace
