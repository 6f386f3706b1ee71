#include "kube/port_forward.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "kube/api_error.h"

namespace tfws::kube {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxHead = 64 * 1024;
constexpr std::size_t kMaxErrorBody = 1 << 20;
constexpr std::size_t kReadBytes = 64 * 1024;
constexpr uint16_t kNormalClosure = 1000;
// v4 cannot tell the Pod "no more input": after local EOF the answer still in flight is relayed
// until the stream has been quiet this long.
constexpr std::chrono::milliseconds kLingerAfterLocalEnd{1000};

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return std::string(text);
}

bool HasToken(const std::string& value, std::string_view token) {
  return Lower(value).find(Lower(std::string(token))) != std::string::npos;
}

// Writes everything or returns false (the reader of out_fd went away).
bool WriteFd(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Decodes a chunked body; nullopt while incomplete.
std::optional<std::string> Dechunk(std::string_view bytes) {
  std::string body;
  for (;;) {
    const auto eol = bytes.find("\r\n");
    if (eol == std::string_view::npos) return std::nullopt;
    std::size_t size = 0;
    try {
      size = std::stoul(std::string(bytes.substr(0, eol)), nullptr, 16);
    } catch (const std::exception&) {
      throw PortForwardError("malformed chunked body in the API server's answer");
    }
    bytes.remove_prefix(eol + 2);
    if (size == 0) return body;
    if (bytes.size() < size + 2) return std::nullopt;
    body.append(bytes.substr(0, size));
    bytes.remove_prefix(size + 2);
  }
}

}  // namespace

PortForwardDemux::Parts PortForwardDemux::Take(std::string_view message) {
  Parts parts;
  if (message.empty()) return parts;
  const auto channel = static_cast<uint8_t>(message[0]);
  if (channel > 1) {
    throw PortForwardError("port-forward: message on channel " + std::to_string(channel) +
                           ", but only one port (channels 0 and 1) was asked for");
  }
  message.remove_prefix(1);
  std::string& prefix = prefix_[channel];
  while (prefix.size() < 2 && !message.empty()) {
    prefix.push_back(message.front());
    message.remove_prefix(1);
    if (prefix.size() == 2) {
      const auto port =
          static_cast<uint16_t>(static_cast<uint8_t>(prefix[0]) | (static_cast<uint8_t>(prefix[1]) << 8));
      if (port != port_) {
        throw PortForwardError("port-forward: the server opened port " + std::to_string(port) + ", not " +
                               std::to_string(port_));
      }
    }
  }
  (channel == 0 ? parts.data : parts.error).assign(message);
  return parts;
}

std::string PortForwardDataMessage(std::string_view data) {
  std::string message(1, '\0');
  message.append(data);
  return message;
}

std::string PortForwardPath(const std::string& ns, const std::string& pod, uint16_t port) {
  return "/api/v1/namespaces/" + ns + "/pods/" + pod + "/portforward?ports=" + std::to_string(port);
}

HttpResponseHead ParseResponseHead(std::string_view head) {
  HttpResponseHead out;
  auto eol = head.find("\r\n");
  const std::string_view status_line = head.substr(0, eol);
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ' ||
      !std::isdigit(static_cast<unsigned char>(status_line[9]))) {
    throw PortForwardError("the API server's answer is not HTTP/1.x: \"" + std::string(status_line.substr(0, 80)) +
                           "\"");
  }
  out.status = std::stoi(std::string(status_line.substr(9, 3)));
  while (eol != std::string_view::npos) {
    head.remove_prefix(eol + 2);
    eol = head.find("\r\n");
    const std::string_view line = head.substr(0, eol);
    const auto colon = line.find(':');
    if (line.empty() || colon == std::string_view::npos) continue;
    out.headers[Lower(std::string(line.substr(0, colon)))] = Trim(line.substr(colon + 1));
  }
  return out;
}

std::optional<std::string> CompleteBody(const HttpResponseHead& head, std::string_view bytes, bool closed) {
  if (auto it = head.headers.find("content-length"); it != head.headers.end()) {
    const std::size_t size = std::min<std::size_t>(std::stoul(it->second), kMaxErrorBody);
    if (bytes.size() >= size) return std::string(bytes.substr(0, size));
    return closed ? std::optional<std::string>(std::string(bytes)) : std::nullopt;
  }
  if (auto it = head.headers.find("transfer-encoding"); it != head.headers.end() && HasToken(it->second, "chunked")) {
    auto body = Dechunk(bytes);
    if (!body && (closed || bytes.size() > kMaxErrorBody)) return std::string(bytes.substr(0, kMaxErrorBody));
    return body;
  }
  if (closed || bytes.size() > kMaxErrorBody) return std::string(bytes.substr(0, kMaxErrorBody));
  return std::nullopt;
}

PortForward::PortForward(std::unique_ptr<TlsConnection> connection, uint16_t port, std::string early_bytes)
    : connection_(std::move(connection)), demux_(port) {
  reader_.Feed(early_bytes);
}

std::unique_ptr<PortForward> PortForward::Open(const ClusterConfig& config, const std::string& ns,
                                               const std::string& pod, uint16_t port, const std::string& user_agent,
                                               std::chrono::milliseconds timeout) {
  const ServerAddress address = ParseServerAddress(config);
  const std::string path = address.path_prefix + PortForwardPath(ns, pod, port);
  for (int attempt = 0;; ++attempt) {
    const Credentials credentials = config.credentials->Get();
    const auto deadline = Clock::now() + timeout;
    auto connection = TlsConnection::Open(config, credentials, timeout);
    const std::string key = websocket::NewKey();
    std::string request = "GET " + path + " HTTP/1.1\r\nHost: " +
                          (config.tls.server_name.empty() ? address.host_header : config.tls.server_name) +
                          "\r\nUser-Agent: " + user_agent +
                          "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                          "Sec-WebSocket-Key: " +
                          key + "\r\nSec-WebSocket-Protocol: " + kPortForwardProtocol + "\r\n";
    if (!credentials.bearer_token.empty()) request += "Authorization: Bearer " + credentials.bearer_token + "\r\n";
    request += "\r\n";
    connection->WriteAll(request);

    // Read the head, then (for a refusal) the body.
    std::string bytes;
    std::optional<HttpResponseHead> head;
    std::size_t body_start = 0;
    bool closed = false;
    char buffer[8192];
    for (;;) {
      if (!head) {
        if (const auto end = bytes.find("\r\n\r\n"); end != std::string::npos) {
          head = ParseResponseHead(std::string_view(bytes).substr(0, end));
          body_start = end + 4;
          if (head->status == 101) break;
        } else if (bytes.size() > kMaxHead) {
          throw PortForwardError("the API server's answer to " + path + " has no end of headers");
        }
      }
      if (head) {
        if (auto body = CompleteBody(*head, std::string_view(bytes).substr(body_start), closed)) {
          if (head->status == 401 && attempt == 0 && config.credentials->Invalidate()) break;
          throw ApiErrorFromResponse(head->status, *body, head->headers);
        }
      }
      if (closed) throw PortForwardError("the API server closed the connection before answering " + path);
      if (!connection->Buffered()) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        pollfd p{connection->fd(), POLLIN, 0};
        if (left <= 0 || poll(&p, 1, static_cast<int>(left)) == 0) {
          throw TransportError("GET " + config.server + path + ": no answer within " +
                               std::to_string(timeout.count()) + " ms");
        }
      }
      const std::size_t n = connection->Read(buffer, sizeof buffer);
      if (n == 0) closed = true;
      bytes.append(buffer, n);
    }
    if (head->status != 101) continue;  // 401 with fresh credentials: once more

    const auto& headers = head->headers;
    auto header = [&](const char* name) {
      auto it = headers.find(name);
      return it == headers.end() ? std::string() : it->second;
    };
    if (!HasToken(header("upgrade"), "websocket") || header("sec-websocket-accept") != websocket::AcceptFor(key)) {
      throw PortForwardError("the API server's 101 answer to " + path + " is not a valid WebSocket upgrade");
    }
    if (const auto protocol = header("sec-websocket-protocol"); !protocol.empty() && protocol != kPortForwardProtocol) {
      throw PortForwardError("the kubelet chose WebSocket subprotocol \"" + protocol + "\", not " +
                             kPortForwardProtocol);
    }
    return std::unique_ptr<PortForward>(new PortForward(std::move(connection), port, bytes.substr(body_start)));
  }
}

bool PortForward::HandleMessage(const websocket::Message& message, int out_fd, std::string& error) {
  switch (message.opcode) {
    case websocket::Opcode::kBinary: {
      auto parts = demux_.Take(message.payload);
      error += parts.error;
      return parts.data.empty() || WriteFd(out_fd, parts.data);
    }
    case websocket::Opcode::kPing:
      connection_->WriteAll(websocket::EncodeClientFrame(websocket::Opcode::kPong, message.payload));
      return true;
    case websocket::Opcode::kClose:
      try {  // the answer RFC 6455 asks for; the server may not wait for it
        connection_->WriteAll(websocket::EncodeClientFrame(websocket::Opcode::kClose, message.payload.substr(0, 2)));
      } catch (const TransportError&) {
      }
      return false;
    case websocket::Opcode::kText:
      throw PortForwardError("port-forward: text message on a " + std::string(kPortForwardProtocol) + " stream");
    default:
      return true;  // pong, stray continuation handled by the reader
  }
}

void PortForward::DrainAfterFailure(int out_fd, std::string& error) {
  char bytes[8192];
  try {
    for (;;) {
      pollfd p{connection_->fd(), POLLIN, 0};
      if (!connection_->Buffered() && poll(&p, 1, static_cast<int>(kLingerAfterLocalEnd.count())) <= 0) return;
      const std::size_t n = connection_->Read(bytes, sizeof bytes);
      if (n == 0) return;
      reader_.Feed(std::string_view(bytes, n));
      while (auto message = reader_.Next()) {
        if (message->opcode == websocket::Opcode::kBinary) {
          auto parts = demux_.Take(message->payload);
          error += parts.error;
          if (!parts.data.empty()) WriteFd(out_fd, parts.data);
        }
      }
    }
  } catch (const std::exception&) {
    // Best effort: whatever was read is in `error`.
  }
}

void PortForward::Relay(int in_fd, int out_fd) {
  std::string error;
  std::string buffer(kReadBytes, '\0');
  bool open = true;
  bool local_open = true;
  bool server_closed = false;
  // Messages that arrived with the upgrade answer.
  while (open) {
    auto message = reader_.Next();
    if (!message) break;
    open = HandleMessage(*message, out_fd, error);
  }
  while (open) {
    pollfd fds[2] = {{connection_->fd(), POLLIN, 0}, {in_fd, POLLIN, 0}};
    if (!connection_->Buffered()) {
      // After the local end finished, wait only a short quiet time for the Pod's last answer.
      const int n = poll(fds, local_open ? 2 : 1, local_open ? -1 : static_cast<int>(kLingerAfterLocalEnd.count()));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw PortForwardError(std::string("port-forward: poll: ") + std::strerror(errno));
      if (n == 0) break;  // lingered long enough
    } else {
      fds[0].revents = POLLIN;
    }
    if (fds[0].revents != 0) {
      const std::size_t n = connection_->Read(buffer.data(), buffer.size());
      if (n == 0) {
        server_closed = true;
        break;
      }
      reader_.Feed(std::string_view(buffer.data(), n));
      while (open) {
        auto message = reader_.Next();
        if (!message) break;
        open = HandleMessage(*message, out_fd, error);
      }
    }
    if (open && local_open && fds[1].revents != 0) {
      const ssize_t n = ::read(in_fd, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        // v4 has no half-close to pass on: keep relaying the Pod's answer until it is quiet.
        local_open = false;
        continue;
      }
      try {
        connection_->WriteAll(websocket::EncodeClientFrame(
            websocket::Opcode::kBinary, PortForwardDataMessage(std::string_view(buffer.data(), n))));
      } catch (const TransportError& e) {
        // The kubelet may have ended the stream with an error we have not read yet: say that.
        // (When the server reset the connection, that text is lost with it.)
        if (error.empty()) DrainAfterFailure(out_fd, error);
        throw PortForwardError(error.empty() ? std::string("the server closed the port-forward (") + e.what() +
                                                   "): the kubelet could not reach the port, or the Pod went away"
                                             : error);
      }
    }
  }
  if (open && !server_closed) {
    try {
      connection_->WriteAll(
          websocket::EncodeClientFrame(websocket::Opcode::kClose, websocket::ClosePayload(kNormalClosure)));
    } catch (const TransportError&) {
      // Best effort: the server may be gone already.
    }
  }
  if (!error.empty()) throw PortForwardError(error);
}

}  // namespace tfws::kube
