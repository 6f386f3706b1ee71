// /healthz and /readyz on their own port (--health-probe-bind-address), served
// by civetweb, each backed by named checks.
//
// Contract:
// - GET /healthz or /readyz answers 200 "ok" when every check of that endpoint
//   passes, else 500 with one line per failing check ("[-]name failed: reason")
//   and a last line "healthz check failed" / "readyz check failed".
//   With ?verbose every check is listed ("[+]name ok" / "[-]name failed: reason")
//   whatever the outcome. GET /healthz/<name> runs that single check (404 if none).
//   An endpoint with no checks is healthy.
// - A check that throws counts as failed, with the exception message as reason.
// - Checks run on civetweb's threads, concurrently with each other: they must be
//   thread-safe and quick (read an atomic, compare a timestamp).
// - Add*Check may be called before or after Start(); all methods are thread-safe.
// - Start() throws std::runtime_error naming the flag when the address is
//   malformed or cannot be bound. Stop() (and the destructor) wait for in-flight
//   requests to finish.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

struct mg_context;
struct mg_connection;

namespace tfws::observe {

struct CheckResult {
  bool ok = true;
  std::string reason;  // why it failed; empty when ok
  static CheckResult Ok() { return {}; }
  static CheckResult Failed(std::string reason) { return {false, std::move(reason)}; }
};
using HealthCheck = std::function<CheckResult()>;

// What an endpoint answers: HTTP status and plain-text body.
struct HealthResponse {
  int status = 200;
  std::string body;
};

class HealthServer {
 public:
  // bind_address: ":8081" (all interfaces), "127.0.0.1:8081", "[::1]:8081";
  // port 0 picks a free port (see port()).
  explicit HealthServer(std::string bind_address);
  ~HealthServer();
  HealthServer(const HealthServer&) = delete;
  HealthServer& operator=(const HealthServer&) = delete;

  void AddHealthCheck(std::string name, HealthCheck check);  // /healthz
  void AddReadyCheck(std::string name, HealthCheck check);   // /readyz

  void Start();
  void Stop();
  int port() const;  // bound port after Start(), 0 before

  // The answer for "/healthz", "/readyz", "/healthz/<name>" ... without HTTP
  // (what the handler serves; tests use it directly). 404 for unknown paths.
  HealthResponse Answer(const std::string& path, bool verbose) const;

 private:
  struct NamedCheck {
    std::string name;
    HealthCheck check;
  };
  static int HandleRequest(mg_connection* conn, void* self);

  std::string bind_address_;
  mutable std::mutex mu_;
  std::vector<NamedCheck> health_checks_;
  std::vector<NamedCheck> ready_checks_;
  mg_context* ctx_ = nullptr;
  int port_ = 0;
};

}  // namespace tfws::observe
