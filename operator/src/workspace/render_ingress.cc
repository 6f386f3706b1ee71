// Renderer of the Ingress <name> (render.h).
#include "workspace/effective_settings.h"
#include "workspace/naming.h"
#include "workspace/render.h"
#include "workspace/render_metadata.h"
#include "workspace/spec_hash.h"

namespace tfws::workspace {

std::optional<Json> RenderIngress(const Workspace& ws, const OperatorConfig& config) {
  const IngressSpec& in = ws.spec.ingress;
  if (!in.enabled) return std::nullopt;
  const EffectiveSettings settings = ResolveSettings(ws, config);
  const std::string host = in.host.empty() ? config.ingress.host : in.host;
  const std::string class_name = in.class_name.empty() ? config.ingress.class_name : in.class_name;
  const std::string tls_secret = in.tls_secret_name.empty() ? config.ingress.tls_secret_name : in.tls_secret_name;

  Json path = {
      {"path", settings.base_url},
      {"pathType", "Prefix"},
      {"backend", {{"service", {{"name", names::Service(ws)}, {"port", {{"name", kJupyterPortName}}}}}}},
  };
  Json rule = {{"http", {{"paths", Json::array({path})}}}};
  if (!host.empty()) rule["host"] = host;
  Json spec = {{"rules", Json::array({rule})}};
  if (!class_name.empty()) spec["ingressClassName"] = class_name;
  if (!tls_secret.empty()) {
    Json tls = {{"secretName", tls_secret}};
    if (!host.empty()) tls["hosts"] = Json::array({host});
    spec["tls"] = Json::array({tls});
  }

  Json ingress = ChildObject(ws, "networking.k8s.io/v1", "Ingress", names::Ingress(ws));
  if (!in.annotations.empty()) ingress["metadata"]["annotations"] = ToJsonObject(in.annotations);
  ingress["spec"] = spec;
  StampSpecHash(ingress);
  return ingress;
}

}  // namespace tfws::workspace
