// Reads Kubernetes manifests (YAML, several documents separated by ---) into
// JSON objects with the types YAML 1.2's core schema gives plain scalars:
// true/false, null/~, integers and floats; quoted scalars stay strings.
// Used by `tfws-operator render` and by tests that load examples/.
#pragma once

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tfws::workspace {

class ManifestError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Empty documents are skipped. Throws ManifestError naming `source` and the line.
std::vector<nlohmann::json> ParseManifests(std::string_view yaml_text, std::string_view source = "input");
std::vector<nlohmann::json> ReadManifestFile(const std::string& path);

// One JSON value as block YAML (strings quoted when YAML would read them as something else).
std::string ToYaml(const nlohmann::json& value);

}  // namespace tfws::workspace
