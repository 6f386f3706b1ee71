#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "unit/workspace/workspace_fixture.h"
#include "workspace/render.h"

namespace tfws::workspace {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using testing::ParseSpec;

Json Pod(const Json& spec, const OperatorConfig& config = DefaultOperatorConfig()) {
  std::optional<Json> pod = RenderPod(ParseSpec(spec), config);
  if (!pod) throw std::runtime_error("no pod rendered");
  return *pod;
}

const Json& Container(const Json& pod) { return pod["spec"]["containers"][0]; }

std::optional<Json> Env(const Json& pod, const std::string& name) {
  for (const Json& e : Container(pod)["env"]) {
    if (e["name"] == name) return e;
  }
  return std::nullopt;
}

TEST(RenderPod, StoppedWorkspaceHasNoPod) {
  EXPECT_FALSE(RenderPod(ParseSpec({{"stopped", true}}), DefaultOperatorConfig()));
}

TEST(RenderPod, PassesPodSecurityRestricted) {
  OperatorConfig config = DefaultOperatorConfig();
  config.run_as_user = 1234;
  config.run_as_group = 5678;
  Json pod = Pod({{"gpu", {{"count", 1}}}}, config);
  const Json& psc = pod["spec"]["securityContext"];
  EXPECT_EQ(psc["runAsNonRoot"], true);
  EXPECT_EQ(psc["runAsUser"], 1234);
  EXPECT_EQ(psc["runAsGroup"], 5678);
  EXPECT_EQ(psc["fsGroup"], 5678);
  EXPECT_EQ(psc["fsGroupChangePolicy"], "OnRootMismatch");
  EXPECT_EQ(psc["seccompProfile"]["type"], "RuntimeDefault");
  const Json& csc = Container(pod)["securityContext"];
  EXPECT_EQ(csc["allowPrivilegeEscalation"], false);
  EXPECT_EQ(csc["capabilities"]["drop"], Json::array({"ALL"}));
  EXPECT_FALSE(csc["capabilities"].contains("add"));
  EXPECT_EQ(pod["spec"]["automountServiceAccountToken"], false);
  EXPECT_EQ(pod["spec"]["enableServiceLinks"], false);
  for (const Json& v : pod["spec"]["volumes"]) {
    EXPECT_TRUE(v.contains("persistentVolumeClaim") || v.contains("emptyDir") || v.contains("secret")) << v.dump();
  }
}

TEST(RenderPod, StartsTheOfficialImageWithTheFullJupyterCommandLine) {
  Json pod = Pod({});
  EXPECT_EQ(Container(pod)["image"], "tensorflow/tensorflow:2.9.0-gpu-jupyter");
  EXPECT_EQ(Container(pod)["command"],
            Json::array({"jupyter", "notebook", "--notebook-dir=/tf", "--ip=0.0.0.0", "--port=8888",
                         "--port-retries=0", "--no-browser", "--NotebookApp.base_url=/tfws/team-a/alice/",
                         "--NotebookApp.allow_remote_access=True", "--NotebookApp.trust_xheaders=True",
                         "--NotebookApp.allow_password_change=False"}));
  EXPECT_EQ(Env(pod, "JUPYTER_TOKEN").value()["valueFrom"]["secretKeyRef"],
            Json::parse(R"({"name":"alice-token","key":"token"})"));
  EXPECT_EQ(Env(pod, "TFWS_BASE_URL").value()["value"], "/tfws/team-a/alice/");
  EXPECT_EQ(Env(pod, "HOME").value()["value"], "/home/tfws");
}

TEST(RenderPod, ProjectImageUsesItsEntrypointAndGetsSsh) {
  Json pod = Pod({{"image", "tfws/tf29-workspace:0.1.0"},
                  {"ssh", {{"enabled", true}, {"authorizedKeys", {testing::kEd25519Key}}}}});
  EXPECT_FALSE(Container(pod).contains("command"));
  EXPECT_EQ(Env(pod, "TFWS_SSH_ENABLED").value()["value"], "true");
  EXPECT_THAT(Container(pod)["ports"], Contains(Json::parse(R"({"name":"ssh","containerPort":2222,"protocol":"TCP"})")));
  EXPECT_THAT(Container(pod)["volumeMounts"],
              Contains(Json::parse(R"({"name":"ssh-keys","mountPath":"/etc/tfws/ssh","readOnly":true})")));
  EXPECT_THAT(Container(pod)["volumeMounts"],
              Contains(Json::parse(R"({"name":"ssh-host-key","mountPath":"/etc/tfws/ssh-host","readOnly":true})")));
  EXPECT_THAT(pod["spec"]["volumes"],
              Contains(Json::parse(R"({"name":"ssh-host-key","secret":{"secretName":"alice-ssh-host","defaultMode":288}})")));
  EXPECT_EQ(Container(pod)["securityContext"]["readOnlyRootFilesystem"], false) << "SSH sessions are general shells";
}

TEST(RenderPod, RootFilesystemIsReadOnlyWithoutSsh) {
  EXPECT_EQ(Container(Pod({}))["securityContext"]["readOnlyRootFilesystem"], true);
  EXPECT_EQ(Container(Pod({{"image", "tfws/tf29-workspace:0.1.0"}}))["securityContext"]["readOnlyRootFilesystem"], true);
  // What must stay writable has a volume: HOME (caches under ~/.cache), /tmp, the notebook dir, /dev/shm.
  const Json pod = Pod({});
  std::vector<std::string> mounted;
  for (const Json& m : Container(pod)["volumeMounts"]) mounted.push_back(m["mountPath"]);
  for (const char* path : {"/home/tfws", "/tmp", "/tf", "/dev/shm"}) EXPECT_THAT(mounted, Contains(path));
}

TEST(RenderPod, SshStaysOffForAnImageWithoutSshSupport) {
  Json pod = Pod({{"ssh", {{"enabled", true}, {"authorizedKeys", {testing::kEd25519Key}}}}});
  EXPECT_EQ(Env(pod, "TFWS_SSH_ENABLED").value()["value"], "false");
  EXPECT_EQ(Container(pod)["ports"].size(), 1u);
}

TEST(RenderPod, AuthNoneTurnsTheTokenOffExplicitly) {
  Json pod = Pod({{"jupyter", {{"auth", "none"}}}, {"ingress", {{"enabled", true}, {"authProxy", true}}}});
  EXPECT_FALSE(Env(pod, "JUPYTER_TOKEN"));
  EXPECT_EQ(Container(pod)["command"].back(), "--NotebookApp.token=");
}

TEST(RenderPod, GpuLimitsEqualRequestsWithTheGpuToleration) {
  Json pod = Pod({{"gpu", {{"count", 2}}}, {"resources", {{"limits", {{"memory", "32Gi"}}}}}});
  const Json& res = Container(pod)["resources"];
  EXPECT_EQ(res["limits"]["nvidia.com/gpu"], "2");
  EXPECT_EQ(res["requests"]["nvidia.com/gpu"], "2");
  EXPECT_EQ(res["limits"]["memory"], "32Gi");
  EXPECT_EQ(pod["spec"]["tolerations"],
            Json::parse(R"([{"key":"nvidia.com/gpu","operator":"Exists","effect":"NoSchedule"}])"));
  EXPECT_FALSE(Env(pod, "NVIDIA_VISIBLE_DEVICES"));
}

TEST(RenderPod, MigSliceToleratesBothTheMigAndTheGpuTaint) {
  Json pod = Pod({{"gpu", {{"count", 1}, {"resource", "nvidia.com/mig-1g.10gb"}}}});
  EXPECT_EQ(Container(pod)["resources"]["limits"]["nvidia.com/mig-1g.10gb"], "1");
  EXPECT_EQ(pod["spec"]["tolerations"], Json::parse(R"([
    {"key":"nvidia.com/mig-1g.10gb","operator":"Exists","effect":"NoSchedule"},
    {"key":"nvidia.com/gpu","operator":"Exists","effect":"NoSchedule"}])"));
}

TEST(RenderPod, CpuOnlyHidesGpusAndDoesNotTolerateTheGpuTaint) {
  Json pod = Pod({});
  EXPECT_EQ(Env(pod, "NVIDIA_VISIBLE_DEVICES").value()["value"], "void");
  EXPECT_FALSE(pod["spec"].contains("tolerations"));
  EXPECT_FALSE(pod["spec"].contains("affinity"));
}

TEST(RenderPod, GuardAndProductAreAndedIntoEveryUserNodeTerm) {
  Json affinity = Json::parse(R"({"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[
    {"matchExpressions":[{"key":"zone","operator":"In","values":["a"]}]},
    {"matchExpressions":[{"key":"zone","operator":"In","values":["b"]}]}]}}})");
  Json pod = Pod({{"gpu", {{"count", 1}, {"product", "NVIDIA-A100-SXM4-40GB"}}}, {"affinity", affinity}});
  const Json& terms =
      pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"];
  ASSERT_EQ(terms.size(), 2u);
  for (const Json& term : terms) {
    ASSERT_EQ(term["matchExpressions"].size(), 3u);
    EXPECT_EQ(term["matchExpressions"][1]["key"], "nvidia.com/gpu.product");
    EXPECT_EQ(term["matchExpressions"][2],
              Json::parse(R"({"key":"nvidia.com/gpu.compute.major","operator":"Lt","values":["9"]})"));
  }
}

TEST(RenderPod, OverrideRemovesTheComputeCapabilityGuard) {
  Json pod = Pod({{"gpu", {{"count", 1}, {"allowIncompatibleGPUs", true}}}});
  EXPECT_FALSE(pod["spec"].contains("affinity"));
}

TEST(RenderPod, MountsWorkspaceReadWriteAndDatasetsReadOnly) {
  Json pod = Pod({{"shmSize", "8Gi"},
                  {"storage", {{"datasets", {{{"name", "imagenet"}, {"claimName", "imagenet-pvc"}}}}}}});
  const Json& mounts = Container(pod)["volumeMounts"];
  EXPECT_THAT(mounts, Contains(Json::parse(R"({"name":"workspace","mountPath":"/tf"})")));
  EXPECT_THAT(mounts, Contains(Json::parse(R"({"name":"dataset-imagenet","mountPath":"/data/imagenet","readOnly":true})")));
  EXPECT_THAT(mounts, Contains(Json::parse(R"({"name":"tmp","mountPath":"/tmp"})")));
  const Json& volumes = pod["spec"]["volumes"];
  EXPECT_THAT(volumes, Contains(Json::parse(R"({"name":"workspace","persistentVolumeClaim":{"claimName":"alice-home"}})")));
  EXPECT_THAT(volumes, Contains(Json::parse(
                           R"({"name":"dataset-imagenet","persistentVolumeClaim":{"claimName":"imagenet-pvc","readOnly":true}})")));
  EXPECT_THAT(volumes, Contains(Json::parse(R"({"name":"shm","emptyDir":{"medium":"Memory","sizeLimit":"8Gi"}})")));
}

TEST(RenderPod, ProbesHitTheUnauthenticatedApiUnderTheBaseUrl) {
  Json pod = Pod({{"ingress", {{"path", "/custom/"}}}});
  EXPECT_EQ(Container(pod)["readinessProbe"]["httpGet"]["path"], "/custom/api");
  EXPECT_EQ(Container(pod)["livenessProbe"]["httpGet"]["path"], "/custom/api");
  EXPECT_GE(Container(pod)["livenessProbe"]["failureThreshold"].get<int>() *
                Container(pod)["livenessProbe"]["periodSeconds"].get<int>(),
            300);
}

TEST(RenderPod, RestartRequestChangesTheSpecHash) {
  Json before = Pod({});
  Json after = Pod({{"restartedAt", "2026-01-31T12:00:00Z"}});
  EXPECT_EQ(after["metadata"]["annotations"]["tfws.io/restarted-at"], "2026-01-31T12:00:00Z");
  EXPECT_NE(before["metadata"]["annotations"]["tfws.io/spec-hash"], after["metadata"]["annotations"]["tfws.io/spec-hash"]);
}

TEST(RenderPod, PassesSchedulingAndEnvThrough) {
  Json pod = Pod({{"nodeSelector", {{"zone", "a"}}},
                  {"tolerations", {{{"key", "spot"}, {"operator", "Exists"}}}},
                  {"priorityClassName", "high"},
                  {"env", {{{"name", "A"}, {"value", "1"}}}},
                  {"owner", "alice"}});
  EXPECT_EQ(pod["spec"]["nodeSelector"]["zone"], "a");
  EXPECT_EQ(pod["spec"]["tolerations"][0]["key"], "spot");
  EXPECT_EQ(pod["spec"]["priorityClassName"], "high");
  EXPECT_EQ(Env(pod, "A").value()["value"], "1");
  EXPECT_EQ(pod["metadata"]["labels"]["tfws.io/owner"], "alice");
}

}  // namespace
}  // namespace tfws::workspace
