// The operator killed with SIGKILL in the middle of creating 100 workspaces,
// then restarted: every workspace converges to Running with exactly one Pod,
// Service and token Secret (no duplicates, nothing orphaned) — issue 4.
//
// Storage: testenv's PV pool is 200 PVs with reclaim policy Retain (a deleted
// claim never frees its PV). When the pool has fewer than 100 + 20 Available
// PVs left, the workspaces share one ReadWriteMany claim (existingClaim)
// instead of creating their own, and the test says so on stdout.
// TFWS_E2E_CRASH_WORKSPACES overrides the count (default 100).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <map>
#include <thread>

#include "kube/api_error.h"
#include "operator_process.h"
#include "testenv_fixture.h"

namespace tfws::e2e {
namespace {

namespace res = kube::resources;
using Json = nlohmann::json;
using std::chrono::seconds;

int WorkspaceCount() { return IntFromEnv("TFWS_E2E_CRASH_WORKSPACES", 100); }

// name -> count of objects of one kind controlled by that workspace.
std::map<std::string, int> ControlledBy(const Json& list, std::map<std::string, std::string>& uid_to_name,
                                        std::vector<std::string>& unexpected, const std::string& kind,
                                        const std::string& suffix) {
  std::map<std::string, int> count;
  for (const Json& item : list["items"]) {
    for (const Json& ref : item["metadata"].value("ownerReferences", Json::array())) {
      if (!ref.value("controller", false) || ref.value("kind", "") != "TFWorkspace") continue;
      auto it = uid_to_name.find(ref.value("uid", ""));
      if (it == uid_to_name.end()) {
        unexpected.push_back(kind + " " + item["metadata"].value("name", "") + " owned by an unknown workspace uid");
        continue;
      }
      ++count[it->second];
      if (item["metadata"].value("name", "") != it->second + suffix) {
        unexpected.push_back(kind + " " + item["metadata"].value("name", "") + " owned by " + it->second +
                             " (expected name " + it->second + suffix + ")");
      }
    }
  }
  return count;
}

class ControllerCrash : public ControllerTest {};

TEST_F(ControllerCrash, SigkillWhileCreatingManyWorkspacesThenRestartConvergesWithoutDuplicates) {
  const int n = WorkspaceCount();
  const std::string ns_name = ns();  // ns() creates the namespace lazily and is not thread-safe
  auto fast = MakeTestenvClient({.qps = 0, .user_agent = "tfws-e2e-controller/1"});

  int available = 0;
  const Json pvs = fast->ListAll(res::kPersistentVolumes, "");
  for (const Json& pv : pvs["items"]) {
    if (pv["status"].value("phase", "") == "Available") ++available;
  }
  const bool own_claims = available >= n + 20;
  Json spec = CpuSpec();
  if (!own_claims) {
    std::cout << "[ControllerCrash] only " << available << " Available PVs in the testenv pool: the " << n
              << " workspaces share one ReadWriteMany claim (spec.storage.workspace.existingClaim)\n";
    fast->Create(res::kPersistentVolumeClaims, ns(),
                 {{"apiVersion", "v1"},
                  {"kind", "PersistentVolumeClaim"},
                  {"metadata", {{"name", "shared-home"}, {"namespace", ns()}}},
                  {"spec",
                   {{"accessModes", Json::array({"ReadWriteMany"})},
                    {"resources", {{"requests", {{"storage", "1Gi"}}}}}}}});
    spec["storage"] = {{"workspace", {{"existingClaim", "shared-home"}}}};
  } else {
    std::cout << "[ControllerCrash] " << available << " Available PVs: each of the " << n
              << " workspaces gets its own 1Gi claim\n";
    // Delete policy: the claim is then owned by its workspace (a Retain claim has no
    // ownerReference by design), so "one PVC per workspace" is counted by owner below.
    spec["storage"]["reclaimPolicy"] = "Delete";
  }

  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) names.push_back("crash-" + std::to_string(i));

  // Create from 4 threads; SIGKILL the operator a few seconds in, while
  // creation (and the operator's reconciles) are in full swing.
  std::atomic<int> next{0}, created{0};
  std::vector<std::string> errors;
  std::mutex errors_mu;
  std::vector<std::jthread> creators;
  for (int t = 0; t < 4; ++t) {
    creators.emplace_back([&] {
      for (int i = next++; i < n; i = next++) {
        try {
          Json ws = WorkspaceObject(names[i], spec);
          ws["metadata"]["namespace"] = ns_name;
          fast->Create(res::kTFWorkspaces, ns_name, ws);
          ++created;
          std::this_thread::sleep_for(std::chrono::milliseconds(150));  // ~25/s: 100 take ~4 s
        } catch (const std::exception& e) {
          std::lock_guard lock(errors_mu);
          errors.push_back(names[i] + ": " + e.what());
        }
      }
    });
  }
  WaitFor([&] { return created.load() >= n / 3; }, seconds(10), std::chrono::milliseconds(20));  // measured 3.1 s
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const int at_kill = created.load();
  op().Kill();
  creators.clear();  // join
  ASSERT_TRUE(errors.empty()) << errors.size() << " creates failed, first: " << errors.front();
  std::cout << "[ControllerCrash] SIGKILL after " << at_kill << "/" << n << " workspaces were created\n";
  {
    // How far the operator got: some children exist, not all.
    int pods = static_cast<int>(fast->ListAll(res::kPods, ns())["items"].size());
    std::cout << "[ControllerCrash] pods at kill time: " << pods << "\n";
  }

  op().Start();
  ASSERT_TRUE(op().WaitReady()) << "restarted operator not ready\n" << op().Tail(3000);
  ASSERT_EQ(static_cast<int>(fast->ListAll(res::kTFWorkspaces, ns())["items"].size()), n)
      << "workspaces created by the test";

  std::map<std::string, std::string> phases;
  bool converged = WaitFor(
      [&] {
        Json list = fast->ListAll(res::kTFWorkspaces, ns());
        int running = 0;
        for (const Json& ws : list["items"]) {
          phases[ws["metadata"]["name"]] = Phase(ws);
          if (Phase(ws) == "Running") ++running;
        }
        return running == n;
      },
      seconds(60), seconds(2));  // measured 26.3 s (TFWS_E2E_WAIT_LOG=1; ~700 requests at the client's 20/s)
  if (!converged) {
    std::map<std::string, int> by_phase;
    std::string sample;
    for (auto& [name, phase] : phases) {
      ++by_phase[phase];
      if (phase != "Running" && sample.size() < 1500) sample += DescribeStatus(fast->Get(res::kTFWorkspaces, ns(), name)) + "\n";
    }
    std::string summary;
    for (auto& [phase, count] : by_phase) summary += " " + (phase.empty() ? "<none>" : phase) + "=" + std::to_string(count);
    ADD_FAILURE() << "not all " << n << " workspaces Running within 240s after the restart:" << summary << "\n"
                  << sample << op().Tail(2500);
  }

  // Exactly one of each child per workspace, correctly named, none orphaned.
  std::map<std::string, std::string> uid_to_name;
  const Json workspaces = fast->ListAll(res::kTFWorkspaces, ns());
  for (const Json& ws : workspaces["items"]) {
    uid_to_name[ws["metadata"]["uid"]] = ws["metadata"]["name"];
  }
  ASSERT_EQ(static_cast<int>(uid_to_name.size()), n);
  std::vector<std::string> unexpected;
  Json pods = fast->ListAll(res::kPods, ns());
  Json services = fast->ListAll(res::kServices, ns());
  Json secrets = fast->ListAll(res::kSecrets, ns());
  auto pod_count = ControlledBy(pods, uid_to_name, unexpected, "Pod", "");
  auto svc_count = ControlledBy(services, uid_to_name, unexpected, "Service", "");
  auto secret_count = ControlledBy(secrets, uid_to_name, unexpected, "Secret", "-token");
  EXPECT_EQ(static_cast<int>(pods["items"].size()), n) << "Pods in the namespace";
  EXPECT_EQ(static_cast<int>(services["items"].size()), n) << "Services in the namespace";
  int bad = 0;
  for (const auto& name : names) {
    if (pod_count[name] != 1 || svc_count[name] != 1 || secret_count[name] != 1) {
      if (++bad <= 10) {
        ADD_FAILURE() << name << ": pods=" << pod_count[name] << " services=" << svc_count[name]
                      << " token secrets=" << secret_count[name] << " (want 1 each)";
      }
    }
  }
  EXPECT_EQ(bad, 0) << bad << " workspaces without exactly one Pod/Service/Secret";
  EXPECT_TRUE(unexpected.empty()) << unexpected.size() << " unexpected children, first: "
                                  << (unexpected.empty() ? "" : unexpected.front());
  if (own_claims) {
    auto pvc_count = ControlledBy(fast->ListAll(res::kPersistentVolumeClaims, ns()), uid_to_name, unexpected,
                                  "PVC", "-home");
    int bad_pvc = 0;
    for (const auto& name : names) bad_pvc += pvc_count[name] != 1;
    EXPECT_EQ(bad_pvc, 0) << "workspaces without exactly one PVC";
  }
}

}  // namespace
}  // namespace tfws::e2e
