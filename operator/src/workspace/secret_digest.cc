#include "workspace/secret_digest.h"

#include "workspace/spec_hash.h"

namespace tfws::workspace {

using Json = nlohmann::json;

std::string SecretDataDigest(const Json& secret) {
  if (!secret.is_object()) return SpecHash(Json{{"data", Json::object()}});
  if (auto cached = secret.find(kCachedDataDigestField); cached != secret.end() && cached->is_string()) {
    return cached->get<std::string>();
  }
  auto data = secret.find("data");
  return SpecHash(Json{{"data", data != secret.end() && data->is_object() ? *data : Json::object()}});
}

Json ReplaceSecretDataByDigest(Json secret) {
  if (!secret.is_object()) return secret;
  const std::string digest = SecretDataDigest(secret);
  secret.erase("data");
  secret.erase("stringData");
  secret[kCachedDataDigestField] = digest;
  return secret;
}

}  // namespace tfws::workspace
