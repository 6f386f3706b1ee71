// CIDR blocks (IPv4 "10.0.0.0/8", IPv6 "fd00::/8"): parsing and nesting, for the NetworkPolicy
// ipBlocks the operator renders (an ipBlock's `except` must lie strictly inside its `cidr`) and
// for validating the CIDRs of the operator configuration. Pure; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace tfws::workspace {

struct Cidr {
  bool v6 = false;
  std::array<std::uint8_t, 16> address{};  // network byte order; IPv4 uses the first 4 bytes
  int prefix = 0;

  // Every address of `inner` is in this block (same family, inner's prefix at least as long).
  bool Contains(const Cidr& inner) const;
};

// "a.b.c.d/n" or "x:y::z/n" (inet_pton syntax, prefix 0..32 or 0..128); nullopt otherwise.
std::optional<Cidr> ParseCidr(const std::string& text);

}  // namespace tfws::workspace
