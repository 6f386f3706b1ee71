// The identity e2e operators run as: the chart's ServiceAccount, bound to exactly the roles
// `helm template charts/tfws-operator` renders for it (never a hand-written copy), so every e2e
// suite that starts an operator also proves the chart grants enough, and the audit log of the
// whole e2e run shows which of the chart's grants the operator used (tests/e2e/rbac_coverage.py).
//
// - InstallChartIdentity renders the chart (helm from `hack/testenv bin`) and applies its
//   ServiceAccount, its ConfigMap, and the (Cluster)Roles and (Cluster)RoleBindings that bind that
//   ServiceAccount; nothing else (not the user ClusterRoles, not the admission policies).
// - ProcessOperatorIdentity(): one such installation per test process (cluster-wide mode, in a
//   namespace of its own, "tfws-e2e-operator-<random>"), made on first use and removed when the
//   test program ends; OperatorProcess uses it unless a test passes its own kubeconfig.
// - ForbiddenSince lists the requests the API server refused a user (audit annotation
//   authorization.k8s.io/decision=forbid): a verb the operator uses that the chart does not grant.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "kube/client.h"
#include "kube/resource.h"

namespace tfws::e2e {

struct ChartIdentity {
  std::string release;          // fullnameOverride of the render
  std::string ns;               // the release namespace (where the ServiceAccount lives)
  std::string service_account;  // its name
  nlohmann::json deployment;    // the rendered operator Deployment (its flags)
  std::string config_yaml;      // the rendered OperatorConfig (ConfigMap key config.yaml)
  std::string kubeconfig;       // the ServiceAccount's kubeconfig (TokenRequest token); see WriteKubeconfig
  std::vector<std::pair<kube::Resource, std::string>> cluster_objects;  // applied cluster-scoped objects

  // system:serviceaccount:<ns>:<service_account>
  std::string Username() const;
};

// Renders the chart as release `release` in namespace `ns` (which must exist) with the extra
// `helm template` arguments (e.g. {"--set", "watchNamespaces={a,b}"}) and applies what binds its
// ServiceAccount. Throws std::runtime_error naming the step that failed.
ChartIdentity InstallChartIdentity(kube::Client& admin, const std::string& release, const std::string& ns,
                                   const std::vector<std::string>& helm_args = {});
// Writes a kubeconfig for identity's ServiceAccount (testenv server and CA, a 2 h TokenRequest
// token) into a temporary folder and sets identity.kubeconfig to its path.
void WriteKubeconfig(ChartIdentity& identity);
// Deletes the cluster-scoped objects InstallChartIdentity applied (namespaced ones go with their namespace).
void RemoveClusterObjects(kube::Client& admin, const ChartIdentity& identity);

// The chart identity of this test process (cluster-wide mode), installed on first call; thread-safe.
const ChartIdentity& ProcessOperatorIdentity();
// Grants ProcessOperatorIdentity() the chart's leader-election Role for Lease `id` in `ns` (the chart
// rendered with leaderElection.namespace/id set): what an operator started with --leader-elect
// --leader-election-namespace ns --leader-election-id id needs.
void GrantProcessIdentityLease(const std::string& ns, const std::string& id);

// "verb resource[/subresource] (requestURI)" of every request of `username` the API server's
// authorizer refused, logged after audit-log offset `offset`.
std::vector<std::string> ForbiddenSince(const std::string& username, std::uintmax_t offset);

}  // namespace tfws::e2e
