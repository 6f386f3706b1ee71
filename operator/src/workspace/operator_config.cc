#include "workspace/operator_config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <initializer_list>
#include <map>
#include <set>
#include <sstream>

#include "workspace/cidr.h"

namespace tfws::workspace {
namespace {

// A key that is present with a value (absent keys and explicit nulls keep defaults).
bool Present(const YAML::Node& n) { return n.IsDefined() && !n.IsNull(); }

// Reads one YAML mapping, naming keys by their full path in errors.
class ConfigReader {
 public:
  ConfigReader(const YAML::Node& node, std::string path, std::string_view source)
      : node_(node), path_(std::move(path)), source_(source) {
    if (Present(node_) && !node_.IsMap()) Fail(path_.empty() ? "<document>" : path_, "must be a mapping");
  }

  [[noreturn]] void Fail(const std::string& key, const std::string& message, const YAML::Node* at = nullptr) const {
    std::string where(source_);
    const YAML::Node& n = at != nullptr ? *at : node_;
    if (n.IsDefined() && n.Mark().line >= 0) where += ":" + std::to_string(n.Mark().line + 1);
    throw OperatorConfigError(where + ": " + key + ": " + message);
  }

  std::string Key(std::string_view k) const { return path_.empty() ? std::string(k) : path_ + "." + std::string(k); }

  // Refuses keys outside `known` (a typo would otherwise silently fall back to a default).
  void OnlyKeys(std::initializer_list<std::string_view> known) const {
    if (!Present(node_) || !node_.IsMap()) return;
    for (const auto& kv : node_) {
      std::string k = kv.first.as<std::string>();
      bool ok = false;
      for (std::string_view want : known) ok = ok || k == want;
      if (!ok) {
        std::string list;
        for (std::string_view want : known) list += (list.empty() ? "" : ", ") + std::string(want);
        Fail(Key(k), "unknown key (known keys here: " + list + ")", &kv.first);
      }
    }
  }

  YAML::Node Get(std::string_view key) const {
    if (!Present(node_) || !node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    const YAML::Node& map = node_;
    YAML::Node v = map[std::string(key)];
    if (!Present(v)) return YAML::Node(YAML::NodeType::Undefined);
    return v;
  }

  ConfigReader Child(std::string_view key) const { return ConfigReader(Get(key), Key(key), source_); }

  void String(std::string_view key, std::string& out) const {
    YAML::Node v = Get(key);
    if (!Present(v)) return;
    if (!v.IsScalar()) Fail(Key(key), "must be a string", &v);
    out = v.as<std::string>();
  }

  template <typename Int>
  void Integer(std::string_view key, Int& out, long long min, long long max) const {
    YAML::Node v = Get(key);
    if (!Present(v)) return;
    long long value = 0;
    try {
      value = v.as<long long>();
    } catch (const YAML::Exception&) {
      Fail(Key(key), "Invalid value: \"" + Scalar(v) + "\": must be an integer", &v);
    }
    if (value < min || value > max) {
      Fail(Key(key),
           "Invalid value: " + std::to_string(value) + ": must be between " + std::to_string(min) + " and " +
               std::to_string(max),
           &v);
    }
    out = static_cast<Int>(value);
  }

  void Bool(std::string_view key, bool& out) const {
    YAML::Node v = Get(key);
    if (!Present(v)) return;
    try {
      out = v.as<bool>();
    } catch (const YAML::Exception&) {
      Fail(Key(key), "Invalid value: \"" + Scalar(v) + "\": must be true or false", &v);
    }
  }

  void StringList(std::string_view key, std::vector<std::string>& out) const {
    YAML::Node v = Get(key);
    if (!Present(v)) return;
    if (!v.IsSequence()) Fail(Key(key), "must be a list of strings", &v);
    out.clear();
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (!v[i].IsScalar()) Fail(Key(key) + "[" + std::to_string(i) + "]", "must be a string", &v);
      out.push_back(v[i].as<std::string>());
    }
  }

  // A mapping of label keys to values; `non_empty` refuses {} (an empty
  // selector would select every Pod).
  void LabelMap(std::string_view key, std::map<std::string, std::string>& out) const {
    YAML::Node v = Get(key);
    if (!Present(v)) return;
    if (!v.IsMap()) Fail(Key(key), "must be a mapping of label keys to values", &v);
    out.clear();
    for (const auto& kv : v) {
      if (!kv.second.IsScalar()) Fail(Key(key) + "." + kv.first.as<std::string>(), "must be a string", &v);
      out[kv.first.as<std::string>()] = kv.second.as<std::string>();
    }
    if (out.empty()) {
      Fail(Key(key), "Required value: at least one label (an empty selector would admit every Pod of the namespace)", &v);
    }
  }

  const YAML::Node& node() const { return node_; }
  std::string_view source() const { return source_; }

 private:
  static std::string Scalar(const YAML::Node& v) { return v.IsScalar() ? v.Scalar() : "<" + std::string(v.IsMap() ? "mapping" : "list") + ">"; }

  YAML::Node node_;
  std::string path_;
  std::string_view source_;
};

ImagePolicy ParseImagePolicy(const ConfigReader& r) {
  r.OnlyKeys({"match", "maxComputeCapabilityMajor", "ssh", "launcher", "cudaVersion"});
  ImagePolicy p;
  r.String("match", p.match);
  if (p.match.empty()) r.Fail(r.Key("match"), "Required value: the image prefix, e.g. tensorflow/tensorflow:2.9");
  if (Present(r.Get("maxComputeCapabilityMajor"))) {
    int major = 0;
    r.Integer("maxComputeCapabilityMajor", major, 1, 99);
    p.max_compute_capability_major = major;
  }
  r.Bool("ssh", p.ssh);
  r.String("cudaVersion", p.cuda_version);
  std::string launcher = "jupyter";
  r.String("launcher", launcher);
  if (launcher == "jupyter") {
    p.launcher = Launcher::kJupyter;
  } else if (launcher == "entrypoint") {
    p.launcher = Launcher::kEntrypoint;
  } else {
    YAML::Node at = r.Get("launcher");
    r.Fail(r.Key("launcher"),
           "Unsupported value: \"" + launcher + "\": supported values: \"jupyter\", \"entrypoint\"", &at);
  }
  return p;
}

}  // namespace

const ImagePolicy* OperatorConfig::FindImagePolicy(std::string_view image) const {
  const ImagePolicy* best = nullptr;
  for (const ImagePolicy& p : images) {
    if (image.substr(0, p.match.size()) == p.match && (best == nullptr || p.match.size() > best->match.size())) {
      best = &p;
    }
  }
  return best;
}

OperatorConfig DefaultOperatorConfig() {
  OperatorConfig c;
  c.images.push_back(ImagePolicy{"tensorflow/tensorflow:2.9", 8, false, Launcher::kJupyter, "11.2"});
  c.images.push_back(ImagePolicy{"tfws/tf29-workspace", 8, true, Launcher::kEntrypoint, "11.2"});
  return c;
}

OperatorConfig ParseOperatorConfig(std::string_view yaml_text, std::string_view source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    throw OperatorConfigError(std::string(source) + ":" + std::to_string(e.mark.line + 1) +
                              ": not valid YAML: " + e.msg);
  }
  OperatorConfig c = DefaultOperatorConfig();
  ConfigReader r(root, "", source);
  r.OnlyKeys({"defaultImage", "runAsUser", "runAsGroup", "images", "ingress", "ssh", "progressDeadlineSeconds",
              "operatorNamespace", "operatorPodLabels", "culling"});
  r.String("defaultImage", c.default_image);
  if (c.default_image.empty()) {
    YAML::Node at = r.Get("defaultImage");
    r.Fail("defaultImage", "Required value: an image such as tensorflow/tensorflow:2.9.0-gpu-jupyter", &at);
  }
  // Pod Security "restricted" needs a non-root UID.
  r.Integer("runAsUser", c.run_as_user, 1, 2147483647);
  r.Integer("runAsGroup", c.run_as_group, 1, 2147483647);
  if (YAML::Node images = r.Get("images"); Present(images)) {
    if (!images.IsSequence()) r.Fail("images", "must be a list of {match, maxComputeCapabilityMajor, ssh, launcher}", &images);
    c.images.clear();
    std::set<std::string> matches;
    for (std::size_t i = 0; i < images.size(); ++i) {
      ConfigReader item(images[i], "images[" + std::to_string(i) + "]", source);
      ImagePolicy p = ParseImagePolicy(item);
      if (!matches.insert(p.match).second) item.Fail(item.Key("match"), "Duplicate value: \"" + p.match + "\"");
      c.images.push_back(std::move(p));
    }
  }
  ConfigReader ingress = r.Child("ingress");
  ingress.OnlyKeys({"className", "host", "tlsSecretName", "controllerNamespace", "controllerPodLabels"});
  ingress.String("className", c.ingress.class_name);
  ingress.String("host", c.ingress.host);
  ingress.String("tlsSecretName", c.ingress.tls_secret_name);
  ingress.String("controllerNamespace", c.ingress.controller_namespace);
  ingress.LabelMap("controllerPodLabels", c.ingress.controller_pod_labels);
  ConfigReader ssh = r.Child("ssh");
  ssh.OnlyKeys({"allowedCIDRs"});
  ssh.StringList("allowedCIDRs", c.ssh.allowed_cidrs);
  for (std::size_t i = 0; i < c.ssh.allowed_cidrs.size(); ++i) {
    if (!ParseCidr(c.ssh.allowed_cidrs[i])) {
      YAML::Node at = ssh.Get("allowedCIDRs");
      ssh.Fail("ssh.allowedCIDRs[" + std::to_string(i) + "]",
               "Invalid value: \"" + c.ssh.allowed_cidrs[i] + "\": must be a CIDR such as 10.0.0.0/8", &at);
    }
  }
  r.Integer("progressDeadlineSeconds", c.progress_deadline_seconds, 30, 86400);
  ConfigReader culling = r.Child("culling");
  culling.OnlyKeys({"idleTimeoutMinutes"});
  culling.Integer("idleTimeoutMinutes", c.idle_timeout_minutes, 0, 43200);  // as spec.culling (30 days)
  r.String("operatorNamespace", c.operator_namespace);
  r.LabelMap("operatorPodLabels", c.operator_pod_labels);
  return c;
}

OperatorConfig LoadOperatorConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw OperatorConfigError(path + ": cannot read the operator configuration file (check --config)");
  std::stringstream text;
  text << in.rdbuf();
  return ParseOperatorConfig(text.str(), path);
}

std::string_view LauncherName(Launcher launcher) {
  return launcher == Launcher::kEntrypoint ? "entrypoint" : "jupyter";
}

}  // namespace tfws::workspace
