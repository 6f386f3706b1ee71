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
          {"schedulingGates", true},
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

// What is kept of every object: its identity and metadata.
const kube::Json& MetadataMask() {
  static const kube::Json mask = {{"apiVersion", true}, {"kind", true}, {"metadata", true}};
  return mask;
}

const kube::Json& ClaimMask() {
  static const kube::Json mask = {
      {"apiVersion", true}, {"kind", true}, {"metadata", true}, {"status", {{"phase", true}}}};
  return mask;
}

// The union of two fieldsV1 trees.
void MergeFieldSets(kube::Json& into, const kube::Json& from) {
  if (!from.is_object()) return;
  if (!into.is_object()) into = kube::Json::object();
  for (auto it = from.begin(); it != from.end(); ++it) MergeFieldSets(into[it.key()], it.value());
}

// Whether list element `element` is the one fieldsV1 key `key` ("k:{...}",
// "v:...", "i:N") names at `index`.
bool Names(const std::string& key, const kube::Json& element, std::size_t index) {
  const std::string body = key.substr(2);
  if (key.starts_with("i:")) return body == std::to_string(index);
  const kube::Json wanted = kube::Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (wanted.is_discarded()) return false;
  if (key.starts_with("v:")) return element == wanted;
  if (!key.starts_with("k:") || !wanted.is_object() || !element.is_object()) return false;
  for (auto it = wanted.begin(); it != wanted.end(); ++it) {
    auto field = element.find(it.key());
    if (field == element.end() || *field != it.value()) return false;
  }
  return true;
}

// `value` cut down to the fields fieldsV1 node `fields` names.
kube::Json Project(const kube::Json& value, const kube::Json& fields) {
  if (!fields.is_object() || fields.empty()) return value;  // a leaf: the whole value
  if (value.is_object()) {
    kube::Json out = kube::Json::object();
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      if (!it.key().starts_with("f:")) continue;
      auto field = value.find(it.key().substr(2));
      if (field != value.end()) out[it.key().substr(2)] = Project(*field, it.value());
    }
    return out;
  }
  if (value.is_array()) {
    kube::Json out = kube::Json::array();
    for (std::size_t i = 0; i < value.size(); ++i) {
      for (auto it = fields.begin(); it != fields.end(); ++it) {
        if (it.key() != "." && Names(it.key(), value[i], i)) {
          out.push_back(Project(value[i], it.value()));
          break;
        }
      }
    }
    return out;
  }
  return value;
}

}  // namespace

kube::Json OwnedFields(const kube::Json& object, const std::string& manager) {
  kube::Json fields = kube::Json::object();
  const auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return fields;
  const auto entries = meta->find("managedFields");
  if (entries == meta->end() || !entries->is_array()) return fields;
  for (const auto& entry : *entries) {
    if (entry.is_object() && entry.value("manager", "") == manager && entry.contains("fieldsV1")) {
      MergeFieldSets(fields, entry["fieldsV1"]);
    }
  }
  for (const char* skip : {"f:metadata", "f:apiVersion", "f:kind"}) fields.erase(skip);
  if (fields.empty()) return fields;
  return Project(object, fields);
}

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

Transform TrimForCache(const std::string& kind, const std::string& owner) {
  if (kind == "Pod") {
    return [](kube::Json o) { return KeepOnly(DropServerBookkeeping(std::move(o)), PodMask()); };
  }
  if (kind == "Service" || kind == "NetworkPolicy" || kind == "Ingress") {
    return [owner](kube::Json o) {
      kube::Json owned = owner.empty() ? kube::Json::object() : OwnedFields(o, owner);
      kube::Json trimmed = KeepOnly(DropServerBookkeeping(std::move(o)), MetadataMask());
      trimmed.update(owned);
      return trimmed;
    };
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
