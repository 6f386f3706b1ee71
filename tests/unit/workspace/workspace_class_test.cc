// TFWorkspaceClass on the operator side: which class applies, what it fills in, what it refuses
// (the same specs the admission policy refuses, with the class, the field and the limit named).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "workspace/manifest.h"
#include "workspace/quantity.h"
#include "workspace/render.h"
#include "workspace/workspace_class.h"
#include "workspace_fixture.h"

namespace tfws::workspace {
namespace {

using ::testing::HasSubstr;
using testing::WithSpec;

std::shared_ptr<const Json> ExampleClass() {
  auto docs = ReadManifestFile(TFWS_SOURCE_DIR "/examples/classes/shared-gpu-cluster.yaml");
  return std::make_shared<const Json>(docs.at(0));
}

std::shared_ptr<const Json> Class(const std::string& name, const Json& spec, bool is_default = false) {
  Json object = {{"apiVersion", "tfws.io/v1alpha1"}, {"kind", "TFWorkspaceClass"}, {"metadata", {{"name", name}}}, {"spec", spec}};
  if (is_default) object["metadata"]["annotations"] = {{kDefaultClassAnnotation, "true"}};
  return std::make_shared<const Json>(object);
}

Workspace Parse(const Json& spec) { return ParseWorkspace(WithSpec(spec)); }

// The ClassViolation / ClassNotFound message for `spec` under `classes` ("" when it fits).
std::string Refusal(const Json& spec, const std::vector<std::shared_ptr<const Json>>& classes) {
  try {
    ResolveClass(Parse(spec), classes);
  } catch (const InvalidSpecError& e) {
    return e.reason() + ": " + e.what();
  }
  return "";
}

TEST(WorkspaceClass, TheExampleClassParses) {
  const WorkspaceClass c = ParseWorkspaceClass(*ExampleClass());
  EXPECT_EQ(c.name, "shared-gpu");
  EXPECT_TRUE(c.is_default);
  EXPECT_EQ(c.max_gpus, 4);
  EXPECT_EQ(c.max_resources.memory, "128Gi");
  EXPECT_TRUE(c.ssh_allowed);
  EXPECT_EQ(c.host_template, "{name}-{namespace}.ml.example.com");
  EXPECT_EQ(c.auth_annotations.size(), 2u);
  EXPECT_EQ(c.default_idle_timeout_minutes, 120);
}

TEST(WorkspaceClass, TheNamedClassWinsOverTheDefault) {
  const auto other = Class("small", {{"gpu", {{"maxCount", 1}}}});
  const Workspace ws = ResolveClass(Parse({{"className", "small"}}), {ExampleClass(), other});
  EXPECT_EQ(ws.applied_class, "small");
  EXPECT_EQ(ResolveClass(Parse(Json::object()), {ExampleClass(), other}).applied_class, "shared-gpu");
}

TEST(WorkspaceClass, NoDefaultClassMeansTheOperatorConfigurationAlone) {
  const Workspace ws = ResolveClass(Parse({{"gpu", {{"count", 9}}}}), {Class("small", {{"gpu", {{"maxCount", 1}}}})});
  EXPECT_EQ(ws.applied_class, "");
  EXPECT_EQ(ws.spec.gpu.count, 9);
}

TEST(WorkspaceClass, AMissingOrAmbiguousClassIsRefused) {
  EXPECT_THAT(Refusal({{"className", "nope"}}, {ExampleClass()}),
              HasSubstr("ClassNotFound: spec.className: TFWorkspaceClass \"nope\" does not exist"));
  EXPECT_THAT(Refusal(Json::object(), {Class("a", Json::object(), true), Class("b", Json::object(), true)}),
              HasSubstr("ClassNotFound: spec.className: more than one TFWorkspaceClass is marked tfws.io/is-default-class: a, b"));
}

TEST(WorkspaceClass, DefaultsAreFilledIn) {
  const Workspace ws = ResolveClass(ParseWorkspace(WithSpec({{"owner", "alice"}, {"team", "vision"},
                                                             {"ingress", {{"enabled", true}}}}, "nb")),
                                    {ExampleClass()});
  EXPECT_EQ(ws.spec.image, "tensorflow/tensorflow:2.9.0-gpu-jupyter");
  EXPECT_EQ(ws.spec.resources.requests.cpu, "2");
  EXPECT_EQ(ws.spec.resources.requests.memory, "8Gi");
  EXPECT_EQ(ws.spec.resources.limits.cpu, "8");
  EXPECT_EQ(ws.spec.resources.limits.memory, "32Gi");
  EXPECT_EQ(ws.spec.idle_timeout_minutes, 120);
  EXPECT_EQ(ws.scratch_size_limit, "10Gi");
  EXPECT_EQ(ws.spec.ingress.host, "nb-team-a.ml.example.com");
  EXPECT_EQ(ws.spec.ingress.class_name, "nginx");
  EXPECT_EQ(ws.spec.ingress.tls_secret_name, "ml-example-com-wildcard-tls");
  EXPECT_EQ(ws.spec.ingress.annotations.at("nginx.ingress.kubernetes.io/auth-url"),
            "https://oauth2.example.com/oauth2/auth?allowed_groups=vision");
  EXPECT_TRUE(ws.spec.ingress.auth_proxy);
}

TEST(WorkspaceClass, ARequestAboveTheDefaultLimitRaisesTheLimitToIt) {
  const Workspace ws = ResolveClass(Parse({{"resources", {{"requests", {{"cpu", "16"}, {"memory", "64Gi"}}}}}}), {ExampleClass()});
  EXPECT_EQ(ws.spec.resources.limits.cpu, "16");
  EXPECT_EQ(ws.spec.resources.limits.memory, "64Gi");
}

// The sizeLimit of the Pod's memory-backed /dev/shm emptyDir.
std::string RenderedShmSize(const Workspace& ws) {
  const Json pod = *RenderPod(ws, DefaultOperatorConfig());
  for (const Json& volume : pod["spec"]["volumes"]) {
    if (volume["name"] == "shm") return volume["emptyDir"].value("sizeLimit", "");
  }
  return "";
}

TEST(WorkspaceClass, ShmSizeDefaultsToTheClassDefaultCappedByItsMaximum) {
  EXPECT_EQ(RenderedShmSize(ResolveClass(Parse(Json::object()), {ExampleClass()})), "2Gi") << "defaultShmSize";
  EXPECT_EQ(RenderedShmSize(ResolveClass(Parse({{"shmSize", "8Gi"}}), {ExampleClass()})), "8Gi") << "what the user set";
  const auto small = Class("small", {{"resources", {{"maxShmSize", "512Mi"}}}});
  EXPECT_EQ(RenderedShmSize(ResolveClass(Parse({{"className", "small"}}), {small})), "512Mi")
      << "without a class default, 1Gi is capped by maxShmSize";
  EXPECT_EQ(RenderedShmSize(Parse(Json::object())), "1Gi") << "no class";
  EXPECT_THAT(Refusal({{"className", "small"}, {"shmSize", "1Gi"}}, {small}),
              HasSubstr("spec.shmSize: 1Gi is more than 512Mi")) << "a size the user set is checked";
}

TEST(WorkspaceClass, EgressAndTheIngressControllerPeerComeFromTheClass) {
  const auto klass = Class("locked", {{"egress", {{"deniedCIDRs", {"100.100.100.200/32", "10.96.0.0/12"}},
                                                  {"hardenedAllowedCIDRs", {"10.0.0.0/8", "10.100.0.0/16", "192.0.2.0/24"}}}},
                                      {"ingress", {{"controller", {{"namespace", "traefik"},
                                                                   {"podLabels", {{"app.kubernetes.io/name", "traefik"}}}}}}}});
  const Json hardened = RenderNetworkPolicy(ResolveClass(Parse({{"className", "locked"}, {"profile", "hardened"}}), {klass}),
                                            DefaultOperatorConfig());
  EXPECT_EQ(hardened["spec"]["ingress"][0]["from"], Json::parse(R"([
      {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "traefik"}},
       "podSelector": {"matchLabels": {"app.kubernetes.io/name": "traefik"}}}])"))
      << "the class's controller replaces the operator configuration's";
  // DNS anywhere but the denied blocks; the allowed blocks (any port) minus the denied ones inside
  // them, 10.100.0.0/16 left out (inside the denied 10.96.0.0/12); the namespace's Pods.
  EXPECT_EQ(hardened["spec"]["egress"], Json::parse(R"([
      {"to": [{"namespaceSelector": {}},
              {"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32", "100.100.100.200/32", "10.96.0.0/12"]}},
              {"ipBlock": {"cidr": "::/0", "except": ["fd00:ec2::254/128"]}}],
       "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
      {"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.96.0.0/12"]}},
              {"ipBlock": {"cidr": "192.0.2.0/24"}}]},
      {"to": [{"podSelector": {}}]}])"));
  const Json development = RenderNetworkPolicy(ResolveClass(Parse({{"className", "locked"}}), {klass}), DefaultOperatorConfig());
  EXPECT_EQ(development["spec"]["egress"][0]["to"][1]["ipBlock"]["except"],
            Json::parse(R"(["169.254.169.254/32", "100.100.100.200/32", "10.96.0.0/12"])"))
      << "denied blocks hold in every profile";
}

TEST(WorkspaceClass, WhatTheUserSetIsKept) {
  const Workspace ws = ResolveClass(Parse({{"image", "tfws/tf29-workspace:0.1.0"},
                                           {"resources", {{"limits", {{"cpu", "4"}}}}},
                                           {"culling", {{"idleTimeoutMinutes", 30}}}}),
                                    {ExampleClass()});
  EXPECT_EQ(ws.spec.image, "tfws/tf29-workspace:0.1.0");
  EXPECT_EQ(ws.spec.resources.limits.cpu, "4");
  EXPECT_EQ(ws.spec.idle_timeout_minutes, 30);
}

TEST(WorkspaceClass, EveryLimitIsCheckedWithTheClassTheFieldAndTheLimitNamed) {
  const std::vector<std::shared_ptr<const Json>> classes = {ExampleClass()};
  const std::vector<std::pair<Json, std::string>> cases = {
      {{{"image", "docker.io/attacker/miner:1"}}, "spec.image: \"docker.io/attacker/miner:1\" is not allowed by TFWorkspaceClass shared-gpu"},
      {{{"gpu", {{"count", 5}}}}, "spec.gpu.count: 5 is more than the 4 GPUs TFWorkspaceClass shared-gpu allows per workspace; request at most 4"},
      {{{"gpu", {{"count", 1}, {"resource", "nvidia.com/gpu.shared"}}}}, "spec.gpu.resource: \"nvidia.com/gpu.shared\" is not allowed"},
      {{{"resources", {{"limits", {{"cpu", "33"}}}}}}, "spec.resources.limits.cpu: 33 is more than 32"},
      {{{"resources", {{"requests", {{"memory", "129Gi"}}}}}}, "spec.resources.requests.memory: 129Gi is more than 128Gi"},
      {{{"shmSize", "64Gi"}}, "spec.shmSize: 64Gi is more than 32Gi"},
      {{{"storage", {{"workspace", {{"size", "1Ti"}}}}}}, "spec.storage.workspace.size: 1Ti is more than 200Gi"},
      {{{"storage", {{"workspace", {{"storageClassName", "premium"}}}}}}, "spec.storage.workspace.storageClassName: \"premium\""},
      {{{"ssh", {{"enabled", true}, {"serviceType", "LoadBalancer"}, {"authorizedKeys", {testing::kEd25519Key}}}}},
       "spec.ssh.serviceType: \"LoadBalancer\" is not allowed"},
      {{{"jupyter", {{"auth", "none"}}}, {"ingress", {{"enabled", true}, {"authProxy", true}}}}, "spec.jupyter.auth: \"none\" is not allowed"},
      {{{"ingress", {{"enabled", true}, {"host", "login.example.com"}}}}, "spec.ingress.host: \"login.example.com\" is not the host"},
      {{{"ingress", {{"enabled", true}, {"annotations", {{"nginx.ingress.kubernetes.io/configuration-snippet", "x"}}}}}},
       "spec.ingress.annotations: nginx.ingress.kubernetes.io/configuration-snippet not allowed"},
      {{{"ingress", {{"enabled", true}, {"className", "public"}}}}, "spec.ingress.className: \"public\" is not the IngressClass"},
      {{{"ingress", {{"enabled", true}, {"tlsSecretName", "bank"}}}}, "spec.ingress.tlsSecretName: \"bank\""},
      {{{"tolerations", Json::array({{{"operator", "Exists"}}})}}, "spec.tolerations: TFWorkspaceClass shared-gpu allows tolerations only"},
      {{{"nodeSelector", {{"kubernetes.io/hostname", "n1"}}}}, "spec.nodeSelector: kubernetes.io/hostname not allowed"},
      {{{"affinity", {{"nodeAffinity", Json::object()}}}}, "spec.affinity: not allowed"},
      {{{"priorityClassName", "system-node-critical"}}, "spec.priorityClassName: \"system-node-critical\" is not allowed"},
      {{{"culling", {{"idleTimeoutMinutes", 0}}}}, "spec.culling.idleTimeoutMinutes: 0 is not allowed by TFWorkspaceClass shared-gpu; set 1 to 1440"},
  };
  for (const auto& [spec, message] : cases) {
    EXPECT_THAT(Refusal(spec, classes), HasSubstr("ClassViolation: " + message)) << spec.dump();
  }
  EXPECT_THAT(Refusal({{"ssh", {{"enabled", true}, {"authorizedKeys", {testing::kEd25519Key}}}}},
                      {Class("no-ssh", Json::object(), true)}),
              HasSubstr("spec.ssh.enabled: TFWorkspaceClass no-ssh does not allow SSH"));
  EXPECT_THAT(Refusal({{"ingress", {{"enabled", true}, {"authProxy", true}}}}, {Class("no-proxy", Json::object(), true)}),
              HasSubstr("spec.ingress.authProxy: TFWorkspaceClass no-proxy puts no auth proxy"));
}

TEST(WorkspaceClass, EveryExampleFitsTheExampleClass) {
  for (const auto& entry : std::filesystem::directory_iterator(TFWS_SOURCE_DIR "/examples")) {
    if (entry.path().extension() != ".yaml") continue;
    Json object = ReadManifestFile(entry.path().string()).at(0);
    object["metadata"]["namespace"] = "team-a";
    EXPECT_NO_THROW(ResolveClass(ParseWorkspace(object), {ExampleClass()})) << entry.path();
  }
}

TEST(WorkspaceClass, TheClassShowsInTheRenderedPod) {
  const Workspace ws = ResolveClass(Parse(Json::object()), {ExampleClass()});
  const Json pod = *RenderPod(ws, DefaultOperatorConfig());
  const Json& container = pod["spec"]["containers"][0];
  EXPECT_EQ(container["resources"]["limits"]["memory"], "32Gi");
  EXPECT_EQ(container["resources"]["requests"]["cpu"], "2");
  for (const Json& volume : pod["spec"]["volumes"]) {
    if (volume["name"] == "home" || volume["name"] == "tmp") {
      EXPECT_EQ(volume["emptyDir"]["sizeLimit"], "10Gi") << volume;
    }
  }
}

TEST(Quantity, ValuesCompareAcrossSuffixes) {
  EXPECT_DOUBLE_EQ(static_cast<double>(*QuantityValue("500m")), 0.5);
  EXPECT_DOUBLE_EQ(static_cast<double>(*QuantityValue("16Gi")), 17179869184.0);
  EXPECT_DOUBLE_EQ(static_cast<double>(*QuantityValue("2k")), 2000.0);
  EXPECT_DOUBLE_EQ(static_cast<double>(*QuantityValue("1e3")), 1000.0);
  EXPECT_GT(*QuantityValue("1Ti"), *QuantityValue("200Gi"));
  EXPECT_FALSE(QuantityValue("lots"));
}

}  // namespace
}  // namespace tfws::workspace
