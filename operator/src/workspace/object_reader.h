// What the reconciler reads from: the informer caches of the resources the
// controller watches (TFWorkspaces and the children it labels). Production
// wraps runtime::Store; tests use a map. Thread-safe; returns immutable
// snapshots (nullptr when the cache has no such object).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kube/client.h"
#include "kube/resource.h"

namespace tfws::workspace {

class ObjectReader {
 public:
  virtual ~ObjectReader() = default;
  virtual std::shared_ptr<const kube::Json> Get(const kube::Resource& resource, const std::string& ns,
                                                const std::string& name) const = 0;
  // Every cached object of a cluster-scoped resource (TFWorkspaceClasses); none by default.
  virtual std::vector<std::shared_ptr<const kube::Json>> List(const kube::Resource& /*resource*/) const { return {}; }
};

}  // namespace tfws::workspace
