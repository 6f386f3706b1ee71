// Finds the cluster configuration the way kubectl and client-go do, in order:
//   1. --kubeconfig (one file; it must exist),
//   2. $KUBECONFIG (colon-separated list, merged; missing entries skipped),
//   3. the in-cluster service account (KUBERNETES_SERVICE_HOST/PORT and
//      <service_account_dir>/{token,ca.crt,namespace}; the token file is
//      re-read whenever the kubelet rotates it),
//   4. ~/.kube/config.
// --context overrides current-context for kubeconfig sources.
//
// Throws ConfigError naming the file, context and field at fault, or saying
// which sources were tried when none was found. Environment and file locations
// are injectable for tests.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "time/clock.h"
#include "kube/cluster_config.h"

namespace tfws::kube {

using Getenv = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment (std::getenv).
std::optional<std::string> ProcessEnv(const std::string& name);

struct ConfigSourceOptions {
  std::string kubeconfig;  // --kubeconfig
  std::string context;     // --context
  Getenv getenv = ProcessEnv;
  std::string service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  time::Clock* clock = &time::SystemClock::Instance();
};

ClusterConfig LoadClusterConfig(const ConfigSourceOptions& options = {});

// Source 3 alone. Throws ConfigError when KUBERNETES_SERVICE_HOST/PORT are
// unset or the token / CA files are unusable.
ClusterConfig LoadInClusterConfig(const Getenv& getenv, const std::string& service_account_dir);

}  // namespace tfws::kube
