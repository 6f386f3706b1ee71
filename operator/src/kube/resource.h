// Names an API resource (group/version/resource) and builds its REST paths.
#pragma once

#include <string>
#include <string_view>

namespace tfws::kube {

struct Resource {
  std::string group;     // "" for the core group
  std::string version;   // "v1"
  std::string resource;  // plural, lower case: "pods"
  std::string kind;      // "Pod" (used for apply bodies and messages)
  bool namespaced = true;

  std::string ApiVersion() const { return group.empty() ? version : group + "/" + version; }

  // "/api/v1/namespaces/ns/pods/name/status". Empty ns on a namespaced resource
  // means "all namespaces"; empty name means the collection.
  std::string Path(std::string_view ns, std::string_view name = {},
                   std::string_view subresource = {}) const;
};

// The resources tfws reads or writes.
namespace resources {
extern const Resource kNamespaces;
extern const Resource kNodes;
extern const Resource kPods;
extern const Resource kServices;
extern const Resource kSecrets;
extern const Resource kConfigMaps;
extern const Resource kPersistentVolumeClaims;
extern const Resource kPersistentVolumes;
extern const Resource kResourceQuotas;
extern const Resource kServiceAccounts;
extern const Resource kIngresses;
extern const Resource kNetworkPolicies;
extern const Resource kLeases;
extern const Resource kEvents;  // events.k8s.io/v1
extern const Resource kCustomResourceDefinitions;
extern const Resource kTFWorkspaces;  // tfws.io/v1alpha1
extern const Resource kStorageClasses;      // storage.k8s.io/v1, cluster-scoped
extern const Resource kTFWorkspaceClasses;  // tfws.io/v1alpha1, cluster-scoped
}  // namespace resources

}  // namespace tfws::kube
