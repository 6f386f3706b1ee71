#include "workspace/ssh_host_keys.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <memory>
#include <stdexcept>

#include "kube/base64.h"
#include "workspace/secret_digest.h"

namespace tfws::workspace {
namespace {

constexpr std::string_view kKeyType = "ssh-ed25519";

// SSH wire encoding (RFC 4251): uint32 big endian, string = uint32 length + bytes.
void PutUint32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xFF));
}
void PutString(std::string& out, std::string_view s) {
  PutUint32(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}

// Reads an SSH wire string at `pos` (advancing it); false when the bytes end first.
bool GetString(std::string_view in, std::size_t& pos, std::string_view& out) {
  if (in.size() - pos < 4) return false;
  std::uint32_t size = 0;
  for (int i = 0; i < 4; ++i) size = (size << 8) | static_cast<unsigned char>(in[pos + i]);
  pos += 4;
  if (in.size() - pos < size) return false;
  out = in.substr(pos, size);
  pos += size;
  return true;
}

// "SHA256:" + unpadded base64 of SHA-256 over a public key blob.
std::optional<std::string> BlobFingerprint(std::string_view blob) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(blob.data(), blob.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1) return std::nullopt;
  std::string b64 = kube::Base64Encode(std::string_view(reinterpret_cast<const char*>(digest.data()), size));
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return "SHA256:" + b64;
}

// The public key blob: string "ssh-ed25519", string <32-byte key>.
std::string PublicBlob(std::string_view public_key) {
  std::string blob;
  PutString(blob, kKeyType);
  PutString(blob, public_key);
  return blob;
}

void RandomBytes(unsigned char* out, int n) {
  if (RAND_bytes(out, n) != 1) throw std::runtime_error("cannot generate an SSH host key: OpenSSL RAND_bytes failed");
}

// The "openssh-key-v1" container (OpenSSH's PROTOCOL.key), unencrypted.
std::string OpenSshPrivateKeyFile(std::string_view public_key, std::string_view seed, std::string_view comment) {
  std::array<unsigned char, 4> check{};
  RandomBytes(check.data(), static_cast<int>(check.size()));
  const std::string_view checkint(reinterpret_cast<const char*>(check.data()), check.size());
  std::string secret;  // checkint twice, then the key: type, public key, private key (seed || public), comment
  secret.append(checkint).append(checkint);
  PutString(secret, kKeyType);
  PutString(secret, public_key);
  PutString(secret, std::string(seed) + std::string(public_key));
  PutString(secret, comment);
  for (char pad = 1; secret.size() % 8 != 0; ++pad) secret.push_back(pad);  // cipher "none": block size 8

  std::string body("openssh-key-v1");
  body.push_back('\0');
  PutString(body, "none");  // cipher
  PutString(body, "none");  // kdf
  PutString(body, "");      // kdf options
  PutUint32(body, 1);       // number of keys
  PutString(body, PublicBlob(public_key));
  PutString(body, secret);

  std::string encoded = kube::Base64Encode(body);
  std::string file = "-----BEGIN OPENSSH PRIVATE KEY-----\n";
  for (std::size_t i = 0; i < encoded.size(); i += 70) file += encoded.substr(i, 70) + "\n";
  file += "-----END OPENSSH PRIVATE KEY-----\n";
  for (std::string* copy : {&secret, &body, &encoded}) OPENSSL_cleanse(copy->data(), copy->size());
  return file;
}

}  // namespace

SshHostKey GenerateSshHostKey(std::string_view comment) {
  std::array<unsigned char, 32> seed{};
  RandomBytes(seed.data(), static_cast<int>(seed.size()));
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()), &EVP_PKEY_free);
  std::array<unsigned char, 32> public_key{};
  std::size_t public_size = public_key.size();
  if (!key || EVP_PKEY_get_raw_public_key(key.get(), public_key.data(), &public_size) != 1 ||
      public_size != public_key.size()) {
    OPENSSL_cleanse(seed.data(), seed.size());
    throw std::runtime_error("cannot generate an SSH host key: OpenSSL Ed25519 failed");
  }
  const std::string_view pub(reinterpret_cast<const char*>(public_key.data()), public_key.size());
  SshHostKey out;
  out.private_key =
      OpenSshPrivateKeyFile(pub, std::string_view(reinterpret_cast<const char*>(seed.data()), seed.size()), comment);
  out.public_key = std::string(kKeyType) + " " + kube::Base64Encode(PublicBlob(pub)) + " " + std::string(comment) + "\n";
  OPENSSL_cleanse(seed.data(), seed.size());
  return out;
}

std::optional<std::string> SshKeyFingerprint(std::string_view line) {
  const std::size_t start = line.find(' ');
  if (start == std::string_view::npos) return std::nullopt;
  std::string_view encoded = line.substr(start + 1);
  encoded = encoded.substr(0, encoded.find_first_of(" \n"));
  std::string blob;
  if (encoded.empty() || !kube::DecodeBase64(encoded, blob)) return std::nullopt;
  return BlobFingerprint(blob);
}

std::optional<std::string> SshPrivateKeyFingerprint(std::string_view file) {
  constexpr std::string_view kBegin = "-----BEGIN OPENSSH PRIVATE KEY-----";
  constexpr std::string_view kEnd = "-----END OPENSSH PRIVATE KEY-----";
  const std::size_t begin = file.find(kBegin);
  const std::size_t end = file.find(kEnd);
  if (begin == std::string_view::npos || end == std::string_view::npos || end < begin) return std::nullopt;
  std::string body;
  std::optional<std::string> fingerprint;
  if (kube::DecodeBase64(file.substr(begin + kBegin.size(), end - begin - kBegin.size()), body)) {
    // PROTOCOL.key: "openssh-key-v1\0", cipher, kdf, kdf options, uint32 key count, public key blobs...
    constexpr std::string_view kMagic("openssh-key-v1\0", 15);
    std::size_t pos = kMagic.size();
    std::string_view cipher, kdf, kdf_options, count, blob;
    if (std::string_view(body).starts_with(kMagic) && GetString(body, pos, cipher) && GetString(body, pos, kdf) &&
        GetString(body, pos, kdf_options) && body.size() - pos >= 4) {
      count = std::string_view(body).substr(pos, 4);
      pos += 4;
      const bool has_key = count != std::string_view("\0\0\0\0", 4);
      if (has_key && GetString(body, pos, blob) && !blob.empty()) fingerprint = BlobFingerprint(blob);
    }
  }
  OPENSSL_cleanse(body.data(), body.size());
  return fingerprint;
}

void AddNewHostKey(nlohmann::json& secret, std::string_view comment) {
  SshHostKey key = GenerateSshHostKey(comment);
  secret["stringData"] = {{kHostKeyPrivateKey, key.private_key}, {kHostKeyPublicKey, key.public_key}};
  secret["metadata"]["annotations"][kHostKeyFingerprintAnnotation] = SshKeyFingerprint(key.public_key).value_or("");
  // The digest of the data the API server will store (base64 of stringData).
  nlohmann::json stored = {{"data",
                            {{kHostKeyPrivateKey, kube::Base64Encode(key.private_key)},
                             {kHostKeyPublicKey, kube::Base64Encode(key.public_key)}}}};
  secret["metadata"]["annotations"][kHostKeyFingerprintOfAnnotation] = SecretDataDigest(stored);
  OPENSSL_cleanse(key.private_key.data(), key.private_key.size());
  std::string& encoded = stored["data"][kHostKeyPrivateKey].get_ref<std::string&>();
  OPENSSL_cleanse(encoded.data(), encoded.size());
}

namespace {
std::string AnnotationOf(const nlohmann::json& secret, const char* key) {
  const nlohmann::json annotations = secret.value("metadata", nlohmann::json::object()).value("annotations", nlohmann::json::object());
  const auto it = annotations.find(key);
  return it != annotations.end() && it->is_string() ? it->get<std::string>() : "";
}
}  // namespace

std::string HostKeySecretFingerprint(const nlohmann::json& secret) {
  return AnnotationOf(secret, kHostKeyFingerprintAnnotation);
}

bool HostKeyFingerprintIsCurrent(const nlohmann::json& secret) {
  return AnnotationOf(secret, kHostKeyFingerprintOfAnnotation) == SecretDataDigest(secret);
}

nlohmann::json HostKeyAnnotationsFor(const nlohmann::json& live_secret) {
  std::string fingerprint;
  const auto data = live_secret.find("data");
  if (data != live_secret.end() && data->is_object()) {
    const auto key = data->find(kHostKeyPrivateKey);
    std::string file;
    if (key != data->end() && key->is_string() && kube::DecodeBase64(key->get_ref<const std::string&>(), file)) {
      fingerprint = SshPrivateKeyFingerprint(file).value_or("");
    }
    OPENSSL_cleanse(file.data(), file.size());
  }
  return {{kHostKeyFingerprintAnnotation, fingerprint}, {kHostKeyFingerprintOfAnnotation, SecretDataDigest(live_secret)}};
}

}  // namespace tfws::workspace
