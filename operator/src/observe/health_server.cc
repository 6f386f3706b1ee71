#include "observe/health_server.h"

#include "observe/bind_address.h"

#include <civetweb.h>

#include <cstring>
#include <stdexcept>

namespace tfws::observe {
namespace {

// civetweb reports why mg_start failed only through the log callback.
thread_local std::string last_civetweb_error;

int CaptureCivetwebLog(const mg_connection*, const char* message) {
  last_civetweb_error = message ? message : "";
  return 1;  // handled: keep civetweb from printing to stderr
}

CheckResult RunCheck(const HealthCheck& check) {
  try {
    return check();
  } catch (const std::exception& e) {
    return CheckResult::Failed(std::string("check threw: ") + e.what());
  } catch (...) {
    return CheckResult::Failed("check threw an unknown exception");
  }
}

}  // namespace

HealthServer::HealthServer(std::string bind_address) : bind_address_(std::move(bind_address)) {}

HealthServer::~HealthServer() { Stop(); }

void HealthServer::AddHealthCheck(std::string name, HealthCheck check) {
  std::lock_guard lock(mu_);
  health_checks_.push_back({std::move(name), std::move(check)});
}

void HealthServer::AddReadyCheck(std::string name, HealthCheck check) {
  std::lock_guard lock(mu_);
  ready_checks_.push_back({std::move(name), std::move(check)});
}

HealthResponse HealthServer::Answer(const std::string& path, bool verbose) const {
  std::string endpoint = path;
  std::string single;  // "/healthz/<name>" asks for one check
  if (const auto slash = path.find('/', 1); slash != std::string::npos) {
    endpoint = path.substr(0, slash);
    single = path.substr(slash + 1);
  }
  std::vector<NamedCheck> checks;
  {
    std::lock_guard lock(mu_);
    if (endpoint == "/healthz" || endpoint == "/livez") {
      checks = health_checks_;
    } else if (endpoint == "/readyz") {
      checks = ready_checks_;
    } else {
      return {404, "404 page not found\n"};
    }
  }
  const std::string kind = endpoint.substr(1);
  if (!single.empty()) {
    for (const auto& c : checks) {
      if (c.name != single) continue;
      const CheckResult r = RunCheck(c.check);
      if (r.ok) return {200, "ok\n"};
      return {500, "[-]" + c.name + " failed: " + r.reason + "\n" + kind + " check failed\n"};
    }
    return {404, kind + " check \"" + single + "\" not found\n"};
  }
  std::string listing;
  bool all_ok = true;
  for (const auto& c : checks) {
    const CheckResult r = RunCheck(c.check);
    all_ok = all_ok && r.ok;
    if (r.ok) {
      if (verbose) listing += "[+]" + c.name + " ok\n";
    } else {
      listing += "[-]" + c.name + " failed: " + (r.reason.empty() ? "no reason given" : r.reason) + "\n";
    }
  }
  if (all_ok) return {200, verbose ? listing + kind + " check passed\n" : "ok"};
  return {500, listing + kind + " check failed\n"};
}

int HealthServer::HandleRequest(mg_connection* conn, void* self) {
  const mg_request_info* info = mg_get_request_info(conn);
  const auto* server = static_cast<const HealthServer*>(self);
  const std::string uri = info->local_uri ? info->local_uri : "";
  const std::string query = info->query_string ? info->query_string : "";
  const bool verbose = query == "verbose" || query.rfind("verbose=", 0) == 0 ||
                       query.find("&verbose") != std::string::npos;
  HealthResponse response;
  if (std::strcmp(info->request_method, "GET") != 0 && std::strcmp(info->request_method, "HEAD") != 0) {
    response = {405, "method not allowed: use GET\n"};
  } else {
    response = server->Answer(uri, verbose);
  }
  const char* reason = response.status == 200   ? "OK"
                       : response.status == 404 ? "Not Found"
                       : response.status == 405 ? "Method Not Allowed"
                                                : "Internal Server Error";
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n"
            "Content-Length: %zu\r\nConnection: close\r\n\r\n",
            response.status, reason, response.body.size());
  if (std::strcmp(info->request_method, "HEAD") != 0) {
    mg_write(conn, response.body.data(), response.body.size());
  }
  return response.status;
}

void HealthServer::Start() {
  if (ctx_) return;
  const std::string ports = CivetListeningPorts(bind_address_, "--health-probe-bind-address");
  mg_callbacks callbacks;
  std::memset(&callbacks, 0, sizeof callbacks);
  callbacks.log_message = &CaptureCivetwebLog;
  const char* options[] = {"listening_ports", ports.c_str(), "num_threads", "2",
                           "request_timeout_ms", "10000", nullptr};
  last_civetweb_error.clear();
  ctx_ = mg_start(&callbacks, this, options);
  if (!ctx_) {
    throw std::runtime_error("--health-probe-bind-address: cannot listen on \"" + bind_address_ +
                             "\": " + (last_civetweb_error.empty() ? "civetweb failed to start"
                                                                   : last_civetweb_error) +
                             " (is the port already in use?)");
  }
  for (const char* uri : {"/healthz", "/readyz", "/livez"}) {
    mg_set_request_handler(ctx_, uri, &HealthServer::HandleRequest, this);
  }
  mg_server_port bound[4];
  const int n = mg_get_server_ports(ctx_, 4, bound);
  port_ = n > 0 ? bound[0].port : 0;
}

void HealthServer::Stop() {
  if (!ctx_) return;
  mg_stop(ctx_);
  ctx_ = nullptr;
  port_ = 0;
}

int HealthServer::port() const { return port_; }

}  // namespace tfws::observe
