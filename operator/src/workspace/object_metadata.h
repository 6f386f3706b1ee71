// Reads the metadata of an object from the API server or the informer cache:
// annotations, labels, ownership and deletion. Pure; missing fields read as
// empty, so callers need no null checks.
#pragma once

#include <string>

#include "kube/client.h"

namespace tfws::workspace {

// obj.metadata, or an empty object.
const kube::Json& Meta(const kube::Json& obj);
std::string Annotation(const kube::Json& obj, const char* key);
std::string Label(const kube::Json& obj, const char* key);
// True when an ownerReference with controller: true points at `uid`.
bool IsControlledBy(const kube::Json& obj, const std::string& uid);
// metadata.deletionTimestamp is set.
bool IsTerminating(const kube::Json& obj);

}  // namespace tfws::workspace
