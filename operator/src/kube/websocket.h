// The parts of RFC 6455 (WebSocket) a client needs, as pure functions and a
// byte-fed reader: the opening handshake's key and expected accept value, the
// client frame encoder (always masked, one final frame per message) and a
// reader that turns server bytes into whole messages (fragments joined,
// control frames delivered as they come). No I/O here: kube/port_forward.cc
// moves the bytes. Not thread-safe; one reader per connection.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tfws::kube::websocket {

enum class Opcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// The server broke the protocol (masked frame, reserved bits, bad fragment
// order, oversized control frame or message); what() says which rule.
class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Message {
  Opcode opcode = Opcode::kBinary;
  std::string payload;
};

// Sec-WebSocket-Key: 16 random bytes, base64 (RFC 6455 §4.1).
std::string NewKey();
// The Sec-WebSocket-Accept a server must answer for `key` (base64 of the SHA-1
// of key + the RFC's GUID, §4.2.2).
std::string AcceptFor(std::string_view key);

// One final (FIN) client frame, payload masked with `mask` (§5.3).
std::string EncodeClientFrame(Opcode opcode, std::string_view payload, std::array<uint8_t, 4> mask);
// Same with a fresh random mask, as the RFC requires for every frame.
std::string EncodeClientFrame(Opcode opcode, std::string_view payload);
// The payload of a Close frame: status code (big-endian), then the reason.
std::string ClosePayload(uint16_t code, std::string_view reason = {});

class MessageReader {
 public:
  explicit MessageReader(std::size_t max_message_bytes = 16u << 20) : max_message_bytes_(max_message_bytes) {}

  // Appends bytes read from the connection (any boundaries).
  void Feed(std::string_view bytes);
  // The next complete message, or nullopt until more bytes arrive. Throws
  // ProtocolError; the connection must then be dropped.
  std::optional<Message> Next();

 private:
  std::size_t max_message_bytes_;
  std::string buffer_;
  std::size_t consumed_ = 0;
  std::optional<Message> partial_;  // a fragmented data message being joined
};

}  // namespace tfws::kube::websocket
