// Transport over cpprestsdk (the only file that includes its headers, so the
// library stays replaceable): one HTTPS exchange per call, no retries (see
// retrying_transport.h for the policy layer).
//
// - TLS from PEM data in memory: the cluster CA replaces the system trust store
//   when given; client certificate/key from the kubeconfig or, when the
//   CredentialSource yields one (exec plugin), from it (connections are rebuilt
//   when it changes); insecure-skip-tls-verify; tls-server-name is used for SNI
//   and certificate verification (sent as the Host header, which the API
//   server ignores).
// - Authorization: Bearer <token> from the CredentialSource at every request.
// - User-Agent: tfws-operator/<TFWS_VERSION>.
// - request.deadline is a TOTAL deadline (connect, headers and body); cpprest's
//   own timeout only measures inactivity, so we cancel the request ourselves.
// - Stream(): the body is read in the calling thread, chunk by chunk as it
//   arrives; stop closes the connection at once. Nothing blocks inside a
//   cpprest continuation, so cpprest's I/O threads only run asio: the first
//   transport sizes its pool to kCpprestThreads (its default is 40 threads).
// Thread-safe. Errors: TransportError (with method, path and cause).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "kube/cluster_config.h"
#include "kube/transport.h"

namespace tfws::kube {

struct CpprestTransportOptions {
  std::string user_agent;  // default "tfws-operator/<TFWS_VERSION>"
  // Inactivity limit of a stream (no byte for this long = dead connection).
  // Watches get bookmarks about once a minute, so keep this well above that.
  std::chrono::seconds stream_idle_timeout{std::chrono::minutes(5)};
};

// cpprest's process-wide I/O thread pool: TLS and socket work of every connection
// (callers wait in their own threads). All of it is asynchronous, so one thread keeps up;
// more only hand each completion to another thread to wake (bench/README.md, runs 28-34).
inline constexpr std::size_t kCpprestThreads = 1;

// Sizes cpprest's pool once, before its first use; false when it was already in use (then its
// default stays). Called by MakeCpprestTransport.
bool SizeCpprestThreadPool(std::size_t threads);

std::shared_ptr<Transport> MakeCpprestTransport(const ClusterConfig& config,
                                                const CpprestTransportOptions& options = {});

}  // namespace tfws::kube
