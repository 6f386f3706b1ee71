#include "workspace/object_metadata.h"

namespace tfws::workspace {

using kube::Json;

const Json& Meta(const Json& obj) {
  static const Json kEmpty = Json::object();
  auto it = obj.find("metadata");
  return it != obj.end() && it->is_object() ? *it : kEmpty;
}

std::string Annotation(const Json& obj, const char* key) {
  const Json& meta = Meta(obj);
  auto it = meta.find("annotations");
  if (it == meta.end() || !it->is_object()) return {};
  return it->value(key, "");
}

std::string Label(const Json& obj, const char* key) {
  const Json& meta = Meta(obj);
  auto it = meta.find("labels");
  if (it == meta.end() || !it->is_object()) return {};
  return it->value(key, "");
}

bool IsControlledBy(const Json& obj, const std::string& uid) {
  for (const auto& ref : Meta(obj).value("ownerReferences", Json::array())) {
    if (ref.value("controller", false) && ref.value("uid", "") == uid) return true;
  }
  return false;
}

bool IsTerminating(const Json& obj) {
  const Json& meta = Meta(obj);
  return meta.contains("deletionTimestamp") && !meta["deletionTimestamp"].is_null();
}

}  // namespace tfws::workspace
