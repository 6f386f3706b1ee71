#include "workspace/ssh_key.h"

#include <array>
#include <cstdint>

#include "kube/base64.h"

namespace tfws::workspace {
namespace {

constexpr std::array<std::string_view, 7> kKeyTypes = {
    "ssh-ed25519",         "ssh-rsa",
    "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string> OpenSshKeyProblem(std::string_view line) {
  line = Trim(line);
  if (line.empty()) return "the key is empty";
  if (line.find('\n') != std::string_view::npos) return "one key per entry (the value contains a line break)";
  std::size_t space = line.find_first_of(" \t");
  if (space == std::string_view::npos) return "expected \"<type> <base64> [comment]\"";
  std::string_view type = line.substr(0, space);
  bool known = false;
  for (std::string_view t : kKeyTypes) known = known || t == type;
  if (!known) {
    if (type.find("PRIVATE") != std::string_view::npos || line.rfind("-----BEGIN", 0) == 0) {
      return "this looks like a private key: paste the public key (the .pub file) instead";
    }
    return "unknown key type \"" + std::string(type) +
           "\" (expected ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256/384/521 or sk-...@openssh.com)";
  }
  std::string_view rest = Trim(line.substr(space));
  std::string_view blob_text = rest.substr(0, rest.find_first_of(" \t"));
  std::string blob;
  if (!kube::DecodeBase64(blob_text, blob)) return "the key data is not valid base64";
  if (blob.size() < 4) return "the key data is too short";
  std::uint32_t n = (static_cast<unsigned char>(blob[0]) << 24) | (static_cast<unsigned char>(blob[1]) << 16) |
                    (static_cast<unsigned char>(blob[2]) << 8) | static_cast<unsigned char>(blob[3]);
  if (n != type.size() || blob.size() < 4 + n || std::string_view(blob).substr(4, n) != type) {
    return "the key data does not match its type \"" + std::string(type) + "\"";
  }
  return std::nullopt;
}

AuthorizedKeysCheck CheckAuthorizedKeys(std::string_view text) {
  AuthorizedKeysCheck result;
  std::size_t line_no = 0;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = Trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    if (auto problem = OpenSshKeyProblem(line)) {
      result.problems.push_back("line " + std::to_string(line_no) + ": " + *problem);
    } else {
      result.keys.emplace_back(line);
    }
  }
  return result;
}

std::string AuthorizedKeysSecretProblem(std::string_view secret, std::string_view key, std::string_view field,
                                        std::string_view text) {
  const AuthorizedKeysCheck check = CheckAuthorizedKeys(text);
  const std::string where = "Secret \"" + std::string(secret) + "\" key \"" + std::string(key) + "\" (" +
                            std::string(field) + ")";
  if (check.problems.empty()) {
    return check.keys.empty() ? where + " holds no public key: add one per line, e.g. the contents of ~/.ssh/id_ed25519.pub"
                              : "";
  }
  constexpr std::size_t kShown = 5;
  std::string message = where + ": ";
  for (std::size_t i = 0; i < check.problems.size() && i < kShown; ++i) message += (i ? "; " : "") + check.problems[i];
  if (check.problems.size() > kShown) message += "; and " + std::to_string(check.problems.size() - kShown) + " more";
  return message + ": fix or remove these lines (SSH ignores them" +
         (check.keys.empty() ? ", and no valid key is left)" : "; the other " + std::to_string(check.keys.size()) + " key(s) work)");
}

}  // namespace tfws::workspace
