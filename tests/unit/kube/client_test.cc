#include "kube/client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "scripted_transport.h"

namespace tfws::kube {
namespace {

using testing::ScriptedTransport;

class ClientTest : public ::testing::Test {
 protected:
  std::shared_ptr<ScriptedTransport> transport_ = std::make_shared<ScriptedTransport>();
  Client client_{transport_};
  const HttpRequest& Last() { return transport_->requests.back(); }
};

TEST_F(ClientTest, BuildsPathsForNamespacedClusterScopedAndSubresources) {
  for (int i = 0; i < 4; ++i) transport_->Push(200);
  client_.Get(resources::kPods, "a", "p1");
  EXPECT_EQ(Last().path, "/api/v1/namespaces/a/pods/p1");
  client_.Get(resources::kNodes, "ignored", "n1");
  EXPECT_EQ(Last().path, "/api/v1/nodes/n1");
  client_.Get(resources::kTFWorkspaces, "a", "w", "status");
  EXPECT_EQ(Last().path, "/apis/tfws.io/v1alpha1/namespaces/a/tfworkspaces/w/status");
  client_.List(resources::kPods, "");
  EXPECT_EQ(Last().path, "/api/v1/pods");
}

TEST_F(ClientTest, EncodesListOptionsInTheQuery) {
  transport_->Push(200, R"({"items":[]})");
  ListOptions options;
  options.label_selector = "app.kubernetes.io/name=tfws-workspace,tier in (a,b)";
  options.field_selector = "status.phase!=Running";
  options.limit = 2;
  options.continue_token = "abc+/=";
  client_.List(resources::kPods, "a", options);
  EXPECT_EQ(Last().path,
            "/api/v1/namespaces/a/"
            "pods?labelSelector=app.kubernetes.io%2Fname%3Dtfws-workspace%2Ctier%20in%20%28a%2Cb%29"
            "&fieldSelector=status.phase%21%3DRunning&limit=2&continue=abc%2B%2F%3D");
  EXPECT_TRUE(Last().idempotent);
}

TEST_F(ClientTest, ListAllFollowsContinueTokens) {
  transport_->Push(
      200, R"({"metadata":{"resourceVersion":"10","continue":"t1"},"items":[{"n":1},{"n":2}]})");
  transport_->Push(
      200, R"({"metadata":{"resourceVersion":"11","continue":"t2"},"items":[{"n":3},{"n":4}]})");
  transport_->Push(200, R"({"metadata":{"resourceVersion":"12"},"items":[{"n":5}]})");
  ListOptions options;
  options.limit = 2;
  Json all = client_.ListAll(resources::kConfigMaps, "a", options);
  EXPECT_EQ(all["items"].size(), 5u);
  EXPECT_EQ(all["metadata"]["resourceVersion"], "10");
  EXPECT_FALSE(all["metadata"].contains("continue"));
  EXPECT_EQ(transport_->requests[2].path, "/api/v1/namespaces/a/configmaps?limit=2&continue=t2");
}

TEST_F(ClientTest, CreateUpdateAndDryRunCarryFieldManagerAndBody) {
  transport_->Push(201);
  transport_->Push(200);
  Json cm = {{"apiVersion", "v1"},
             {"kind", "ConfigMap"},
             {"metadata", {{"name", "c"}, {"namespace", "a"}, {"resourceVersion", "5"}}}};
  client_.Create(resources::kConfigMaps, "", cm, {.dry_run = true});
  EXPECT_EQ(Last().method, "POST");
  EXPECT_EQ(Last().path, "/api/v1/namespaces/a/configmaps?fieldManager=tfws-operator&dryRun=All");
  EXPECT_EQ(Json::parse(Last().body), cm);
  EXPECT_FALSE(Last().idempotent);
  client_.UpdateStatus(resources::kConfigMaps, "a", cm);
  EXPECT_EQ(Last().method, "PUT");
  EXPECT_EQ(Last().path, "/api/v1/namespaces/a/configmaps/c/status?fieldManager=tfws-operator");
  EXPECT_TRUE(Last().idempotent);  // has a resourceVersion
}

TEST_F(ClientTest, EachPatchKindUsesItsContentType) {
  for (int i = 0; i < 4; ++i) transport_->Push(200);
  client_.Patch(resources::kPods, "a", "p", PatchType::kMerge,
                {{"metadata", {{"labels", {{"x", "1"}}}}}});
  EXPECT_EQ(Last().content_type, "application/merge-patch+json");
  client_.Patch(resources::kPods, "a", "p", PatchType::kJson,
                Json::array({{{"op", "remove"}, {"path", "/x"}}}));
  EXPECT_EQ(Last().content_type, "application/json-patch+json");
  client_.Patch(resources::kPods, "a", "p", PatchType::kStrategicMerge, Json::object());
  EXPECT_EQ(Last().content_type, "application/strategic-merge-patch+json");
  client_.Apply(resources::kConfigMaps, "a",
                {{"metadata", {{"name", "c"}}}, {"data", {{"k", "v"}}}},
                {.field_manager = "tfws-operator", .force = true});
  EXPECT_EQ(Last().content_type, "application/apply-patch+yaml");
  EXPECT_EQ(Last().path, "/api/v1/namespaces/a/configmaps/c?fieldManager=tfws-operator&force=true");
  Json body = Json::parse(Last().body);
  EXPECT_EQ(body["apiVersion"], "v1");
  EXPECT_EQ(body["kind"], "ConfigMap");
}

TEST_F(ClientTest, DeleteSendsOptionsAndPreconditions) {
  transport_->Push(200);
  DeleteOptions options;
  options.propagation_policy = "Foreground";
  options.precondition_resource_version = "42";
  options.grace_period_seconds = 0;
  options.dry_run = true;
  client_.Delete(resources::kPods, "a", "p", options);
  EXPECT_EQ(Last().method, "DELETE");
  Json body = Json::parse(Last().body);
  EXPECT_EQ(body["kind"], "DeleteOptions");
  EXPECT_EQ(body["propagationPolicy"], "Foreground");
  EXPECT_EQ(body["preconditions"]["resourceVersion"], "42");
  EXPECT_EQ(body["gracePeriodSeconds"], 0);
  EXPECT_EQ(body["dryRun"], Json::array({"All"}));
  EXPECT_TRUE(Last().idempotent);
}

TEST_F(ClientTest, NonSuccessAnswersBecomeTypedApiErrors) {
  transport_->Push(
      404, R"({"kind":"Status","code":404,"reason":"NotFound","message":"pods \"p\" not found"})");
  try {
    client_.Get(resources::kPods, "a", "p");
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_TRUE(e.IsNotFound());
    EXPECT_STREQ(e.what(), "pods \"p\" not found");
  }
}

TEST_F(ClientTest, AnAnswerThatIsNotJsonIsATransportError) {
  transport_->Push(200, "<html>");
  EXPECT_THROW(client_.Get(resources::kPods, "a", "p"), TransportError);
}

TEST_F(ClientTest, EveryCallButWatchCarriesTheClientsRequestDeadline) {
  EXPECT_EQ(std::chrono::milliseconds(30000), [&] {
    transport_->Push(200);
    client_.Get(resources::kPods, "a", "p");
    return Last().deadline;
  }()) << "default";
  auto transport = std::make_shared<ScriptedTransport>();
  Client lease_client(transport, std::chrono::seconds(2));
  for (int i = 0; i < 3; ++i) transport->Push(200);
  lease_client.Get(resources::kLeases, "a", "l");
  lease_client.Update(resources::kLeases, "a", {{"metadata", {{"name", "l"}}}});
  lease_client.Delete(resources::kLeases, "a", "l");
  for (const auto& request : transport->requests) EXPECT_EQ(request.deadline, std::chrono::seconds(2)) << request.path;
}

TEST_F(ClientTest, WatchDecodesEventsAcrossChunkBoundaries) {
  transport_->PushStream(200, {R"({"type":"ADDED","object":{"metadata":{"name":"a"}}})"
                               "\n{\"type\":\"MOD",
                               R"(IFIED","object":{"metadata":{"name":"a"}}})"
                               "\n"});
  std::vector<std::string> types;
  ListOptions options;
  options.resource_version = "7";
  options.allow_watch_bookmarks = true;
  options.timeout_seconds = 300;
  client_.Watch(resources::kPods, "a", options,
                [&](WatchEvent&& e) { return types.push_back(e.type), true; }, {});
  EXPECT_THAT(types, ::testing::ElementsAre("ADDED", "MODIFIED"));
  EXPECT_EQ(Last().path,
            "/api/v1/namespaces/a/"
            "pods?watch=1&resourceVersion=7&timeoutSeconds=300&allowWatchBookmarks=true");
}

TEST_F(ClientTest, WatchThrowsApiErrorForGone) {
  transport_->Push(
      410,
      R"({"kind":"Status","code":410,"reason":"Expired","message":"too old resource version"})");
  try {
    client_.Watch(resources::kPods, "a", {}, [](WatchEvent&&) { return true; }, {});
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_TRUE(e.IsGone());
  }
}

TEST_F(ClientTest, AStreamThatEndsMidEventIsABrokenConnection) {
  transport_->PushStream(200, {R"({"type":"ADDED","obj)"});
  EXPECT_THROW(client_.Watch(resources::kPods, "a", {}, [](WatchEvent&&) { return true; }, {}),
               TransportError);
}

TEST_F(ClientTest, ApiErrorFromStatusConvertsAnErrorEvent) {
  ApiError e = ApiErrorFromStatus(
      {{"code", 410}, {"reason", "Expired"}, {"message", "too old resource version: 1 (5)"}});
  EXPECT_TRUE(e.IsGone());
  EXPECT_EQ(e.code(), 410);
}

}  // namespace
}  // namespace tfws::kube
