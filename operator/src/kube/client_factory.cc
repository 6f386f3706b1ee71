#include "kube/client_factory.h"

#include "kube/cpprest_transport.h"

namespace tfws::kube {

std::shared_ptr<Client> MakeClient(const ClusterConfig& config, const ClientOptions& options) {
  CpprestTransportOptions transport_options;
  transport_options.user_agent = options.user_agent;
  auto raw = MakeCpprestTransport(config, transport_options);
  RetryingTransport::Dependencies deps;
  if (options.qps > 0)
    deps.rate_limiter = std::make_shared<RateLimiter>(RateLimit{options.qps, options.burst});
  deps.metrics = options.metrics;
  deps.credentials = config.credentials;
  return std::make_shared<Client>(
      std::make_shared<RetryingTransport>(raw, options.retry, std::move(deps)), options.request_deadline);
}

}  // namespace tfws::kube
