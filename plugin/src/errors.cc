#include "errors.h"

namespace tfws::plugin {

std::string ExplainApiError(const kube::ApiError& e, const std::string& verb, const std::string& object,
                            const std::string& ns) {
  const std::string where = ns.empty() ? "" : " in namespace \"" + ns + "\"";
  if (e.IsNotFound()) {
    if (e.message().find("the server could not find the requested resource") != std::string::npos) {
      return "the cluster does not know TFWorkspaces (" + e.message() +
             "): the tfws CRD is not installed; ask your platform team (docs/install.md)";
    }
    return object + " not found" + where + ": kubectl tfws list shows your workspaces (-n NS for another namespace)";
  }
  if (e.IsQuotaExceeded()) {
    return "cannot " + verb + " " + object + where + ": " + e.message() +
           "; stop a workspace (kubectl tfws stop NAME) or ask for more quota";
  }
  if (e.IsForbidden()) {
    return "you may not " + verb + " " + object + where + ": " + e.message() +
           "; ask your platform team for the tfws user role in this namespace";
  }
  if (e.IsInvalid()) return object + " is invalid: " + e.message();
  if (e.IsConflict()) {
    return "cannot " + verb + " " + object + where + ": " + e.message() + "; another writer changed it, run it again";
  }
  return "cannot " + verb + " " + object + where + ": " + e.message() + " (HTTP " + std::to_string(e.code()) + ")";
}

}  // namespace tfws::plugin
