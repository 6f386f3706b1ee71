#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "unit/workspace/workspace_fixture.h"
#include "workspace/effective_settings.h"
#include "workspace/render.h"

namespace tfws::workspace {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using testing::kEd25519Key;
using testing::ParseSpec;

const OperatorConfig kConfig = DefaultOperatorConfig();

Json SshSpec(const std::string& service_type = "ClusterIP") {
  return {{"image", "tfws/tf29-workspace:0.1.0"},
          {"ssh", {{"enabled", true}, {"authorizedKeys", {kEd25519Key}}, {"serviceType", service_type}}}};
}

TEST(RenderAll, EveryObjectHasMetadataLabelsAndASpecHash) {
  RenderedObjects out = RenderAll(ParseSpec(SshSpec()), kConfig);
  for (const Json* object : out.InApplyOrder()) {
    const Json& meta = (*object)["metadata"];
    EXPECT_EQ(meta["namespace"], "team-a") << object->dump();
    EXPECT_EQ(meta["labels"]["tfws.io/workspace"], "alice");
    EXPECT_EQ(meta["annotations"]["tfws.io/spec-hash"].get<std::string>().size(), 16u);
    EXPECT_TRUE(object->contains("apiVersion"));
  }
}

TEST(RenderAll, StoppedWorkspaceKeepsSecretStorageAndServiceButNoPod) {
  RenderedObjects out = RenderAll(ParseSpec({{"stopped", true}}), kConfig);
  EXPECT_FALSE(out.pod);
  EXPECT_TRUE(out.token_secret);
  EXPECT_TRUE(out.workspace_pvc);
  EXPECT_EQ(out.service["kind"], "Service");
}

TEST(RenderTokenSecret, HasNoDataSoTheReconcilerOwnsTheRandomToken) {
  std::optional<Json> secret = RenderTokenSecret(ParseSpec({}), kConfig);
  ASSERT_TRUE(secret);
  EXPECT_EQ((*secret)["metadata"]["name"], "alice-token");
  EXPECT_FALSE(secret->contains("data"));
  EXPECT_FALSE(secret->contains("stringData"));
  EXPECT_EQ((*secret)["metadata"]["ownerReferences"][0]["controller"], true);
}

TEST(RenderTokenSecret, AbsentWithAUserSecretOrAuthNone) {
  EXPECT_FALSE(RenderTokenSecret(ParseSpec({{"jupyter", {{"tokenSecretRef", {{"name", "mine"}}}}}}), kConfig));
  EXPECT_FALSE(RenderTokenSecret(
      ParseSpec({{"jupyter", {{"auth", "none"}}}, {"ingress", {{"enabled", true}, {"authProxy", true}}}}), kConfig));
}

TEST(RenderWorkspacePvc, RetainedClaimHasNoOwnerSoDeletionKeepsIt) {
  std::optional<Json> pvc = RenderWorkspacePvc(ParseSpec({}), kConfig);
  ASSERT_TRUE(pvc);
  EXPECT_EQ((*pvc)["metadata"]["name"], "alice-home");
  EXPECT_FALSE((*pvc)["metadata"].contains("ownerReferences"));
  EXPECT_EQ((*pvc)["spec"]["resources"]["requests"]["storage"], "10Gi");
  EXPECT_FALSE((*pvc)["spec"].contains("storageClassName"));
}

TEST(RenderWorkspacePvc, DeletePolicyMakesTheWorkspaceItsOwner) {
  std::optional<Json> pvc =
      RenderWorkspacePvc(ParseSpec({{"storage", {{"reclaimPolicy", "Delete"}, {"workspace", {{"storageClassName", "fast"}}}}}}), kConfig);
  ASSERT_TRUE(pvc);
  EXPECT_EQ((*pvc)["metadata"]["ownerReferences"][0]["kind"], "TFWorkspace");
  EXPECT_EQ((*pvc)["spec"]["storageClassName"], "fast");
}

TEST(RenderWorkspacePvc, AbsentWithAnExistingClaim) {
  Workspace ws = ParseSpec({{"storage", {{"workspace", {{"existingClaim", "home"}}}}}});
  EXPECT_FALSE(RenderWorkspacePvc(ws, kConfig));
  EXPECT_THAT(RenderPod(ws, kConfig).value()["spec"]["volumes"],
              Contains(Json::parse(R"({"name":"workspace","persistentVolumeClaim":{"claimName":"home"}})")));
}

TEST(RenderSshKeysSecret, HoldsTheInlineKeysAsAnAuthorizedKeysFile) {
  std::optional<Json> secret = RenderSshKeysSecret(ParseSpec(SshSpec()), kConfig);
  ASSERT_TRUE(secret);
  EXPECT_EQ((*secret)["metadata"]["name"], "alice-ssh");
  // base64 of the key line plus a newline.
  EXPECT_EQ((*secret)["data"]["authorized_keys"].get<std::string>().substr(0, 16), "c3NoLWVkMjU1MTkg");
}

TEST(RenderService, ClusterIpWithSshPortOnlyWhenSshIsOn) {
  Json plain = RenderService(ParseSpec({}), kConfig);
  EXPECT_EQ(plain["spec"]["type"], "ClusterIP");
  EXPECT_EQ(plain["spec"]["selector"], Json::parse(R"({"tfws.io/workspace":"alice"})"));
  EXPECT_EQ(plain["spec"]["ports"],
            Json::parse(R"([{"name":"http","port":8888,"targetPort":"http","protocol":"TCP"}])"));
  Json ssh = RenderService(ParseSpec(SshSpec()), kConfig);
  EXPECT_EQ(ssh["spec"]["ports"].size(), 2u);
  EXPECT_FALSE(RenderSshService(ParseSpec(SshSpec()), kConfig));
}

TEST(RenderSshService, NodePortSshGetsASecondService) {
  std::optional<Json> svc = RenderSshService(ParseSpec(SshSpec("NodePort")), kConfig);
  ASSERT_TRUE(svc);
  EXPECT_EQ((*svc)["metadata"]["name"], "alice-ssh");
  EXPECT_EQ((*svc)["spec"]["type"], "NodePort");
  EXPECT_EQ((*svc)["spec"]["ports"][0]["name"], "ssh");
}

TEST(RenderIngress, UsesSpecValuesOverConfigDefaults) {
  OperatorConfig config = DefaultOperatorConfig();
  config.ingress.host = "default.example.com";
  config.ingress.class_name = "nginx";
  config.ingress.tls_secret_name = "wildcard";
  std::optional<Json> ingress = RenderIngress(
      ParseSpec({{"ingress", {{"enabled", true}, {"host", "mine.example.com"}, {"annotations", {{"a", "b"}}}}}}), config);
  ASSERT_TRUE(ingress);
  const Json& spec = (*ingress)["spec"];
  EXPECT_EQ(spec["ingressClassName"], "nginx");
  EXPECT_EQ(spec["tls"], Json::parse(R"([{"secretName":"wildcard","hosts":["mine.example.com"]}])"));
  EXPECT_EQ(spec["rules"][0]["host"], "mine.example.com");
  EXPECT_EQ(spec["rules"][0]["http"]["paths"][0],
            Json::parse(R"({"path":"/tfws/team-a/alice/","pathType":"Prefix",
                            "backend":{"service":{"name":"alice","port":{"name":"http"}}}})"));
  EXPECT_EQ((*ingress)["metadata"]["annotations"]["a"], "b");
  EXPECT_FALSE(RenderIngress(ParseSpec({}), config));
}

TEST(RenderSshHostKeySecret, ExistsWithoutDataWhenSshIsOn) {
  const auto secret = RenderSshHostKeySecret(ParseSpec(SshSpec()), kConfig);
  ASSERT_TRUE(secret);
  EXPECT_EQ((*secret)["metadata"]["name"], "alice-ssh-host");
  EXPECT_FALSE(secret->contains("data")) << "the reconciler generates the key once, on create";
  EXPECT_FALSE(RenderSshHostKeySecret(ParseSpec({}), kConfig));
}

TEST(RenderNetworkPolicy, JupyterOnlyFromTheIngressControllerAndOperatorPods) {
  OperatorConfig config = DefaultOperatorConfig();
  config.operator_namespace = "tfws-system";
  config.operator_pod_labels = {{"app.kubernetes.io/name", "tfws-operator"}, {"app.kubernetes.io/instance", "tfws"}};
  Json policy = RenderNetworkPolicy(ParseSpec({}), config);
  const Json& spec = policy["spec"];
  EXPECT_EQ(spec["podSelector"]["matchLabels"]["tfws.io/workspace"], "alice");
  ASSERT_EQ(spec["ingress"].size(), 1u);
  // Each peer is ONE object with both selectors (namespace AND Pod labels), never a whole namespace.
  EXPECT_EQ(spec["ingress"][0]["from"], Json::parse(R"([
      {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}},
       "podSelector": {"matchLabels": {"app.kubernetes.io/component": "controller",
                                       "app.kubernetes.io/name": "ingress-nginx"}}},
      {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "tfws-system"}},
       "podSelector": {"matchLabels": {"app.kubernetes.io/instance": "tfws",
                                       "app.kubernetes.io/name": "tfws-operator"}}}])"));
  EXPECT_EQ(spec["ingress"][0]["ports"], Json::parse(R"([{"protocol":"TCP","port":8888}])"));
}

TEST(RenderNetworkPolicy, SshFromConfiguredCidrsElseTheNamespace) {
  Json same_ns = RenderNetworkPolicy(ParseSpec(SshSpec()), kConfig);
  EXPECT_EQ(same_ns["spec"]["ingress"][1]["from"], Json::parse(R"([{"podSelector":{}}])"));
  OperatorConfig config = DefaultOperatorConfig();
  config.ssh.allowed_cidrs = {"10.0.0.0/8"};
  Json cidr = RenderNetworkPolicy(ParseSpec(SshSpec()), config);
  EXPECT_EQ(cidr["spec"]["ingress"][1]["from"], Json::parse(R"([{"ipBlock":{"cidr":"10.0.0.0/8"}}])"));
  EXPECT_EQ(cidr["spec"]["ingress"][1]["ports"], Json::parse(R"([{"protocol":"TCP","port":2222}])"));
}

// Every egress rule names its destinations (a rule without `to` would admit the
// metadata address too) and every ipBlock excepts the metadata address of its family.
void ExpectMetadataDenied(const Json& policy) {
  EXPECT_EQ(policy["spec"]["policyTypes"], Json::array({"Ingress", "Egress"}));
  ASSERT_FALSE(policy["spec"]["egress"].empty());
  for (const Json& rule : policy["spec"]["egress"]) {
    ASSERT_TRUE(rule.contains("to")) << rule.dump();
    for (const Json& peer : rule["to"]) {
      if (!peer.contains("ipBlock")) continue;
      const std::string cidr = peer["ipBlock"]["cidr"];
      EXPECT_THAT(peer["ipBlock"]["except"], Contains(cidr.find(':') == std::string::npos ? kMetadataCidrV4 : kMetadataCidrV6))
          << peer.dump();
    }
  }
}

TEST(RenderNetworkPolicy, DevelopmentEgressIsOpenExceptTheMetadataAddresses) {
  Json policy = RenderNetworkPolicy(ParseSpec({}), kConfig);
  ExpectMetadataDenied(policy);
  EXPECT_EQ(policy["spec"]["egress"], Json::parse(R"([{"to": [
      {"namespaceSelector": {}},
      {"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}},
      {"ipBlock": {"cidr": "::/0", "except": ["fd00:ec2::254/128"]}}]}])"));
}

TEST(RenderNetworkPolicy, HardenedRestrictsEgressToDnsHttpsAndTheNamespace) {
  Json policy = RenderNetworkPolicy(ParseSpec({{"profile", "hardened"}}), kConfig);
  ExpectMetadataDenied(policy);
  const Json& egress = policy["spec"]["egress"];
  ASSERT_EQ(egress.size(), 3u);
  EXPECT_EQ(egress[0]["ports"], Json::parse(R"([{"protocol":"UDP","port":53},{"protocol":"TCP","port":53}])"));
  EXPECT_EQ(egress[1]["ports"], Json::parse(R"([{"protocol":"TCP","port":443}])"));
  EXPECT_EQ(egress[2], Json::parse(R"({"to":[{"podSelector":{}}]})"));
}

TEST(ResolveSettings, ExplainsWhySshIsOffForAnImageWithoutSsh) {
  EffectiveSettings s = ResolveSettings(ParseSpec({{"ssh", {{"enabled", true}, {"authorizedKeys", {kEd25519Key}}}}}), kConfig);
  EXPECT_FALSE(s.ssh_enabled);
  EXPECT_THAT(s.ssh_problem, HasSubstr("does not declare SSH support"));
  EXPECT_THAT(s.ssh_problem, HasSubstr("tfws/tf29-workspace"));
}

TEST(ResolveSettings, UrlIsTheIngressWhenEnabledElseTheInClusterService) {
  EXPECT_EQ(ResolveSettings(ParseSpec({}), kConfig).url, "http://alice.team-a.svc:8888/tfws/team-a/alice/");
  EXPECT_EQ(ResolveSettings(ParseSpec({{"ingress", {{"enabled", true}, {"host", "j.example.com"}, {"tlsSecretName", "t"}}}}), kConfig).url,
            "https://j.example.com/tfws/team-a/alice/");
}

}  // namespace
}  // namespace tfws::workspace
