// kubectl tfws token NAME: prints only the Jupyter token (for scripts and
// password managers), read from the Secret the workspace names.
#include "command.h"
#include "errors.h"
#include "kube/base64.h"
#include "session.h"
#include "workspace_status.h"

namespace tfws::plugin {

// The decoded Jupyter token of workspace `ws` (defined here, used by open too).
std::string ReadJupyterToken(Session& session, const nlohmann::json& ws) {
  const auto name = ws["metadata"].value("name", "");
  const auto ref = TokenSecretOf(ws);
  nlohmann::json secret;
  try {
    secret = session.client().Get(kube::resources::kSecrets, session.ns(), ref.name);
  } catch (const kube::ApiError& e) {
    if (e.IsNotFound()) {
      throw PluginError("the token Secret \"" + ref.name + "\" of tfworkspace \"" + name + "\" does not exist yet" +
                        " in namespace \"" + session.ns() + "\": the operator creates it on its first reconcile;" +
                        " kubectl tfws describe " + name + " shows whether the operator has seen the workspace");
    }
    throw PluginError(ExplainApiError(e, "get", "secret \"" + ref.name + "\" (the Jupyter token)", session.ns()));
  }
  const auto data = secret.value("data", nlohmann::json::object());
  if (!data.contains(ref.key) || !data[ref.key].is_string()) {
    throw PluginError("secret \"" + ref.name + "\" has no key \"" + ref.key + "\" (spec.jupyter.tokenSecretRef of " +
                      "tfworkspace \"" + name + "\"): put the token under that key");
  }
  std::string token;
  if (!kube::DecodeBase64(data[ref.key].get<std::string>(), token)) {
    throw PluginError("secret \"" + ref.name + "\" key \"" + ref.key + "\" is not valid base64");
  }
  return token;
}

namespace {

int Run(const Invocation& inv) {
  const auto name = RequireName(inv.args, "token");
  auto session = Session::Connect(inv.args);
  const auto ws = GetWorkspace(session, name);
  if (ws.value("/spec/jupyter/auth"_json_pointer, std::string("token")) == "none") {
    throw PluginError("tfworkspace \"" + name + "\" has no token: spec.jupyter.auth is \"none\" (an auth proxy in front of the Ingress authenticates you)");
  }
  inv.out << ReadJupyterToken(session, ws) << "\n";
  return 0;
}

}  // namespace

Command TokenCommand() {
  return {
      "token",
      "Print the Jupyter token of a workspace (nothing else, for scripts)",
      "kubectl tfws token NAME",
      "Example:\n  kubectl tfws token alice-resnet\n",
      {},
      Run,
  };
}

}  // namespace tfws::plugin
