#include "observe/bind_address.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace tfws::observe {
namespace {

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

[[noreturn]] void Invalid(std::string_view flag, std::string_view value, std::string_view why) {
  throw std::invalid_argument(std::string(flag) + ": invalid value \"" + std::string(value) +
                              "\": " + std::string(why) +
                              " (use \":8080\", \"127.0.0.1:8080\" or \"[::1]:8080\", or \"0\" to "
                              "disable)");
}

}  // namespace

bool BindAddressDisabled(std::string_view bind_address) { return bind_address == "0"; }

std::string CivetListeningPorts(std::string_view bind_address, std::string_view flag) {
  const auto colon = bind_address.rfind(':');
  std::string_view host = colon == std::string_view::npos ? std::string_view{} : bind_address.substr(0, colon);
  const std::string_view port =
      colon == std::string_view::npos ? bind_address : bind_address.substr(colon + 1);
  if (!AllDigits(port) || port.size() > 5 || std::stoi(std::string(port)) > 65535) {
    Invalid(flag, bind_address, "the port must be a number between 0 and 65535");
  }
  if (host.empty()) return std::string(port);
  if (host == "localhost") host = "127.0.0.1";
  if (host.front() == '[') {
    if (host.back() != ']' || host.size() < 3) Invalid(flag, bind_address, "unbalanced brackets");
    return std::string(host) + ":" + std::string(port);
  }
  const bool ipv4 = std::all_of(host.begin(), host.end(),
                                [](unsigned char c) { return std::isdigit(c) || c == '.'; });
  if (!ipv4) Invalid(flag, bind_address, "the host must be an IP address");
  return std::string(host) + ":" + std::string(port);
}

}  // namespace tfws::observe
