// Blocked workspaces (issue 11): whatever keeps a workspace from running is
// written to its status — phase, a condition with a stable reason, a message
// that names the object and the fix — with one Warning Event, and retried
// sparingly: the audit log shows no operator write for the blocked workspaces
// whose retry is a read (foreign names, missing references, an invalid
// child) nor for one refused by a quota (retried when a quota changes), a
// handful for one refused by an admission rule (which the operator cannot
// watch), and none after an operator restart. Removing each cause (no edit to the
// workspace) brings it to Running.
//
// All workspaces run at once (one namespace, plus one for the quota and one
// for the LimitRange, whose rules apply to the whole namespace).
//
// TFWS_E2E_BLOCKED_WINDOW_SECONDS sets the window writes are counted over
// (default 60, as issue 11 asks).
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "kube/api_error.h"
#include "operator_process.h"
#include "operator_writes.h"
#include "testenv_fixture.h"

namespace tfws::e2e {
namespace {

namespace res = kube::resources;
using Json = nlohmann::json;
using std::chrono::seconds;

const kube::Resource kLimitRanges{"", "v1", "limitranges", "LimitRange", true};

struct Blocked {
  std::string ns, name;
  std::string phase;      // while blocked
  std::string condition;  // type carrying the reason
  std::string reason;
  std::vector<std::string> message_has;  // the object and the fix
};

class ControllerBlocked : public ControllerTest {
 protected:
  void TearDown() override {
    for (const auto& extra : extra_namespaces_) {
      try {
        c().Delete(res::kNamespaces, "", extra, {.propagation_policy = "Background"});
      } catch (const std::exception& e) {
        ADD_FAILURE() << "deleting namespace " << extra << ": " << e.what();
      }
    }
    ControllerTest::TearDown();
  }

  std::string ExtraNamespace(const std::string& prefix) {
    const std::string name = UniqueName(prefix);
    c().Create(res::kNamespaces, "",
               {{"apiVersion", "v1"},
                {"kind", "Namespace"},
                {"metadata", {{"name", name}, {"labels", {{"tfws.io/e2e", "true"}}}}}});
    extra_namespaces_.push_back(name);
    // Measured: 0.0-0.4 s (TFWS_E2E_WAIT_LOG=1, 2 runs); 10 s (the service-account controller).
    WaitFor([&] { return !c().Get(res::kServiceAccounts, name, "default").is_null(); }, seconds(10));
    return name;
  }

  void CreateIn(const std::string& ns, const std::string& name, const Json& spec) {
    auto ws = WorkspaceObject(name, spec);
    ws["metadata"]["namespace"] = ns;
    c().Create(res::kTFWorkspaces, ns, ws);
  }

  Json Get(const std::string& ns, const std::string& name) { return c().Get(res::kTFWorkspaces, ns, name); }

  // The Warning Event about `name` with `reason`, or null.
  Json FindEvent(const std::string& ns, const std::string& name, const std::string& reason) {
    const Json events = c().List(res::kEvents, ns);
    for (const Json& e : events["items"]) {
      if (e["regarding"].value("name", "") == name && e.value("reason", "") == reason) return e;
    }
    return nullptr;
  }

  Json ForeignObject(const std::string& kind, const std::string& api_version, const std::string& name) {
    return {{"apiVersion", api_version},
            {"kind", kind},
            {"metadata", {{"name", name}, {"namespace", ns()}, {"labels", {{"app", "someone-else"}}}}}};
  }

  std::vector<std::string> extra_namespaces_;
};

TEST_F(ControllerBlocked, EveryCauseIsInStatusRetriedSparinglyAndClearsWithoutAnEdit) {
  const std::string quota_ns = ExtraNamespace("e2e-quota");
  const std::string limit_ns = ExtraNamespace("e2e-limit");

  // Causes that exist before the workspaces: a quota of zero Services, a
  // LimitRange below the workspace's memory limit (512Mi), foreign objects
  // holding children's names.
  c().Create(res::kResourceQuotas, quota_ns,
             {{"apiVersion", "v1"},
              {"kind", "ResourceQuota"},
              {"metadata", {{"name", "no-services"}}},
              {"spec", {{"hard", {{"count/services", "0"}}}}}});
  // Quota admission refuses everything it counts until the quota controller has computed status.
  // Measured: 0.0-0.1 s (TFWS_E2E_WAIT_LOG=1, 2 runs); 10 s.
  ASSERT_TRUE(WaitFor([&] { return c().Get(res::kResourceQuotas, quota_ns, "no-services")["status"].contains("hard"); },
                      seconds(10)));
  c().Create(kLimitRanges, limit_ns,
             {{"apiVersion", "v1"},
              {"kind", "LimitRange"},
              {"metadata", {{"name", "small"}}},
              {"spec", {{"limits", Json::array({{{"type", "Container"}, {"max", {{"memory", "256Mi"}}}}})}}}});
  Json service = ForeignObject("Service", "v1", "held-svc");
  service["spec"] = {{"ports", Json::array({{{"port", 80}}})}};
  c().Create(res::kServices, ns(), service);
  Json secret = ForeignObject("Secret", "v1", "held-secret-token");
  secret["stringData"] = {{"token", "not-the-operators"}};
  c().Create(res::kSecrets, ns(), secret);
  Json pvc = ForeignObject("PersistentVolumeClaim", "v1", "held-pvc-home");
  pvc["spec"] = {{"accessModes", Json::array({"ReadWriteOnce"})}, {"resources", {{"requests", {{"storage", "1Gi"}}}}}};
  c().Create(res::kPersistentVolumeClaims, ns(), pvc);
  Json pod = ForeignObject("Pod", "v1", "held-pod");
  pod["spec"] = {{"containers", Json::array({{{"name", "c"}, {"image", "registry.example/none:1"}}})}};
  c().Create(res::kPods, ns(), pod);

  Json bad_ingress = CpuSpec();
  bad_ingress["ingress"] = {{"enabled", true}, {"path", "/a/../b/"}};
  Json missing_secret = CpuSpec();
  missing_secret["jupyter"] = {{"tokenSecretRef", {{"name", "mine"}, {"key", "token"}}}};
  Json missing_claim = CpuSpec();
  missing_claim["storage"] = {{"workspace", {{"existingClaim", "my-data"}}}};
  Json offset_restart = CpuSpec();
  offset_restart["restartedAt"] = "2026-11-29T10:00:00+01:00";

  const std::vector<Blocked> blocked = {
      {ns(), "bad-ingress", "Failed", "ConfigValid", "ChildRejected", {"Ingress \"bad-ingress\"", "spec.ingress"}},
      {ns(), "held-svc", "Failed", "ConfigValid", "NameConflict", {"Service \"held-svc\"", "rename"}},
      {ns(), "held-secret", "Failed", "ConfigValid", "NameConflict", {"Secret \"held-secret-token\"", "rename"}},
      {ns(), "held-pvc", "Pending", "StorageReady", "NameConflict",
       {"PersistentVolumeClaim \"held-pvc-home\"", "existingClaim"}},
      {ns(), "held-pod", "Failed", "ConfigValid", "NameConflict", {"Pod \"held-pod\"", "rename"}},
      {ns(), "missing-secret", "Failed", "ConfigValid", "SecretNotFound", {"Secret \"mine\"", "create it"}},
      {ns(), "missing-claim", "Pending", "StorageReady", "ClaimNotFound",
       {"PersistentVolumeClaim \"my-data\"", "create it"}},
      {quota_ns, "quota", "Pending", "Scheduled", "QuotaExceeded", {"Service \"quota\"", "ResourceQuota"}},
      {limit_ns, "limited", "Failed", "ConfigValid", "PodRejected", {"Pod \"limited\"", "admission"}},
  };
  for (const auto& b : blocked) {
    Json spec = CpuSpec();
    if (b.name == "bad-ingress") spec = bad_ingress;
    if (b.name == "missing-secret") spec = missing_secret;
    if (b.name == "missing-claim") spec = missing_claim;
    CreateIn(b.ns, b.name, spec);
  }
  CreateIn(ns(), "offset-restart", offset_restart);

  // Every workspace says why it is blocked. Measured: all within 0.4-0.7 s (TFWS_E2E_WAIT_LOG=1, 2 runs,
  // one beside a build); this comment said ~10 s on 2 busy cores before, so 20 s is 2x the worst.
  for (const auto& b : blocked) {
    Json ws;
    const bool reached = WaitFor(
        [&] {
          ws = Get(b.ns, b.name);
          const Json c = Condition(ws, b.condition);
          return Phase(ws) == b.phase && !c.is_null() && c.value("status", "") == "False" &&
                 c.value("reason", "") == b.reason;
        },
        seconds(20));
    EXPECT_TRUE(reached) << b.name << ": want phase " << b.phase << " and " << b.condition << "=False/" << b.reason
                         << ", have " << DescribeStatus(ws) << "\n"
                         << op().Tail(3000);
    if (!reached) continue;
    const std::string message = Condition(ws, b.condition).value("message", "");
    for (const auto& part : b.message_has) {
      EXPECT_NE(message.find(part), std::string::npos) << b.name << ": message lacks \"" << part << "\": " << message;
    }
    EXPECT_EQ(ws["status"].value("message", ""), message) << b.name;
  }
  // The offset is an instant like any other: no "must be an RFC 3339 date-time".
  ExpectPhase("offset-restart", "Running", seconds(10));  // measured 0.0-0.3 s (TFWS_E2E_WAIT_LOG=1, 2 runs)
  ASSERT_FALSE(HasFailure());

  // One Warning Event per blocked workspace, named after the reason (the
  // recorder writes asynchronously; measured 0.0 s, TFWS_E2E_WAIT_LOG=1, 2 runs: 5 s).
  for (const auto& b : blocked) {
    Json event;
    EXPECT_TRUE(WaitFor([&] { return !(event = FindEvent(b.ns, b.name, b.reason)).is_null(); }, seconds(5)))
        << b.name << ": no Event with reason " << b.reason;
    if (!event.is_null()) {
      EXPECT_EQ(event.value("type", ""), "Warning") << b.name;
      EXPECT_EQ(event.value("series", Json::object()).value("count", 1), 1) << b.name << ": repeated Event";
    }
  }

  // Writes over the window: a read is how a name conflict, a missing
  // reference or an invalid child is looked at again, so none of those
  // write; a quota is retried when a quota changes (none does here); an
  // admission rule is retried at 5 s doubling to 60 s (at most 5 tries in 60 s).
  const int window = IntFromEnv("TFWS_E2E_BLOCKED_WINDOW_SECONDS", 60);
  std::uintmax_t start = AuditLogSize();
  std::this_thread::sleep_for(seconds(window));
  const auto in_ns = OperatorWritesIn(ns(), start);
  EXPECT_EQ(in_ns.size(), 0u) << "writes for workspaces whose retry is a read:\n" << Describe(in_ns);
  const auto in_quota_ns = OperatorWritesIn(quota_ns, start);
  EXPECT_EQ(in_quota_ns.size(), 0u) << "writes for a workspace blocked by a quota that did not change:\n"
                                    << Describe(in_quota_ns);
  // From the first retry on, each write is the refused Pod create itself:
  // status and Event are written on the transition (the window may still
  // catch its last status patch, e.g. the claim found Bound), not per retry.
  const auto in_limit_ns = OperatorWritesIn(limit_ns, start);
  EXPECT_LE(in_limit_ns.size(), 5u) << Describe(in_limit_ns);
  const auto is_pod_create = [](const AuditWrite& w) {
    return w.verb == "create" && w.uri.find("/pods?") != std::string::npos;
  };
  const auto first_retry = std::find_if(in_limit_ns.begin(), in_limit_ns.end(), is_pod_create);
  EXPECT_TRUE(std::all_of(first_retry, in_limit_ns.end(), is_pod_create))
      << "a retry of the refused Pod wrote something else:\n" << Describe(in_limit_ns);

  // A restart changes nothing for them either: status already says why.
  start = AuditLogSize();
  EXPECT_EQ(op().Stop(), 0) << op().Tail(2000);
  op().Start();
  ASSERT_TRUE(op().WaitReady()) << op().Tail(3000);
  std::this_thread::sleep_for(seconds(10));  // the initial list's passes run within ~2 s
  for (const auto& quiet_ns : {ns(), quota_ns}) {
    const auto after_restart = OperatorWritesIn(quiet_ns, start);
    EXPECT_EQ(after_restart.size(), 0u) << "writes in " << quiet_ns << " after a restart:\n"
                                        << Describe(after_restart) << op().Tail(2000);
  }

  // Remove every cause; no edit to any workspace (the Ingress path is in the
  // spec, so that one's fix is an edit of the spec).
  c().Delete(res::kResourceQuotas, quota_ns, "no-services");
  c().Delete(kLimitRanges, limit_ns, "small");
  c().Delete(res::kServices, ns(), "held-svc");
  c().Delete(res::kSecrets, ns(), "held-secret-token");
  c().Delete(res::kPersistentVolumeClaims, ns(), "held-pvc-home");
  c().Delete(res::kPods, ns(), "held-pod", {.grace_period_seconds = 0});
  Json mine = {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "mine"}}},
               {"stringData", {{"token", "my-own-token"}}}};
  c().Create(res::kSecrets, ns(), mine);
  Json claim = {{"apiVersion", "v1"}, {"kind", "PersistentVolumeClaim"}, {"metadata", {{"name", "my-data"}}},
                {"spec", pvc["spec"]}};
  c().Create(res::kPersistentVolumeClaims, ns(), claim);
  PatchSpec("bad-ingress", {{"ingress", {{"path", "/ok/"}}}});

  // Slowest: a cause looked at again at its next retry, then a Pod start
  // (this comment said ~70 s before). Measured: all Running
  // 14.3-14.7 s after the causes were removed (TFWS_E2E_WAIT_LOG=1, 2 runs); 30 s is 2x.
  for (const auto& b : blocked) {
    std::string last;
    EXPECT_TRUE(WaitForPhase(c(), b.ns, b.name, "Running", seconds(30), &last))
        << b.name << " after its cause was removed: " << last << "\n"
        << op().Tail(2000);
  }
}

}  // namespace
}  // namespace tfws::e2e
