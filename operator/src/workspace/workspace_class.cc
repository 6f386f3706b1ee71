#include "workspace/workspace_class.h"

#include <algorithm>

#include "workspace/quantity.h"

namespace tfws::workspace {
namespace {

const Json* Member(const Json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

const Json& Object(const Json& object, const char* key) {
  static const Json kEmpty = Json::object();
  const Json* m = Member(object, key);
  return m != nullptr && m->is_object() ? *m : kEmpty;
}

std::string String(const Json& object, const char* key) {
  const Json* m = Member(object, key);
  return m != nullptr && m->is_string() ? m->get<std::string>() : std::string();
}

std::vector<std::string> Strings(const Json& object, const char* key) {
  std::vector<std::string> out;
  const Json* m = Member(object, key);
  if (m == nullptr || !m->is_array()) return out;
  for (const Json& item : *m) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

bool Bool(const Json& object, const char* key) {
  const Json* m = Member(object, key);
  return m != nullptr && m->is_boolean() && m->get<bool>();
}

ResourceList Resources(const Json& object) { return {String(object, "cpu"), String(object, "memory")}; }

std::optional<int> Int(const Json& object, const char* key) {
  const Json* m = Member(object, key);
  if (m == nullptr || !m->is_number_integer()) return std::nullopt;
  return m->get<int>();
}

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::string Join(const std::vector<std::string>& list, const std::string& separator) {
  std::string out;
  for (const std::string& item : list) out += (out.empty() ? "" : separator) + item;
  return out;
}

std::string Quote(const std::string& s) { return Json(s).dump(); }

// a > b for quantities; false when either is not a quantity (the schema refused those already).
bool Exceeds(const std::string& a, const std::string& b) {
  const auto va = QuantityValue(a);
  const auto vb = QuantityValue(b);
  return va && vb && *va > *vb;
}

// Every check names the field, the class, the limit and the fix.
class Checker {
 public:
  Checker(const Workspace& ws, const WorkspaceClass& c) : ws_(ws), c_(c), class_("TFWorkspaceClass " + c.name) {}

  void Run() {
    const WorkspaceSpec& s = ws_.spec;
    if (!s.image.empty() && !c_.allowed_image_prefixes.empty() &&
        std::none_of(c_.allowed_image_prefixes.begin(), c_.allowed_image_prefixes.end(),
                     [&](const std::string& p) { return s.image.rfind(p, 0) == 0; })) {
      Fail("spec.image", Quote(s.image) + " is not allowed by " + class_ + "; use an image starting with " +
                             Join(c_.allowed_image_prefixes, " or ") + ", or leave spec.image empty for the class default");
    }
    if (c_.max_gpus && s.gpu.count > *c_.max_gpus) {
      Fail("spec.gpu.count", std::to_string(s.gpu.count) + " is more than the " + std::to_string(*c_.max_gpus) +
                                 " GPUs " + class_ + " allows per workspace; request at most " +
                                 std::to_string(*c_.max_gpus));
    }
    if (s.gpu.count > 0 && !c_.allowed_gpu_resources.empty() && !Contains(c_.allowed_gpu_resources, s.gpu.resource)) {
      Fail("spec.gpu.resource", Quote(s.gpu.resource) + " is not allowed by " + class_ + "; use one of " +
                                    Join(c_.allowed_gpu_resources, ", "));
    }
    if (s.gpu.count > 0 && !c_.allowed_gpu_products.empty() && !Contains(c_.allowed_gpu_products, s.gpu.product)) {
      Fail("spec.gpu.product", Quote(s.gpu.product) + " is not allowed by " + class_ + "; set it to one of " +
                                   Join(c_.allowed_gpu_products, ", "));
    }
    CheckMax("spec.resources.requests.cpu", s.resources.requests.cpu, c_.max_resources.cpu, "request");
    CheckMax("spec.resources.limits.cpu", s.resources.limits.cpu, c_.max_resources.cpu, "set");
    CheckMax("spec.resources.requests.memory", s.resources.requests.memory, c_.max_resources.memory, "request");
    CheckMax("spec.resources.limits.memory", s.resources.limits.memory, c_.max_resources.memory, "set");
    if (s.shm_size_set) CheckMax("spec.shmSize", s.shm_size, c_.max_shm_size, "set");
    if (!s.storage.workspace.UsesExistingClaim()) {
      CheckMax("spec.storage.workspace.size", s.storage.workspace.size, c_.max_storage_size, "ask for");
      const std::string& sc = s.storage.workspace.storage_class_name;
      if (!sc.empty() && !c_.allowed_storage_classes.empty() && !Contains(c_.allowed_storage_classes, sc)) {
        Fail("spec.storage.workspace.storageClassName", Quote(sc) + " is not allowed by " + class_ + "; use one of " +
                                                            Join(c_.allowed_storage_classes, ", ") + " or leave it empty");
      }
    }
    const std::string profile(ProfileName(s.profile));
    if (!c_.allowed_profiles.empty() && !Contains(c_.allowed_profiles, profile)) {
      Fail("spec.profile", Quote(profile) + " is not allowed by " + class_ + "; set spec.profile to " +
                               Join(c_.allowed_profiles, " or "));
    }
    if (s.ssh.enabled) {
      if (!c_.ssh_allowed) {
        Fail("spec.ssh.enabled", class_ + " does not allow SSH; set spec.ssh.enabled to false or use a class that allows it");
      }
      const std::vector<std::string> types =
          c_.allowed_ssh_service_types.empty() ? std::vector<std::string>{"ClusterIP"} : c_.allowed_ssh_service_types;
      if (!Contains(types, s.ssh.service_type)) {
        Fail("spec.ssh.serviceType", Quote(s.ssh.service_type) + " is not allowed by " + class_ + "; use " +
                                         Join(types, " or ") + " (kubectl port-forward reaches a ClusterIP Service)");
      }
    }
    const bool class_auth = !c_.auth_annotations.empty();
    if (s.jupyter.auth == JupyterAuth::kNone && !(class_auth && c_.allow_auth_none)) {
      Fail("spec.jupyter.auth", "\"none\" is not allowed by " + class_ +
                                    " (it allows Jupyter without a token only behind an auth proxy the class configures); "
                                    "use auth: token");
    }
    if (s.ingress.auth_proxy && !class_auth) {
      Fail("spec.ingress.authProxy", class_ + " puts no auth proxy in front of workspaces (no ingress.authAnnotations), "
                                              "so a workspace cannot claim one; set authProxy to false or use a class with an auth proxy");
    }
    std::vector<std::string> foreign;
    for (const auto& [key, value] : s.ingress.annotations) {
      if (!Contains(c_.allowed_annotation_keys, key)) foreign.push_back(key);
    }
    if (!foreign.empty()) {
      Fail("spec.ingress.annotations",
           Join(foreign, ", ") + " not allowed by " + class_ + "; " +
               (c_.allowed_annotation_keys.empty() ? "it allows no annotations"
                                                   : "it allows only " + Join(c_.allowed_annotation_keys, ", ")) +
               " (authentication and snippets are set by the class)");
    }
    if (!c_.host_template.empty() && !s.ingress.host.empty()) {
      const std::string host = ExpandClassTemplate(c_.host_template, ws_);
      if (s.ingress.host != host) {
        Fail("spec.ingress.host", Quote(s.ingress.host) + " is not the host " + class_ + " gives this workspace (" +
                                      host + "); leave spec.ingress.host empty");
      }
    }
    if (!c_.ingress_class_name.empty() && !s.ingress.class_name.empty() && s.ingress.class_name != c_.ingress_class_name) {
      Fail("spec.ingress.className", Quote(s.ingress.class_name) + " is not the IngressClass of " + class_ + " (" +
                                         c_.ingress_class_name + "); leave spec.ingress.className empty");
    }
    if (!c_.tls_secret_name.empty() && !s.ingress.tls_secret_name.empty() &&
        s.ingress.tls_secret_name != c_.tls_secret_name) {
      Fail("spec.ingress.tlsSecretName", Quote(s.ingress.tls_secret_name) + " is not the certificate of " + class_ +
                                             " (" + c_.tls_secret_name + "); leave spec.ingress.tlsSecretName empty");
    }
    if (s.tolerations.is_array()) {
      for (const Json& t : s.tolerations) {
        const std::string key = t.is_object() ? t.value("key", "") : "";
        if (key.empty() || !Contains(c_.allowed_toleration_keys, key)) {
          Fail("spec.tolerations", class_ + " allows tolerations only for the taint keys [" +
                                       Join(c_.allowed_toleration_keys, ", ") +
                                       "] (the GPU taint is tolerated by the operator); remove the others, and never "
                                       "leave a key empty");
        }
      }
    }
    if (s.node_selector.is_object()) {
      std::vector<std::string> keys;
      for (const auto& [key, value] : s.node_selector.items()) {
        if (!Contains(c_.allowed_node_selector_keys, key)) keys.push_back(key);
      }
      if (!keys.empty()) {
        Fail("spec.nodeSelector", Join(keys, ", ") + " not allowed by " + class_ + "; it allows only the label keys [" +
                                      Join(c_.allowed_node_selector_keys, ", ") + "]");
      }
    }
    if (!s.affinity.is_null()) {
      Fail("spec.affinity", "not allowed under " + class_ +
                                " (it would bypass the allowed nodeSelector keys); use spec.nodeSelector with the keys "
                                "the class allows and spec.gpu.product");
    }
    if (!s.priority_class_name.empty() && !Contains(c_.allowed_priority_classes, s.priority_class_name)) {
      Fail("spec.priorityClassName",
           Quote(s.priority_class_name) + " is not allowed by " + class_ + "; " +
               (c_.allowed_priority_classes.empty() ? "leave it empty"
                                                    : "use one of " + Join(c_.allowed_priority_classes, ", ") + " or leave it empty"));
    }
    if (c_.max_idle_timeout_minutes && s.idle_timeout_minutes &&
        (*s.idle_timeout_minutes < 1 || *s.idle_timeout_minutes > *c_.max_idle_timeout_minutes)) {
      Fail("spec.culling.idleTimeoutMinutes",
           std::to_string(*s.idle_timeout_minutes) + " is not allowed by " + class_ + "; set 1 to " +
               std::to_string(*c_.max_idle_timeout_minutes) + " minutes (idle GPUs go back to the pool)");
    }
  }

 private:
  void CheckMax(const std::string& field, const std::string& value, const std::string& max, const std::string& verb) {
    if (value.empty() || max.empty() || !Exceeds(value, max)) return;
    Fail(field, value + " is more than " + max + ", the most " + class_ + " allows; " + verb + " at most " + max);
  }

  [[noreturn]] void Fail(const std::string& field, const std::string& message) {
    throw InvalidSpecError(field, message, "ClassViolation");
  }

  const Workspace& ws_;
  const WorkspaceClass& c_;
  const std::string class_;
};

void ReplaceAll(std::string& text, const std::string& from, const std::string& to) {
  for (std::size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
}

}  // namespace

WorkspaceClass ParseWorkspaceClass(const Json& object) {
  WorkspaceClass c;
  const Json& meta = Object(object, "metadata");
  c.name = String(meta, "name");
  c.is_default = String(Object(meta, "annotations"), kDefaultClassAnnotation) == "true";
  const Json& spec = Object(object, "spec");
  const Json& images = Object(spec, "images");
  c.default_image = String(images, "default");
  c.allowed_image_prefixes = Strings(images, "allowedPrefixes");
  const Json& gpu = Object(spec, "gpu");
  c.max_gpus = Int(gpu, "maxCount");
  c.allowed_gpu_resources = Strings(gpu, "allowedResources");
  c.allowed_gpu_products = Strings(gpu, "allowedProducts");
  const Json& resources = Object(spec, "resources");
  c.default_resources.requests = Resources(Object(resources, "defaultRequests"));
  c.default_resources.limits = Resources(Object(resources, "defaultLimits"));
  c.max_resources = Resources(Object(resources, "max"));
  c.default_shm_size = String(resources, "defaultShmSize");
  c.max_shm_size = String(resources, "maxShmSize");
  c.scratch_size_limit = String(resources, "scratchSizeLimit");
  const Json& storage = Object(spec, "storage");
  c.allowed_storage_classes = Strings(storage, "allowedStorageClasses");
  c.max_storage_size = String(storage, "maxSize");
  c.allowed_profiles = Strings(spec, "allowedProfiles");
  const Json& ssh = Object(spec, "ssh");
  c.ssh_allowed = Bool(ssh, "allowed");
  c.allowed_ssh_service_types = Strings(ssh, "allowedServiceTypes");
  c.allow_auth_none = Bool(Object(spec, "jupyter"), "allowAuthNone");
  const Json& ingress = Object(spec, "ingress");
  c.ingress_class_name = String(ingress, "className");
  c.host_template = String(ingress, "hostTemplate");
  c.tls_secret_name = String(ingress, "tlsSecretName");
  for (const auto& [key, value] : Object(ingress, "authAnnotations").items()) {
    if (value.is_string()) c.auth_annotations[key] = value.get<std::string>();
  }
  c.allowed_annotation_keys = Strings(ingress, "allowedAnnotationKeys");
  const Json& controller = Object(ingress, "controller");
  c.ingress_controller_namespace = String(controller, "namespace");
  for (const auto& [key, value] : Object(controller, "podLabels").items()) {
    if (value.is_string()) c.ingress_controller_pod_labels[key] = value.get<std::string>();
  }
  const Json& egress = Object(spec, "egress");
  c.denied_egress_cidrs = Strings(egress, "deniedCIDRs");
  c.hardened_egress_cidrs = Strings(egress, "hardenedAllowedCIDRs");
  const Json& scheduling = Object(spec, "scheduling");
  c.allowed_toleration_keys = Strings(scheduling, "allowedTolerationKeys");
  c.allowed_node_selector_keys = Strings(scheduling, "allowedNodeSelectorKeys");
  c.allowed_priority_classes = Strings(scheduling, "allowedPriorityClasses");
  const Json& culling = Object(spec, "culling");
  c.default_idle_timeout_minutes = Int(culling, "defaultIdleTimeoutMinutes");
  c.max_idle_timeout_minutes = Int(culling, "maxIdleTimeoutMinutes");
  return c;
}

std::optional<WorkspaceClass> SelectClass(const Workspace& ws,
                                          const std::vector<std::shared_ptr<const Json>>& classes) {
  std::vector<WorkspaceClass> defaults;
  for (const auto& object : classes) {
    if (!object) continue;
    WorkspaceClass c = ParseWorkspaceClass(*object);
    if (!ws.spec.class_name.empty()) {
      if (c.name == ws.spec.class_name) return c;
    } else if (c.is_default) {
      defaults.push_back(std::move(c));
    }
  }
  if (!ws.spec.class_name.empty()) {
    throw InvalidSpecError("spec.className",
                           "TFWorkspaceClass " + Quote(ws.spec.class_name) +
                               " does not exist; use one of `kubectl get tfwsclass`, or leave spec.className empty for "
                               "the default class",
                           "ClassNotFound");
  }
  if (defaults.size() > 1) {
    std::vector<std::string> names;
    for (const WorkspaceClass& c : defaults) names.push_back(c.name);
    std::sort(names.begin(), names.end());
    throw InvalidSpecError("spec.className",
                           "more than one TFWorkspaceClass is marked " + std::string(kDefaultClassAnnotation) + ": " +
                               Join(names, ", ") + "; set spec.className, or ask the platform team to keep one default",
                           "ClassNotFound");
  }
  if (defaults.empty()) return std::nullopt;
  return defaults.front();
}

std::string ExpandClassTemplate(const std::string& text, const Workspace& ws) {
  std::string out = text;
  ReplaceAll(out, "{namespace}", ws.namespace_);
  ReplaceAll(out, "{name}", ws.name);
  ReplaceAll(out, "{owner}", ws.Owner());
  ReplaceAll(out, "{team}", ws.Team());
  return out;
}

Workspace ApplyClass(Workspace ws, const WorkspaceClass& c) {
  Checker(ws, c).Run();
  WorkspaceSpec& s = ws.spec;
  ws.applied_class = c.name;
  ws.scratch_size_limit = c.scratch_size_limit;
  ws.denied_egress_cidrs = c.denied_egress_cidrs;
  ws.hardened_egress_cidrs = c.hardened_egress_cidrs;
  ws.ingress_controller_namespace = c.ingress_controller_namespace;
  ws.ingress_controller_pod_labels = c.ingress_controller_pod_labels;
  if (s.image.empty()) s.image = c.default_image;
  ResourceList& requests = s.resources.requests;
  ResourceList& limits = s.resources.limits;
  if (requests.cpu.empty()) requests.cpu = c.default_resources.requests.cpu;
  if (requests.memory.empty()) requests.memory = c.default_resources.requests.memory;
  // A limit below the request would be refused by the API server: take the larger.
  if (limits.cpu.empty() && !c.default_resources.limits.cpu.empty()) {
    limits.cpu = Exceeds(requests.cpu, c.default_resources.limits.cpu) ? requests.cpu : c.default_resources.limits.cpu;
  }
  if (limits.memory.empty() && !c.default_resources.limits.memory.empty()) {
    limits.memory =
        Exceeds(requests.memory, c.default_resources.limits.memory) ? requests.memory : c.default_resources.limits.memory;
  }
  if (!s.shm_size_set && !c.default_shm_size.empty()) s.shm_size = c.default_shm_size;
  if (!s.shm_size_set && Exceeds(s.shm_size, c.max_shm_size)) s.shm_size = c.max_shm_size;
  if (!s.idle_timeout_minutes && c.default_idle_timeout_minutes) s.idle_timeout_minutes = c.default_idle_timeout_minutes;
  if (s.ingress.class_name.empty()) s.ingress.class_name = c.ingress_class_name;
  if (s.ingress.host.empty() && !c.host_template.empty()) s.ingress.host = ExpandClassTemplate(c.host_template, ws);
  if (s.ingress.tls_secret_name.empty()) s.ingress.tls_secret_name = c.tls_secret_name;
  for (const auto& [key, value] : c.auth_annotations) s.ingress.annotations[key] = ExpandClassTemplate(value, ws);
  if (!c.auth_annotations.empty()) s.ingress.auth_proxy = true;
  return ws;
}

Workspace ResolveClass(Workspace ws, const std::vector<std::shared_ptr<const Json>>& classes) {
  std::optional<WorkspaceClass> klass = SelectClass(ws, classes);
  return klass ? ApplyClass(std::move(ws), *klass) : ws;
}

}  // namespace tfws::workspace
