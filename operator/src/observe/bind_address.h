// Parsing of the operator's bind-address flags (--metrics-bind-address,
// --health-probe-bind-address) into civetweb's "listening_ports" syntax.
//
// Accepted: ":8080" (all interfaces), "0.0.0.0:8080", "127.0.0.1:8080",
// "[::1]:8080", "localhost:8080", "8080"; port 0 = any free port.
// "0" alone means "disabled" (controller-runtime's convention): check
// BindAddressDisabled() first. Pure functions; throw std::invalid_argument
// naming the flag and the fix on malformed input.
#pragma once

#include <string>
#include <string_view>

namespace tfws::observe {

bool BindAddressDisabled(std::string_view bind_address);

// ":8080" -> "8080", "127.0.0.1:0" -> "127.0.0.1:0", "[::1]:9090" -> "[::1]:9090",
// "localhost:8080" -> "127.0.0.1:8080".
std::string CivetListeningPorts(std::string_view bind_address, std::string_view flag);

}  // namespace tfws::observe
