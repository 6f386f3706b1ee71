#include "gpu_inventory.h"

#include <algorithm>
#include <map>

#include "workspace/gpu_resource.h"

namespace tfws::plugin {

namespace {

using nlohmann::json;

const json& Obj(const json& j, const char* key) {
  static const json kEmpty = json::object();
  if (!j.is_object()) return kEmpty;
  auto it = j.find(key);
  return it == j.end() || !it->is_object() ? kEmpty : *it;
}

// The Pod's effective request of each GPU resource: max(sum over containers,
// max over init containers), a container's request defaulting to its limit.
std::map<std::string, long long> PodGpuRequests(const json& pod) {
  auto container_requests = [](const json& c) {
    std::map<std::string, long long> out;
    const auto& res = Obj(c, "resources");
    for (const auto* list : {&Obj(res, "limits"), &Obj(res, "requests")}) {  // requests win
      for (auto it = list->begin(); it != list->end(); ++it) {
        if (!workspace::IsGpuResource(it.key())) continue;
        if (auto n = IntegerQuantity(it.value())) out[it.key()] = *n;
      }
    }
    return out;
  };
  std::map<std::string, long long> total;
  const auto& spec = Obj(pod, "spec");
  for (const auto& c : spec.value("containers", json::array())) {
    for (const auto& [r, n] : container_requests(c)) total[r] += n;
  }
  for (const auto& c : spec.value("initContainers", json::array())) {
    for (const auto& [r, n] : container_requests(c)) total[r] = std::max(total[r], n);
  }
  return total;
}

}  // namespace

std::optional<long long> IntegerQuantity(const json& value) {
  if (value.is_number_integer()) return value.get<long long>() >= 0 ? std::optional(value.get<long long>()) : std::nullopt;
  if (!value.is_string()) return std::nullopt;
  const auto text = value.get<std::string>();
  if (text.empty() || text.size() > 18 || !std::all_of(text.begin(), text.end(), ::isdigit)) return std::nullopt;
  return std::stoll(text);
}

std::vector<NodeGpus> ComputeNodeGpus(const json& nodes, const json& pods) {
  std::map<std::pair<std::string, std::string>, long long> allocated;
  for (const auto& pod : pods.value("items", json::array())) {
    const auto node = Obj(pod, "spec").value("nodeName", "");
    const auto phase = Obj(pod, "status").value("phase", "");
    if (node.empty() || phase == "Succeeded" || phase == "Failed") continue;
    for (const auto& [r, n] : PodGpuRequests(pod)) allocated[{node, r}] += n;
  }
  std::vector<NodeGpus> rows;
  for (const auto& node : nodes.value("items", json::array())) {
    const auto name = Obj(node, "metadata").value("name", "");
    const auto& allocatable = Obj(Obj(node, "status"), "allocatable");
    for (auto it = allocatable.begin(); it != allocatable.end(); ++it) {
      if (!workspace::IsGpuResource(it.key())) continue;
      const auto n = IntegerQuantity(it.value());
      if (!n || *n == 0) continue;
      NodeGpus row;
      row.node = name;
      row.product = Obj(Obj(node, "metadata"), "labels").value("nvidia.com/gpu.product", "");
      row.resource = it.key();
      row.allocatable = *n;
      auto a = allocated.find({name, it.key()});
      row.allocated = a == allocated.end() ? 0 : a->second;
      row.schedulable = !Obj(node, "spec").value("unschedulable", false);
      rows.push_back(row);
    }
  }
  std::sort(rows.begin(), rows.end(), [](const NodeGpus& a, const NodeGpus& b) {
    return std::tie(a.node, a.resource) < std::tie(b.node, b.resource);
  });
  return rows;
}

std::vector<ProductGpus> SummarizeByProduct(const std::vector<NodeGpus>& rows) {
  std::map<std::pair<std::string, std::string>, ProductGpus> by;
  for (const auto& row : rows) {
    auto& p = by[{row.product, row.resource}];
    p.product = row.product;
    p.resource = row.resource;
    p.allocatable += row.allocatable;
    p.allocated += row.allocated;
    p.free += row.Free();
    p.largest_free_on_one_node = std::max(p.largest_free_on_one_node, row.Free());
  }
  std::vector<ProductGpus> out;
  for (auto& [key, p] : by) out.push_back(p);
  return out;
}

std::vector<QuotaLeft> GpuQuotas(const json& quotas) {
  std::vector<QuotaLeft> out;
  for (const auto& q : quotas.value("items", json::array())) {
    const auto& hard = Obj(Obj(q, "status"), "hard").empty() ? Obj(Obj(q, "spec"), "hard") : Obj(Obj(q, "status"), "hard");
    const auto& used = Obj(Obj(q, "status"), "used");
    for (auto it = hard.begin(); it != hard.end(); ++it) {
      std::string resource = it.key();
      if (resource.rfind("requests.", 0) == 0) resource = resource.substr(9);
      if (!workspace::IsGpuResource(resource)) continue;
      QuotaLeft left;
      left.quota = Obj(q, "metadata").value("name", "");
      left.resource = it.key();
      left.hard = IntegerQuantity(it.value()).value_or(0);
      left.used = used.contains(it.key()) ? IntegerQuantity(used[it.key()]).value_or(0) : 0;
      out.push_back(left);
    }
  }
  return out;
}

}  // namespace tfws::plugin
