#include "workspace/cidr.h"

#include <arpa/inet.h>

namespace tfws::workspace {

bool Cidr::Contains(const Cidr& inner) const {
  if (inner.v6 != v6 || inner.prefix < prefix) return false;
  for (int bit = 0; bit < prefix; ++bit) {
    const std::uint8_t mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
    if ((address[bit / 8] & mask) != (inner.address[bit / 8] & mask)) return false;
  }
  return true;
}

std::optional<Cidr> ParseCidr(const std::string& text) {
  const std::size_t slash = text.find('/');
  if (slash == std::string::npos) return std::nullopt;
  const std::string bits = text.substr(slash + 1);
  if (bits.empty() || bits.size() > 3 || bits.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  Cidr cidr;
  cidr.v6 = text.find(':') != std::string::npos;
  cidr.prefix = std::stoi(bits);
  if (cidr.prefix > (cidr.v6 ? 128 : 32)) return std::nullopt;
  if (inet_pton(cidr.v6 ? AF_INET6 : AF_INET, text.substr(0, slash).c_str(), cidr.address.data()) != 1) {
    return std::nullopt;
  }
  return cidr;
}

}  // namespace tfws::workspace
