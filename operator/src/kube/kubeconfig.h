// kubeconfig files: parsing, merging (as kubectl does), and resolving one
// context into a ClusterConfig.
//
// Merging a list of files (the KUBECONFIG variable): for clusters, users and
// contexts the first file that defines a name wins; current-context comes from
// the first file that sets it. Relative paths (certificate-authority,
// client-certificate, client-key, tokenFile, an exec command containing '/')
// are resolved against the directory of the file that holds them.
//
// Every problem throws ConfigError whose message names the file, the context
// and the field, e.g.
//   kubeconfig /x/config: context "dev": user "bob" not found in users
// Loading reads referenced files (certificates, token files) but never runs an
// exec plugin: that happens on the first CredentialSource::Get().
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "time/clock.h"
#include "kube/cluster_config.h"

namespace tfws::kube {

class Kubeconfig {
 public:
  // Reads and merges the files in order. A file that does not exist is an error
  // unless skip_missing (the KUBECONFIG list skips missing entries like kubectl).
  static Kubeconfig LoadFiles(const std::vector<std::string>& paths, bool skip_missing = false);
  // Parses one document held in memory; `path` names it in messages and anchors
  // relative paths.
  static Kubeconfig Parse(std::string_view yaml_text, const std::string& path);

  // Adds one more document with lower precedence than those already merged.
  void Merge(std::string_view yaml_text, const std::string& path);

  // The context to use: `context_override` when non-empty, else current-context.
  // Throws ConfigError when the context or what it references is missing or broken.
  ClusterConfig Resolve(const std::string& context_override = {}, time::Clock& clock = time::SystemClock::Instance()) const;

  const std::vector<std::string>& files() const { return files_; }
  const std::string& current_context() const { return current_context_; }
  std::vector<std::string> ContextNames() const;

 private:
  struct Entry {
    YAML::Node body;   // the map under "cluster" / "user" / "context"
    std::string file;  // the file that defined it (for messages and relative paths)
  };
  void MergeSection(const YAML::Node& root, const std::string& path, const char* section,
                    const char* body_key, std::map<std::string, Entry>& into);

  std::vector<std::string> files_;
  std::map<std::string, Entry> clusters_;
  std::map<std::string, Entry> users_;
  std::map<std::string, Entry> contexts_;
  std::string current_context_;
  std::string current_context_file_;
};

}  // namespace tfws::kube
