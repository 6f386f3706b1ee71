// kube::Client against the real API server: every verb and patch kind on core
// resources and on a custom resource, the typed errors, pagination, watch,
// dry-run, preconditions, and an exec credential plugin.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "kube/api_error.h"
#include "kube/kubeconfig.h"
#include "testenv_fixture.h"

namespace tfws::e2e {
namespace {

using kube::ApiError;
using kube::Json;
using kube::PatchType;
namespace resources = kube::resources;
using std::chrono::seconds;
using ::testing::ElementsAre;

// A tiny test CRD (not TFWorkspace): namespaced, status subresource, and a
// schema bound so that the API server has something to reject.
const kube::Resource kWidgets{"e2e.tfws.io", "v1", "widgets", "Widget", true};

Json WidgetCrd() {
  return Json::parse(R"({
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.e2e.tfws.io"},
    "spec": {"group": "e2e.tfws.io", "scope": "Namespaced",
      "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
      "versions": [{"name": "v1", "served": true, "storage": true, "subresources": {"status": {}},
        "schema": {"openAPIV3Schema": {"type": "object", "properties": {
          "spec": {"type": "object", "properties": {
            "size": {"type": "integer", "minimum": 0, "maximum": 10},
            "color": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}}}},
          "status": {"type": "object", "properties": {"phase": {"type": "string"}}}}}}}]}})");
}

Json ConfigMap(const std::string& name, Json data = {{"k", "v"}}) {
  return {
      {"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}}}, {"data", data}};
}

Json Widget(const std::string& name, int size) {
  return {{"apiVersion", "e2e.tfws.io/v1"},
          {"kind", "Widget"},
          {"metadata", {{"name", name}}},
          {"spec", {{"size", size}, {"color", "red"}}}};
}

Json Pod(const std::string& name) {
  return Json::parse(R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": ")" + name + R"(",
    "labels": {"app": "e2e"}}, "spec": {"nodeSelector": {"kubernetes.io/hostname": "cpu-0"},
    "containers": [{"name": "main", "image": "registry.invalid/e2e:1",
                    "env": [{"name": "A", "value": "1"}]}]}})");
}

template <typename F>
ApiError ApiErrorOf(F&& call) {
  try {
    call();
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "expected an ApiError";
  return ApiError(0, "", "no error");
}

class KubeClient : public TestenvTest {
 protected:
  static void SetUpTestSuite() {
    auto client = MakeTestenvClient();
    try {
      client->Create(resources::kCustomResourceDefinitions, "", WidgetCrd());
    } catch (const ApiError& e) {
      if (!e.IsAlreadyExists()) throw;
    }
    // Measured (TFWS_E2E_WAIT_LOG=1, 2 runs): Established 0.1 s, lists served 1.0 s after it; 5 s each.
    bool established = WaitFor(
        [&] {
          Json crd = client->Get(resources::kCustomResourceDefinitions, "", "widgets.e2e.tfws.io");
          for (const auto& c : crd["status"].value("conditions", Json::array())) {
            if (c["type"] == "Established" && c["status"] == "True") return true;
          }
          return false;
        },
        seconds(5));
    ASSERT_TRUE(established) << "CRD widgets.e2e.tfws.io not Established";
    // Discovery of a new CRD lags Established a little: wait until it serves lists.
    ASSERT_TRUE(
        WaitFor([&] { return client->List(kWidgets, "default").contains("items"); }, seconds(5)));
  }
};

TEST_F(KubeClient, ConfigMapCreateGetUpdateDelete) {
  Json created = client().Create(resources::kConfigMaps, ns(), ConfigMap("cm"));
  EXPECT_EQ(created["metadata"]["namespace"], ns());
  EXPECT_FALSE(created["metadata"]["uid"].get<std::string>().empty());

  Json got = client().Get(resources::kConfigMaps, ns(), "cm");
  EXPECT_EQ(got["data"]["k"], "v");
  got["data"]["k"] = "v2";
  Json updated = client().Update(resources::kConfigMaps, ns(), got);
  EXPECT_EQ(updated["data"]["k"], "v2");
  EXPECT_NE(updated["metadata"]["resourceVersion"], got["metadata"]["resourceVersion"]);

  client().Delete(resources::kConfigMaps, ns(), "cm");
  EXPECT_TRUE(ApiErrorOf([&] { client().Get(resources::kConfigMaps, ns(), "cm"); }).IsNotFound());
}

TEST_F(KubeClient, EveryPatchKindOnAPod) {
  client().Create(resources::kPods, ns(), Pod("p"));
  client().Patch(resources::kPods, ns(), "p", PatchType::kMerge,
                 {{"metadata", {{"labels", {{"merged", "yes"}}}}}});
  client().Patch(
      resources::kPods, ns(), "p", PatchType::kJson,
      Json::array(
          {{{"op", "add"}, {"path", "/metadata/annotations"}, {"value", {{"json", "patched"}}}}}));
  // Strategic merge: the env list merges by name instead of being replaced.
  client().Patch(resources::kPods, ns(), "p", PatchType::kStrategicMerge,
                 {{"metadata", {{"labels", {{"strategic", "yes"}}}}}});
  Json pod = client().Get(resources::kPods, ns(), "p");
  EXPECT_EQ(pod["metadata"]["labels"]["app"], "e2e");
  EXPECT_EQ(pod["metadata"]["labels"]["merged"], "yes");
  EXPECT_EQ(pod["metadata"]["labels"]["strategic"], "yes");
  EXPECT_EQ(pod["metadata"]["annotations"]["json"], "patched");

  // Server-side apply with our field manager; the kwok "kubelet" makes it Running.
  client().Apply(resources::kPods, ns(),
                 {{"metadata", {{"name", "p"}, {"labels", {{"applied", "yes"}}}}}},
                 {.field_manager = "tfws-e2e", .force = true});
  pod = client().Get(resources::kPods, ns(), "p");
  EXPECT_EQ(pod["metadata"]["labels"]["applied"], "yes");
  bool managed = false;
  for (const auto& entry : pod["metadata"]["managedFields"])
    managed |= entry["manager"] == "tfws-e2e";
  EXPECT_TRUE(managed);
  // Scheduler and kwok. Measured: 0.0 s (TFWS_E2E_WAIT_LOG=1, 2 runs); 10 s, as for every wait on
  // another controller.
  EXPECT_TRUE(WaitFor(
      [&] { return client().Get(resources::kPods, ns(), "p")["status"]["phase"] == "Running"; },
      seconds(10)));
}

TEST_F(KubeClient, StrategicMergeOfAPodContainerListMergesByName) {
  client().Create(resources::kPods, ns(), Pod("smp"));
  // Only activeDeadlineSeconds and a few fields of a running pod are mutable:
  // image is, and SMP finds the container by name.
  client().Patch(
      resources::kPods, ns(), "smp", PatchType::kStrategicMerge,
      {{"spec",
        {{"containers", Json::array({{{"name", "main"}, {"image", "registry.invalid/e2e:2"}}})}}}});
  Json pod = client().Get(resources::kPods, ns(), "smp");
  ASSERT_EQ(pod["spec"]["containers"].size(), 1u);
  EXPECT_EQ(pod["spec"]["containers"][0]["image"], "registry.invalid/e2e:2");
  EXPECT_EQ(pod["spec"]["containers"][0]["env"][0]["name"], "A");  // kept: merged, not replaced
}

TEST_F(KubeClient, CustomResourceVerbsStatusSubresourceAndPatchKinds) {
  Json created = client().Create(kWidgets, ns(), Widget("w", 3));
  EXPECT_EQ(created["metadata"]["generation"], 1);

  client().Patch(kWidgets, ns(), "w", PatchType::kMerge, {{"spec", {{"color", "blue"}}}});
  client().Patch(kWidgets, ns(), "w", PatchType::kJson,
                 Json::array({{{"op", "replace"}, {"path", "/spec/size"}, {"value", 4}}}));
  client().Apply(kWidgets, ns(), {{"metadata", {{"name", "w"}}}, {"spec", {{"tags", {"a", "b"}}}}},
                 {.field_manager = "tfws-e2e"});
  Json widget = client().Get(kWidgets, ns(), "w");
  EXPECT_EQ(widget["spec"]["color"], "blue");
  EXPECT_EQ(widget["spec"]["size"], 4);
  EXPECT_EQ(widget["spec"]["tags"], Json::array({"a", "b"}));
  int generation = widget["metadata"]["generation"];
  EXPECT_EQ(generation, 4);

  // Status writes go through the subresource and do not bump the generation.
  widget["status"] = {{"phase", "Ready"}};
  Json after_status = client().UpdateStatus(kWidgets, ns(), widget);
  EXPECT_EQ(after_status["status"]["phase"], "Ready");
  EXPECT_EQ(after_status["metadata"]["generation"], generation);
  client().Patch(kWidgets, ns(), "w", PatchType::kMerge, {{"status", {{"phase", "Done"}}}}, {},
                 "status");
  EXPECT_EQ(client().Get(kWidgets, ns(), "w", "status")["status"]["phase"], "Done");
  // A status field sent to the main resource is ignored.
  client().Patch(kWidgets, ns(), "w", PatchType::kMerge, {{"status", {{"phase", "Ignored"}}}});
  EXPECT_EQ(client().Get(kWidgets, ns(), "w")["status"]["phase"], "Done");

  // Custom resources do not support strategic merge patch.
  ApiError error = ApiErrorOf([&] {
    client().Patch(kWidgets, ns(), "w", PatchType::kStrategicMerge, {{"spec", {{"size", 1}}}});
  });
  EXPECT_EQ(error.code(), 415);

  client().Delete(kWidgets, ns(), "w");
  EXPECT_TRUE(ApiErrorOf([&] { client().Get(kWidgets, ns(), "w"); }).IsNotFound());
}

TEST_F(KubeClient, StaleUpdateIsAConflict) {
  Json original = client().Create(resources::kConfigMaps, ns(), ConfigMap("stale"));
  Json fresh = original;
  fresh["data"]["k"] = "first";
  client().Update(resources::kConfigMaps, ns(), fresh);
  original["data"]["k"] = "second";
  ApiError error = ApiErrorOf([&] { client().Update(resources::kConfigMaps, ns(), original); });
  EXPECT_TRUE(error.IsConflict()) << error.what();
  EXPECT_EQ(error.reason(), "Conflict");
}

TEST_F(KubeClient, CreatingTwiceIsAlreadyExists) {
  client().Create(resources::kConfigMaps, ns(), ConfigMap("twice"));
  ApiError error =
      ApiErrorOf([&] { client().Create(resources::kConfigMaps, ns(), ConfigMap("twice")); });
  EXPECT_TRUE(error.IsAlreadyExists());
  EXPECT_FALSE(error.IsConflict());
}

TEST_F(KubeClient, MissingObjectsAreNotFound) {
  EXPECT_TRUE(ApiErrorOf([&] { client().Get(resources::kConfigMaps, ns(), "nope"); }).IsNotFound());
  EXPECT_TRUE(ApiErrorOf([&] { client().Delete(kWidgets, ns(), "nope"); }).IsNotFound());
  EXPECT_TRUE(
      ApiErrorOf([&] { client().Get(resources::kNodes, "", "no-such-node"); }).IsNotFound());
}

TEST_F(KubeClient, InvalidObjectsComeBackWithFieldCauses) {
  ApiError error = ApiErrorOf([&] { client().Create(kWidgets, ns(), Widget("too-big", 99)); });
  EXPECT_TRUE(error.IsInvalid());
  ASSERT_FALSE(error.causes().empty());
  EXPECT_EQ(error.causes()[0].field, "spec.size");
  EXPECT_THAT(error.what(), ::testing::HasSubstr("spec.size"));

  ApiError bad_name =
      ApiErrorOf([&] { client().Create(resources::kConfigMaps, ns(), ConfigMap("Bad_Name")); });
  EXPECT_TRUE(bad_name.IsInvalid());
  ASSERT_FALSE(bad_name.causes().empty());
  EXPECT_EQ(bad_name.causes()[0].field, "metadata.name");
}

TEST_F(KubeClient, ListPagesWithLimitAndContinue) {
  for (int i = 0; i < 5; ++i) {
    Json cm = ConfigMap("page-" + std::to_string(i));
    cm["metadata"]["labels"] = {{"e2e/page", "yes"}};
    client().Create(resources::kConfigMaps, ns(), cm);
  }
  kube::ListOptions options;
  options.limit = 2;
  options.label_selector = "e2e/page=yes";
  Json first = client().List(resources::kConfigMaps, ns(), options);
  EXPECT_EQ(first["items"].size(), 2u);
  ASSERT_FALSE(first["metadata"].value("continue", "").empty());

  Json all = client().ListAll(resources::kConfigMaps, ns(), options);
  std::vector<std::string> names;
  for (const auto& item : all["items"]) names.push_back(item["metadata"]["name"]);
  EXPECT_THAT(names, ElementsAre("page-0", "page-1", "page-2", "page-3", "page-4"));
}

TEST_F(KubeClient, LabelAndFieldSelectorsFilter) {
  Json a = ConfigMap("sel-a");
  a["metadata"]["labels"] = {{"tier", "gpu"}};
  client().Create(resources::kConfigMaps, ns(), a);
  client().Create(resources::kConfigMaps, ns(), ConfigMap("sel-b"));
  kube::ListOptions by_label;
  by_label.label_selector = "tier in (gpu,tpu)";
  EXPECT_EQ(client().List(resources::kConfigMaps, ns(), by_label)["items"].size(), 1u);
  kube::ListOptions by_field;
  by_field.field_selector = "metadata.name=sel-b";
  Json listed = client().List(resources::kConfigMaps, ns(), by_field);
  ASSERT_EQ(listed["items"].size(), 1u);
  EXPECT_EQ(listed["items"][0]["metadata"]["name"], "sel-b");
}

TEST_F(KubeClient, WatchSeesAddUpdateDeleteInOrder) {
  std::string rv = client().List(resources::kConfigMaps, ns())["metadata"]["resourceVersion"];
  std::vector<std::string> seen;
  std::mutex mutex;
  std::stop_source stop;
  std::exception_ptr failure;
  std::thread watcher([&] {
    try {
      kube::ListOptions options;
      options.resource_version = rv;
      options.allow_watch_bookmarks = true;
      options.timeout_seconds = 60;
      client().Watch(
          resources::kConfigMaps, ns(), options,
          [&](kube::WatchEvent&& event) {
            if (event.type == "BOOKMARK") return true;
            std::lock_guard lock(mutex);
            seen.push_back(event.type + " " + event.object["metadata"]["name"].get<std::string>() +
                           " " + event.object.value("data", Json::object()).value("k", ""));
            return event.type != "DELETED";
          },
          stop.get_token());
    } catch (...) {
      failure = std::current_exception();
    }
  });
  client().Create(resources::kConfigMaps, ns(), ConfigMap("watched", {{"k", "1"}}));
  client().Patch(resources::kConfigMaps, ns(), "watched", PatchType::kMerge,
                 {{"data", {{"k", "2"}}}});
  client().Delete(resources::kConfigMaps, ns(), "watched");
  // Measured: 0.1 s (TFWS_E2E_WAIT_LOG=1, 2 runs); 5 s for a loaded machine.
  bool done = WaitFor(
      [&] {
        std::lock_guard lock(mutex);
        return seen.size() >= 3;
      },
      seconds(5));
  stop.request_stop();
  watcher.join();
  if (failure) std::rethrow_exception(failure);
  ASSERT_TRUE(done);
  EXPECT_THAT(seen, ElementsAre("ADDED watched 1", "MODIFIED watched 2", "DELETED watched 2"));
}

TEST_F(KubeClient, StoppingAWatchReturnsPromptly) {
  std::stop_source stop;
  std::thread watcher([&] {
    client().Watch(
        resources::kConfigMaps, ns(), {}, [](kube::WatchEvent&&) { return true; },
        stop.get_token());
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto start = std::chrono::steady_clock::now();
  stop.request_stop();
  watcher.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(2));
}

TEST_F(KubeClient, WatchEndsCleanlyWhenTheServerTimesItOut) {
  kube::ListOptions options;
  options.timeout_seconds = 1;
  auto start = std::chrono::steady_clock::now();
  client().Watch(resources::kConfigMaps, ns(), options, [](kube::WatchEvent&&) { return true; },
                 {});
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(10));
}

TEST_F(KubeClient, ATotalDeadlineCutsARequestTheServerHoldsOpen) {
  // A watch sent as a plain request: the server keeps answering for 30 s,
  // cpprest's inactivity timer would never fire, our total deadline does.
  kube::HttpRequest request;
  request.method = "GET";
  request.path = resources::kConfigMaps.Path(ns()) + "?watch=1&timeoutSeconds=30";
  request.deadline = std::chrono::milliseconds(700);
  auto start = std::chrono::steady_clock::now();
  EXPECT_THAT([&] { client().transport().Send(request); },
              ::testing::ThrowsMessage<kube::TransportError>(::testing::HasSubstr("ms exceeded")));
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(5));
}

TEST_F(KubeClient, ACancelledRequestIsAbandonedInFlightAtOnce) {
  // What the write fence does to a write in flight when the Lease is lost:
  // the same request the server holds open, cancelled through request.cancel.
  kube::HttpRequest request;
  request.method = "GET";
  request.path = resources::kConfigMaps.Path(ns()) + "?watch=1&timeoutSeconds=30";
  request.idempotent = true;  // cancelled all the same: no retry after it
  std::stop_source cancel;
  request.cancel = cancel.get_token();
  std::chrono::steady_clock::time_point cancelled_at;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // in flight by then
    cancelled_at = std::chrono::steady_clock::now();
    cancel.request_stop();
  });
  EXPECT_THAT([&] { client().transport().Send(request); },
              ::testing::ThrowsMessage<kube::TransportError>(::testing::HasSubstr("cancelled")));
  const auto took = std::chrono::steady_clock::now() - cancelled_at;
  canceller.join();
  std::cout << "cancelled request returned "
            << std::chrono::duration_cast<std::chrono::microseconds>(took).count() << " us after request_stop\n";
  // Measured: ~1 ms from request_stop to the throw; 1 s would mean a poll or a retry.
  EXPECT_LT(took, seconds(1));
}

TEST_F(KubeClient, RequestsCarryTheOperatorUserAgent) {
  std::string marker = UniqueName("ua-probe");
  auto operator_client = MakeTestenvClient();  // the default User-Agent, as the operator sends it
  EXPECT_TRUE(ApiErrorOf([&] { operator_client->Get(resources::kConfigMaps, ns(), marker); }).IsNotFound());
  // The apiserver's audit log records who asked, and with which User-Agent. Measured: 0.0 s
  // (TFWS_E2E_WAIT_LOG=1, 2 runs); 5 s for a loaded machine.
  EXPECT_TRUE(WaitFor(
      [&] {
        std::ifstream audit(AuditLogPath());
        for (std::string line; std::getline(audit, line);) {
          if (line.find(marker) != std::string::npos &&
              line.find(std::string("\"userAgent\":\"tfws-operator/") + TFWS_VERSION + "\"") !=
                  std::string::npos) {
            return true;
          }
        }
        return false;
      },
      seconds(5)))
      << "no audit record of " << marker << " with User-Agent tfws-operator/" << TFWS_VERSION
      << " in " << AuditLogPath();
}

TEST_F(KubeClient, DryRunCreateLeavesNothing) {
  Json answer = client().Create(resources::kConfigMaps, ns(), ConfigMap("dry"), {.dry_run = true});
  EXPECT_EQ(answer["metadata"]["name"], "dry");
  EXPECT_TRUE(ApiErrorOf([&] { client().Get(resources::kConfigMaps, ns(), "dry"); }).IsNotFound());
  client().Create(resources::kConfigMaps, ns(), ConfigMap("dry"));
  client().Delete(resources::kConfigMaps, ns(), "dry", {.dry_run = true});
  EXPECT_EQ(client().Get(resources::kConfigMaps, ns(), "dry")["metadata"]["name"], "dry");
}

TEST_F(KubeClient, DeleteWithAStalePreconditionIsAConflict) {
  Json created = client().Create(resources::kConfigMaps, ns(), ConfigMap("pre"));
  Json patched = client().Patch(resources::kConfigMaps, ns(), "pre", PatchType::kMerge,
                                {{"data", {{"k", "x"}}}});
  kube::DeleteOptions stale;
  stale.precondition_resource_version = created["metadata"]["resourceVersion"].get<std::string>();
  EXPECT_TRUE(ApiErrorOf([&] {
                client().Delete(resources::kConfigMaps, ns(), "pre", stale);
              }).IsConflict());
  kube::DeleteOptions wrong_uid;
  wrong_uid.precondition_uid = "00000000-0000-0000-0000-000000000000";
  EXPECT_TRUE(ApiErrorOf([&] {
                client().Delete(resources::kConfigMaps, ns(), "pre", wrong_uid);
              }).IsConflict());
  kube::DeleteOptions current;
  current.precondition_resource_version = patched["metadata"]["resourceVersion"].get<std::string>();
  current.precondition_uid = created["metadata"]["uid"].get<std::string>();
  client().Delete(resources::kConfigMaps, ns(), "pre", current);
  EXPECT_TRUE(ApiErrorOf([&] { client().Get(resources::kConfigMaps, ns(), "pre"); }).IsNotFound());
}

TEST_F(KubeClient, ExecCredentialPluginAuthenticatesAndIsRerunAfterA401) {
  std::string token_file = TestenvFile("static-token");
  ASSERT_TRUE(std::filesystem::exists(token_file)) << token_file;
  kube::ClusterConfig admin = LoadTestenvConfig();
  std::string dir = std::filesystem::temp_directory_path() / UniqueName("tfws-exec");
  std::filesystem::create_directories(dir);
  // First run: a token the server rejects; later runs: the static token.
  std::ofstream(dir + "/plugin")
      << "#!/bin/sh\n"
         "n=$(cat \"$0.count\" 2>/dev/null || echo 0); n=$((n+1)); echo $n > \"$0.count\"\n"
         "if [ $n = 1 ]; then token=wrong-token; else token=$(cat \"$TOKEN_FILE\"); fi\n"
         "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
         "\"status\":{\"token\":\"%s\"}}' \"$token\"\n";
  std::filesystem::permissions(dir + "/plugin", std::filesystem::perms::owner_all);
  std::ofstream(dir + "/ca.crt") << admin.tls.ca_pem;
  std::ofstream(dir + "/config")
      << "apiVersion: v1\nkind: Config\ncurrent-context: exec\n"
         "clusters:\n- name: testenv\n  cluster:\n    server: " +
             admin.server +
             "\n"
             "    certificate-authority: ca.crt\n"
             "users:\n- name: exec-user\n  user:\n    exec:\n"
             "      apiVersion: client.authentication.k8s.io/v1\n"
             "      command: ./plugin\n      interactiveMode: Never\n"
             "      env:\n      - {name: TOKEN_FILE, value: " +
             token_file +
             "}\n"
             "contexts:\n- name: exec\n  context: {cluster: testenv, user: exec-user}\n";
  auto client = kube::MakeClient(kube::Kubeconfig::LoadFiles({dir + "/config"}).Resolve());
  Json review = client->Create(
      {"authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview", false}, "",
      {{"apiVersion", "authentication.k8s.io/v1"}, {"kind", "SelfSubjectReview"}});
  EXPECT_EQ(review["status"]["userInfo"]["username"], "tfws-exec-test");
  std::ifstream count(dir + "/plugin.count");
  int runs = 0;
  count >> runs;
  EXPECT_EQ(runs, 2);  // the 401 made the client run the plugin again
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tfws::e2e
