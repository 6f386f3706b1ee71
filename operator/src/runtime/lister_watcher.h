// What a Watcher needs from the API: list one page, and stream watch events.
// The seam that lets unit tests script lists and events; ClientListerWatcher
// is the real one on kube::Client.
//
// Implementations are used from one watcher thread at a time. Both calls
// throw kube::ApiError / kube::TransportError like kube::Client does.
#pragma once

#include <functional>
#include <stop_token>
#include <string>

#include "kube/client.h"

namespace tfws::runtime {

class ListerWatcher {
 public:
  virtual ~ListerWatcher() = default;
  // One page: a List object with items, metadata.resourceVersion, metadata.continue.
  virtual kube::Json List(const kube::ListOptions& options) = 0;
  // Streams events until the server ends the stream, on_event returns false or
  // stop is requested.
  virtual void Watch(const kube::ListOptions& options,
                     const std::function<bool(kube::WatchEvent&&)>& on_event, std::stop_token stop) = 0;
  // For logs: "pods in all namespaces", "tfworkspaces in team-a".
  virtual std::string Describe() const = 0;
};

// Lists/watches `resource` in `ns` ("" = all namespaces) through a shared Client.
// Selectors given here are merged into every call.
class ClientListerWatcher final : public ListerWatcher {
 public:
  ClientListerWatcher(kube::Client& client, kube::Resource resource, std::string ns = {},
                      std::string label_selector = {}, std::string field_selector = {});
  kube::Json List(const kube::ListOptions& options) override;
  void Watch(const kube::ListOptions& options, const std::function<bool(kube::WatchEvent&&)>& on_event,
             std::stop_token stop) override;
  std::string Describe() const override;
  const kube::Resource& resource() const { return resource_; }

 private:
  kube::ListOptions WithSelectors(kube::ListOptions options) const;
  kube::Client& client_;
  kube::Resource resource_;
  std::string ns_;
  std::string label_selector_;
  std::string field_selector_;
};

}  // namespace tfws::runtime
