// Names, labels and URLs derived from a workspace: the single place that
// decides what the operator's child objects are called, so the renderers, the
// reconciler, the status and the tests agree. Pure; no I/O; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>

#include "workspace/workspace_types.h"

namespace tfws::workspace {

// Longest workspace name whose derived names all fit: the Service <name>-ssh
// must be a DNS-1035 label (<= 63 characters). The CRD enforces the same.
inline constexpr std::size_t kMaxWorkspaceNameLength = 59;

inline constexpr const char* kFieldManager = "tfws-operator";
// Fields written by whoever creates a generated Secret (token, SSH host key)
// and its annotations. A separate field manager keeps later server-side
// applies by kFieldManager (which never carry them) from removing what the
// operator generated.
inline constexpr const char* kTokenFieldManager = "tfws-operator-token";
inline constexpr const char* kSpecHashAnnotation = "tfws.io/spec-hash";
inline constexpr const char* kRestartedAtAnnotation = "tfws.io/restarted-at";
inline constexpr const char* kWorkspaceLabel = "tfws.io/workspace";
inline constexpr const char* kOwnerLabel = "tfws.io/owner";
inline constexpr const char* kTeamLabel = "tfws.io/team";

inline constexpr const char* kContainerName = "workspace";
inline constexpr int kJupyterPort = 8888;
inline constexpr const char* kJupyterPortName = "http";
inline constexpr int kSshPort = 2222;
inline constexpr const char* kSshPortName = "ssh";
inline constexpr const char* kTokenSecretKey = "token";
inline constexpr const char* kAuthorizedKeysKey = "authorized_keys";
inline constexpr const char* kNotebookDir = "/tf";
inline constexpr const char* kHomeDir = "/home/tfws";
inline constexpr const char* kSshKeysMountPath = "/etc/tfws/ssh";
inline constexpr const char* kSshHostKeyMountPath = "/etc/tfws/ssh-host";

namespace names {
std::string TokenSecret(const Workspace& ws);    // <name>-token
std::string WorkspacePvc(const Workspace& ws);   // <name>-home (only when the operator creates it)
std::string SshKeysSecret(const Workspace& ws);  // <name>-ssh  (only with inline keys)
std::string SshHostKeySecret(const Workspace& ws);  // <name>-ssh-host (when SSH is on; kept across restarts)
std::string Pod(const Workspace& ws);            // <name>
std::string Service(const Workspace& ws);        // <name>
std::string SshService(const Workspace& ws);     // <name>-ssh  (only when ssh.serviceType != ClusterIP)
std::string Ingress(const Workspace& ws);        // <name>
std::string NetworkPolicy(const Workspace& ws);  // <name>
// The claim mounted at /tf: spec.storage.workspace.existingClaim or <name>-home.
std::string WorkspaceClaim(const Workspace& ws);
}  // namespace names

// Labels on every child object: app.kubernetes.io/{name,instance,managed-by},
// tfws.io/workspace, plus tfws.io/owner and tfws.io/team when known.
std::map<std::string, std::string> ChildLabels(const Workspace& ws);
// The label selector that picks this workspace's Pod: {tfws.io/workspace: <name>}.
std::map<std::string, std::string> PodSelector(const Workspace& ws);

// The ownerReference to the TFWorkspace (controller=true, blockOwnerDeletion=true).
nlohmann::json OwnerReference(const Workspace& ws);

// Jupyter's base_url: spec.ingress.path, else /tfws/<namespace>/<name>/.
// Always starts and ends with '/'.
std::string BaseUrl(const Workspace& ws);

}  // namespace tfws::workspace
