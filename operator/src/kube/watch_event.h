// One event of a watch stream (`?watch=1`), as the API server sends it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace tfws::kube {

using Json = nlohmann::json;

struct WatchEvent {
  std::string type;  // "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"
  Json object;       // the object, or a metav1.Status for "ERROR"
};

}  // namespace tfws::kube
