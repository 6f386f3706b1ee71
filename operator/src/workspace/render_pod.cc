// Renderer of the workspace Pod (render.h; the Pod contract is in
// docs/api-reference.md "What the operator creates").
#include "workspace/effective_settings.h"
#include "workspace/naming.h"
#include "workspace/render.h"
#include "workspace/render_metadata.h"
#include "workspace/spec_hash.h"

namespace tfws::workspace {
namespace {

constexpr const char* kWorkspaceVolume = "workspace";
constexpr const char* kHomeVolume = "home";
constexpr const char* kShmVolume = "shm";
constexpr const char* kTmpVolume = "tmp";
constexpr const char* kSshKeysVolume = "ssh-keys";
constexpr const char* kSshHostKeyVolume = "ssh-host-key";

Json JupyterCommand(const EffectiveSettings& settings, const Workspace& ws) {
  Json command = {
      "jupyter",
      "notebook",
      std::string("--notebook-dir=") + kNotebookDir,
      "--ip=0.0.0.0",
      "--port=" + std::to_string(kJupyterPort),
      "--port-retries=0",
      "--no-browser",
      "--NotebookApp.base_url=" + settings.base_url,
      "--NotebookApp.allow_remote_access=True",
      "--NotebookApp.trust_xheaders=True",
      "--NotebookApp.allow_password_change=False",
  };
  // An empty JUPYTER_TOKEN makes Notebook generate a random token: switch auth off explicitly.
  if (ws.spec.jupyter.auth == JupyterAuth::kNone) command.push_back("--NotebookApp.token=");
  return command;
}

Json Env(const Workspace& ws, const EffectiveSettings& settings) {
  Json env = Json::array();
  env.push_back({{"name", "HOME"}, {"value", kHomeDir}});
  if (settings.token_ref) {
    env.push_back({{"name", "JUPYTER_TOKEN"},
                   {"valueFrom", {{"secretKeyRef", {{"name", settings.token_ref->name}, {"key", settings.token_ref->key}}}}}});
  }
  env.push_back({{"name", "TFWS_BASE_URL"}, {"value", settings.base_url}});
  env.push_back({{"name", "TFWS_JUPYTER_AUTH"}, {"value", std::string(JupyterAuthName(ws.spec.jupyter.auth))}});
  env.push_back({{"name", "TFWS_SSH_ENABLED"}, {"value", settings.ssh_enabled ? "true" : "false"}});
  if (ws.spec.gpu.count == 0) env.push_back({{"name", "NVIDIA_VISIBLE_DEVICES"}, {"value", "void"}});
  for (const EnvVar& var : ws.spec.env) env.push_back({{"name", var.name}, {"value", var.value}});
  return env;
}

Json ResourceList(const ::tfws::workspace::ResourceList& list, const GpuSpec& gpu) {
  Json out = Json::object();
  if (!list.cpu.empty()) out["cpu"] = list.cpu;
  if (!list.memory.empty()) out["memory"] = list.memory;
  // Extended resources: requests must equal limits.
  if (gpu.count > 0) out[gpu.resource] = std::to_string(gpu.count);
  return out;
}

Json Resources(const Workspace& ws) {
  Json out = Json::object();
  Json requests = ResourceList(ws.spec.resources.requests, ws.spec.gpu);
  Json limits = ResourceList(ws.spec.resources.limits, ws.spec.gpu);
  if (!requests.empty()) out["requests"] = requests;
  if (!limits.empty()) out["limits"] = limits;
  return out;
}

Json Probe(const EffectiveSettings& settings, int initial_delay, int period, int timeout, int failures) {
  return {
      {"httpGet", {{"path", settings.base_url + "api"}, {"port", kJupyterPortName}, {"scheme", "HTTP"}}},
      {"initialDelaySeconds", initial_delay},
      {"periodSeconds", period},
      {"timeoutSeconds", timeout},
      {"failureThreshold", failures},
  };
}

Json Tolerations(const Workspace& ws) {
  Json tolerations = Json::array();
  const GpuSpec& gpu = ws.spec.gpu;
  if (gpu.count > 0) {
    tolerations.push_back({{"key", gpu.resource}, {"operator", "Exists"}, {"effect", "NoSchedule"}});
    // MIG and shared GPUs live on nodes that also carry the plain nvidia.com/gpu taint.
    if (gpu.resource != kDefaultGpuResource) {
      tolerations.push_back({{"key", kDefaultGpuResource}, {"operator", "Exists"}, {"effect", "NoSchedule"}});
    }
  }
  if (ws.spec.tolerations.is_array()) {
    for (const Json& t : ws.spec.tolerations) tolerations.push_back(t);
  }
  return tolerations;
}

// The user's affinity with the operator's node requirements ANDed into every
// required term (terms are ORed by the scheduler, so each must carry them).
Json Affinity(const Workspace& ws, const EffectiveSettings& settings) {
  Json requirements = Json::array();
  if (ws.spec.gpu.count > 0 && !ws.spec.gpu.product.empty()) {
    requirements.push_back(
        {{"key", kGpuProductLabel}, {"operator", "In"}, {"values", Json::array({ws.spec.gpu.product})}});
  }
  if (!settings.gpu.node_requirement.is_null()) requirements.push_back(settings.gpu.node_requirement);
  Json affinity = ws.spec.affinity.is_object() ? ws.spec.affinity : Json::object();
  if (requirements.empty()) return affinity;
  Json& required = affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"];
  Json& terms = required["nodeSelectorTerms"];
  if (!terms.is_array() || terms.empty()) terms = Json::array({Json::object()});
  for (Json& term : terms) {
    Json& expressions = term["matchExpressions"];
    if (!expressions.is_array()) expressions = Json::array();
    for (const Json& r : requirements) expressions.push_back(r);
  }
  return affinity;
}

void AddVolumes(const Workspace& ws, const EffectiveSettings& settings, Json& pod_spec, Json& container) {
  Json volumes = Json::array();
  Json mounts = Json::array();
  volumes.push_back({{"name", kWorkspaceVolume}, {"persistentVolumeClaim", {{"claimName", names::WorkspaceClaim(ws)}}}});
  mounts.push_back({{"name", kWorkspaceVolume}, {"mountPath", kNotebookDir}});
  // Scratch space: the class's sizeLimit (workspace_class.h) evicts a Pod that would fill the node's disk.
  const Json scratch = ws.scratch_size_limit.empty() ? Json::object() : Json{{"sizeLimit", ws.scratch_size_limit}};
  volumes.push_back({{"name", kHomeVolume}, {"emptyDir", scratch}});
  mounts.push_back({{"name", kHomeVolume}, {"mountPath", kHomeDir}});
  volumes.push_back({{"name", kShmVolume}, {"emptyDir", {{"medium", "Memory"}, {"sizeLimit", ws.spec.shm_size}}}});
  mounts.push_back({{"name", kShmVolume}, {"mountPath", "/dev/shm"}});
  volumes.push_back({{"name", kTmpVolume}, {"emptyDir", scratch}});
  mounts.push_back({{"name", kTmpVolume}, {"mountPath", "/tmp"}});
  for (const Dataset& ds : ws.spec.storage.datasets) {
    const std::string volume = "dataset-" + ds.name;
    volumes.push_back(
        {{"name", volume}, {"persistentVolumeClaim", {{"claimName", ds.claim_name}, {"readOnly", true}}}});
    mounts.push_back({{"name", volume}, {"mountPath", ds.mount_path}, {"readOnly", true}});
  }
  if (settings.ssh_enabled) {
    const SshSpec& ssh = ws.spec.ssh;
    std::string secret = names::SshKeysSecret(ws);
    std::string key = kAuthorizedKeysKey;
    if (ssh.authorized_keys_secret_ref) {
      secret = ssh.authorized_keys_secret_ref->name;
      key = ssh.authorized_keys_secret_ref->key;
    }
    // sshd reads the keys through the image's AuthorizedKeysCommand at every login, so a change
    // of the Secret counts once the kubelet has updated the volume (no restart).
    volumes.push_back({{"name", kSshKeysVolume},
                       {"secret",
                        {{"secretName", secret},
                         {"defaultMode", 0440},
                         {"items", Json::array({{{"key", key}, {"path", kAuthorizedKeysKey}}})}}}});
    mounts.push_back({{"name", kSshKeysVolume}, {"mountPath", kSshKeysMountPath}, {"readOnly", true}});
    // The workspace's own host key (ssh_host_keys.h): root-owned files, group fsGroup, 0440 — sshd
    // (the workspace UID) reads them, and refuses only private keys owned by itself with such a mode.
    volumes.push_back({{"name", kSshHostKeyVolume},
                       {"secret", {{"secretName", names::SshHostKeySecret(ws)}, {"defaultMode", 0440}}}});
    mounts.push_back({{"name", kSshHostKeyVolume}, {"mountPath", kSshHostKeyMountPath}, {"readOnly", true}});
  }
  pod_spec["volumes"] = volumes;
  container["volumeMounts"] = mounts;
}

}  // namespace

std::optional<Json> RenderPod(const Workspace& ws, const OperatorConfig& config) {
  if (ws.StoppedOrCulled()) return std::nullopt;
  const EffectiveSettings settings = ResolveSettings(ws, config);

  Json container = {
      {"name", kContainerName},
      {"image", settings.image},
      {"imagePullPolicy", ws.spec.image_pull_policy},
      {"workingDir", kNotebookDir},
      {"env", Env(ws, settings)},
      {"readinessProbe", Probe(settings, 5, 10, 5, 3)},
      // Generous: a busy kernel can starve the server for a while; never kill a working session for it.
      {"livenessProbe", Probe(settings, 120, 30, 10, 10)},
      {"securityContext",
       {{"allowPrivilegeEscalation", false},
        {"capabilities", {{"drop", Json::array({"ALL"})}}},
        // Without SSH everything that writes has its volume (HOME, /tmp, /tf, /dev/shm); SSH
        // sessions are general shells that may write elsewhere (docs/images.md).
        {"readOnlyRootFilesystem", !settings.ssh_enabled},
        {"runAsNonRoot", true},
        {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
  };
  if (settings.launcher == Launcher::kJupyter) container["command"] = JupyterCommand(settings, ws);
  Json ports = Json::array({{{"name", kJupyterPortName}, {"containerPort", kJupyterPort}, {"protocol", "TCP"}}});
  if (settings.ssh_enabled) {
    ports.push_back({{"name", kSshPortName}, {"containerPort", kSshPort}, {"protocol", "TCP"}});
  }
  container["ports"] = ports;
  if (Json resources = Resources(ws); !resources.empty()) container["resources"] = resources;

  Json spec = {
      {"automountServiceAccountToken", false},
      {"enableServiceLinks", false},
      {"restartPolicy", "Always"},
      {"terminationGracePeriodSeconds", 30},
      {"securityContext",
       {{"runAsNonRoot", true},
        {"runAsUser", config.run_as_user},
        {"runAsGroup", config.run_as_group},
        {"fsGroup", config.run_as_group},
        {"fsGroupChangePolicy", "OnRootMismatch"},
        {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
  };
  AddVolumes(ws, settings, spec, container);
  spec["containers"] = Json::array({container});
  if (Json tolerations = Tolerations(ws); !tolerations.empty()) spec["tolerations"] = tolerations;
  if (Json affinity = Affinity(ws, settings); !affinity.empty()) spec["affinity"] = affinity;
  if (ws.spec.node_selector.is_object() && !ws.spec.node_selector.empty()) spec["nodeSelector"] = ws.spec.node_selector;
  if (!ws.spec.priority_class_name.empty()) spec["priorityClassName"] = ws.spec.priority_class_name;

  Json pod = ChildObject(ws, "v1", "Pod", names::Pod(ws));
  if (!ws.spec.restarted_at.empty()) pod["metadata"]["annotations"][kRestartedAtAnnotation] = ws.spec.restarted_at;
  pod["spec"] = spec;
  StampSpecHash(pod);
  return pod;
}

}  // namespace tfws::workspace
