#include "kube/client_factory.h"

#include "kube/cpprest_transport.h"
#include "kube/write_fence.h"

namespace tfws::kube {

std::shared_ptr<Client> MakeClient(const ClusterConfig& config, const ClientOptions& options) {
  CpprestTransportOptions transport_options;
  transport_options.user_agent = options.user_agent;
  std::shared_ptr<Transport> raw = MakeCpprestTransport(config, transport_options);
  if (options.may_write) raw = std::make_shared<FencedTransport>(raw, options.may_write);  // checked on every attempt
  RetryingTransport::Dependencies deps;
  if (options.qps > 0)
    deps.rate_limiter = std::make_shared<time::TokenBucket>(options.qps, options.burst);
  deps.limit_until_flow_control = options.limit_until_flow_control;
  deps.metrics = options.metrics;
  deps.credentials = config.credentials;
  return std::make_shared<Client>(
      std::make_shared<RetryingTransport>(raw, options.retry, std::move(deps)), options.request_deadline);
}

}  // namespace tfws::kube
