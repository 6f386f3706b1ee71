#include "kube/config_loader.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "kube/api_error.h"
#include "kube/kubeconfig.h"
#include "kube/token_file_credentials.h"

namespace tfws::kube {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> SplitList(const std::string& list) {
  std::vector<std::string> parts;
  std::string current;
  for (char c : list) {
    if (c == ':') {
      if (!current.empty()) parts.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) parts.push_back(current);
  return parts;
}

bool NonEmpty(const std::optional<std::string>& value) { return value && !value->empty(); }

}  // namespace

std::optional<std::string> ProcessEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

ClusterConfig LoadInClusterConfig(const Getenv& getenv, const std::string& service_account_dir) {
  auto host = getenv("KUBERNETES_SERVICE_HOST");
  auto port = getenv("KUBERNETES_SERVICE_PORT");
  if (!NonEmpty(host) || !NonEmpty(port)) {
    throw ConfigError(
        "in-cluster config: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set");
  }
  std::string where = "in-cluster service account " + service_account_dir;
  ClusterConfig config;
  config.origin = "in-cluster service account";
  std::string server_host =
      host->find(':') != std::string::npos ? "[" + *host + "]" : *host;  // IPv6
  config.server = "https://" + server_host + ":" + *port;

  std::string ca_path = (fs::path(service_account_dir) / "ca.crt").string();
  std::ifstream ca(ca_path, std::ios::binary);
  if (!ca) {
    throw ConfigError(where + ": ca.crt " + ca_path + ": " + std::strerror(errno) +
                      " (is automountServiceAccountToken disabled for this Pod?)");
  }
  std::ostringstream ca_text;
  ca_text << ca.rdbuf();
  config.tls.ca_pem = ca_text.str();

  auto token = std::make_shared<TokenFileCredentials>(
      (fs::path(service_account_dir) / "token").string(), where + ": token");
  token->Get();  // fail now, not at the first request
  config.credentials = token;

  std::ifstream ns((fs::path(service_account_dir) / "namespace").string());
  std::string namespace_name;
  if (ns && std::getline(ns, namespace_name) && !namespace_name.empty())
    config.default_namespace = namespace_name;
  return config;
}

ClusterConfig LoadClusterConfig(const ConfigSourceOptions& options) {
  time::Clock& clock = options.clock ? *options.clock : time::SystemClock::Instance();
  if (!options.kubeconfig.empty()) {
    return Kubeconfig::LoadFiles({options.kubeconfig}).Resolve(options.context, clock);
  }
  if (auto list = options.getenv("KUBECONFIG"); NonEmpty(list)) {
    auto files = SplitList(*list);
    if (!files.empty())
      return Kubeconfig::LoadFiles(files, /*skip_missing=*/true).Resolve(options.context, clock);
  }
  if (NonEmpty(options.getenv("KUBERNETES_SERVICE_HOST"))) {
    if (!options.context.empty()) {
      throw ConfigError("--context " + options.context +
                        ": contexts exist only in kubeconfig files, but none was given (in-cluster "
                        "config found); "
                        "pass --kubeconfig too or drop --context");
    }
    return LoadInClusterConfig(options.getenv, options.service_account_dir);
  }
  std::string home_config;
  if (auto home = options.getenv("HOME"); NonEmpty(home)) {
    home_config = (fs::path(*home) / ".kube" / "config").string();
    std::error_code ec;
    if (fs::exists(home_config, ec))
      return Kubeconfig::LoadFiles({home_config}).Resolve(options.context, clock);
  }
  throw ConfigError(
      "no Kubernetes configuration found: tried --kubeconfig (not given), $KUBECONFIG (not set), "
      "the in-cluster service account (KUBERNETES_SERVICE_HOST not set) and " +
      (home_config.empty() ? std::string("~/.kube/config ($HOME not set)")
                           : home_config + " (missing)") +
      "; pass --kubeconfig or set KUBECONFIG");
}

}  // namespace tfws::kube
