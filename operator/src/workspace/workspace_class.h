// TFWorkspaceClass (tfws.io/v1alpha1, cluster-scoped): the platform team's rules and defaults for
// workspaces, and the operator's half of enforcing them (the API server's half is the
// ValidatingAdmissionPolicy in crds/admission/workspace-class.yaml; both refuse the same specs).
//
// ResolveClass picks a workspace's class (spec.className, else the class annotated
// tfws.io/is-default-class: "true"), checks the spec against the class's limits and fills the
// class's defaults into the spec (image, requests/limits, /dev/shm size, idle timeout, Ingress
// class/host/TLS, authentication annotations templated with {owner} {team} {name} {namespace})
// and into the Workspace's class-only fields (scratch sizeLimit, egress CIDRs, the ingress
// controller peer of the NetworkPolicy). Renderers then see an ordinary Workspace: render stays a pure
// function of (workspace, class, OperatorConfig). A class change changes the rendered Pod, which
// the reconciler shows as PendingRestart like any spec change: never a surprise restart.
//
// Pure; thread-safe. Errors are InvalidSpecError whose reason() is the ConfigValid reason:
//   ClassNotFound   spec.className names no class; or more than one class is marked default
//   ClassViolation  the spec exceeds a limit; the message names the class, the field, the limit
//                   and the fix, e.g. "spec.gpu.count: 3 is more than the 2 GPUs TFWorkspaceClass
//                   shared-gpu allows per workspace; request at most 2".
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "workspace/workspace_types.h"

namespace tfws::workspace {

inline constexpr const char* kDefaultClassAnnotation = "tfws.io/is-default-class";

struct WorkspaceClass {
  std::string name;
  bool is_default = false;

  std::string default_image;
  std::vector<std::string> allowed_image_prefixes;  // empty = any

  std::optional<int> max_gpus;
  std::vector<std::string> allowed_gpu_resources;  // empty = any
  std::vector<std::string> allowed_gpu_products;   // empty = any

  ResourceRequirements default_resources;
  ResourceList max_resources;
  std::string default_shm_size;    // empty = 1Gi (at most max_shm_size)
  std::string max_shm_size;        // empty = no limit
  std::string scratch_size_limit;  // empty = no limit

  std::vector<std::string> allowed_storage_classes;  // empty = any
  std::string max_storage_size;                      // empty = no limit

  std::vector<std::string> allowed_profiles;  // empty = both

  bool ssh_allowed = false;
  std::vector<std::string> allowed_ssh_service_types;  // empty = ClusterIP only

  bool allow_auth_none = false;

  std::string ingress_class_name;
  std::string host_template;  // {name} and {namespace} are placeholders
  std::string tls_secret_name;
  std::map<std::string, std::string> auth_annotations;  // values templated with {owner} {team} {name} {namespace}
  std::vector<std::string> allowed_annotation_keys;     // empty = none

  std::string ingress_controller_namespace;                    // empty = the operator configuration's
  std::map<std::string, std::string> ingress_controller_pod_labels;

  std::vector<std::string> denied_egress_cidrs;    // besides the cloud metadata addresses
  std::vector<std::string> hardened_egress_cidrs;  // empty = HTTPS to any address

  std::vector<std::string> allowed_toleration_keys;     // empty = none
  std::vector<std::string> allowed_node_selector_keys;  // empty = none
  std::vector<std::string> allowed_priority_classes;    // empty = none

  std::optional<int> default_idle_timeout_minutes;
  std::optional<int> max_idle_timeout_minutes;
};

// Reads a TFWorkspaceClass object as stored (the CRD schema has validated it). Throws
// InvalidSpecError (reason ClassNotFound) naming the class when a field has the wrong type.
WorkspaceClass ParseWorkspaceClass(const Json& object);

// The class of `ws` among `classes` (TFWorkspaceClass objects, e.g. the informer cache): the one
// named by spec.className, else the default one; nullopt when the workspace names none and no class
// is the default (then the operator configuration alone applies, as before classes existed).
std::optional<WorkspaceClass> SelectClass(const Workspace& ws,
                                          const std::vector<std::shared_ptr<const Json>>& classes);

// Checks `ws` against `klass` and returns it with the class defaults filled in (see above).
Workspace ApplyClass(Workspace ws, const WorkspaceClass& klass);

// SelectClass then ApplyClass; `ws` unchanged when no class applies.
Workspace ResolveClass(Workspace ws, const std::vector<std::shared_ptr<const Json>>& classes);

// "{name}-{namespace}.ml.example.com" -> "alice-team-a.ml.example.com"; also {owner} and {team}.
std::string ExpandClassTemplate(const std::string& text, const Workspace& ws);

}  // namespace tfws::workspace
