#include "workspace/spec_hash.h"

#include <openssl/evp.h>

#include <stdexcept>

#include "workspace/naming.h"

namespace tfws::workspace {

std::string SpecHash(const nlohmann::json& object) {
  const nlohmann::json* subject = &object;
  nlohmann::json copy;
  if (object.is_object() && object.contains("metadata") && object["metadata"].is_object() &&
      object["metadata"].contains("annotations") && object["metadata"]["annotations"].is_object() &&
      object["metadata"]["annotations"].contains(kSpecHashAnnotation)) {
    copy = object;
    auto& annotations = copy["metadata"]["annotations"];
    annotations.erase(kSpecHashAnnotation);
    if (annotations.empty()) copy["metadata"].erase("annotations");
    subject = &copy;
  }
  // nlohmann::json keeps object keys sorted (std::map), so dump() is canonical.
  const std::string text = subject->dump();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SpecHash: OpenSSL SHA-256 failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < 8 && i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xF]);
  }
  return hex;
}

void StampSpecHash(nlohmann::json& object) {
  std::string hash = SpecHash(object);
  object["metadata"]["annotations"][kSpecHashAnnotation] = hash;
}

}  // namespace tfws::workspace
