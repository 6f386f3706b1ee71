// Where the API server is and how to prove who we are: the result of loading
// a kubeconfig or the in-cluster service account (kube/config_loader.h).
//
// ClusterConfig is a value; its CredentialSource is shared and thread-safe
// (the transport asks it for the current token before every request).
#pragma once

#include <memory>
#include <string>

namespace tfws::kube {

struct TlsOptions {
  std::string ca_pem;  // trusted CA bundle; empty = the system's trust store
  bool insecure_skip_verify = false;
  std::string server_name;      // tls-server-name: SNI and the name verified in the certificate
  std::string client_cert_pem;  // static client certificate (kubeconfig); may be empty
  std::string client_key_pem;
};

// What the transport attaches to a request at the moment it is sent.
struct Credentials {
  std::string bearer_token;     // empty = no Authorization header
  std::string client_cert_pem;  // from an exec plugin; overrides TlsOptions' certificate
  std::string client_key_pem;

  bool operator==(const Credentials&) const = default;
};

// Yields the current credentials: a static token, a token file re-read when it
// changes, an exec plugin's cached output refreshed on expiry. Thread-safe.
class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  // Throws ConfigError when the credentials cannot be obtained (unreadable token
  // file, failing exec plugin); the message names the source.
  virtual Credentials Get() = 0;
  // The server answered 401 with the credentials last returned: forget any
  // cached value so the next Get() fetches fresh ones. Returns true when that
  // can help (a retry is worthwhile).
  virtual bool Invalidate() { return false; }
};

// No credentials (client certificates only, or anonymous).
class NoCredentials final : public CredentialSource {
 public:
  Credentials Get() override { return {}; }
};

class StaticTokenCredentials final : public CredentialSource {
 public:
  explicit StaticTokenCredentials(std::string token) : token_(std::move(token)) {}
  Credentials Get() override { return {token_, {}, {}}; }

 private:
  std::string token_;
};

struct ClusterConfig {
  std::string server;  // "https://127.0.0.1:6443", no trailing slash (a path prefix is kept)
  TlsOptions tls;
  std::shared_ptr<CredentialSource> credentials = std::make_shared<NoCredentials>();
  std::string default_namespace = "default";
  // Where this came from, for log lines and messages:
  // `kubeconfig /home/u/.kube/config (context "dev")` or `in-cluster service account`.
  std::string origin;
};

}  // namespace tfws::kube
