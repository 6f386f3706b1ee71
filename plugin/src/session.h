// The connection a command works with: the cluster configuration found the
// way kubectl finds it (--kubeconfig, $KUBECONFIG, ~/.kube/config, --context,
// exec plugins; kube/config_loader.h), a client, and the namespace (-n, else
// the context's namespace).
#pragma once

#include <memory>
#include <string>

#include "args.h"
#include "kube/client.h"
#include "kube/cluster_config.h"

namespace tfws::plugin {

inline constexpr const char* kFieldManager = "kubectl-tfws";

class Session {
 public:
  // Throws kube::ConfigError naming the kubeconfig and context at fault.
  static Session Connect(const ParsedArgs& args);

  kube::Client& client() { return *client_; }
  const kube::ClusterConfig& config() const { return config_; }
  const std::string& ns() const { return namespace_; }

  // Who the API server says we are (a SelfSubjectReview): the user name.
  std::string Username();

 private:
  kube::ClusterConfig config_;
  std::shared_ptr<kube::Client> client_;
  std::string namespace_;
};

// Reads the TFWorkspace NAME in the session's namespace; a 404 becomes an error
// saying how to list the existing ones.
nlohmann::json GetWorkspace(Session& session, const std::string& name);

// The decoded Jupyter token of workspace `ws`, read from the Secret it names;
// PluginError naming the Secret and the fix (cmd_token.cc; used by open too).
std::string ReadJupyterToken(Session& session, const nlohmann::json& ws);

// The single positional NAME of a command; UsageError otherwise.
std::string RequireName(const ParsedArgs& args, const std::string& command);

}  // namespace tfws::plugin
