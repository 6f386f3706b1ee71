// Builds the TFWorkspace that `kubectl tfws create` applies, from its flags.
//
// Only what a flag asks for is written; every other field is left out so the
// CRD's defaults (and the operator's configured ones, e.g. the default image)
// apply exactly as for a hand-written manifest. The result is what
// `tfws-operator render -f` accepts (tests/unit/plugin/manifest_builder_test.cc
// runs it through the same parser). Pure; throws UsageError naming the flag.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tfws::plugin {

struct WorkspaceRequest {
  std::string name;
  std::string namespace_;              // empty = no metadata.namespace
  std::optional<int> gpus;             // --gpus
  std::string gpu_product;             // --gpu-product NVIDIA-A100-SXM4-80GB
  std::string mig_profile;             // --mig 1g.10gb
  std::string cpu;                     // --cpu 4
  std::string memory;                  // --memory 32Gi
  std::string size;                    // --size 50Gi
  std::vector<std::string> datasets;   // --dataset name=claim
  std::vector<std::string> ssh_keys;   // public keys, already read from --ssh-key files
  std::string class_name;              // --class
  std::string image;                   // --image
  std::string owner;                   // spec.owner (label-value syntax); empty = not set
};

// The TFWorkspace object (apiVersion, kind, metadata, spec).
nlohmann::json BuildWorkspaceManifest(const WorkspaceRequest& request);

// The OpenSSH public keys in an authorized_keys-style text (blank lines and
// # comments skipped). `source` names the file in errors. Throws UsageError
// when there is none.
std::vector<std::string> ParsePublicKeys(const std::string& text, const std::string& source);

// A Kubernetes user name as a label value (spec.owner): characters outside
// [A-Za-z0-9-_.] become '-', cut to 63, trimmed to start and end alphanumeric.
// "alice@example.com" -> "alice-example.com", "system:admin" -> "system-admin".
std::string OwnerFromUsername(const std::string& username);

}  // namespace tfws::plugin
