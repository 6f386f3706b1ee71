#include "runtime/store.h"

#include <gtest/gtest.h>

#include "runtime/cache_trim.h"

namespace tfws::runtime {
namespace {

using kube::Json;

Json Pod(const std::string& ns, const std::string& name, const std::string& rv,
         const std::string& owner_uid = "") {
  Json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"namespace", ns}, {"name", name}, {"resourceVersion", rv}}}};
  if (!owner_uid.empty()) {
    pod["metadata"]["ownerReferences"] = Json::array(
        {{{"apiVersion", "tfws.io/v1alpha1"}, {"kind", "TFWorkspace"}, {"name", "ws"}, {"uid", owner_uid},
          {"controller", true}}});
  }
  return pod;
}

std::vector<std::string> Names(const std::vector<ObjectPtr>& objects) {
  std::vector<std::string> names;
  for (auto& o : objects) names.push_back(NameOf(*o));
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> Names(const std::vector<PackedPtr>& objects) {
  std::vector<std::string> names;
  for (auto& o : objects) names.push_back(NameOf(*o->Unpack()));
  std::sort(names.begin(), names.end());
  return names;
}

TEST(Store, KeysAreNamespaceSlashNameOrJustNameForClusterScoped) {
  Store store;
  store.Upsert(store.Prepare(Pod("team-a", "ws1", "1")));
  store.Upsert(store.Prepare(Json{{"metadata", {{"name", "gpu-a100-0"}}}}));
  EXPECT_NE(store.Get("team-a/ws1"), nullptr);
  EXPECT_NE(store.Get("team-a", "ws1"), nullptr);
  EXPECT_NE(store.Get("gpu-a100-0"), nullptr);
  EXPECT_EQ(store.Get("team-b/ws1"), nullptr);
}

TEST(Store, UpsertReturnsThePreviousObjectAndReadersKeepTheirSnapshot) {
  Store store;
  EXPECT_EQ(store.Upsert(store.Prepare(Pod("a", "p", "1"))), nullptr);
  ObjectPtr reader_copy = store.Get("a/p");
  ObjectPtr old = store.Upsert(store.Prepare(Pod("a", "p", "2")));
  ASSERT_NE(old, nullptr);
  EXPECT_EQ(ResourceVersionOf(*old), "1");
  EXPECT_EQ(ResourceVersionOf(*reader_copy), "1");
  EXPECT_EQ(ResourceVersionOf(*store.Get("a/p")), "2");
  EXPECT_EQ(store.ResourceVersion(), "2");
}

TEST(Store, IndexesByNamespaceAndOwnerUidFollowUpdatesAndRemovals) {
  Store store;
  store.Upsert(store.Prepare(Pod("a", "p1", "1", "uid-1")));
  store.Upsert(store.Prepare(Pod("a", "p2", "2", "uid-1")));
  store.Upsert(store.Prepare(Pod("b", "p3", "3", "uid-2")));
  EXPECT_EQ(Names(store.ByIndex(kIndexNamespace, "a")), (std::vector<std::string>{"p1", "p2"}));
  EXPECT_EQ(Names(store.ByIndex(kIndexOwnerUid, "uid-1")), (std::vector<std::string>{"p1", "p2"}));
  store.Upsert(store.Prepare(Pod("a", "p2", "4", "uid-2")));  // owner changed
  EXPECT_EQ(Names(store.ByIndex(kIndexOwnerUid, "uid-1")), (std::vector<std::string>{"p1"}));
  EXPECT_EQ(Names(store.ByIndex(kIndexOwnerUid, "uid-2")), (std::vector<std::string>{"p2", "p3"}));
  store.Remove("a/p1");
  EXPECT_TRUE(store.ByIndex(kIndexOwnerUid, "uid-1").empty());
  EXPECT_THROW(store.ByIndex("no-such-index", "x"), std::out_of_range);
}

TEST(Store, CustomIndexMustBeAddedBeforeTheFirstWrite) {
  Store store;
  store.AddIndex("node", [](const Json& o) {
    return std::vector<std::string>{o.value("/spec/nodeName"_json_pointer, std::string())};
  });
  Json pod = Pod("a", "p", "1");
  pod["spec"]["nodeName"] = "gpu-a100-0";
  store.Upsert(store.Prepare(pod));
  EXPECT_EQ(Names(store.ByIndex("node", "gpu-a100-0")), (std::vector<std::string>{"p"}));
  EXPECT_THROW(store.AddIndex("late", [](const Json&) { return std::vector<std::string>{}; }),
               std::logic_error);
}

TEST(Store, ReplaceSwapsContentsAndReportsAddedUpdatedAndVanishedObjects) {
  Store store;
  store.Upsert(store.Prepare(Pod("a", "stays", "1")));
  store.Upsert(store.Prepare(Pod("a", "changes", "2")));
  store.Upsert(store.Prepare(Pod("a", "vanishes", "3", "uid-9")));
  ReplaceDiff diff = store.Replace(
      {store.Pack(Pod("a", "stays", "1")), store.Pack(Pod("a", "changes", "5")), store.Pack(Pod("a", "new", "6"))},
      "7");
  EXPECT_EQ(Names(diff.added), (std::vector<std::string>{"new"}));
  ASSERT_EQ(diff.updated.size(), 1u);
  EXPECT_EQ(ResourceVersionOf(*diff.updated[0].first->Unpack()), "2");
  EXPECT_EQ(ResourceVersionOf(*diff.updated[0].second->Unpack()), "5");
  EXPECT_EQ(Names(diff.deleted), (std::vector<std::string>{"vanishes"}));
  EXPECT_EQ(store.Size(), 3u);
  EXPECT_EQ(store.Get("a/vanishes"), nullptr);
  EXPECT_TRUE(store.ByIndex(kIndexOwnerUid, "uid-9").empty());
  EXPECT_EQ(store.ResourceVersion(), "7");
}

TEST(Store, IsSyncedOnlyAfterTheFirstCompleteList) {
  Store store;
  store.Upsert(store.Prepare(Pod("a", "p", "1")));
  EXPECT_FALSE(store.Synced());
  EXPECT_FALSE(store.WaitForSync({}, std::chrono::milliseconds(1)));
  store.Replace({}, "1");
  EXPECT_TRUE(store.Synced());
  EXPECT_TRUE(store.WaitForSync({}));
}

TEST(Store, WaitForSyncReturnsFalseWhenStopped) {
  Store store;
  std::stop_source stop;
  stop.request_stop();
  EXPECT_FALSE(store.WaitForSync(stop.get_token()));
}

TEST(Store, AppliesTheTransformBeforeStoring) {
  Store store(TrimForCache("Pod"));
  Json pod = Pod("a", "p", "1");
  pod["metadata"]["managedFields"] = Json::array({{{"manager", "kubectl"}}});
  store.Upsert(store.Prepare(pod));
  EXPECT_FALSE(store.Get("a/p")->at("metadata").contains("managedFields"));
}

TEST(Store, ReadersGetTheirOwnDecodedCopyEqualToWhatWasStored) {
  Store store;
  Json pod = Pod("a", "p", "1", "uid-1");
  pod["spec"] = {{"nodeName", "gpu-a100-0"}, {"priority", 7}, {"ratio", 0.5}, {"ok", true}, {"none", nullptr}};
  store.Upsert(store.Prepare(pod));
  ObjectPtr first = store.Get("a/p");
  ObjectPtr second = store.Get("a/p");
  EXPECT_EQ(*first, pod);  // every JSON type survives the packed form
  EXPECT_NE(first.get(), second.get());  // nothing decoded is shared with, or kept by, the cache
  EXPECT_EQ(*store.ByIndex(kIndexOwnerUid, "uid-1").at(0), pod);
  EXPECT_EQ(*store.List().at(0), pod);
}

TEST(Store, KeepsObjectsPackedSmallerThanTheirJsonText) {
  Store store;
  Json pod = Pod("a", "p", "1", "uid-1");
  pod["metadata"]["labels"] = {{"app.kubernetes.io/name", "tfws"}, {"tfws.io/workspace", "p"}};
  store.Upsert(store.Prepare(pod));
  EXPECT_GT(store.PackedBytes(), 0u);
  EXPECT_LT(store.PackedBytes(), pod.dump().size());
}

TEST(Store, ReplaceIndexesEveryListedObject) {
  Store store;
  store.AddIndex("node", [](const Json& o) -> std::vector<std::string> {
    return {o.value("spec", Json::object()).value("nodeName", "")};
  });
  Json on_a = Pod("a", "p1", "1"), on_b = Pod("a", "p2", "2");
  on_a["spec"]["nodeName"] = "node-a";
  on_b["spec"]["nodeName"] = "node-b";
  store.Replace({store.Pack(on_a), store.Pack(on_b)}, "3");
  ASSERT_EQ(store.ByIndex("node", "node-b").size(), 1u);
  EXPECT_EQ(NameOf(*store.ByIndex("node", "node-b")[0]), "p2");
  EXPECT_EQ(store.ByIndex(kIndexNamespace, "a").size(), 2u);
}

}  // namespace
}  // namespace tfws::runtime
