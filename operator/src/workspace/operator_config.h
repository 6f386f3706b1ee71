// The operator's own configuration (--config, default /etc/tfws/config.yaml;
// docs/operator-config.md documents every key). A value type, safe to share
// read-only between threads.
//
// ParseOperatorConfig throws OperatorConfigError whose message names the
// source, the key and the fix, e.g.
//   "/etc/tfws/config.yaml: images[1].launcher: Unsupported value: "bash": supported values: "jupyter", "entrypoint"".
// Unknown keys are errors too (a typo must not silently fall back to a default).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tfws::workspace {

class OperatorConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How the workspace container is started.
enum class Launcher {
  kJupyter,     // the operator sets the full `jupyter notebook ...` command line
  kEntrypoint,  // the image's ENTRYPOINT (supervisord) reads the TFWS_* env
};

// What the operator knows about images whose reference starts with `match`.
struct ImagePolicy {
  std::string match;
  // Avoid nodes whose nvidia.com/gpu.compute.major is above this; none = no restriction.
  std::optional<int> max_compute_capability_major;
  bool ssh = false;  // the image runs sshd on 2222 when TFWS_SSH_ENABLED=true
  Launcher launcher = Launcher::kJupyter;
  std::string cuda_version;  // optional, for messages only: "11.2"
};

struct IngressDefaults {
  std::string class_name;
  std::string host;
  std::string tls_secret_name;
  std::string controller_namespace = "ingress-nginx";  // empty: no ingress controller peer
  // The NetworkPolicy of every workspace admits port 8888 only from Pods with
  // ALL these labels in controller_namespace (one peer: namespaceSelector AND
  // podSelector), never from the whole namespace. YAML `ingress.controllerPodLabels`;
  // must not be empty. Defaults: the labels of ingress-nginx's controller Pods.
  std::map<std::string, std::string> controller_pod_labels = {{"app.kubernetes.io/name", "ingress-nginx"},
                                                              {"app.kubernetes.io/component", "controller"}};
};

struct SshDefaults {
  std::vector<std::string> allowed_cidrs;  // NetworkPolicy sources for 2222; empty = same namespace only
};

struct OperatorConfig {
  std::string default_image = "tensorflow/tensorflow:2.9.0-gpu-jupyter";
  std::int64_t run_as_user = 1000;
  std::int64_t run_as_group = 1000;
  std::vector<ImagePolicy> images;  // DefaultOperatorConfig() fills the two known images
  IngressDefaults ingress;
  SshDefaults ssh;
  int progress_deadline_seconds = 600;
  // Default of spec.culling.idleTimeoutMinutes: stop a Running workspace after
  // this many minutes without Jupyter activity; 0 = never. YAML
  // `culling.idleTimeoutMinutes`.
  int idle_timeout_minutes = 0;
  // The namespace the operator runs in (NetworkPolicy lets it reach Jupyter to
  // probe/cull). YAML key `operatorNamespace`; main.cc may fill it from
  // POD_NAMESPACE when the key is absent. Empty = no such rule.
  std::string operator_namespace;
  // Labels of the operator's own Pods: with operator_namespace, the only peer
  // of the operator rule (YAML `operatorPodLabels`; must not be empty; the
  // chart sets its selector labels).
  std::map<std::string, std::string> operator_pod_labels = {{"app.kubernetes.io/name", "tfws-operator"}};

  // The policy with the longest `match` that prefixes `image`, or nullptr
  // (unknown image: no GPU restriction, no SSH, launcher jupyter).
  const ImagePolicy* FindImagePolicy(std::string_view image) const;
};

// The configuration used when no file is given: the values in the YAML
// example of docs/operator-config.md (TF 2.9 official image and the project's
// tfws/tf29-workspace image).
OperatorConfig DefaultOperatorConfig();

// Parses YAML text; absent keys keep DefaultOperatorConfig() values (an absent
// `images` keeps the defaults; `images: []` means "no known images").
// `source` names the file in error messages.
OperatorConfig ParseOperatorConfig(std::string_view yaml_text, std::string_view source = "config");

// Reads and parses a file. Throws OperatorConfigError when unreadable.
OperatorConfig LoadOperatorConfigFile(const std::string& path);

std::string_view LauncherName(Launcher launcher);  // "jupyter" | "entrypoint"

}  // namespace tfws::workspace
