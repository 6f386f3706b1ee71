#include "kube/retrying_transport.h"

#include <algorithm>
#include <optional>

#include "kube/api_error.h"

namespace tfws::kube {
namespace {

bool IsServerError(int status) { return status >= 500 && status != 501; }

// The server's Retry-After in whole seconds (the form the API server sends), capped; nullopt when
// absent or not a number (an HTTP-date is treated as absent: the backoff applies).
std::optional<std::chrono::milliseconds> RetryAfter(const HttpResponse& response,
                                                    std::chrono::seconds cap) {
  auto it = response.headers.find("retry-after");
  if (it == response.headers.end()) return std::nullopt;
  try {
    std::size_t used = 0;
    long seconds = std::stol(it->second, &used);
    if (seconds < 0 || used != it->second.size()) return std::nullopt;
    return std::min<std::chrono::milliseconds>(std::chrono::seconds(seconds), cap);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string HeaderOrEmpty(const HttpResponse& response, const std::string& name) {
  auto it = response.headers.find(name);
  return it == response.headers.end() ? std::string() : it->second;
}

std::string HostForMetrics(std::string host) {
  auto scheme = host.find("://");
  return scheme == std::string::npos ? host : host.substr(scheme + 3);
}

}  // namespace

RetryingTransport::RetryingTransport(std::shared_ptr<Transport> inner, RetryPolicy policy,
                                     Dependencies deps)
    : inner_(std::move(inner)),
      policy_(policy),
      deps_(std::move(deps)),
      clock_(deps_.clock ? *deps_.clock : time::SystemClock::Instance()),
      metrics_host_(HostForMetrics(inner_->Host())) {
  policy_.max_attempts = std::max(1, policy_.max_attempts);
  if (!deps_.random) deps_.random = time::DefaultRandomSource();
}

time::TokenBucket* RetryingTransport::Limiter() const {
  if (deps_.limit_until_flow_control && server_paces_.load(std::memory_order_relaxed)) return nullptr;
  return deps_.rate_limiter.get();
}

void RetryingTransport::NoteFlowControl(const HttpResponse& response) {
  if (deps_.limit_until_flow_control && !server_paces_.load(std::memory_order_relaxed) &&
      response.headers.contains("x-kubernetes-pf-flowschema-uid")) {
    server_paces_.store(true, std::memory_order_relaxed);
  }
}

void RetryingTransport::Report(const HttpRequest& request, int code, time::Duration took) const {
  if (deps_.metrics)
    deps_.metrics->RequestDone(request.method, metrics_host_, code, observe::Seconds(took));
}

HttpResponse RetryingTransport::Send(const HttpRequest& request) {
  const auto start = clock_.Now();
  const bool has_deadline = request.deadline.count() > 0;
  const auto deadline = start + request.deadline;
  auto time_left = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_.Now());
  };
  auto deadline_error = [&](const std::string& last) {
    return TransportError(request.method + " " + request.path + ": deadline of " +
                          std::to_string(request.deadline.count()) + " ms exceeded" +
                          (last.empty() ? "" : " (last attempt: " + last + ")"));
  };

  bool refreshed_credentials = false;
  std::string last_failure;
  time::Backoff backoff(policy_.initial_backoff, policy_.max_backoff, policy_.jitter, deps_.random);
  auto next_backoff = [&] { return std::chrono::duration_cast<std::chrono::milliseconds>(backoff.Next()); };
  for (int attempt = 1;; ++attempt) {
    if (auto* limiter = Limiter()) {
      auto wait = limiter->Reserve();
      if (has_deadline && wait >= deadline - clock_.Now())
        throw deadline_error("client-side rate limit");
      if (wait > time::Duration::zero()) clock_.SleepFor(wait, request.cancel);
    }
    if (request.cancel.stop_requested())
      throw TransportError(request.method + " " + request.path + ": cancelled" +
                           (last_failure.empty() ? "" : " (last attempt: " + last_failure + ")"));
    HttpRequest attempt_request = request;
    if (has_deadline) {
      attempt_request.deadline = time_left();
      if (attempt_request.deadline.count() <= 0) throw deadline_error(last_failure);
    }

    const auto attempt_start = clock_.Now();
    std::chrono::milliseconds wait{0};
    try {
      HttpResponse response = inner_->Send(attempt_request);
      Report(request, response.status, clock_.Now() - attempt_start);
      NoteFlowControl(response);
      if (response.status == 401 && !refreshed_credentials && deps_.credentials &&
          deps_.credentials->Invalidate()) {
        refreshed_credentials = true;
        --attempt;  // a refresh is not a retry
        continue;
      }
      if (response.status == 429 && deps_.metrics)
        deps_.metrics->Throttled(HeaderOrEmpty(response, "x-kubernetes-pf-flowschema-uid"),
                                 HeaderOrEmpty(response, "x-kubernetes-pf-prioritylevel-uid"));
      const auto retry_after = RetryAfter(response, policy_.max_retry_after);
      // 429, or a 5xx that says when to come back (the server did not take the request, or
      // asks for it again: an AlreadyExists on the retried create is the caller's usual case).
      const bool retryable = response.status == 429 ||
                             (IsServerError(response.status) && (request.idempotent || retry_after));
      if (!retryable || attempt >= policy_.max_attempts) return response;
      if (retry_after) {
        wait = *retry_after;
      } else {
        wait = next_backoff();
      }
      last_failure = "HTTP " + std::to_string(response.status);
      if (has_deadline && wait >= time_left())
        return response;  // no time for another try: show the answer
    } catch (const ConfigError&) {
      throw;  // credentials unavailable: retrying cannot help
    } catch (const TransportError& e) {
      Report(request, 0, clock_.Now() - attempt_start);
      if (!request.idempotent || attempt >= policy_.max_attempts) throw;
      last_failure = e.what();
      wait = next_backoff();
      if (has_deadline && wait >= time_left()) throw deadline_error(last_failure);
    }
    clock_.SleepFor(wait, request.cancel);
  }
}

HttpResponse RetryingTransport::Stream(const HttpRequest& request, const ChunkHandler& on_chunk,
                                       std::stop_token stop) {
  for (bool refreshed = false;;) {
    if (auto* limiter = Limiter(); limiter != nullptr && !limiter->Acquire(stop)) return HttpResponse{};
    const auto start = clock_.Now();
    HttpResponse response;
    try {
      response = inner_->Stream(request, on_chunk, stop);
    } catch (const TransportError&) {
      Report(request, 0, clock_.Now() - start);
      throw;
    }
    Report(request, response.status, clock_.Now() - start);
    NoteFlowControl(response);
    if (response.status == 401 && !refreshed && deps_.credentials &&
        deps_.credentials->Invalidate()) {
      refreshed = true;
      continue;
    }
    return response;
  }
}

}  // namespace tfws::kube
