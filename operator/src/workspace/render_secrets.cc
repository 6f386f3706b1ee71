// Renderers of the token Secret, the SSH authorized-keys Secret and the SSH
// host key Secret (render.h).
#include "kube/base64.h"
#include "workspace/effective_settings.h"
#include "workspace/naming.h"
#include "workspace/render.h"
#include "workspace/render_metadata.h"
#include "workspace/spec_hash.h"

namespace tfws::workspace {
std::optional<Json> RenderTokenSecret(const Workspace& ws, const OperatorConfig& config) {
  EffectiveSettings settings = ResolveSettings(ws, config);
  if (!settings.owns_token_secret) return std::nullopt;
  Json secret = ChildObject(ws, "v1", "Secret", names::TokenSecret(ws));
  secret["type"] = "Opaque";
  StampSpecHash(secret);
  return secret;
}

std::optional<Json> RenderSshKeysSecret(const Workspace& ws, const OperatorConfig& config) {
  EffectiveSettings settings = ResolveSettings(ws, config);
  if (!settings.ssh_enabled || ws.spec.ssh.authorized_keys.empty()) return std::nullopt;
  std::string body;
  for (const std::string& key : ws.spec.ssh.authorized_keys) body += key + "\n";
  Json secret = ChildObject(ws, "v1", "Secret", names::SshKeysSecret(ws));
  secret["type"] = "Opaque";
  secret["data"] = {{kAuthorizedKeysKey, kube::Base64Encode(body)}};
  StampSpecHash(secret);
  return secret;
}

std::optional<Json> RenderSshHostKeySecret(const Workspace& ws, const OperatorConfig& config) {
  if (!ResolveSettings(ws, config).ssh_enabled) return std::nullopt;
  Json secret = ChildObject(ws, "v1", "Secret", names::SshHostKeySecret(ws));
  secret["type"] = "Opaque";
  StampSpecHash(secret);
  return secret;
}

}  // namespace tfws::workspace
