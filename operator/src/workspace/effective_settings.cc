#include "workspace/effective_settings.h"

#include "workspace/naming.h"

namespace tfws::workspace {

EffectiveSettings ResolveSettings(const Workspace& ws, const OperatorConfig& config) {
  const WorkspaceSpec& spec = ws.spec;
  EffectiveSettings s;
  s.image = spec.image.empty() ? config.default_image : spec.image;
  if (const ImagePolicy* policy = config.FindImagePolicy(s.image)) s.image_policy = *policy;
  s.launcher = s.image_policy ? s.image_policy->launcher : Launcher::kJupyter;

  if (spec.ssh.enabled) {
    if (spec.profile == Profile::kHardened) {
      s.ssh_problem = "SSH is off: spec.profile \"hardened\" does not allow SSH; set spec.ssh.enabled to false";
    } else if (!s.image_policy || !s.image_policy->ssh) {
      s.ssh_problem = "SSH is off: image " + s.image +
                      " does not declare SSH support in the operator configuration; use the project image "
                      "tfws/tf29-workspace or set spec.ssh.enabled to false";
    } else {
      s.ssh_enabled = true;
    }
  }

  s.base_url = BaseUrl(ws);
  if (spec.ingress.enabled) {
    const std::string host = spec.ingress.host.empty() ? config.ingress.host : spec.ingress.host;
    const bool tls = !spec.ingress.tls_secret_name.empty() || !config.ingress.tls_secret_name.empty();
    s.url = host.empty() ? s.base_url : (tls ? "https://" : "http://") + host + s.base_url;
  } else {
    s.url = "http://" + names::Service(ws) + "." + ws.namespace_ + ".svc:" + std::to_string(kJupyterPort) +
            s.base_url;
  }

  if (spec.jupyter.auth == JupyterAuth::kToken) {
    if (spec.jupyter.token_secret_ref) {
      s.token_ref = *spec.jupyter.token_secret_ref;
    } else {
      s.token_ref = SecretKeyRef{names::TokenSecret(ws), kTokenSecretKey};
      s.owns_token_secret = true;
    }
  }

  s.gpu = CheckGpuCompatibility(spec.gpu, s.image, config);
  s.idle_timeout_minutes = spec.idle_timeout_minutes.value_or(config.idle_timeout_minutes);
  return s;
}

}  // namespace tfws::workspace
