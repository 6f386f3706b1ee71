// The three Lease calls leader election makes, as a seam (tests use an
// in-memory fake with real optimistic-concurrency semantics).
// Calls throw kube::ApiError (409 Conflict / AlreadyExists when another
// candidate won the race) or kube::TransportError, like kube::Client.
#pragma once

#include <optional>
#include <string>

#include "kube/client.h"

namespace tfws::runtime {

class LeaseClient {
 public:
  virtual ~LeaseClient() = default;
  // nullopt when the Lease does not exist.
  virtual std::optional<kube::Json> Get(const std::string& ns, const std::string& name) = 0;
  virtual kube::Json Create(const std::string& ns, const kube::Json& lease) = 0;
  // PUT with metadata.resourceVersion: Conflict when someone else wrote first.
  virtual kube::Json Update(const std::string& ns, const kube::Json& lease) = 0;
};

// coordination.k8s.io/v1 Leases through kube::Client.
class ClientLeaseClient final : public LeaseClient {
 public:
  explicit ClientLeaseClient(kube::Client& client) : client_(client) {}
  std::optional<kube::Json> Get(const std::string& ns, const std::string& name) override;
  kube::Json Create(const std::string& ns, const kube::Json& lease) override;
  kube::Json Update(const std::string& ns, const kube::Json& lease) override;

 private:
  kube::Client& client_;
};

}  // namespace tfws::runtime
