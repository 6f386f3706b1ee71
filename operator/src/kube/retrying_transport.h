// The policy layer around a raw Transport: rate limit, retries, 401 refresh,
// per-request metrics. Pure logic over the Transport and Clock seams, so it is
// unit-tested with a scripted transport and a fake clock.
//
// Guarantees of Send():
//  - every attempt first takes a token from the rate limiter (if any), unless
//    deps.limit_until_flow_control is set and an earlier answer carried the API
//    server's Priority and Fairness headers (X-Kubernetes-PF-FlowSchema-UID):
//    from then on the server paces this client (it queues what it cannot take
//    now and answers 429 with Retry-After, honoured below);
//  - request.deadline bounds the WHOLE call, retries and waits included; each
//    attempt gets what is left of it;
//  - 429 is retried for every verb (the server did not process the request),
//    waiting Retry-After when given (whole seconds, capped), else the backoff;
//    its API Priority and Fairness headers (flow schema, priority level UIDs)
//    go to metrics->Throttled;
//  - 5xx (but 501) with Retry-After is retried for every verb after that wait
//    (as client-go does); 5xx without it and TransportError only when
//    request.idempotent;
//  - 401 once: the credential source is invalidated and, when that can help
//    (an exec plugin re-runs), the request is sent again;
//  - backoff is time::Backoff: initial doubling to max, each wait scaled by
//    a random factor in [1, 1 + jitter);
//  - every attempt is reported to metrics with its status (0 = no response);
//  - request.cancel, once requested, ends every wait at once and no attempt
//    starts after it (TransportError "cancelled").
// Stream() shares the rate limit, 401 handling and metrics but never retries:
// the watcher above decides how to resume a stream.
//
// Thread-safe when the inner transport, credentials and metrics are.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "kube/cluster_config.h"
#include "kube/transport.h"
#include "observe/machinery_metrics.h"
#include "time/backoff.h"
#include "time/clock.h"
#include "time/token_bucket.h"

namespace tfws::kube {

struct RetryPolicy {
  int max_attempts = 5;  // 1 = no retries
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{10'000};
  std::chrono::seconds max_retry_after{60};  // longer Retry-After answers are capped
  double jitter = 0.5;  // each backoff wait is scaled by a factor in [1, 1 + jitter)
};

class RetryingTransport final : public Transport {
 public:
  struct Dependencies {
    std::shared_ptr<time::TokenBucket> rate_limiter;  // null = unlimited
    // The rate limiter stands aside for good once the server shows it runs
    // API Priority and Fairness (see Send()).
    bool limit_until_flow_control = false;
    observe::RequestMetrics* metrics = nullptr;     // null = not reported
    std::shared_ptr<CredentialSource> credentials;  // null = no 401 refresh
    time::Clock* clock = nullptr;                   // null = time::SystemClock
    time::RandomSource random;                      // null = time::DefaultRandomSource()
  };

  RetryingTransport(std::shared_ptr<Transport> inner, RetryPolicy policy, Dependencies deps);

  HttpResponse Send(const HttpRequest& request) override;
  HttpResponse Stream(const HttpRequest& request, const ChunkHandler& on_chunk,
                      std::stop_token stop) override;
  std::string Host() const override { return inner_->Host(); }

 private:
  void Report(const HttpRequest& request, int code, time::Duration took) const;
  // The rate limiter to wait for now (null once the server paces this client).
  time::TokenBucket* Limiter() const;
  void NoteFlowControl(const HttpResponse& response);

  std::shared_ptr<Transport> inner_;
  RetryPolicy policy_;
  Dependencies deps_;
  time::Clock& clock_;
  std::string metrics_host_;
  std::atomic<bool> server_paces_{false};
};

}  // namespace tfws::kube
