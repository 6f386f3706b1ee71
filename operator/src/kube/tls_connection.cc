#include "kube/tls_connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cpprest/base_uri.h>
#include <cstring>

#include "kube/api_error.h"

namespace tfws::kube {
namespace {

using Clock = std::chrono::steady_clock;

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown TLS error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct SslFree {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};

std::unique_ptr<BIO, BioFree> PemBio(const std::string& pem) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

bool IsIpAddress(const std::string& host) {
  in6_addr buffer{};
  return inet_pton(AF_INET, host.c_str(), &buffer) == 1 || inet_pton(AF_INET6, host.c_str(), &buffer) == 1;
}

// Trust exactly the CA bundle (every certificate in it), or the system store.
void ConfigureTrust(SSL_CTX* ctx, const TlsOptions& tls, const std::string& peer) {
  if (tls.insecure_skip_verify) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    return;
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (tls.ca_pem.empty()) {
    SSL_CTX_set_default_verify_paths(ctx);
    return;
  }
  X509_STORE* store = X509_STORE_new();
  SSL_CTX_set_cert_store(ctx, store);  // ctx owns it
  auto bio = PemBio(tls.ca_pem);
  int added = 0;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store, cert);
    X509_free(cert);
    ++added;
  }
  ERR_clear_error();  // the loop ends on "no start line"
  if (added == 0) throw TransportError("TLS to " + peer + ": the certificate-authority data holds no PEM certificate");
}

void ConfigureClientCertificate(SSL_CTX* ctx, const std::string& cert_pem, const std::string& key_pem,
                                const std::string& peer) {
  if (cert_pem.empty()) return;
  auto cert_bio = PemBio(cert_pem);
  std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (!cert || SSL_CTX_use_certificate(ctx, cert.get()) != 1) {
    throw TransportError("TLS to " + peer + ": cannot use the client certificate: " + OpenSslError());
  }
  while (X509* extra = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr)) {
    SSL_CTX_add_extra_chain_cert(ctx, extra);  // ctx owns it
  }
  ERR_clear_error();
  auto key_bio = PemBio(key_pem);
  std::unique_ptr<EVP_PKEY, KeyFree> key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!key || SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    throw TransportError("TLS to " + peer + ": cannot use the client key: " + OpenSslError());
  }
}

// Waits until fd is ready for `events` or the deadline passes (false).
bool WaitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = poll(&p, 1, static_cast<int>(left));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

// A connected, blocking TCP socket to host:port, or TransportError.
int ConnectTcp(const ServerAddress& address, Clock::time_point deadline, const std::string& peer) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = getaddrinfo(address.host.c_str(), address.port.c_str(), &hints, &found); rc != 0) {
    throw TransportError("cannot resolve " + peer + ": " + gai_strerror(rc));
  }
  std::string last_error = "no address";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) continue;
    int rc = connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      if (WaitFor(fd, POLLOUT, deadline)) {
        int error = 0;
        socklen_t size = sizeof error;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size);
        rc = error == 0 ? 0 : -1;
        errno = error;
      } else {
        errno = ETIMEDOUT;
      }
    }
    if (rc == 0) {
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // interactive traffic (ssh)
      freeaddrinfo(found);
      return fd;
    }
    last_error = std::strerror(errno);
    close(fd);
  }
  freeaddrinfo(found);
  throw TransportError("cannot connect to " + peer + ": " + last_error);
}

}  // namespace

struct TlsConnection::Tls {
  std::unique_ptr<SSL_CTX, CtxFree> ctx;
  std::unique_ptr<SSL, SslFree> ssl;
};

ServerAddress ParseServerAddress(const ClusterConfig& config) {
  ServerAddress out;
  try {
    const web::uri uri(config.server);
    if (uri.scheme() != "https" && uri.scheme() != "http") throw std::invalid_argument("scheme must be https or http");
    out.tls = uri.scheme() == "https";
    out.host = uri.host();
    if (out.host.size() > 2 && out.host.front() == '[' && out.host.back() == ']') {
      out.host = out.host.substr(1, out.host.size() - 2);
    }
    if (out.host.empty()) throw std::invalid_argument("no host");
    out.port = uri.port() > 0 ? std::to_string(uri.port()) : (out.tls ? "443" : "80");
    out.path_prefix = uri.path() == "/" ? "" : uri.path();
    while (!out.path_prefix.empty() && out.path_prefix.back() == '/') out.path_prefix.pop_back();
    const std::string bracketed = out.host.find(':') != std::string::npos ? "[" + out.host + "]" : out.host;
    out.host_header = uri.port() > 0 ? bracketed + ":" + out.port : bracketed;
  } catch (const std::exception& e) {
    throw ConfigError(config.origin + ": server \"" + config.server + "\": " + e.what());
  }
  return out;
}

std::unique_ptr<TlsConnection> TlsConnection::Open(const ClusterConfig& config, const Credentials& credentials,
                                                   std::chrono::milliseconds timeout) {
  const ServerAddress address = ParseServerAddress(config);
  const auto deadline = Clock::now() + timeout;
  std::unique_ptr<TlsConnection> connection(new TlsConnection());
  connection->peer_ = address.host_header;
  connection->fd_ = ConnectTcp(address, deadline, connection->peer_);
  if (!address.tls) return connection;

  const std::string& peer = connection->peer_;
  auto tls = std::make_unique<Tls>();
  tls->ctx.reset(SSL_CTX_new(TLS_client_method()));
  if (!tls->ctx) throw TransportError("TLS to " + peer + ": " + OpenSslError());
  SSL_CTX_set_min_proto_version(tls->ctx.get(), TLS1_2_VERSION);
  ConfigureTrust(tls->ctx.get(), config.tls, peer);
  const bool exec_cert = !credentials.client_cert_pem.empty();
  ConfigureClientCertificate(tls->ctx.get(), exec_cert ? credentials.client_cert_pem : config.tls.client_cert_pem,
                             exec_cert ? credentials.client_key_pem : config.tls.client_key_pem, peer);
  // An Upgrade needs HTTP/1.1; say so, as a server may otherwise pick h2.
  static const unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_CTX_set_alpn_protos(tls->ctx.get(), kAlpn, sizeof kAlpn);

  tls->ssl.reset(SSL_new(tls->ctx.get()));
  SSL* ssl = tls->ssl.get();
  const std::string& name = config.tls.server_name.empty() ? address.host : config.tls.server_name;
  if (!IsIpAddress(name)) SSL_set_tlsext_host_name(ssl, name.c_str());
  if (!config.tls.insecure_skip_verify) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    const int ok = IsIpAddress(name) ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                                     : X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
    if (ok != 1) throw TransportError("TLS to " + peer + ": cannot verify against name \"" + name + "\"");
  }
  SSL_set_fd(ssl, connection->fd_);
  // Handshake without blocking past the deadline.
  fcntl(connection->fd_, F_SETFL, fcntl(connection->fd_, F_GETFL) | O_NONBLOCK);
  for (;;) {
    const int rc = SSL_connect(ssl);
    if (rc == 1) break;
    const int why = SSL_get_error(ssl, rc);
    if ((why == SSL_ERROR_WANT_READ && WaitFor(connection->fd_, POLLIN, deadline)) ||
        (why == SSL_ERROR_WANT_WRITE && WaitFor(connection->fd_, POLLOUT, deadline))) {
      continue;
    }
    if (why == SSL_ERROR_WANT_READ || why == SSL_ERROR_WANT_WRITE) {
      throw TransportError("TLS handshake with " + peer + " did not finish within " +
                           std::to_string(timeout.count()) + " ms");
    }
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) {
      throw TransportError("TLS to " + peer + ": server certificate not trusted for \"" + name +
                           "\": " + X509_verify_cert_error_string(verify));
    }
    throw TransportError("TLS handshake with " + peer + " failed: " + OpenSslError());
  }
  fcntl(connection->fd_, F_SETFL, fcntl(connection->fd_, F_GETFL) & ~O_NONBLOCK);
  connection->tls_ = std::move(tls);
  return connection;
}

TlsConnection::~TlsConnection() {
  if (tls_ && tls_->ssl) SSL_shutdown(tls_->ssl.get());  // best effort close_notify
  tls_.reset();
  if (fd_ >= 0) close(fd_);
}

bool TlsConnection::Buffered() const { return tls_ && SSL_pending(tls_->ssl.get()) > 0; }

std::size_t TlsConnection::Read(char* out, std::size_t size) {
  if (!tls_) {
    for (;;) {
      const ssize_t n = ::read(fd_, out, size);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) throw TransportError("reading from " + peer_ + ": " + std::strerror(errno));
    }
  }
  for (;;) {
    std::size_t got = 0;
    const int rc = SSL_read_ex(tls_->ssl.get(), out, size, &got);
    if (rc == 1) return got;
    const int why = SSL_get_error(tls_->ssl.get(), rc);
    if (why == SSL_ERROR_ZERO_RETURN) return 0;
    if (why == SSL_ERROR_SYSCALL && errno == EINTR) continue;
    if (why == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) return 0;  // closed without close_notify
    throw TransportError("reading from " + peer_ + ": " + OpenSslError());
  }
}

void TlsConnection::WriteAll(std::string_view bytes) {
  while (!bytes.empty()) {
    std::size_t wrote = 0;
    if (!tls_) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw TransportError("writing to " + peer_ + ": " + std::strerror(errno));
      wrote = static_cast<std::size_t>(n);
    } else if (SSL_write_ex(tls_->ssl.get(), bytes.data(), bytes.size(), &wrote) != 1) {
      if (errno == EINTR) continue;
      const bool system = SSL_get_error(tls_->ssl.get(), 0) == SSL_ERROR_SYSCALL && ERR_peek_error() == 0;
      throw TransportError("writing to " + peer_ + ": " + (system ? std::string(std::strerror(errno)) : OpenSslError()));
    }
    bytes.remove_prefix(wrote);
  }
}

}  // namespace tfws::kube
