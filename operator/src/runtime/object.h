// Small, pure helpers on Kubernetes objects held as JSON: cache keys, owner
// references. No I/O; never throws on missing fields (returns empty values).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kube/client.h"

namespace tfws::runtime {

// Cached objects are immutable and shared with readers.
using ObjectPtr = std::shared_ptr<const kube::Json>;

// "namespace/name" for namespaced objects, "name" for cluster-scoped ones
// (the client-go MetaNamespaceKeyFunc convention).
std::string KeyOf(const kube::Json& object);
std::string MakeKey(const std::string& ns, const std::string& name);
// Splits a key back into {namespace, name}; namespace is "" for cluster-scoped.
std::pair<std::string, std::string> SplitKey(const std::string& key);

std::string NamespaceOf(const kube::Json& object);
std::string NameOf(const kube::Json& object);
std::string UidOf(const kube::Json& object);
std::string ResourceVersionOf(const kube::Json& object);

struct OwnerRef {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
  bool controller = false;
};
std::vector<OwnerRef> OwnerReferencesOf(const kube::Json& object);
// The ownerReference with controller=true, if any.
std::optional<OwnerRef> ControllerOf(const kube::Json& object);
// "tfws.io/v1alpha1" -> "tfws.io"; "v1" -> "".
std::string GroupOf(const std::string& api_version);

}  // namespace tfws::runtime
