// kubectl tfws gpus: free and allocated GPUs per node, per product and MIG
// profile, and what the namespace's ResourceQuotas still allow.
#include "command.h"
#include "errors.h"
#include "gpu_inventory.h"
#include "session.h"
#include "table.h"

namespace tfws::plugin {

namespace {

nlohmann::json ListOrExplain(Session& session, const kube::Resource& r, const std::string& ns,
                             const kube::ListOptions& options, const std::string& what) {
  try {
    return session.client().ListAll(r, ns, options);
  } catch (const kube::ApiError& e) {
    if (e.IsForbidden()) {
      throw PluginError("you may not list " + what + ": " + e.message() +
                        "; kubectl tfws gpus needs list on nodes and on pods in all namespaces: ask your platform "
                        "team for a ClusterRole granting them (docs/install.md, \"Users' RBAC\")");
    }
    throw PluginError(ExplainApiError(e, "list", what, ns));
  }
}

int Run(const Invocation& inv) {
  if (!inv.args.positional.empty()) throw UsageError("gpus takes no arguments");
  auto session = Session::Connect(inv.args);
  const auto nodes = ListOrExplain(session, kube::resources::kNodes, "", {}, "nodes");
  kube::ListOptions running;
  running.field_selector = "status.phase!=Succeeded,status.phase!=Failed";
  const auto pods = ListOrExplain(session, kube::resources::kPods, "", running, "pods in all namespaces");
  const auto rows = ComputeNodeGpus(nodes, pods);
  if (rows.empty()) {
    inv.out << "No node offers GPUs (no nvidia.com/gpu or MIG resource in any node's allocatable):\n"
               "the NVIDIA device plugin is not running, or this cluster has no GPU nodes.\n";
    return 0;
  }
  std::vector<std::vector<std::string>> table;
  if (inv.args.Bool("nodes")) {
    for (const auto& r : rows) {
      table.push_back({r.node, r.product.empty() ? "-" : r.product, r.resource, std::to_string(r.allocatable),
                       std::to_string(r.allocated), std::to_string(r.Free()) + (r.schedulable ? "" : " (cordoned)")});
    }
    PrintTable(inv.out, {"NODE", "PRODUCT", "RESOURCE", "ALLOCATABLE", "ALLOCATED", "FREE"}, table);
    inv.out << "\n";
    table.clear();
  }
  const auto quotas = GpuQuotas(
      ListOrExplain(session, kube::resources::kResourceQuotas, session.ns(), {}, "resourcequotas"));
  for (const auto& p : SummarizeByProduct(rows)) {
    long long now = p.largest_free_on_one_node;
    for (const auto& q : quotas) {
      const auto resource = q.resource.rfind("requests.", 0) == 0 ? q.resource.substr(9) : q.resource;
      if (resource == p.resource) now = std::min(now, q.Left());
    }
    table.push_back({p.product.empty() ? "-" : p.product, p.resource, std::to_string(p.allocatable),
                     std::to_string(p.allocated), std::to_string(p.free), std::to_string(now)});
  }
  PrintTable(inv.out, {"PRODUCT", "RESOURCE", "TOTAL", "ALLOCATED", "FREE", "YOU CAN GET NOW"}, table);
  inv.out << "\n";
  if (quotas.empty()) {
    inv.out << "Namespace " << session.ns() << " has no GPU quota.\n";
  } else {
    for (const auto& q : quotas) {
      inv.out << "Namespace " << session.ns() << " quota " << q.quota << ": " << q.resource << " " << q.used
              << " used of " << q.hard << ", " << q.Left() << " left\n";
    }
  }
  return 0;
}

}  // namespace

Command GpusCommand() {
  return {"gpus", "Show free and allocated GPUs per product, MIG profile and node: what you can get now",
          "kubectl tfws gpus [--nodes]",
          "FREE is node allocatable minus the requests of the Pods bound to the node that have\n"
          "not terminated (what the scheduler counts). YOU CAN GET NOW is the most one workspace\n"
          "can get: the largest free count on a single node, capped by your namespace's quota.\n"
          "\nExamples:\n  kubectl tfws gpus\n  kubectl tfws gpus --nodes\n",
          {{"nodes", 0, false, false, "", "also show one line per node"}},
          Run};
}

}  // namespace tfws::plugin
