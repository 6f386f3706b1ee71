#include "kube/resource.h"

namespace tfws::kube {

std::string Resource::Path(std::string_view ns, std::string_view name,
                           std::string_view subresource) const {
  std::string path = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  if (namespaced && !ns.empty()) {
    path += "/namespaces/";
    path += ns;
  }
  path += "/";
  path += resource;
  if (!name.empty()) {
    path += "/";
    path += name;
    if (!subresource.empty()) {
      path += "/";
      path += subresource;
    }
  }
  return path;
}

namespace resources {
const Resource kNamespaces{"", "v1", "namespaces", "Namespace", false};
const Resource kNodes{"", "v1", "nodes", "Node", false};
const Resource kPods{"", "v1", "pods", "Pod", true};
const Resource kServices{"", "v1", "services", "Service", true};
const Resource kSecrets{"", "v1", "secrets", "Secret", true};
const Resource kConfigMaps{"", "v1", "configmaps", "ConfigMap", true};
const Resource kPersistentVolumeClaims{"", "v1", "persistentvolumeclaims", "PersistentVolumeClaim",
                                       true};
const Resource kPersistentVolumes{"", "v1", "persistentvolumes", "PersistentVolume", false};
const Resource kResourceQuotas{"", "v1", "resourcequotas", "ResourceQuota", true};
const Resource kServiceAccounts{"", "v1", "serviceaccounts", "ServiceAccount", true};
const Resource kIngresses{"networking.k8s.io", "v1", "ingresses", "Ingress", true};
const Resource kNetworkPolicies{"networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy",
                                true};
const Resource kLeases{"coordination.k8s.io", "v1", "leases", "Lease", true};
const Resource kEvents{"events.k8s.io", "v1", "events", "Event", true};
const Resource kCustomResourceDefinitions{"apiextensions.k8s.io", "v1", "customresourcedefinitions",
                                          "CustomResourceDefinition", false};
const Resource kTFWorkspaces{"tfws.io", "v1alpha1", "tfworkspaces", "TFWorkspace", true};
const Resource kStorageClasses{"storage.k8s.io", "v1", "storageclasses", "StorageClass", false};
const Resource kTFWorkspaceClasses{"tfws.io", "v1alpha1", "tfworkspaceclasses", "TFWorkspaceClass", false};
}  // namespace resources

}  // namespace tfws::kube
