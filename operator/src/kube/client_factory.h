// Builds the production Client from a ClusterConfig: cpprest transport, wrapped
// in the retry / rate-limit / metrics policy (retrying_transport.h).
#pragma once

#include <memory>

#include "kube/client.h"
#include "kube/cluster_config.h"
#include "kube/retrying_transport.h"
#include "kube/write_fence.h"
#include "observe/machinery_metrics.h"

namespace tfws::kube {

struct ClientOptions {
  // The client-side request limit, a time::TokenBucket shared by every request
  // of the client. client-go's default (5 qps / burst 10) starves a controller
  // that writes several children per object, so tfws defaults to 20 / 30.
  double qps = 20;  // --kube-api-qps; <= 0 turns client-side limiting off
  int burst = 30;   // --kube-api-burst
  // Only until the API server shows it runs API Priority and Fairness (its
  // answers carry X-Kubernetes-PF-* headers, as in every supported
  // Kubernetes): the server then paces the client, queueing what it cannot
  // take and answering 429 + Retry-After (honoured), and the caller's own
  // concurrency bounds what is in flight (--kube-api-qps=auto, the operator's
  // default; see docs/client.md).
  bool limit_until_flow_control = false;
  observe::RequestMetrics* metrics = nullptr;  // not owned; must outlive the client
  RetryPolicy retry;
  // Whole-call deadline of every request but watches, retries included.
  std::chrono::milliseconds request_deadline{std::chrono::seconds(30)};
  std::string user_agent;  // default tfws-operator/<version>
  // Fencing (write_fence.h): when set, a write starts only while the fence is
  // open and is cancelled, retries and waits included, the moment its term
  // ends. Null = always write.
  std::shared_ptr<WriteFence> fence;
};

// Throws ConfigError when the config cannot be used (e.g. a malformed server URL).
std::shared_ptr<Client> MakeClient(const ClusterConfig& config, const ClientOptions& options = {});

}  // namespace tfws::kube
