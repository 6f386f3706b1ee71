// Builders of TFWorkspace objects for the workspace unit tests.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "workspace/workspace_types.h"

namespace tfws::workspace::testing {

// A TFWorkspace object as the API server would store it, with only
// metadata set; merge a spec into it with MergePatch.
inline Json WorkspaceObject(const std::string& name = "alice", const std::string& ns = "team-a") {
  return {{"apiVersion", "tfws.io/v1alpha1"},
          {"kind", "TFWorkspace"},
          {"metadata", {{"name", name}, {"namespace", ns}, {"uid", "uid-" + name}, {"generation", 1}}},
          {"spec", Json::object()}};
}

inline Json WithSpec(const Json& spec, const std::string& name = "alice") {
  Json object = WorkspaceObject(name);
  object["spec"] = spec;
  return object;
}

inline Workspace ParseSpec(const Json& spec) { return ParseWorkspace(WithSpec(spec)); }

// The InvalidSpecError message ParseWorkspace throws for `spec` ("" when it parses).
inline std::string ParseError(const Json& spec, const std::string& name = "alice") {
  try {
    ParseWorkspace(WithSpec(spec, name));
  } catch (const InvalidSpecError& e) {
    return e.what();
  }
  return "";
}

inline const std::string kEd25519Key =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIES4Hj9D50K9uZJNC/f/+hgoMVGKob3LjjDHNMOcMVD4 alice@laptop";

}  // namespace tfws::workspace::testing
