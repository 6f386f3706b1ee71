// The TFWorkspace custom resource (tfws.io/v1alpha1) as C++ value types.
//
// ParseWorkspace reads the object exactly as the API server stores it and
// applies every default itself: objects written before a CRD upgrade (or by a
// server that skipped defaulting) render the same as fresh ones. Pure; no I/O.
// Values are plain data, safe to copy and share between threads read-only.
//
// ParseWorkspace throws InvalidSpecError for what the CRD schema would have
// refused (wrong JSON type, a value out of range, a malformed key): the
// message names the field and the fix, e.g.
//   "spec.gpu.count: Invalid value: -1: must be between 0 and 16".
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace tfws::workspace {

using Json = nlohmann::json;

inline constexpr const char* kApiGroup = "tfws.io";
inline constexpr const char* kApiVersion = "tfws.io/v1alpha1";
inline constexpr const char* kKind = "TFWorkspace";
inline constexpr const char* kDefaultGpuResource = "nvidia.com/gpu";
inline constexpr int kMaxGpuCount = 16;
inline constexpr int kMaxMigCount = 7;
inline constexpr int kMaxIdleTimeoutMinutes = 43200;  // 30 days
inline constexpr const char* kCulledAtAnnotation = "tfws.io/culled-at";

// A spec value the schema would have refused. `field()` is the JSON path
// ("spec.gpu.count"); what() is the full API-server-style sentence.
// reason() is the ConfigValid reason: InvalidSpec, or ClassViolation /
// ClassNotFound when the workspace does not fit its TFWorkspaceClass.
class InvalidSpecError : public std::runtime_error {
 public:
  InvalidSpecError(std::string field, const std::string& message, std::string reason = "InvalidSpec")
      : std::runtime_error(field + ": " + message), field_(std::move(field)), reason_(std::move(reason)) {}
  const std::string& field() const { return field_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string field_;
  std::string reason_;
};

enum class Profile { kDevelopment, kHardened };
enum class JupyterAuth { kToken, kNone };
// What happens to a PVC the operator created when the workspace is deleted.
enum class ReclaimPolicy { kRetain, kDelete };

struct SecretKeyRef {
  std::string name;
  std::string key;
};

struct GpuSpec {
  int count = 0;
  std::string resource = kDefaultGpuResource;  // nvidia.com/gpu | nvidia.com/mig-<g>g.<mem>gb | nvidia.com/gpu.shared
  std::string product;                         // nvidia.com/gpu.product node label; empty = any
  bool allow_incompatible = false;             // spec.gpu.allowIncompatibleGPUs

  bool IsMig() const;     // resource is nvidia.com/mig-...
  bool IsShared() const;  // resource is nvidia.com/gpu.shared
};

// Quantities are kept as the user wrote them ("2", "500m", "16Gi"); empty = not set.
struct ResourceList {
  std::string cpu;
  std::string memory;
  bool empty() const { return cpu.empty() && memory.empty(); }
};

struct ResourceRequirements {
  ResourceList requests;
  ResourceList limits;
};

// spec.storage.workspace: either a new PVC (size + storageClassName) or an existing claim.
struct WorkspaceVolume {
  std::string size = "10Gi";
  std::string storage_class_name;  // empty = the cluster's default StorageClass
  std::string existing_claim;      // when set, no PVC is created

  bool UsesExistingClaim() const { return !existing_claim.empty(); }
};

struct Dataset {
  std::string name;        // unique in the workspace; also the default mount dir /data/<name>
  std::string claim_name;  // an existing PVC in the workspace's namespace
  std::string mount_path;  // defaulted to /data/<name>
};

struct StorageSpec {
  WorkspaceVolume workspace;
  ReclaimPolicy reclaim_policy = ReclaimPolicy::kRetain;
  std::vector<Dataset> datasets;  // mounted read-only
};

struct JupyterSpec {
  JupyterAuth auth = JupyterAuth::kToken;
  // A user-provided Secret holding the token; when empty the operator generates
  // one into the Secret <name>-token (see naming.h).
  std::optional<SecretKeyRef> token_secret_ref;
};

struct SshSpec {
  bool enabled = false;
  std::vector<std::string> authorized_keys;                // inline OpenSSH public keys
  std::optional<SecretKeyRef> authorized_keys_secret_ref;  // or a Secret (key defaults to authorized_keys)
  std::string service_type = "ClusterIP";                  // ClusterIP | NodePort | LoadBalancer
};

struct IngressSpec {
  bool enabled = false;
  std::string host;             // empty = OperatorConfig.ingress.host
  std::string path;             // empty = /tfws/<namespace>/<name>/ (see naming.h BaseUrl)
  std::string class_name;       // empty = OperatorConfig.ingress.className
  std::string tls_secret_name;  // empty = OperatorConfig.ingress.tlsSecretName
  std::map<std::string, std::string> annotations;
  bool auth_proxy = false;      // the user states an auth proxy (e.g. oauth2-proxy) protects the Ingress
};

struct EnvVar {
  std::string name;
  std::string value;
};

struct WorkspaceSpec {
  std::string image;  // empty = OperatorConfig.defaultImage (see EffectiveSettings)
  std::string image_pull_policy = "IfNotPresent";
  bool stopped = false;
  std::string restarted_at;  // RFC 3339; a new value asks for a restart
  // spec.culling.idleTimeoutMinutes: stop the workspace after this long without
  // Jupyter activity; 0 = never; nullopt = OperatorConfig.culling default.
  std::optional<int> idle_timeout_minutes;
  GpuSpec gpu;
  ResourceRequirements resources;
  std::string shm_size = "1Gi";  // spec.shmSize, else the class's defaultShmSize, else 1Gi
  bool shm_size_set = false;     // spec.shmSize was given (a class default applies only when not)
  StorageSpec storage;
  JupyterSpec jupyter;
  SshSpec ssh;
  IngressSpec ingress;
  Profile profile = Profile::kDevelopment;
  // Scheduling pass-through, copied verbatim into the Pod (null when absent).
  Json node_selector;  // object
  Json tolerations;    // array
  Json affinity;       // object
  std::string priority_class_name;
  std::vector<EnvVar> env;
  std::string owner;  // label-value syntax; becomes label tfws.io/owner
  std::string team;   // label-value syntax; becomes label tfws.io/team
  std::string class_name;  // spec.className; empty = the default TFWorkspaceClass
};

// The parts of the TFWorkspace object the domain needs (status is the
// reconciler's business and is not parsed here).
struct Workspace {
  std::string name;
  std::string namespace_;
  std::string uid;
  std::int64_t generation = 0;
  std::map<std::string, std::string> labels;  // metadata.labels (tfws.io/owner, tfws.io/team fall back to these)
  // metadata.annotations["tfws.io/culled-at"] (RFC 3339): when the operator
  // stopped the workspace for being idle; empty when it never did.
  std::string culled_at;
  WorkspaceSpec spec;
  // Filled by ApplyClass (workspace_class.h), never parsed: the TFWorkspaceClass whose defaults
  // are in `spec` (empty = none applies), and the sizeLimit of the scratch emptyDirs
  // (/home/tfws, /tmp; empty = no limit).
  std::string applied_class;
  std::string scratch_size_limit;
  // The class's network rules for the NetworkPolicy (render_network_policy.cc): addresses denied
  // in every profile besides the cloud metadata ones, the only destinations (any port) of a
  // hardened workspace besides DNS and its namespace's Pods (empty = HTTPS anywhere), and the
  // ingress controller Pods that alone may reach Jupyter (empty namespace = the operator config's).
  std::vector<std::string> denied_egress_cidrs;
  std::vector<std::string> hardened_egress_cidrs;
  std::string ingress_controller_namespace;
  std::map<std::string, std::string> ingress_controller_pod_labels;

  // Culled and not restarted since: culled_at is set and spec.restartedAt is
  // earlier than it. A culled workspace runs no Pod, like spec.stopped.
  bool Culled() const;
  // No Pod wanted: spec.stopped or Culled().
  bool StoppedOrCulled() const { return spec.stopped || Culled(); }

  // spec.owner, else metadata.labels["tfws.io/owner"], else "".
  std::string Owner() const;
  std::string Team() const;
};

// Parses a TFWorkspace object (apiVersion/kind are not checked). Missing
// fields get their defaults. Throws InvalidSpecError (see above).
Workspace ParseWorkspace(const Json& object);

std::string_view ProfileName(Profile profile);          // "development" | "hardened"
std::string_view JupyterAuthName(JupyterAuth auth);     // "token" | "none"
std::string_view ReclaimPolicyName(ReclaimPolicy p);    // "Retain" | "Delete"

}  // namespace tfws::workspace
