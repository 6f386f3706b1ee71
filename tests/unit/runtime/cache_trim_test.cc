#include "runtime/cache_trim.h"

#include <gtest/gtest.h>

namespace tfws::runtime {
namespace {

using kube::Json;

Json ServerPod() {
  return Json::parse(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {
      "name": "ws", "namespace": "team-a", "uid": "u1", "resourceVersion": "42",
      "labels": {"tfws.io/workspace": "ws"},
      "annotations": {"tfws.io/spec-hash": "abc",
                      "kubectl.kubernetes.io/last-applied-configuration": "{...}"},
      "ownerReferences": [{"apiVersion": "tfws.io/v1alpha1", "kind": "TFWorkspace", "name": "ws",
                           "uid": "o1", "controller": true}],
      "managedFields": [{"manager": "tfws-operator", "operation": "Apply", "fieldsV1": {"f:spec": {}}}]
    },
    "spec": {
      "nodeName": "gpu-a100-0",
      "securityContext": {"runAsUser": 1000},
      "containers": [{"name": "workspace", "image": "tensorflow/tensorflow:2.9.0-gpu-jupyter",
                      "command": ["jupyter"], "env": [{"name": "JUPYTER_TOKEN"}],
                      "resources": {"limits": {"nvidia.com/gpu": "1"}},
                      "ports": [{"name": "http", "containerPort": 8888}]}],
      "volumes": [{"name": "home", "persistentVolumeClaim": {"claimName": "ws-home"}},
                  {"name": "shm", "emptyDir": {"medium": "Memory"}}]
    },
    "status": {"phase": "Running", "podIP": "10.0.0.5",
               "conditions": [{"type": "Ready", "status": "True"}],
               "containerStatuses": [{"name": "workspace", "ready": true, "restartCount": 2,
                                      "containerID": "kwok://x", "state": {"running": {}}}]}
  })");
}

TEST(TrimForCache, DropsManagedFieldsAndLastAppliedConfigurationFromEveryKind) {
  Json secret = {{"kind", "Secret"},
                 {"metadata",
                  {{"name", "s"},
                   {"managedFields", Json::array()},
                   {"annotations", {{"kubectl.kubernetes.io/last-applied-configuration", "{}"}}}}},
                 {"data", {{"token", "dA=="}}}};
  Json trimmed = TrimForCache("Secret")(secret);
  EXPECT_EQ(trimmed, (Json{{"kind", "Secret"}, {"metadata", {{"name", "s"}}}, {"data", {{"token", "dA=="}}}}));
}

TEST(TrimForCache, KeepsWhatTheControllerReadsFromAPod) {
  Json trimmed = TrimForCache("Pod")(ServerPod());
  const Json& meta = trimmed["metadata"];
  EXPECT_FALSE(meta.contains("managedFields"));
  EXPECT_EQ(meta["annotations"], (Json{{"tfws.io/spec-hash", "abc"}}));
  EXPECT_EQ(meta["ownerReferences"][0]["uid"], "o1");
  EXPECT_EQ(meta["labels"]["tfws.io/workspace"], "ws");
  EXPECT_EQ(trimmed["spec"]["nodeName"], "gpu-a100-0");
  const Json& c = trimmed["spec"]["containers"][0];
  EXPECT_EQ(c["image"], "tensorflow/tensorflow:2.9.0-gpu-jupyter");
  EXPECT_EQ(c["resources"]["limits"]["nvidia.com/gpu"], "1");
  EXPECT_EQ(c["ports"][0]["containerPort"], 8888);
  EXPECT_EQ(trimmed["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"], "ws-home");
  EXPECT_EQ(trimmed["status"]["phase"], "Running");
  EXPECT_EQ(trimmed["status"]["containerStatuses"][0]["restartCount"], 2);
  EXPECT_EQ(trimmed["status"]["conditions"][0]["type"], "Ready");
}

TEST(TrimForCache, DropsPodFieldsTheControllerNeverReads) {
  Json trimmed = TrimForCache("Pod")(ServerPod());
  EXPECT_FALSE(trimmed["spec"].contains("securityContext"));
  EXPECT_FALSE(trimmed["spec"]["containers"][0].contains("env"));
  EXPECT_FALSE(trimmed["spec"]["containers"][0].contains("command"));
  EXPECT_FALSE(trimmed["spec"]["volumes"][1].contains("emptyDir"));
  EXPECT_FALSE(trimmed["status"]["containerStatuses"][0].contains("containerID"));
  EXPECT_LT(trimmed.dump().size(), ServerPod().dump().size());
}

TEST(TrimForCache, DropsTheImageListFromNodes) {
  Json node = {{"kind", "Node"},
               {"metadata", {{"name", "n"}, {"labels", {{"nvidia.com/gpu.compute.major", "8"}}}}},
               {"status", {{"images", Json::array({{{"names", {"a"}}}})}, {"allocatable", {{"nvidia.com/gpu", "8"}}}}}};
  Json trimmed = TrimForCache("Node")(node);
  EXPECT_FALSE(trimmed["status"].contains("images"));
  EXPECT_EQ(trimmed["status"]["allocatable"]["nvidia.com/gpu"], "8");
  EXPECT_EQ(trimmed["metadata"]["labels"]["nvidia.com/gpu.compute.major"], "8");
}

TEST(TrimForCache, KeepsOnlyMetadataOfChildrenWithoutAnOwnerAndAClaimsPhase) {
  Json meta = {{"name", "ws"},
               {"uid", "u1"},
               {"annotations", {{"tfws.io/spec-hash", "abc"}}},
               {"ownerReferences", Json::array({{{"uid", "owner"}, {"controller", true}}})},
               {"managedFields", Json::array({{{"manager", "tfws-operator"}}})}};
  for (const char* kind : {"Service", "NetworkPolicy", "Ingress"}) {
    Json trimmed = TrimForCache(kind)({{"apiVersion", "v1"}, {"kind", kind}, {"metadata", meta},
                                       {"spec", {{"ports", Json::array({{{"port", 8888}}})}}},
                                       {"status", {{"loadBalancer", Json::object()}}}});
    EXPECT_EQ(trimmed, (Json{{"apiVersion", "v1"}, {"kind", kind}, {"metadata", {{"name", "ws"},
                                                                                {"uid", "u1"},
                                                                                {"annotations", {{"tfws.io/spec-hash", "abc"}}},
                                                                                {"ownerReferences", meta["ownerReferences"]}}}}))
        << kind;
  }
  Json claim = TrimForCache("PersistentVolumeClaim")(
      {{"kind", "PersistentVolumeClaim"}, {"metadata", meta}, {"spec", {{"volumeName", "pv-1"}}},
       {"status", {{"phase", "Bound"}, {"capacity", {{"storage", "10Gi"}}}}}});
  EXPECT_EQ(claim["status"], (Json{{"phase", "Bound"}}));
  EXPECT_FALSE(claim.contains("spec"));
  EXPECT_EQ(claim["metadata"]["annotations"]["tfws.io/spec-hash"], "abc");
  EXPECT_FALSE(claim["metadata"].contains("managedFields"));
}

// A Service as the API server returns it: created by the operator (an Update
// entry, defaults included), applied once (an Apply entry), then one port's
// name and the selector changed by hand with kubectl (ownership moved).
Json ServiceEditedByHand() {
  return Json::parse(R"({
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "ws", "uid": "u1", "resourceVersion": "7",
      "managedFields": [
        {"manager": "tfws-operator", "operation": "Apply", "fieldsV1": {
          "f:metadata": {"f:labels": {"f:tfws.io/workspace": {}}},
          "f:spec": {"f:ports": {"k:{\"port\":22,\"protocol\":\"TCP\"}": {".": {}, "f:name": {}, "f:port": {}},
                                 "k:{\"port\":8888,\"protocol\":\"TCP\"}": {".": {}, "f:port": {}}},
                     "f:type": {}}}},
        {"manager": "tfws-operator", "operation": "Update", "fieldsV1": {
          "f:spec": {"f:sessionAffinity": {}}}},
        {"manager": "kubectl-edit", "operation": "Update", "fieldsV1": {
          "f:spec": {"f:selector": {}, "f:ports": {"k:{\"port\":8888,\"protocol\":\"TCP\"}": {"f:name": {}}}}}}]},
    "spec": {"clusterIP": "10.0.0.9", "type": "ClusterIP", "sessionAffinity": "None",
             "selector": {"app": "someone-else"},
             "ports": [{"name": "ssh", "port": 22, "protocol": "TCP", "targetPort": 22},
                       {"name": "renamed", "port": 8888, "protocol": "TCP", "targetPort": 8888},
                       {"name": "extra", "port": 9999, "protocol": "TCP", "targetPort": 9999}]},
    "status": {"loadBalancer": {}}
  })");
}

TEST(OwnedFields, KeepsTheValuesOfTheFieldsAManagerOwnsAndNothingElse) {
  EXPECT_EQ(OwnedFields(ServiceEditedByHand(), "tfws-operator"),
            Json::parse(R"({"spec": {"type": "ClusterIP", "sessionAffinity": "None",
                                     "ports": [{"name": "ssh", "port": 22}, {"port": 8888}]}})"));
  EXPECT_EQ(OwnedFields(ServiceEditedByHand(), "kubectl-edit"),
            Json::parse(R"({"spec": {"selector": {"app": "someone-else"}, "ports": [{"name": "renamed"}]}})"));
  EXPECT_EQ(OwnedFields(ServiceEditedByHand(), "nobody"), Json::object());
}

TEST(OwnedFields, MatchesSetValuesAndIndexes) {
  Json object = {{"metadata", {{"managedFields", Json::array({{{"manager", "m"},
                                                               {"fieldsV1",
                                                                {{"f:spec",
                                                                  {{"f:finalizers", {{"v:\"a\"", Json::object()}}},
                                                                   {"f:list", {{"i:1", Json::object()}}}}}}}}})}}},
                 {"spec", {{"finalizers", {"a", "b"}}, {"list", {10, 20, 30}}}}};
  EXPECT_EQ(OwnedFields(object, "m"), (Json{{"spec", {{"finalizers", {"a"}}, {"list", {20}}}}}));
}

TEST(TrimForCache, KeepsTheOwnersFieldsOfAChildWithItsMetadata) {
  Json trimmed = TrimForCache("Service", "tfws-operator")(ServiceEditedByHand());
  EXPECT_EQ(trimmed["spec"], OwnedFields(ServiceEditedByHand(), "tfws-operator")["spec"]);
  EXPECT_FALSE(trimmed.contains("status"));
  EXPECT_FALSE(trimmed["metadata"].contains("managedFields"));
  EXPECT_EQ(trimmed["metadata"]["resourceVersion"], "7");
}

TEST(KeepOnly, KeepsUnexpectedShapesInsteadOfThrowing) {
  EXPECT_EQ(KeepOnly(Json("text"), Json{{"a", true}}), Json("text"));
  EXPECT_EQ(KeepOnly(Json{{"a", 1}, {"b", 2}}, Json{{"a", true}}), (Json{{"a", 1}}));
}

}  // namespace
}  // namespace tfws::runtime
