// Credentials from a kubeconfig `exec` plugin (client.authentication.k8s.io
// v1 and v1beta1), the way cloud clusters hand out short-lived tokens.
//
// Get() runs the plugin when nothing is cached, when the cached credential's
// expirationTimestamp has passed (by the injected clock), or after Invalidate()
// (the server answered 401). Without an expirationTimestamp the output is kept
// until Invalidate(). Thread-safe: concurrent callers wait for one run.
//
// The plugin runs with the operator's environment plus the configured env and
// KUBERNETES_EXEC_INFO (an ExecCredential with spec.interactive=false and, if
// provideClusterInfo, spec.cluster), stdin from /dev/null, and a deadline.
// Failures throw ConfigError naming the kubeconfig user, the command and what
// the plugin printed on stderr, plus the installHint when there is one.
#pragma once

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "time/clock.h"
#include "kube/cluster_config.h"

namespace tfws::kube {

struct ExecConfig {
  std::string api_version;  // client.authentication.k8s.io/v1 or /v1beta1
  std::string command;      // resolved: absolute, or looked up in PATH
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string install_hint;
  bool provide_cluster_info = false;
  nlohmann::json cluster_info;  // spec.cluster when provide_cluster_info
  std::string origin;           // `kubeconfig /x: user "bob": exec`, prefixes messages
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
};


class ExecCredentials final : public CredentialSource {
 public:
  explicit ExecCredentials(ExecConfig config, time::Clock& clock = time::SystemClock::Instance());

  Credentials Get() override;
  bool Invalidate() override;

  // How many times the plugin ran (tests assert caching with it).
  int runs() const;

  // Decodes the plugin's stdout (an ExecCredential). Throws ConfigError.
  static std::pair<Credentials, std::optional<std::chrono::system_clock::time_point>> ParseOutput(
      const ExecConfig& config, const std::string& stdout_text);

 private:
  std::string Run() const;

  ExecConfig config_;
  time::Clock& clock_;
  mutable std::mutex mutex_;
  std::optional<Credentials> cached_;
  std::optional<std::chrono::system_clock::time_point> expiry_;
  int runs_ = 0;
};

}  // namespace tfws::kube
