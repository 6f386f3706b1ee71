#include "workspace/operator_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tfws::workspace {
namespace {

using ::testing::HasSubstr;

std::string ConfigError(const std::string& yaml) {
  try {
    ParseOperatorConfig(yaml, "config.yaml");
  } catch (const OperatorConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(OperatorConfig, DefaultsKnowTheOfficialAndTheProjectImage) {
  OperatorConfig c = DefaultOperatorConfig();
  EXPECT_EQ(c.default_image, "tensorflow/tensorflow:2.9.0-gpu-jupyter");
  EXPECT_EQ(c.run_as_user, 1000);
  EXPECT_EQ(c.run_as_group, 1000);
  EXPECT_EQ(c.ingress.controller_namespace, "ingress-nginx");
  EXPECT_EQ(c.progress_deadline_seconds, 600);
  const ImagePolicy* official = c.FindImagePolicy("tensorflow/tensorflow:2.9.0-gpu-jupyter");
  ASSERT_NE(official, nullptr);
  EXPECT_EQ(official->max_compute_capability_major, 8);
  EXPECT_FALSE(official->ssh);
  EXPECT_EQ(official->launcher, Launcher::kJupyter);
  const ImagePolicy* project = c.FindImagePolicy("tfws/tf29-workspace:0.1.0");
  ASSERT_NE(project, nullptr);
  EXPECT_TRUE(project->ssh);
  EXPECT_EQ(project->launcher, Launcher::kEntrypoint);
  EXPECT_EQ(c.FindImagePolicy("pytorch/pytorch:2.0"), nullptr);
}

TEST(OperatorConfig, EmptyDocumentGivesTheDefaults) {
  OperatorConfig c = ParseOperatorConfig("", "config.yaml");
  EXPECT_EQ(c.images.size(), 2u);
  EXPECT_EQ(c.default_image, DefaultOperatorConfig().default_image);
}

TEST(OperatorConfig, ParsesTheDocumentedExample) {
  OperatorConfig c = ParseOperatorConfig(R"(
defaultImage: registry.local/tf:2.9
runAsUser: 2000
runAsGroup: 3000
images:
  - match: registry.local/tf
    maxComputeCapabilityMajor: 8
    ssh: false
    launcher: jupyter
  - match: registry.local/tf:2.9-ssh
    ssh: true
    launcher: entrypoint
ingress:
  className: nginx
  host: jupyter.example.com
  tlsSecretName: wildcard
  controllerNamespace: ingress
  controllerPodLabels: {app: my-ingress}
ssh:
  allowedCIDRs: [10.0.0.0/8, "fd00::/8"]
progressDeadlineSeconds: 300
operatorNamespace: tfws-system
operatorPodLabels: {app.kubernetes.io/name: tfws-operator, app.kubernetes.io/instance: tfws}
culling:
  idleTimeoutMinutes: 120
)");
  EXPECT_EQ(c.default_image, "registry.local/tf:2.9");
  EXPECT_EQ(c.run_as_user, 2000);
  EXPECT_EQ(c.run_as_group, 3000);
  ASSERT_EQ(c.images.size(), 2u);
  EXPECT_EQ(c.ingress.class_name, "nginx");
  EXPECT_EQ(c.ingress.host, "jupyter.example.com");
  EXPECT_EQ(c.ingress.tls_secret_name, "wildcard");
  EXPECT_EQ(c.ingress.controller_namespace, "ingress");
  EXPECT_EQ(c.ssh.allowed_cidrs, (std::vector<std::string>{"10.0.0.0/8", "fd00::/8"}));
  EXPECT_EQ(c.progress_deadline_seconds, 300);
  EXPECT_EQ(c.operator_namespace, "tfws-system");
  EXPECT_EQ(c.idle_timeout_minutes, 120);
  EXPECT_EQ(c.ingress.controller_pod_labels, (std::map<std::string, std::string>{{"app", "my-ingress"}}));
  EXPECT_EQ(c.operator_pod_labels.size(), 2u);
}

TEST(OperatorConfig, PodLabelsOfNetworkPolicyPeersMustNotBeEmpty) {
  EXPECT_THAT(ConfigError("ingress:\n  controllerPodLabels: {}\n"),
              HasSubstr("ingress.controllerPodLabels: Required value: at least one label"));
  EXPECT_THAT(ConfigError("operatorPodLabels: [a]\n"), HasSubstr("operatorPodLabels: must be a mapping"));
  EXPECT_EQ(DefaultOperatorConfig().ingress.controller_pod_labels.at("app.kubernetes.io/name"), "ingress-nginx");
}

TEST(OperatorConfig, CullingIsOffByDefaultAndItsTimeoutIsBounded) {
  EXPECT_EQ(DefaultOperatorConfig().idle_timeout_minutes, 0);
  EXPECT_THAT(ConfigError("culling: {idleTimeoutMinutes: -5}"), HasSubstr("culling.idleTimeoutMinutes"));
  EXPECT_THAT(ConfigError("culling: {idleTimeout: 5}"), HasSubstr("idleTimeout"));
}

TEST(OperatorConfig, LongestMatchingPrefixWins) {
  OperatorConfig c = ParseOperatorConfig(R"(
images:
  - {match: registry.local/tf, launcher: jupyter}
  - {match: registry.local/tf:2.9-ssh, ssh: true, launcher: entrypoint}
)");
  EXPECT_EQ(c.FindImagePolicy("registry.local/tf:2.9-ssh-1")->launcher, Launcher::kEntrypoint);
  EXPECT_EQ(c.FindImagePolicy("registry.local/tf:2.9")->launcher, Launcher::kJupyter);
}

TEST(OperatorConfig, EmptyImageListMeansNoKnownImages) {
  EXPECT_TRUE(ParseOperatorConfig("images: []").images.empty());
}

TEST(OperatorConfig, ErrorsNameTheFileLineAndKey) {
  EXPECT_EQ(ConfigError("runAsUser: 0\n"), "config.yaml:1: runAsUser: Invalid value: 0: must be between 1 and 2147483647");
  EXPECT_THAT(ConfigError("runAsUser: root\n"), HasSubstr("runAsUser: Invalid value: \"root\": must be an integer"));
  EXPECT_THAT(ConfigError("images:\n  - match: x\n    launcher: bash\n"),
              HasSubstr("images[0].launcher: Unsupported value: \"bash\": supported values: \"jupyter\", \"entrypoint\""));
  EXPECT_THAT(ConfigError("images:\n  - ssh: true\n"), HasSubstr("images[0].match: Required value"));
  EXPECT_THAT(ConfigError("ssh:\n  allowedCIDRs: [10.0.0.0]\n"),
              HasSubstr("ssh.allowedCIDRs[0]: Invalid value: \"10.0.0.0\": must be a CIDR"));
  EXPECT_THAT(ConfigError("progressDeadlineSeconds: 5\n"), HasSubstr("progressDeadlineSeconds"));
}

TEST(OperatorConfig, RejectsUnknownKeysSoTyposAreNotSilent) {
  EXPECT_THAT(ConfigError("defaultImgae: x\n"), HasSubstr("config.yaml:1: defaultImgae: unknown key"));
  EXPECT_THAT(ConfigError("ingress:\n  hostname: x\n"), HasSubstr("ingress.hostname: unknown key"));
}

TEST(OperatorConfig, RejectsMalformedYaml) {
  EXPECT_THAT(ConfigError("images: [\n"), HasSubstr("config.yaml:"));
  EXPECT_THAT(ConfigError("- a\n- b\n"), HasSubstr("must be a mapping"));
}

TEST(OperatorConfig, MissingFileErrorNamesTheFlag) {
  try {
    LoadOperatorConfigFile("/nonexistent/config.yaml");
    FAIL() << "expected an error";
  } catch (const OperatorConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/config.yaml: cannot read"));
    EXPECT_THAT(e.what(), HasSubstr("--config"));
  }
}

}  // namespace
}  // namespace tfws::workspace
