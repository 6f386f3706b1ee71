#include "runtime/object.h"

namespace tfws::runtime {
namespace {

std::string StringAt(const kube::Json& object, const char* section, const char* field) {
  auto s = object.find(section);
  if (s == object.end() || !s->is_object()) return {};
  auto f = s->find(field);
  if (f == s->end() || !f->is_string()) return {};
  return f->get<std::string>();
}

}  // namespace

std::string MakeKey(const std::string& ns, const std::string& name) {
  return ns.empty() ? name : ns + "/" + name;
}

std::string KeyOf(const kube::Json& object) { return MakeKey(NamespaceOf(object), NameOf(object)); }

std::pair<std::string, std::string> SplitKey(const std::string& key) {
  auto slash = key.find('/');
  if (slash == std::string::npos) return {"", key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

std::string NamespaceOf(const kube::Json& object) { return StringAt(object, "metadata", "namespace"); }
std::string NameOf(const kube::Json& object) { return StringAt(object, "metadata", "name"); }
std::string UidOf(const kube::Json& object) { return StringAt(object, "metadata", "uid"); }
std::string ResourceVersionOf(const kube::Json& object) {
  return StringAt(object, "metadata", "resourceVersion");
}

std::vector<OwnerRef> OwnerReferencesOf(const kube::Json& object) {
  std::vector<OwnerRef> refs;
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return refs;
  auto owners = meta->find("ownerReferences");
  if (owners == meta->end() || !owners->is_array()) return refs;
  for (const auto& o : *owners) {
    if (!o.is_object()) continue;
    OwnerRef ref;
    ref.api_version = o.value("apiVersion", "");
    ref.kind = o.value("kind", "");
    ref.name = o.value("name", "");
    ref.uid = o.value("uid", "");
    ref.controller = o.value("controller", false);
    refs.push_back(std::move(ref));
  }
  return refs;
}

std::optional<OwnerRef> ControllerOf(const kube::Json& object) {
  for (auto& ref : OwnerReferencesOf(object)) {
    if (ref.controller) return ref;
  }
  return std::nullopt;
}

std::string GroupOf(const std::string& api_version) {
  auto slash = api_version.find('/');
  return slash == std::string::npos ? std::string() : api_version.substr(0, slash);
}

}  // namespace tfws::runtime
