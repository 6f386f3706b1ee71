#include "session.h"

#include "args.h"
#include "errors.h"
#include "kube/client_factory.h"
#include "kube/config_loader.h"

namespace tfws::plugin {

namespace {
const kube::Resource kSelfSubjectReviews{"authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview",
                                         false};
}  // namespace

Session Session::Connect(const ParsedArgs& args) {
  Session s;
  kube::ConfigSourceOptions source;
  source.kubeconfig = args.Get("kubeconfig");
  source.context = args.Get("context");
  s.config_ = kube::LoadClusterConfig(source);
  kube::ClientOptions options;
  options.user_agent = std::string("kubectl-tfws/") + TFWS_VERSION;
  options.request_deadline = std::chrono::seconds(30);
  s.client_ = kube::MakeClient(s.config_, options);
  s.namespace_ = args.Get("namespace", s.config_.default_namespace);
  return s;
}

std::string Session::Username() {
  const nlohmann::json review = {{"apiVersion", "authentication.k8s.io/v1"}, {"kind", "SelfSubjectReview"}};
  try {
    const auto answer = client_->Create(kSelfSubjectReviews, "", review);
    return answer.value("/status/userInfo/username"_json_pointer, "");
  } catch (const kube::ApiError& e) {
    throw PluginError("cannot ask the API server who you are (SelfSubjectReview, authentication.k8s.io/v1): " +
                      e.message() + "; the server must be Kubernetes 1.28 or later");
  }
}

nlohmann::json GetWorkspace(Session& session, const std::string& name) {
  try {
    return session.client().Get(kube::resources::kTFWorkspaces, session.ns(), name);
  } catch (const kube::ApiError& e) {
    throw PluginError(ExplainApiError(e, "get", "tfworkspace \"" + name + "\"", session.ns()));
  }
}

std::string RequireName(const ParsedArgs& args, const std::string& command) {
  if (args.positional.empty()) {
    throw UsageError("a workspace NAME is required: kubectl tfws " + command + " NAME (kubectl tfws list shows yours)");
  }
  if (args.positional.size() > 1) {
    throw UsageError("one workspace NAME expected, got " + std::to_string(args.positional.size()) + ": " +
                     args.positional[0] + " " + args.positional[1] + " ...");
  }
  return args.positional[0];
}

}  // namespace tfws::plugin
