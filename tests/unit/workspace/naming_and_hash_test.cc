#include <gtest/gtest.h>

#include "unit/workspace/workspace_fixture.h"
#include "workspace/name_syntax.h"
#include "workspace/naming.h"
#include "workspace/quantity.h"
#include "workspace/spec_hash.h"

namespace tfws::workspace {
namespace {

TEST(Naming, ChildNamesFollowTheContract) {
  Workspace ws = ParseWorkspace(testing::WorkspaceObject("alice", "team-a"));
  EXPECT_EQ(names::TokenSecret(ws), "alice-token");
  EXPECT_EQ(names::WorkspacePvc(ws), "alice-home");
  EXPECT_EQ(names::SshKeysSecret(ws), "alice-ssh");
  EXPECT_EQ(names::Pod(ws), "alice");
  EXPECT_EQ(names::Service(ws), "alice");
  EXPECT_EQ(names::SshService(ws), "alice-ssh");
  EXPECT_EQ(names::WorkspaceClaim(ws), "alice-home");
  EXPECT_EQ(BaseUrl(ws), "/tfws/team-a/alice/");
}

TEST(Naming, TheLongestAllowedNameGivesValidServiceNames) {
  Workspace ws = ParseWorkspace(testing::WorkspaceObject(std::string(kMaxWorkspaceNameLength, 'w')));
  EXPECT_TRUE(IsDns1035Label(names::SshService(ws)));
  EXPECT_TRUE(IsDns1123Subdomain(names::TokenSecret(ws)));
}

TEST(Naming, LabelsCarryOwnerAndTeamOnlyWhenKnown) {
  Workspace ws = ParseWorkspace(testing::WorkspaceObject());
  auto labels = ChildLabels(ws);
  EXPECT_EQ(labels.at("app.kubernetes.io/name"), "tfws-workspace");
  EXPECT_EQ(labels.at("app.kubernetes.io/instance"), "alice");
  EXPECT_EQ(labels.at("app.kubernetes.io/managed-by"), "tfws-operator");
  EXPECT_EQ(labels.at("tfws.io/workspace"), "alice");
  EXPECT_EQ(labels.count("tfws.io/owner"), 0u);
  ws.spec.owner = "alice";
  ws.spec.team = "vision";
  labels = ChildLabels(ws);
  EXPECT_EQ(labels.at("tfws.io/owner"), "alice");
  EXPECT_EQ(labels.at("tfws.io/team"), "vision");
}

TEST(Naming, OwnerReferenceIsAControllerReference) {
  Json ref = OwnerReference(ParseWorkspace(testing::WorkspaceObject()));
  EXPECT_EQ(ref["apiVersion"], "tfws.io/v1alpha1");
  EXPECT_EQ(ref["kind"], "TFWorkspace");
  EXPECT_EQ(ref["uid"], "uid-alice");
  EXPECT_EQ(ref["controller"], true);
  EXPECT_EQ(ref["blockOwnerDeletion"], true);
}

TEST(SpecHash, IsStableSixteenHexCharactersAndIgnoresKeyOrder) {
  Json a = Json::parse(R"({"b": 1, "a": {"y": [1, 2], "x": "s"}})");
  Json b = Json::parse(R"({"a": {"x": "s", "y": [1, 2]}, "b": 1})");
  EXPECT_EQ(SpecHash(a), SpecHash(b));
  EXPECT_EQ(SpecHash(a).size(), 16u);
  // Pinned: a change here changes every live object's annotation (one rollout of writes).
  EXPECT_EQ(SpecHash(Json::object()), "44136fa355b3678a");
}

TEST(SpecHash, ChangesWithAnyValueAndIgnoresItsOwnAnnotation) {
  Json object = {{"metadata", {{"name", "x"}}}, {"spec", {{"a", 1}}}};
  const std::string before = SpecHash(object);
  StampSpecHash(object);
  EXPECT_EQ(object["metadata"]["annotations"]["tfws.io/spec-hash"], before);
  EXPECT_EQ(SpecHash(object), before);
  object["spec"]["a"] = 2;
  EXPECT_NE(SpecHash(object), before);
}

TEST(Quantity, AcceptsWhatTheApiServerAccepts) {
  for (const char* q : {"1", "500m", "16Gi", "1.5", ".5", "1e3", "2E-2", "100M", "+1"}) {
    EXPECT_TRUE(IsQuantity(q)) << q;
  }
  for (const char* q : {"", "two", "16GB", "1.2.3", "Gi", "1 Gi", "-1", "1e", "1Ki2"}) {
    EXPECT_FALSE(IsQuantity(q)) << q;
  }
  EXPECT_TRUE(IsQuantity("-1", /*allow_negative=*/true));
}

TEST(NameSyntax, FollowsApimachineryRules) {
  EXPECT_TRUE(IsDns1123Label("a-1"));
  EXPECT_FALSE(IsDns1123Label("-a"));
  EXPECT_FALSE(IsDns1123Label(std::string(64, 'a')));
  EXPECT_FALSE(IsDns1035Label("1a"));
  EXPECT_TRUE(IsDns1123Subdomain("a.b-c.d"));
  EXPECT_FALSE(IsDns1123Subdomain("a..b"));
  EXPECT_TRUE(IsLabelValue(""));
  EXPECT_TRUE(IsLabelValue("A_b.c-D"));
  EXPECT_FALSE(IsLabelValue("a b"));
  EXPECT_TRUE(IsCIdentifier("_A1"));
  EXPECT_FALSE(IsCIdentifier("1A"));
}

}  // namespace
}  // namespace tfws::workspace
