#include "workspace/workspace_types.h"

#include <set>
#include <string_view>

#include "workspace/conditions.h"
#include "workspace/gpu_resource.h"
#include "workspace/name_syntax.h"
#include "workspace/quantity.h"
#include "workspace/ssh_key.h"
#include "time/rfc3339.h"

namespace tfws::workspace {
namespace {

// Paths the operator mounts itself; datasets may not be mounted over or under them.
constexpr std::string_view kReservedMountPaths[] = {"/tf", "/home/tfws", "/dev/shm", "/tmp", "/etc/tfws"};
constexpr std::string_view kReservedEnvNames[] = {"JUPYTER_TOKEN", "JUPYTER_TOKEN_FILE", "HOME",
                                                  "NVIDIA_VISIBLE_DEVICES"};

std::string Quote(const std::string& s) { return Json(s).dump(); }

[[noreturn]] void Invalid(const std::string& field, const Json& value, const std::string& why) {
  throw InvalidSpecError(field, "Invalid value: " + value.dump() + ": " + why);
}

[[noreturn]] void Required(const std::string& field, const std::string& fix) {
  throw InvalidSpecError(field, "Required value: " + fix);
}

[[noreturn]] void Forbidden(const std::string& field, const std::string& why) {
  throw InvalidSpecError(field, "Forbidden: " + why);
}

std::string TypeName(const Json& v) {
  if (v.is_string()) return "string";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer()) return "integer";
  if (v.is_number()) return "number";
  if (v.is_array()) return "array";
  if (v.is_object()) return "object";
  return "null";
}

[[noreturn]] void WrongType(const std::string& field, const Json& v, std::string_view want) {
  throw InvalidSpecError(field, "Invalid value: \"" + TypeName(v) + "\": must be of type " + std::string(want));
}

// Reads typed members of one JSON object, naming fields by their full path.
class Reader {
 public:
  Reader(const Json* object, std::string path) : object_(object), path_(std::move(path)) {
    if (object_ != nullptr && object_->is_null()) object_ = nullptr;
    if (object_ != nullptr && !object_->is_object()) WrongType(path_, *object_, "object");
  }

  const std::string& path() const { return path_; }
  std::string Field(std::string_view key) const { return path_ + "." + std::string(key); }

  const Json* Get(std::string_view key) const {
    if (object_ == nullptr) return nullptr;
    auto it = object_->find(key);
    if (it == object_->end() || it->is_null()) return nullptr;
    return &*it;
  }

  Reader Child(std::string_view key) const { return Reader(Get(key), Field(key)); }

  std::string String(std::string_view key, std::string fallback = {}) const {
    const Json* v = Get(key);
    if (v == nullptr) return fallback;
    if (!v->is_string()) WrongType(Field(key), *v, "string");
    return v->get<std::string>();
  }

  bool Bool(std::string_view key, bool fallback = false) const {
    const Json* v = Get(key);
    if (v == nullptr) return fallback;
    if (!v->is_boolean()) WrongType(Field(key), *v, "boolean");
    return v->get<bool>();
  }

  std::int64_t Int(std::string_view key, std::int64_t fallback = 0) const {
    const Json* v = Get(key);
    if (v == nullptr) return fallback;
    if (!v->is_number_integer()) WrongType(Field(key), *v, "integer");
    return v->get<std::int64_t>();
  }

  // An int-or-string quantity, kept as text; validated.
  std::string Quantity(std::string_view key, std::string fallback = {}) const {
    const Json* v = Get(key);
    if (v == nullptr) return fallback;
    std::string text;
    if (v->is_number_integer()) {
      text = std::to_string(v->get<std::int64_t>());
    } else if (v->is_string()) {
      text = v->get<std::string>();
    } else {
      WrongType(Field(key), *v, "quantity (integer or string such as \"500m\" or \"16Gi\")");
    }
    if (!IsQuantity(text)) {
      Invalid(Field(key), *v, "must be a quantity such as \"2\", \"500m\" or \"16Gi\"");
    }
    return text;
  }

  // An array member (null when absent).
  const Json* Array(std::string_view key) const {
    const Json* v = Get(key);
    if (v != nullptr && !v->is_array()) WrongType(Field(key), *v, "array");
    return v;
  }

  template <std::size_t N>
  std::string Enum(std::string_view key, const std::string_view (&allowed)[N], std::string fallback) const {
    std::string value = String(key, fallback);
    for (std::string_view a : allowed) {
      if (value == a) return value;
    }
    throw InvalidSpecError(Field(key), [&] {
      std::string list;
      for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + Quote(std::string(a));
      return "Unsupported value: " + Quote(value) + ": supported values: " + list;
    }());
  }

 private:
  const Json* object_;
  std::string path_;
};

std::optional<SecretKeyRef> ParseSecretKeyRef(const Reader& parent, std::string_view key,
                                              std::string_view default_key) {
  Reader r = parent.Child(key);
  if (parent.Get(key) == nullptr) return std::nullopt;
  SecretKeyRef ref{r.String("name"), r.String("key", std::string(default_key))};
  if (ref.name.empty()) Required(r.Field("name"), "the name of a Secret in the workspace's namespace");
  if (!IsDns1123Subdomain(ref.name)) Invalid(r.Field("name"), ref.name, "must be a valid Secret name");
  if (ref.key.empty()) Required(r.Field("key"), "the key in the Secret");
  return ref;
}

bool IsUnderOrEqual(std::string_view path, std::string_view root) {
  if (path == root) return true;
  return path.size() > root.size() && path.substr(0, root.size()) == root && path[root.size()] == '/';
}

std::string TrimTrailingSlashes(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

GpuSpec ParseGpu(const Reader& r) {
  GpuSpec gpu;
  gpu.resource = r.String("resource", kDefaultGpuResource);
  if (!IsGpuResource(gpu.resource)) {
    Invalid(r.Field("resource"), gpu.resource,
            "must be nvidia.com/gpu, nvidia.com/gpu.shared or a MIG resource such as nvidia.com/mig-1g.10gb");
  }
  std::int64_t count = r.Int("count", 0);
  if (gpu.IsMig()) {
    if (count < 1 || count > kMaxMigCount) {
      Invalid(r.Field("count"), count, "must be between 1 and 7 for a MIG resource (" + gpu.resource + ")");
    }
  } else if (count < 0 || count > kMaxGpuCount) {
    Invalid(r.Field("count"), count, "must be between 0 and 16");
  }
  gpu.count = static_cast<int>(count);
  gpu.product = r.String("product");
  if (!IsLabelValue(gpu.product)) {
    Invalid(r.Field("product"), gpu.product, "must be a valid label value such as NVIDIA-A100-SXM4-40GB");
  }
  gpu.allow_incompatible = r.Bool("allowIncompatibleGPUs", false);
  return gpu;
}

ResourceList ParseResourceList(const Reader& r) {
  return ResourceList{r.Quantity("cpu"), r.Quantity("memory")};
}

StorageSpec ParseStorage(const Reader& r) {
  StorageSpec s;
  Reader w = r.Child("workspace");
  s.workspace.existing_claim = w.String("existingClaim");
  std::string size = w.Quantity("size");
  s.workspace.storage_class_name = w.String("storageClassName");
  if (s.workspace.UsesExistingClaim()) {
    if (!IsDns1123Subdomain(s.workspace.existing_claim)) {
      Invalid(w.Field("existingClaim"), s.workspace.existing_claim, "must be a valid PersistentVolumeClaim name");
    }
    if (!size.empty()) {
      Forbidden(w.Field("size"), "set either existingClaim or size/storageClassName (a new claim), not both");
    }
    if (!s.workspace.storage_class_name.empty()) {
      Forbidden(w.Field("storageClassName"),
                "set either existingClaim or size/storageClassName (a new claim), not both");
    }
    s.workspace.size.clear();
  } else if (!size.empty()) {
    s.workspace.size = size;
  }
  static constexpr std::string_view kPolicies[] = {"Retain", "Delete"};
  s.reclaim_policy = r.Enum("reclaimPolicy", kPolicies, "Retain") == "Delete" ? ReclaimPolicy::kDelete
                                                                               : ReclaimPolicy::kRetain;
  if (const Json* datasets = r.Array("datasets")) {
    std::set<std::string> names;
    std::set<std::string> paths;
    for (std::size_t i = 0; i < datasets->size(); ++i) {
      Reader d(&(*datasets)[i], r.Field("datasets") + "[" + std::to_string(i) + "]");
      Dataset ds{d.String("name"), d.String("claimName"), d.String("mountPath")};
      if (ds.name.empty()) Required(d.Field("name"), "a short name such as imagenet");
      if (!IsDns1123Label(ds.name) || ds.name.size() > 50) {
        Invalid(d.Field("name"), ds.name,
                "must be a lower-case DNS label of at most 50 characters (a-z, 0-9, '-')");
      }
      if (!names.insert(ds.name).second) {
        throw InvalidSpecError(d.Field("name"), "Duplicate value: " + Quote(ds.name));
      }
      if (ds.claim_name.empty()) Required(d.Field("claimName"), "the name of an existing PersistentVolumeClaim");
      if (!IsDns1123Subdomain(ds.claim_name)) {
        Invalid(d.Field("claimName"), ds.claim_name, "must be a valid PersistentVolumeClaim name");
      }
      if (ds.mount_path.empty()) ds.mount_path = "/data/" + ds.name;
      if (ds.mount_path[0] != '/') Invalid(d.Field("mountPath"), ds.mount_path, "must be an absolute path");
      ds.mount_path = TrimTrailingSlashes(ds.mount_path);
      if (ds.mount_path == "/") {
        Invalid(d.Field("mountPath"), ds.mount_path, "must not be / (the container's root); use /data/<name>");
      }
      for (std::string_view reserved : kReservedMountPaths) {
        if (IsUnderOrEqual(ds.mount_path, reserved)) {
          Invalid(d.Field("mountPath"), ds.mount_path,
                  "must not be " + std::string(reserved) + " or overlap it (the operator mounts it); use /data/<name>");
        }
      }
      if (!paths.insert(ds.mount_path).second) {
        throw InvalidSpecError(d.Field("mountPath"), "Duplicate value: " + Quote(ds.mount_path));
      }
      s.datasets.push_back(std::move(ds));
    }
  }
  return s;
}

SshSpec ParseSsh(const Reader& r) {
  SshSpec ssh;
  ssh.enabled = r.Bool("enabled", false);
  if (const Json* keys = r.Array("authorizedKeys")) {
    for (std::size_t i = 0; i < keys->size(); ++i) {
      std::string field = r.Field("authorizedKeys") + "[" + std::to_string(i) + "]";
      const Json& k = (*keys)[i];
      if (!k.is_string()) WrongType(field, k, "string");
      if (auto problem = OpenSshKeyProblem(k.get<std::string>())) {
        Invalid(field, k, "must be an OpenSSH public key such as \"ssh-ed25519 AAAAC3Nza... user@host\": " + *problem);
      }
      ssh.authorized_keys.push_back(k.get<std::string>());
    }
  }
  ssh.authorized_keys_secret_ref = ParseSecretKeyRef(r, "authorizedKeysSecretRef", "authorized_keys");
  static constexpr std::string_view kTypes[] = {"ClusterIP", "NodePort", "LoadBalancer"};
  ssh.service_type = r.Enum("serviceType", kTypes, "ClusterIP");
  return ssh;
}

IngressSpec ParseIngress(const Reader& r) {
  IngressSpec in;
  in.enabled = r.Bool("enabled", false);
  in.host = r.String("host");
  if (!in.host.empty() && !IsDns1123Subdomain(in.host)) {
    Invalid(r.Field("host"), in.host, "must be a lower-case DNS name such as jupyter.example.com");
  }
  in.path = r.String("path");
  if (!in.path.empty()) {
    if (in.path.front() != '/' || in.path.back() != '/') {
      Invalid(r.Field("path"), in.path, "must start and end with '/', e.g. /tfws/team-a/alice/");
    }
    for (char c : in.path) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
                c == '-' || c == '_' || c == '.' || c == '~';
      if (!ok) Invalid(r.Field("path"), in.path, "may contain only letters, digits, '/', '-', '_', '.' and '~'");
    }
  }
  in.class_name = r.String("className");
  in.tls_secret_name = r.String("tlsSecretName");
  if (const Json* ann = r.Get("annotations")) {
    if (!ann->is_object()) WrongType(r.Field("annotations"), *ann, "object");
    for (const auto& [k, v] : ann->items()) {
      if (!v.is_string()) WrongType(r.Field("annotations") + "[" + k + "]", v, "string");
      in.annotations[k] = v.get<std::string>();
    }
  }
  in.auth_proxy = r.Bool("authProxy", false);
  return in;
}

std::vector<EnvVar> ParseEnv(const Reader& r) {
  std::vector<EnvVar> env;
  const Json* list = r.Array("env");
  if (list == nullptr) return env;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < list->size(); ++i) {
    Reader e(&(*list)[i], r.Field("env") + "[" + std::to_string(i) + "]");
    EnvVar var{e.String("name"), e.String("value")};
    if (!IsCIdentifier(var.name)) {
      Invalid(e.Field("name"), var.name, "must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
    }
    for (std::string_view reserved : kReservedEnvNames) {
      if (var.name == reserved) Forbidden(e.Field("name"), var.name + " is set by the operator and cannot be overridden");
    }
    if (var.name.rfind("TFWS_", 0) == 0) {
      Forbidden(e.Field("name"), "TFWS_* variables are set by the operator and cannot be overridden");
    }
    if (!seen.insert(var.name).second) throw InvalidSpecError(e.Field("name"), "Duplicate value: " + Quote(var.name));
    // As the CRD's rule (defence in depth): a line break would end a line of a
    // configuration file the image writes from the environment.
    if (var.value.find_first_of("\r\n") != std::string::npos) {
      Invalid(e.Field("value"), var.value,
              "must not contain a line break (\\n or \\r): put multi-line content in a file on the workspace volume");
    }
    env.push_back(std::move(var));
  }
  return env;
}

Json PassThrough(const Reader& r, std::string_view key, bool want_array) {
  const Json* v = r.Get(key);
  if (v == nullptr) return nullptr;
  if (want_array ? !v->is_array() : !v->is_object()) WrongType(r.Field(key), *v, want_array ? "array" : "object");
  return *v;
}

void CheckCrossFieldRules(const WorkspaceSpec& s) {
  if (s.jupyter.auth == JupyterAuth::kNone && !(s.ingress.enabled && s.ingress.auth_proxy)) {
    Forbidden("spec.jupyter.auth",
              "\"none\" requires spec.ingress.enabled and spec.ingress.authProxy (an auth proxy in front of "
              "Jupyter); use \"token\"");
  }
  if (s.jupyter.auth == JupyterAuth::kNone && s.jupyter.token_secret_ref) {
    Forbidden("spec.jupyter.tokenSecretRef", "only used with spec.jupyter.auth \"token\"");
  }
  if (s.profile == Profile::kHardened) {
    if (s.ssh.enabled) Forbidden("spec.ssh.enabled", "SSH is not allowed with spec.profile \"hardened\"");
    if (s.jupyter.auth == JupyterAuth::kNone) {
      Forbidden("spec.jupyter.auth", "\"none\" is not allowed with spec.profile \"hardened\"");
    }
    if (s.ingress.enabled && !s.ingress.auth_proxy) {
      Forbidden("spec.ingress.authProxy",
                "spec.profile \"hardened\" requires an auth proxy in front of the Ingress (set authProxy: true "
                "and its annotations)");
    }
  }
  if (s.ssh.enabled && s.ssh.authorized_keys.empty() && !s.ssh.authorized_keys_secret_ref) {
    Required("spec.ssh.authorizedKeys", "SSH needs authorizedKeys or authorizedKeysSecretRef");
  }
  if (!s.ssh.authorized_keys.empty() && s.ssh.authorized_keys_secret_ref) {
    Forbidden("spec.ssh.authorizedKeysSecretRef", "set either authorizedKeys or authorizedKeysSecretRef, not both");
  }
}

}  // namespace

bool GpuSpec::IsMig() const { return resource.rfind("nvidia.com/mig-", 0) == 0; }
bool GpuSpec::IsShared() const { return resource == "nvidia.com/gpu.shared"; }

std::string Workspace::Owner() const {
  if (!spec.owner.empty()) return spec.owner;
  auto it = labels.find("tfws.io/owner");
  return it == labels.end() ? std::string() : it->second;
}

bool Workspace::Culled() const {
  if (culled_at.empty()) return false;
  const auto culled = time::ParseRfc3339(culled_at);
  if (!culled) return false;
  // Both have second precision: a restart in the second of the cull wins.
  const auto restarted = time::ParseRfc3339(spec.restarted_at);
  return !restarted || *restarted < *culled;
}

std::string Workspace::Team() const {
  if (!spec.team.empty()) return spec.team;
  auto it = labels.find("tfws.io/team");
  return it == labels.end() ? std::string() : it->second;
}

Workspace ParseWorkspace(const Json& object) {
  if (!object.is_object()) WrongType("<object>", object, "object");
  Workspace ws;
  Reader meta(object.contains("metadata") ? &object["metadata"] : nullptr, "metadata");
  ws.name = meta.String("name");
  ws.namespace_ = meta.String("namespace");
  ws.uid = meta.String("uid");
  ws.generation = meta.Int("generation", 0);
  if (ws.name.empty()) Required("metadata.name", "a workspace name");
  if (!IsDns1035Label(ws.name) || ws.name.size() > 59) {
    Invalid("metadata.name", ws.name,
            "must start with a lower-case letter, contain only a-z, 0-9 and '-', and be at most 59 characters");
  }
  if (const Json* annotations = meta.Get("annotations"); annotations && annotations->is_object()) {
    ws.culled_at = annotations->value(kCulledAtAnnotation, "");
    if (!ws.culled_at.empty() && !time::ParseRfc3339(ws.culled_at)) ws.culled_at.clear();  // not ours to judge
  }
  if (const Json* labels = meta.Get("labels")) {
    if (!labels->is_object()) WrongType("metadata.labels", *labels, "object");
    for (const auto& [k, v] : labels->items()) {
      if (v.is_string()) ws.labels[k] = v.get<std::string>();
    }
  }

  Reader spec(object.contains("spec") ? &object["spec"] : nullptr, "spec");
  WorkspaceSpec& s = ws.spec;
  s.image = spec.String("image");
  static constexpr std::string_view kPullPolicies[] = {"Always", "IfNotPresent", "Never"};
  s.image_pull_policy = spec.Enum("imagePullPolicy", kPullPolicies, "IfNotPresent");
  s.stopped = spec.Bool("stopped", false);
  s.restarted_at = spec.String("restartedAt");
  if (!s.restarted_at.empty()) {
    if (!time::ParseRfc3339(s.restarted_at)) {
      Invalid("spec.restartedAt", s.restarted_at, "must be an RFC 3339 date-time such as 2026-01-31T12:00:00Z");
    }
  }
  if (const Json* idle = spec.Child("culling").Get("idleTimeoutMinutes")) {
    if (!idle->is_number_integer()) WrongType("spec.culling.idleTimeoutMinutes", *idle, "integer");
    const auto minutes = idle->get<std::int64_t>();
    if (minutes < 0 || minutes > kMaxIdleTimeoutMinutes) {
      Invalid("spec.culling.idleTimeoutMinutes", *idle,
              "must be between 0 (never cull) and " + std::to_string(kMaxIdleTimeoutMinutes) + " (30 days)");
    }
    s.idle_timeout_minutes = static_cast<int>(minutes);
  }
  s.gpu = ParseGpu(spec.Child("gpu"));
  Reader res = spec.Child("resources");
  s.resources.requests = ParseResourceList(res.Child("requests"));
  s.resources.limits = ParseResourceList(res.Child("limits"));
  s.shm_size = spec.Quantity("shmSize", s.shm_size);
  s.shm_size_set = spec.Get("shmSize") != nullptr;
  s.storage = ParseStorage(spec.Child("storage"));

  Reader jupyter = spec.Child("jupyter");
  static constexpr std::string_view kAuth[] = {"token", "none"};
  s.jupyter.auth = jupyter.Enum("auth", kAuth, "token") == "none" ? JupyterAuth::kNone : JupyterAuth::kToken;
  s.jupyter.token_secret_ref = ParseSecretKeyRef(jupyter, "tokenSecretRef", "token");

  s.ssh = ParseSsh(spec.Child("ssh"));
  s.ingress = ParseIngress(spec.Child("ingress"));
  static constexpr std::string_view kProfiles[] = {"development", "hardened"};
  s.profile = spec.Enum("profile", kProfiles, "development") == "hardened" ? Profile::kHardened
                                                                          : Profile::kDevelopment;
  s.node_selector = PassThrough(spec, "nodeSelector", false);
  s.tolerations = PassThrough(spec, "tolerations", true);
  s.affinity = PassThrough(spec, "affinity", false);
  s.priority_class_name = spec.String("priorityClassName");
  s.env = ParseEnv(spec);
  s.owner = spec.String("owner");
  if (!IsLabelValue(s.owner)) {
    Invalid("spec.owner", s.owner, "must be a valid label value (at most 63 of A-Z a-z 0-9 - _ ., alphanumeric at both ends)");
  }
  s.class_name = spec.String("className");
  s.team = spec.String("team");
  if (!IsLabelValue(s.team)) {
    Invalid("spec.team", s.team, "must be a valid label value (at most 63 of A-Z a-z 0-9 - _ ., alphanumeric at both ends)");
  }
  CheckCrossFieldRules(s);
  return ws;
}

std::string_view ProfileName(Profile profile) {
  return profile == Profile::kHardened ? "hardened" : "development";
}
std::string_view JupyterAuthName(JupyterAuth auth) { return auth == JupyterAuth::kNone ? "none" : "token"; }
std::string_view ReclaimPolicyName(ReclaimPolicy p) { return p == ReclaimPolicy::kDelete ? "Delete" : "Retain"; }

}  // namespace tfws::workspace
