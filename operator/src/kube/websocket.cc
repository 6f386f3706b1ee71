#include "kube/websocket.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "kube/base64.h"

namespace tfws::kube::websocket {
namespace {

constexpr std::string_view kAcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr std::size_t kMaxControlPayload = 125;

void RandomBytes(unsigned char* out, int n) {
  if (RAND_bytes(out, n) != 1) throw std::runtime_error("websocket: OpenSSL RAND_bytes failed");
}

bool IsControl(Opcode opcode) { return static_cast<uint8_t>(opcode) >= 0x8; }

bool IsKnown(uint8_t opcode) {
  return opcode <= 0x2 || (opcode >= 0x8 && opcode <= 0xA);
}

}  // namespace

std::string NewKey() {
  std::array<unsigned char, 16> nonce{};
  RandomBytes(nonce.data(), static_cast<int>(nonce.size()));
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(nonce.data()), nonce.size()));
}

std::string AcceptFor(std::string_view key) {
  std::string text(key);
  text += kAcceptGuid;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha1(), nullptr) != 1) {
    throw std::runtime_error("websocket: OpenSSL SHA-1 failed");
  }
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(digest), size));
}

std::string EncodeClientFrame(Opcode opcode, std::string_view payload, std::array<uint8_t, 4> mask) {
  std::string frame;
  frame.reserve(payload.size() + 14);
  frame.push_back(static_cast<char>(0x80 | static_cast<uint8_t>(opcode)));
  const uint64_t size = payload.size();
  if (size < 126) {
    frame.push_back(static_cast<char>(0x80 | size));
  } else if (size <= 0xFFFF) {
    frame.push_back(static_cast<char>(0x80 | 126));
    frame.push_back(static_cast<char>(size >> 8));
    frame.push_back(static_cast<char>(size & 0xFF));
  } else {
    frame.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8) frame.push_back(static_cast<char>((size >> shift) & 0xFF));
  }
  for (uint8_t byte : mask) frame.push_back(static_cast<char>(byte));
  for (std::size_t i = 0; i < payload.size(); ++i) {
    frame.push_back(static_cast<char>(static_cast<uint8_t>(payload[i]) ^ mask[i % 4]));
  }
  return frame;
}

std::string EncodeClientFrame(Opcode opcode, std::string_view payload) {
  std::array<uint8_t, 4> mask{};
  RandomBytes(mask.data(), static_cast<int>(mask.size()));
  return EncodeClientFrame(opcode, payload, mask);
}

std::string ClosePayload(uint16_t code, std::string_view reason) {
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  payload += reason.substr(0, kMaxControlPayload - 2);
  return payload;
}

void MessageReader::Feed(std::string_view bytes) {
  if (consumed_ > 0 && consumed_ >= buffer_.size() / 2) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  buffer_.append(bytes);
}

std::optional<Message> MessageReader::Next() {
  for (;;) {
    const std::string_view rest = std::string_view(buffer_).substr(consumed_);
    if (rest.size() < 2) return std::nullopt;
    const auto b0 = static_cast<uint8_t>(rest[0]);
    const auto b1 = static_cast<uint8_t>(rest[1]);
    const bool fin = (b0 & 0x80) != 0;
    const uint8_t code = b0 & 0x0F;
    if ((b0 & 0x70) != 0) throw ProtocolError("websocket: frame with reserved bits set (no extension was negotiated)");
    if ((b1 & 0x80) != 0) throw ProtocolError("websocket: the server sent a masked frame (RFC 6455 §5.1 forbids it)");
    if (!IsKnown(code)) throw ProtocolError("websocket: unknown opcode " + std::to_string(code));
    std::size_t header = 2;
    uint64_t size = b1 & 0x7F;
    if (size == 126) {
      if (rest.size() < 4) return std::nullopt;
      size = (uint64_t{static_cast<uint8_t>(rest[2])} << 8) | static_cast<uint8_t>(rest[3]);
      header = 4;
    } else if (size == 127) {
      if (rest.size() < 10) return std::nullopt;
      size = 0;
      for (int i = 2; i < 10; ++i) size = (size << 8) | static_cast<uint8_t>(rest[i]);
      header = 10;
    }
    const auto opcode = static_cast<Opcode>(code);
    if (IsControl(opcode) && (!fin || size > kMaxControlPayload)) {
      throw ProtocolError("websocket: control frame fragmented or longer than 125 bytes");
    }
    const std::size_t joined = partial_ ? partial_->payload.size() : 0;
    if (size > max_message_bytes_ || joined + size > max_message_bytes_) {
      throw ProtocolError("websocket: message larger than " + std::to_string(max_message_bytes_) + " bytes");
    }
    if (rest.size() < header + size) return std::nullopt;
    std::string_view payload = rest.substr(header, size);
    consumed_ += header + size;

    if (IsControl(opcode)) return Message{opcode, std::string(payload)};
    if (opcode == Opcode::kContinuation) {
      if (!partial_) throw ProtocolError("websocket: continuation frame without a message to continue");
      partial_->payload.append(payload);
    } else {
      if (partial_) throw ProtocolError("websocket: new data message before the previous one was finished");
      partial_ = Message{opcode, std::string(payload)};
    }
    if (fin) {
      Message done = std::move(*partial_);
      partial_.reset();
      return done;
    }
  }
}

}  // namespace tfws::kube::websocket
