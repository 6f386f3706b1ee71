#include "workspace/workspace_types.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "unit/workspace/workspace_fixture.h"

namespace tfws::workspace {
namespace {

using ::testing::HasSubstr;
using testing::kEd25519Key;
using testing::ParseError;
using testing::ParseSpec;

TEST(ParseWorkspace, AppliesEveryDefaultToAnEmptySpec) {
  Workspace ws = ParseWorkspace(testing::WorkspaceObject("alice", "team-a"));
  EXPECT_EQ(ws.name, "alice");
  EXPECT_EQ(ws.namespace_, "team-a");
  EXPECT_EQ(ws.uid, "uid-alice");
  EXPECT_EQ(ws.generation, 1);
  const WorkspaceSpec& s = ws.spec;
  EXPECT_EQ(s.image, "");  // the operator config decides
  EXPECT_EQ(s.image_pull_policy, "IfNotPresent");
  EXPECT_FALSE(s.stopped);
  EXPECT_EQ(s.gpu.count, 0);
  EXPECT_EQ(s.gpu.resource, "nvidia.com/gpu");
  EXPECT_FALSE(s.gpu.allow_incompatible);
  EXPECT_EQ(s.shm_size, "1Gi");
  EXPECT_EQ(s.storage.workspace.size, "10Gi");
  EXPECT_FALSE(s.storage.workspace.UsesExistingClaim());
  EXPECT_EQ(s.storage.reclaim_policy, ReclaimPolicy::kRetain);
  EXPECT_EQ(s.jupyter.auth, JupyterAuth::kToken);
  EXPECT_FALSE(s.ssh.enabled);
  EXPECT_EQ(s.ssh.service_type, "ClusterIP");
  EXPECT_FALSE(s.ingress.enabled);
  EXPECT_EQ(s.profile, Profile::kDevelopment);
  EXPECT_TRUE(s.node_selector.is_null());
  EXPECT_TRUE(s.affinity.is_null());
}

TEST(ParseWorkspace, ToleratesAMissingSpecAsOlderObjectsMayHave) {
  Json object = testing::WorkspaceObject();
  object.erase("spec");
  EXPECT_EQ(ParseWorkspace(object).spec.gpu.count, 0);
}

TEST(ParseWorkspace, ReadsEveryField) {
  Json spec = {
      {"image", "tfws/tf29-workspace:0.1.0"},
      {"imagePullPolicy", "Always"},
      {"stopped", true},
      {"restartedAt", "2026-01-31T12:00:00Z"},
      {"gpu", {{"count", 2}, {"product", "NVIDIA-A100-SXM4-40GB"}, {"allowIncompatibleGPUs", true}}},
      {"resources", {{"requests", {{"cpu", 4}, {"memory", "16Gi"}}}, {"limits", {{"cpu", "8"}}}}},
      {"shmSize", "8Gi"},
      {"storage",
       {{"workspace", {{"size", "50Gi"}, {"storageClassName", "fast"}}},
        {"reclaimPolicy", "Delete"},
        {"datasets", {{{"name", "imagenet"}, {"claimName", "imagenet-pvc"}},
                      {{"name", "coco"}, {"claimName", "coco"}, {"mountPath", "/datasets/coco/"}}}}}},
      {"jupyter", {{"tokenSecretRef", {{"name", "my-token"}}}}},
      {"ssh", {{"enabled", true}, {"authorizedKeys", {kEd25519Key}}, {"serviceType", "NodePort"}}},
      {"ingress",
       {{"enabled", true}, {"host", "j.example.com"}, {"path", "/x/"}, {"annotations", {{"a", "b"}}}}},
      {"nodeSelector", {{"zone", "a"}}},
      {"tolerations", {{{"key", "k"}, {"operator", "Exists"}}}},
      {"priorityClassName", "high"},
      {"env", {{{"name", "A"}, {"value", "1"}}}},
      {"owner", "alice"},
      {"team", "vision"},
  };
  const WorkspaceSpec s = ParseSpec(spec).spec;
  EXPECT_EQ(s.image, "tfws/tf29-workspace:0.1.0");
  EXPECT_EQ(s.image_pull_policy, "Always");
  EXPECT_TRUE(s.stopped);
  EXPECT_EQ(s.restarted_at, "2026-01-31T12:00:00Z");
  EXPECT_EQ(s.gpu.count, 2);
  EXPECT_EQ(s.gpu.product, "NVIDIA-A100-SXM4-40GB");
  EXPECT_TRUE(s.gpu.allow_incompatible);
  EXPECT_EQ(s.resources.requests.cpu, "4");  // integers become quantity text
  EXPECT_EQ(s.resources.requests.memory, "16Gi");
  EXPECT_EQ(s.resources.limits.cpu, "8");
  EXPECT_EQ(s.shm_size, "8Gi");
  EXPECT_EQ(s.storage.workspace.size, "50Gi");
  EXPECT_EQ(s.storage.workspace.storage_class_name, "fast");
  EXPECT_EQ(s.storage.reclaim_policy, ReclaimPolicy::kDelete);
  ASSERT_EQ(s.storage.datasets.size(), 2u);
  EXPECT_EQ(s.storage.datasets[0].mount_path, "/data/imagenet");
  EXPECT_EQ(s.storage.datasets[1].mount_path, "/datasets/coco");
  ASSERT_TRUE(s.jupyter.token_secret_ref);
  EXPECT_EQ(s.jupyter.token_secret_ref->key, "token");
  EXPECT_TRUE(s.ssh.enabled);
  EXPECT_EQ(s.ssh.service_type, "NodePort");
  EXPECT_EQ(s.ingress.path, "/x/");
  EXPECT_EQ(s.ingress.annotations.at("a"), "b");
  EXPECT_EQ(s.node_selector["zone"], "a");
  EXPECT_EQ(s.tolerations.size(), 1u);
  EXPECT_EQ(s.priority_class_name, "high");
  ASSERT_EQ(s.env.size(), 1u);
  EXPECT_EQ(s.owner, "alice");
  EXPECT_EQ(s.team, "vision");
}

TEST(ParseWorkspace, OwnerAndTeamFallBackToLabels) {
  Json object = testing::WorkspaceObject();
  object["metadata"]["labels"] = {{"tfws.io/owner", "bob"}, {"tfws.io/team", "nlp"}};
  Workspace ws = ParseWorkspace(object);
  EXPECT_EQ(ws.Owner(), "bob");
  EXPECT_EQ(ws.Team(), "nlp");
  object["spec"]["owner"] = "carol";
  EXPECT_EQ(ParseWorkspace(object).Owner(), "carol");
}

TEST(ParseWorkspace, RejectsGpuCountOutOfRangeNamingTheField) {
  EXPECT_EQ(ParseError({{"gpu", {{"count", -1}}}}), "spec.gpu.count: Invalid value: -1: must be between 0 and 16");
  EXPECT_THAT(ParseError({{"gpu", {{"count", 17}}}}), HasSubstr("spec.gpu.count: Invalid value: 17"));
}

TEST(ParseWorkspace, AcceptsOneToSevenMigSlicesOnly) {
  EXPECT_EQ(ParseError({{"gpu", {{"count", 7}, {"resource", "nvidia.com/mig-1g.10gb"}}}}), "");
  EXPECT_THAT(ParseError({{"gpu", {{"count", 8}, {"resource", "nvidia.com/mig-1g.10gb"}}}}),
              HasSubstr("must be between 1 and 7 for a MIG resource"));
  EXPECT_THAT(ParseError({{"gpu", {{"count", 0}, {"resource", "nvidia.com/mig-3g.40gb"}}}}),
              HasSubstr("spec.gpu.count"));
}

TEST(ParseWorkspace, RejectsUnknownGpuResources) {
  EXPECT_THAT(ParseError({{"gpu", {{"count", 1}, {"resource", "amd.com/gpu"}}}}),
              HasSubstr("spec.gpu.resource: Invalid value: \"amd.com/gpu\""));
  EXPECT_THAT(ParseError({{"gpu", {{"count", 1}, {"resource", "nvidia.com/mig-9g.10gb"}}}}),
              HasSubstr("spec.gpu.resource"));
  EXPECT_EQ(ParseError({{"gpu", {{"count", 1}, {"resource", "nvidia.com/gpu.shared"}}}}), "");
}

TEST(ParseWorkspace, RejectsWrongJsonTypesWithTheFieldPath) {
  EXPECT_EQ(ParseError({{"gpu", {{"count", "two"}}}}),
            "spec.gpu.count: Invalid value: \"string\": must be of type integer");
  EXPECT_THAT(ParseError({{"stopped", "yes"}}), HasSubstr("spec.stopped"));
  EXPECT_THAT(ParseError({{"ssh", "on"}}), HasSubstr("spec.ssh: Invalid value: \"string\": must be of type object"));
}

TEST(ParseWorkspace, RejectsMalformedQuantities) {
  EXPECT_THAT(ParseError({{"resources", {{"requests", {{"cpu", "two"}}}}}}),
              HasSubstr("spec.resources.requests.cpu: Invalid value: \"two\""));
  EXPECT_THAT(ParseError({{"shmSize", "1GB"}}), HasSubstr("spec.shmSize"));
}

TEST(ParseWorkspace, RejectsNamesWhoseChildNamesWouldNotFit) {
  EXPECT_THAT(ParseError({}, std::string(60, 'a')), HasSubstr("metadata.name"));
  EXPECT_EQ(ParseError({}, std::string(59, 'a')), "");
  EXPECT_THAT(ParseError({}, "1st"), HasSubstr("must start with a lower-case letter"));
}

TEST(ParseWorkspace, RejectsDatasetsOverOperatorMounts) {
  auto with_mount = [](const std::string& path) {
    return Json{{"storage", {{"datasets", {{{"name", "d"}, {"claimName", "c"}, {"mountPath", path}}}}}}};
  };
  EXPECT_THAT(ParseError(with_mount("/tf")), HasSubstr("spec.storage.datasets[0].mountPath"));
  EXPECT_THAT(ParseError(with_mount("/tf/data")), HasSubstr("must not be /tf"));
  EXPECT_THAT(ParseError(with_mount("/dev/shm")), HasSubstr("mountPath"));
  EXPECT_THAT(ParseError(with_mount("/")), HasSubstr("mountPath"));
  EXPECT_THAT(ParseError(with_mount("data")), HasSubstr("must be an absolute path"));
  EXPECT_EQ(ParseError(with_mount("/tfdata")), "");
}

TEST(ParseWorkspace, RejectsDuplicateDatasetNames) {
  Json spec = {{"storage", {{"datasets", {{{"name", "d"}, {"claimName", "a"}}, {{"name", "d"}, {"claimName", "b"}}}}}}};
  EXPECT_EQ(ParseError(spec), "spec.storage.datasets[1].name: Duplicate value: \"d\"");
}

TEST(ParseWorkspace, RejectsExistingClaimTogetherWithANewClaimSize) {
  EXPECT_THAT(ParseError({{"storage", {{"workspace", {{"existingClaim", "home"}, {"size", "1Gi"}}}}}}),
              HasSubstr("spec.storage.workspace.size: Forbidden: set either existingClaim or size"));
  Workspace ws = ParseSpec({{"storage", {{"workspace", {{"existingClaim", "home"}}}}}});
  EXPECT_TRUE(ws.spec.storage.workspace.UsesExistingClaim());
}

TEST(ParseWorkspace, RejectsKeysThatAreNotOpenSshPublicKeys) {
  EXPECT_THAT(ParseError({{"ssh", {{"enabled", true}, {"authorizedKeys", {"hello"}}}}}),
              HasSubstr("spec.ssh.authorizedKeys[0]: Invalid value: \"hello\": must be an OpenSSH public key"));
}

TEST(ParseWorkspace, RequiresKeysWhenSshIsOn) {
  EXPECT_THAT(ParseError({{"ssh", {{"enabled", true}}}}), HasSubstr("spec.ssh.authorizedKeys: Required value"));
}

TEST(ParseWorkspace, RejectsIngressPathsWithoutSlashes) {
  EXPECT_THAT(ParseError({{"ingress", {{"enabled", true}, {"path", "tfws/a/"}}}}),
              HasSubstr("spec.ingress.path: Invalid value: \"tfws/a/\": must start and end with '/'"));
  EXPECT_THAT(ParseError({{"ingress", {{"path", "/tfws/a"}}}}), HasSubstr("spec.ingress.path"));
}

TEST(ParseWorkspace, AllowsAuthNoneOnlyBehindAnAuthProxy) {
  EXPECT_THAT(ParseError({{"jupyter", {{"auth", "none"}}}}), HasSubstr("spec.jupyter.auth: Forbidden"));
  EXPECT_EQ(ParseError({{"jupyter", {{"auth", "none"}}}, {"ingress", {{"enabled", true}, {"authProxy", true}}}}), "");
}

TEST(ParseWorkspace, HardenedProfileForbidsSshAuthNoneAndUnproxiedIngress) {
  EXPECT_THAT(ParseError({{"profile", "hardened"}, {"ssh", {{"enabled", true}, {"authorizedKeys", {kEd25519Key}}}}}),
              HasSubstr("spec.ssh.enabled: Forbidden"));
  EXPECT_THAT(ParseError({{"profile", "hardened"},
                          {"jupyter", {{"auth", "none"}}},
                          {"ingress", {{"enabled", true}, {"authProxy", true}}}}),
              HasSubstr("spec.jupyter.auth: Forbidden"));
  EXPECT_THAT(ParseError({{"profile", "hardened"}, {"ingress", {{"enabled", true}}}}),
              HasSubstr("spec.ingress.authProxy: Forbidden"));
  EXPECT_EQ(ParseError({{"profile", "hardened"}, {"ingress", {{"enabled", true}, {"authProxy", true}}}}), "");
}

TEST(ParseWorkspace, ForbidsOverridingOperatorEnvironment) {
  EXPECT_THAT(ParseError({{"env", {{{"name", "JUPYTER_TOKEN"}, {"value", "x"}}}}}),
              HasSubstr("spec.env[0].name: Forbidden: JUPYTER_TOKEN is set by the operator"));
  EXPECT_THAT(ParseError({{"env", {{{"name", "TFWS_BASE_URL"}, {"value", "x"}}}}}), HasSubstr("TFWS_*"));
  EXPECT_THAT(ParseError({{"env", {{{"name", "MY-VAR"}}}}}), HasSubstr("spec.env[0].name: Invalid value"));
}

TEST(ParseWorkspace, RefusesEnvValuesWithLineBreaks) {
  EXPECT_THAT(ParseError({{"env", {{{"name", "A"}, {"value", "one\ntwo"}}}}}),
              HasSubstr("spec.env[0].value: Invalid value: \"one\\ntwo\": must not contain a line break"));
  EXPECT_THAT(ParseError({{"env", {{{"name", "A"}, {"value", "ok"}}, {{"name", "B"}, {"value", "x\rPermitRootLogin yes"}}}}}),
              HasSubstr("spec.env[1].value: Invalid value"));
  EXPECT_EQ(ParseError({{"env", {{{"name", "A"}, {"value", "tabs\tand spaces are fine"}}}}}), "");
}

TEST(ParseWorkspace, RejectsOwnerAndTeamThatAreNotLabelValues) {
  EXPECT_THAT(ParseError({{"owner", "alice smith"}}), HasSubstr("spec.owner: Invalid value: \"alice smith\""));
  EXPECT_THAT(ParseError({{"team", "-vision"}}), HasSubstr("spec.team"));
}

TEST(ParseWorkspace, RejectsRestartedAtThatIsNotADate) {
  EXPECT_THAT(ParseError({{"restartedAt", "yesterday"}}), HasSubstr("spec.restartedAt: Invalid value: \"yesterday\""));
}

TEST(ParseWorkspace, RejectsUnsupportedEnumValuesListingTheSupportedOnes) {
  EXPECT_EQ(ParseError({{"imagePullPolicy", "Sometimes"}}),
            "spec.imagePullPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", "
            "\"Never\"");
}

}  // namespace
}  // namespace tfws::workspace
