#include "runtime/cache_trim.h"

namespace tfws::runtime {
namespace {

const kube::Json& PodMask() {
  static const kube::Json mask = [] {
    kube::Json container = {{"name", true}, {"image", true}, {"resources", true}, {"ports", true}};
    kube::Json status = {{"name", true},    {"ready", true},     {"started", true}, {"restartCount", true},
                         {"state", true},   {"lastState", true}, {"image", true},   {"imageID", true}};
    return kube::Json{
        {"apiVersion", true},
        {"kind", true},
        {"metadata", true},
        {"spec",
         {{"nodeName", true},
          {"nodeSelector", true},
          {"tolerations", true},
          {"restartPolicy", true},
          {"serviceAccountName", true},
          {"schedulerName", true},
          {"priorityClassName", true},
          {"containers", container},
          {"initContainers", container},
          {"volumes", {{"name", true}, {"persistentVolumeClaim", true}}}}},
        {"status",
         {{"phase", true},
          {"conditions", true},
          {"containerStatuses", status},
          {"initContainerStatuses", status},
          {"podIP", true},
          {"podIPs", true},
          {"hostIP", true},
          {"startTime", true},
          {"reason", true},
          {"message", true},
          {"nominatedNodeName", true},
          {"qosClass", true}}}};
  }();
  return mask;
}

// Children that reconcile compares by their tfws.io/spec-hash annotation only.
const kube::Json& MetadataMask() {
  static const kube::Json mask = {{"apiVersion", true}, {"kind", true}, {"metadata", true}};
  return mask;
}

const kube::Json& ClaimMask() {
  static const kube::Json mask = {
      {"apiVersion", true}, {"kind", true}, {"metadata", true}, {"status", {{"phase", true}}}};
  return mask;
}

}  // namespace

kube::Json DropServerBookkeeping(kube::Json object) {
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return object;
  meta->erase("managedFields");
  auto annotations = meta->find("annotations");
  if (annotations != meta->end() && annotations->is_object()) {
    annotations->erase("kubectl.kubernetes.io/last-applied-configuration");
    if (annotations->empty()) meta->erase("annotations");
  }
  return object;
}

kube::Json KeepOnly(const kube::Json& value, const kube::Json& mask) {
  if (!mask.is_object()) return value;  // `true`: keep everything
  if (value.is_array()) {
    kube::Json out = kube::Json::array();
    for (const auto& element : value) out.push_back(KeepOnly(element, mask));
    return out;
  }
  if (!value.is_object()) return value;  // unexpected shape: keep it
  kube::Json out = kube::Json::object();
  for (auto it = mask.begin(); it != mask.end(); ++it) {
    auto field = value.find(it.key());
    if (field != value.end()) out[it.key()] = KeepOnly(*field, it.value());
  }
  return out;
}

Transform TrimForCache(const std::string& kind) {
  if (kind == "Pod") {
    return [](kube::Json o) { return KeepOnly(DropServerBookkeeping(std::move(o)), PodMask()); };
  }
  if (kind == "Service" || kind == "NetworkPolicy" || kind == "Ingress") {
    return [](kube::Json o) { return KeepOnly(DropServerBookkeeping(std::move(o)), MetadataMask()); };
  }
  if (kind == "PersistentVolumeClaim") {
    return [](kube::Json o) { return KeepOnly(DropServerBookkeeping(std::move(o)), ClaimMask()); };
  }
  if (kind == "Node") {
    return [](kube::Json o) {
      o = DropServerBookkeeping(std::move(o));
      auto status = o.find("status");
      if (status != o.end() && status->is_object()) {
        status->erase("images");
        status->erase("volumesInUse");
        status->erase("volumesAttached");
      }
      return o;
    };
  }
  return [](kube::Json o) { return DropServerBookkeeping(std::move(o)); };
}

}  // namespace tfws::runtime
