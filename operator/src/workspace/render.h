// The desired child objects of a workspace, as pure functions
// (const Workspace&, const OperatorConfig&) -> JSON. No I/O, no clock, no
// randomness: the same inputs always give byte-identical output (golden files
// in tests/unit/workspace/golden/ pin it).
//
// Every object carries apiVersion, kind, metadata.{name, namespace, labels
// (ChildLabels), annotations incl. tfws.io/spec-hash} and, except a PVC with
// reclaimPolicy Retain, an ownerReference to the TFWorkspace with
// controller=true. Only fields the operator owns are set, so server-side apply
// with fieldManager tfws-operator converges and server defaults never look
// like a difference. The reconciler compares tfws.io/spec-hash annotations.
//
// Throws InvalidSpecError only for values ParseWorkspace lets through but a
// renderer cannot express (none today).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <vector>

#include "workspace/operator_config.h"
#include "workspace/workspace_types.h"

namespace tfws::workspace {

// Secret <name>-token WITHOUT data: the reconciler adds a random token
// (token.h) only when it creates the Secret and never overwrites it.
// nullopt with jupyter.auth none or a user tokenSecretRef.
std::optional<Json> RenderTokenSecret(const Workspace& ws, const OperatorConfig& config);
// PVC <name>-home; nullopt with storage.workspace.existingClaim.
std::optional<Json> RenderWorkspacePvc(const Workspace& ws, const OperatorConfig& config);
// Secret <name>-ssh with data.authorized_keys from inline keys; nullopt unless
// SSH is effectively on and spec.ssh.authorizedKeys is not empty.
std::optional<Json> RenderSshKeysSecret(const Workspace& ws, const OperatorConfig& config);
// Secret <name>-ssh-host WITHOUT data: the reconciler adds a new host key
// (ssh_host_keys.h) only when it creates the Secret and never overwrites it,
// so the key survives restarts. nullopt unless SSH is effectively on.
std::optional<Json> RenderSshHostKeySecret(const Workspace& ws, const OperatorConfig& config);
// The workspace Pod; nullopt when spec.stopped.
std::optional<Json> RenderPod(const Workspace& ws, const OperatorConfig& config);
// ClusterIP Service <name>: port http 8888, plus ssh 2222 when SSH is on.
Json RenderService(const Workspace& ws, const OperatorConfig& config);
// Service <name>-ssh of spec.ssh.serviceType (NodePort/LoadBalancer) with
// only the ssh port; nullopt when SSH is off or serviceType is ClusterIP.
std::optional<Json> RenderSshService(const Workspace& ws, const OperatorConfig& config);
// networking.k8s.io/v1 Ingress <name>; nullopt unless spec.ingress.enabled.
std::optional<Json> RenderIngress(const Workspace& ws, const OperatorConfig& config);
// NetworkPolicy <name> (docs/user-guide.md "Network access"). Egress to the
// cloud metadata addresses below is denied in every profile.
inline constexpr const char* kMetadataCidrV4 = "169.254.169.254/32";
inline constexpr const char* kMetadataCidrV6 = "fd00:ec2::254/128";
Json RenderNetworkPolicy(const Workspace& ws, const OperatorConfig& config);

struct RenderedObjects {
  std::optional<Json> token_secret;
  std::optional<Json> workspace_pvc;
  std::optional<Json> ssh_keys_secret;
  std::optional<Json> ssh_host_key_secret;
  std::optional<Json> pod;
  Json service;
  std::optional<Json> ssh_service;
  std::optional<Json> ingress;
  Json network_policy;

  // The present objects in apply order: Secrets and PVC before the Pod, then
  // Services, Ingress, NetworkPolicy.
  std::vector<const Json*> InApplyOrder() const;
  // {"token_secret": {...} | null, ...}: one key per member, for tests and `render`.
  Json ToJson() const;
};

RenderedObjects RenderAll(const Workspace& ws, const OperatorConfig& config);

}  // namespace tfws::workspace
