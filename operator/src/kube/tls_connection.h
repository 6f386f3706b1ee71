// A raw, blocking byte connection to the API server, set up exactly as the
// ClusterConfig says (the same rules as the cpprest transport): https with the
// cluster's CA (or the system store when none is given), the tls-server-name
// override, insecure-skip-tls-verify, and the client certificate of the
// kubeconfig or of an exec plugin; plain TCP for an http:// server. For the
// few requests that leave HTTP behind after an Upgrade (port-forward).
//
// One reader/writer at a time (OpenSSL objects are not shared across threads).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "kube/cluster_config.h"

namespace tfws::kube {

// The parts of config.server a raw connection needs.
struct ServerAddress {
  bool tls = true;
  std::string host;         // "127.0.0.1", "api.example.com", "::1" (no brackets)
  std::string port;         // "6443"; 443/80 when the URL has none
  std::string path_prefix;  // "" or "/k8s" (no trailing slash)
  std::string host_header;  // what goes in Host: "127.0.0.1:6443"
};
// Throws ConfigError naming config.origin when the server URL is unusable.
ServerAddress ParseServerAddress(const ClusterConfig& config);

class TlsConnection {
 public:
  // Connects within `timeout` and completes the TLS handshake, verifying the
  // server certificate unless the config says insecure-skip-tls-verify. Throws
  // TransportError saying which step failed and why (DNS, connect, verify).
  static std::unique_ptr<TlsConnection> Open(const ClusterConfig& config, const Credentials& credentials,
                                             std::chrono::milliseconds timeout);
  ~TlsConnection();
  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;

  // The socket, for poll(). Check Buffered() first: TLS may hold decrypted
  // bytes the socket no longer shows as readable.
  int fd() const { return fd_; }
  bool Buffered() const;
  // Reads what is available (blocks for at least one byte); 0 = the server
  // closed the connection. Throws TransportError.
  std::size_t Read(char* out, std::size_t size);
  void WriteAll(std::string_view bytes);

 private:
  TlsConnection() = default;
  struct Tls;
  int fd_ = -1;
  std::unique_ptr<Tls> tls_;  // null for http://
  std::string peer_;          // "host:port", for messages
};

}  // namespace tfws::kube
