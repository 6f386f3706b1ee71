#include "workspace/naming.h"

namespace tfws::workspace {

namespace names {
std::string TokenSecret(const Workspace& ws) { return ws.name + "-token"; }
std::string WorkspacePvc(const Workspace& ws) { return ws.name + "-home"; }
std::string SshKeysSecret(const Workspace& ws) { return ws.name + "-ssh"; }
std::string SshHostKeySecret(const Workspace& ws) { return ws.name + "-ssh-host"; }
std::string Pod(const Workspace& ws) { return ws.name; }
std::string Service(const Workspace& ws) { return ws.name; }
std::string SshService(const Workspace& ws) { return ws.name + "-ssh"; }
std::string Ingress(const Workspace& ws) { return ws.name; }
std::string NetworkPolicy(const Workspace& ws) { return ws.name; }
std::string WorkspaceClaim(const Workspace& ws) {
  return ws.spec.storage.workspace.UsesExistingClaim() ? ws.spec.storage.workspace.existing_claim : WorkspacePvc(ws);
}
}  // namespace names

std::map<std::string, std::string> ChildLabels(const Workspace& ws) {
  std::map<std::string, std::string> labels = {
      {"app.kubernetes.io/name", "tfws-workspace"},
      {"app.kubernetes.io/instance", ws.name},
      {"app.kubernetes.io/managed-by", "tfws-operator"},
      {kWorkspaceLabel, ws.name},
  };
  if (std::string owner = ws.Owner(); !owner.empty()) labels[kOwnerLabel] = owner;
  if (std::string team = ws.Team(); !team.empty()) labels[kTeamLabel] = team;
  return labels;
}

std::map<std::string, std::string> PodSelector(const Workspace& ws) { return {{kWorkspaceLabel, ws.name}}; }

nlohmann::json OwnerReference(const Workspace& ws) {
  return {
      {"apiVersion", kApiVersion}, {"kind", kKind},          {"name", ws.name},
      {"uid", ws.uid},             {"controller", true},     {"blockOwnerDeletion", true},
  };
}

std::string BaseUrl(const Workspace& ws) {
  if (!ws.spec.ingress.path.empty()) return ws.spec.ingress.path;
  return "/tfws/" + ws.namespace_ + "/" + ws.name + "/";
}

}  // namespace tfws::workspace
