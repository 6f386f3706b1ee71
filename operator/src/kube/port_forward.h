// Port-forward to one port of a Pod through the API server, over WebSocket:
// `GET /api/v1/namespaces/{ns}/pods/{pod}/portforward?ports=N` upgraded with
// subprotocol v4.channel.k8s.io. The API server hands the upgraded connection
// to the node's kubelet (kwok in testenv), which serves the channel protocol:
// every binary message starts with a channel byte; for the i-th port, channel
// 2i carries data both ways and 2i+1 carries the kubelet's error text; the
// first two bytes the kubelet sends on each of them are the port number,
// little-endian. One WebSocket is one TCP connection to the Pod's port: the
// caller opens a new one per connection it forwards.
//
// RBAC: `create` (and, on older servers, `get`) on pods/portforward in the
// Pod's namespace. Rights are checked by the API server at Open().
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "kube/cluster_config.h"
#include "kube/tls_connection.h"
#include "kube/websocket.h"

namespace tfws::kube {

inline constexpr const char* kPortForwardProtocol = "v4.channel.k8s.io";

// The kubelet reported a failure on the error channel (e.g. "failed to dial
// 127.0.0.1:2222: connection refused"), or the stream broke the protocol.
class PortForwardError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Splits the server's messages of a one-port forward into data and error text,
// dropping the 2-byte port prefix of each channel (it may arrive split across
// messages). Throws PortForwardError for an unknown channel or a prefix that
// names another port.
class PortForwardDemux {
 public:
  explicit PortForwardDemux(uint16_t port) : port_(port) {}
  struct Parts {
    std::string data;
    std::string error;
  };
  Parts Take(std::string_view message);

 private:
  uint16_t port_;
  std::array<std::string, 2> prefix_;  // per channel: prefix bytes seen so far
};

// The message carrying `data` to the Pod (channel 0: data of the only port).
std::string PortForwardDataMessage(std::string_view data);

// "/api/v1/namespaces/{ns}/pods/{pod}/portforward?ports={port}" (no server prefix).
std::string PortForwardPath(const std::string& ns, const std::string& pod, uint16_t port);

// An HTTP/1.1 response head ("HTTP/1.1 101 Switching Protocols\r\n...\r\n\r\n").
struct HttpResponseHead {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
};
// Parses the head (without the blank line's CRLF pair, or with it). Throws
// PortForwardError when the status line is not HTTP/1.x NNN.
HttpResponseHead ParseResponseHead(std::string_view head);
// The body of a non-101 answer from what followed the head: by Content-Length,
// chunked, or as is. Returns nullopt while more bytes are needed.
std::optional<std::string> CompleteBody(const HttpResponseHead& head, std::string_view bytes, bool closed);

class PortForward {
 public:
  // Connects, authenticates (retrying once with fresh exec-plugin/token-file
  // credentials after a 401) and upgrades. Throws ApiError with the server's
  // Status for a refusal (404 Pod, 403 RBAC, 400 Pod not running),
  // TransportError when the server cannot be reached, PortForwardError when
  // the answer is not a valid WebSocket upgrade.
  static std::unique_ptr<PortForward> Open(const ClusterConfig& config, const std::string& ns,
                                           const std::string& pod, uint16_t port, const std::string& user_agent,
                                           std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Copies bytes read from in_fd to the Pod and the Pod's bytes to out_fd
  // until either side ends: EOF on in_fd (v4 has no half-close, so the Pod's
  // answer is relayed until the stream is quiet for 1 s, then the WebSocket is
  // closed), the server closing, or out_fd refusing writes. Throws PortForwardError with
  // the kubelet's error text, TransportError when the connection breaks.
  // Writes to a closed pipe must not kill the process: ignore SIGPIPE.
  void Relay(int in_fd, int out_fd);

 private:
  PortForward(std::unique_ptr<TlsConnection> connection, uint16_t port, std::string early_bytes);
  bool HandleMessage(const websocket::Message& message, int out_fd, std::string& error);
  // After a failed write: reads what the server still sent (the kubelet's error text).
  void DrainAfterFailure(int out_fd, std::string& error);

  std::unique_ptr<TlsConnection> connection_;
  websocket::MessageReader reader_;
  PortForwardDemux demux_;
};

}  // namespace tfws::kube
