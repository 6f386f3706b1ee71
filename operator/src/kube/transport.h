// The seam between the Kubernetes client and an HTTP library.
//
// Everything above this interface speaks HttpRequest/HttpResponse; only
// cpprest_transport.cc knows cpprestsdk (in maintenance mode, so it must stay
// replaceable). Implementations are thread-safe: many workers share one.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>

namespace tfws::kube {

struct HttpRequest {
  std::string method;  // "GET", "POST", "PUT", "PATCH", "DELETE"
  std::string path;    // path and already-encoded query: "/api/v1/namespaces/a/pods?limit=500"
  std::string body;    // empty for GET/DELETE without options
  std::string content_type;  // e.g. "application/json", "application/apply-patch+yaml"
  std::string accept = "application/json";
  // Total deadline for the whole exchange, including reading the body (not an
  // inactivity timeout). Zero means no deadline (watch streams use a
  // server-side timeoutSeconds instead).
  std::chrono::milliseconds deadline{std::chrono::seconds(30)};
  // True when the request may be retried safely (GET, and PUT/DELETE with a
  // resourceVersion precondition). The transport retries only those on 5xx/429.
  bool idempotent = false;
  // Requested = abandon the exchange at once: no further attempt or wait, the
  // connection of one in flight is closed, TransportError is thrown. The write
  // fence sets it to its term's token (write_fence.h); empty = never.
  std::stop_token cancel;
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // header names lower-cased
  std::string body;
};

// Receives a streamed body piece by piece, in arrival order, with arbitrary
// boundaries. Return false to stop reading.
using ChunkHandler = std::function<bool(std::string_view chunk)>;

class Transport {
 public:
  virtual ~Transport() = default;

  // One complete exchange. Throws TransportError when no HTTP response could be
  // obtained (after the transport's own retries). Non-2xx statuses are returned,
  // not thrown: kube::Client turns them into ApiError.
  virtual HttpResponse Send(const HttpRequest& request) = 0;

  // A long-lived GET whose body is delivered to on_chunk as it arrives. Blocks
  // the calling thread until the server ends the stream, on_chunk returns false,
  // or stop is requested (the connection is then closed promptly). For a non-2xx
  // status the body is returned in the response and on_chunk is not called.
  // Throws TransportError when the connection fails or breaks mid-stream.
  virtual HttpResponse Stream(const HttpRequest& request, const ChunkHandler& on_chunk,
                              std::stop_token stop) = 0;

  // "https://host:port" of the API server, for metrics labels and messages.
  virtual std::string Host() const = 0;
};

}  // namespace tfws::kube
