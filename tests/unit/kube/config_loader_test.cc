#include "kube/config_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "kube/api_error.h"
#include "kubeconfig_test_util.h"

namespace tfws::kube {
namespace {

using testing::ReadText;
using testing::TempDir;
using testing::TestData;

std::string ConfigFor(const std::string& server) {
  return "current-context: x\nclusters:\n- name: c\n  cluster: {server: '" + server +
         "'}\ncontexts:\n- name: x\n  context: {cluster: c}\n- name: y\n  context: {cluster: c, "
         "namespace: ns-y}\n";
}

struct Env {
  std::map<std::string, std::string> vars;
  Getenv Fn() const {
    return [vars = vars](const std::string& name) -> std::optional<std::string> {
      auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
  }
};

class ConfigLoaderTest : public ::testing::Test {
 protected:
  ConfigLoaderTest() {
    dir_.Write("sa/token", "sa-token\n");
    dir_.Write("sa/ca.crt", ReadText(TestData("ca.crt")));
    dir_.Write("sa/namespace", "tfws-system");
    flag_file_ = dir_.Write("flag", ConfigFor("https://flag:1"));
    env_file_ = dir_.Write("env", ConfigFor("https://env:1"));
    dir_.Write("home/.kube/config", ConfigFor("https://home:1"));
  }
  ClusterConfig Load(const Env& env, std::string flag = {}, std::string context = {}) {
    ConfigSourceOptions options;
    options.kubeconfig = std::move(flag);
    options.context = std::move(context);
    options.getenv = env.Fn();
    options.service_account_dir = dir_.path() + "/sa";
    return LoadClusterConfig(options);
  }
  TempDir dir_;
  std::string flag_file_, env_file_;
  Env in_cluster_{{{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}}};
};

TEST_F(ConfigLoaderTest, FlagWinsOverEverything) {
  Env env = in_cluster_;
  env.vars["KUBECONFIG"] = env_file_;
  env.vars["HOME"] = dir_.path() + "/home";
  EXPECT_EQ(Load(env, flag_file_).server, "https://flag:1");
}

TEST_F(ConfigLoaderTest, KubeconfigVariableWinsOverInClusterAndHome) {
  Env env = in_cluster_;
  env.vars["KUBECONFIG"] = dir_.path() + "/missing:" + env_file_;
  env.vars["HOME"] = dir_.path() + "/home";
  EXPECT_EQ(Load(env).server, "https://env:1");
  EXPECT_EQ(Load(env, {}, "y").default_namespace, "ns-y");
}

TEST_F(ConfigLoaderTest, InClusterServiceAccountComesNext) {
  Env env = in_cluster_;
  env.vars["HOME"] = dir_.path() + "/home";
  ClusterConfig config = Load(env);
  EXPECT_EQ(config.server, "https://10.0.0.1:443");
  EXPECT_EQ(config.default_namespace, "tfws-system");
  EXPECT_EQ(config.tls.ca_pem, ReadText(TestData("ca.crt")));
  EXPECT_EQ(config.credentials->Get().bearer_token, "sa-token");
  EXPECT_EQ(config.origin, "in-cluster service account");
}

TEST_F(ConfigLoaderTest, InClusterTokenIsReReadAfterRotation) {
  ClusterConfig config = Load(in_cluster_);
  EXPECT_EQ(config.credentials->Get().bearer_token, "sa-token");
  dir_.Write("sa/token.tmp", "rotated-token-with-another-length\n");
  std::filesystem::rename(dir_.path() + "/sa/token.tmp", dir_.path() + "/sa/token");
  EXPECT_EQ(config.credentials->Get().bearer_token, "rotated-token-with-another-length");
}

TEST_F(ConfigLoaderTest, InClusterBracketsAnIpv6Host) {
  Env env{{{"KUBERNETES_SERVICE_HOST", "fd00::1"}, {"KUBERNETES_SERVICE_PORT", "6443"}}};
  EXPECT_EQ(Load(env).server, "https://[fd00::1]:6443");
}

TEST_F(ConfigLoaderTest, HomeKubeconfigIsTheLastResort) {
  Env env{{{"HOME", dir_.path() + "/home"}}};
  EXPECT_EQ(Load(env).server, "https://home:1");
}

TEST_F(ConfigLoaderTest, NothingFoundListsWhatWasTried) {
  Env env{{{"HOME", dir_.path() + "/nohome"}}};
  EXPECT_THAT(
      [&] { Load(env); },
      ::testing::ThrowsMessage<ConfigError>(
          "no Kubernetes configuration found: tried --kubeconfig (not given), $KUBECONFIG (not "
          "set), the "
          "in-cluster service account (KUBERNETES_SERVICE_HOST not set) and " +
          dir_.path() + "/nohome/.kube/config (missing); pass --kubeconfig or set KUBECONFIG"));
}

TEST_F(ConfigLoaderTest, InClusterWithoutCaSaysWhatToCheck) {
  std::filesystem::remove(dir_.path() + "/sa/ca.crt");
  EXPECT_THAT([&] { Load(in_cluster_); },
              ::testing::ThrowsMessage<ConfigError>(
                  ::testing::HasSubstr("is automountServiceAccountToken disabled")));
}

}  // namespace
}  // namespace tfws::kube
