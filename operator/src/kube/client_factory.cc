#include "kube/client_factory.h"

#include "kube/cpprest_transport.h"

namespace tfws::kube {

std::shared_ptr<Client> MakeClient(const ClusterConfig& config, const ClientOptions& options) {
  CpprestTransportOptions transport_options;
  transport_options.user_agent = options.user_agent;
  std::shared_ptr<Transport> raw = MakeCpprestTransport(config, transport_options);
  RetryingTransport::Dependencies deps;
  if (options.qps > 0)
    deps.rate_limiter = std::make_shared<time::TokenBucket>(options.qps, options.burst);
  deps.limit_until_flow_control = options.limit_until_flow_control;
  deps.metrics = options.metrics;
  deps.credentials = config.credentials;
  std::shared_ptr<Transport> transport = std::make_shared<RetryingTransport>(raw, options.retry, std::move(deps));
  // Outermost, so the term's token reaches every retry, wait and attempt below.
  if (options.fence) transport = std::make_shared<FencedTransport>(transport, options.fence);
  return std::make_shared<Client>(transport, options.request_deadline);
}

}  // namespace tfws::kube
