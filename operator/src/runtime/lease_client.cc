#include "runtime/lease_client.h"

#include "kube/api_error.h"

namespace tfws::runtime {

std::optional<kube::Json> ClientLeaseClient::Get(const std::string& ns, const std::string& name) {
  try {
    return client_.Get(kube::resources::kLeases, ns, name);
  } catch (const kube::ApiError& e) {
    if (e.IsNotFound()) return std::nullopt;
    throw;
  }
}

kube::Json ClientLeaseClient::Create(const std::string& ns, const kube::Json& lease) {
  return client_.Create(kube::resources::kLeases, ns, lease);
}

kube::Json ClientLeaseClient::Update(const std::string& ns, const kube::Json& lease) {
  return client_.Update(kube::resources::kLeases, ns, lease);
}

}  // namespace tfws::runtime
