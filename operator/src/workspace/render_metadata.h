// Shared by the renderers (render.h): the skeleton every child object starts
// from. Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "workspace/workspace_types.h"

namespace tfws::workspace {

// {apiVersion, kind, metadata: {name, namespace, labels: ChildLabels(ws),
//  ownerReferences: [OwnerReference(ws)] when `owned`}}.
nlohmann::json ChildObject(const Workspace& ws, const char* api_version, const char* kind, const std::string& name,
                           bool owned = true);

// A JSON object from a string map (an empty map gives {}).
nlohmann::json ToJsonObject(const std::map<std::string, std::string>& map);

}  // namespace tfws::workspace
