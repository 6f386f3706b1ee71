// A stable fingerprint of a desired object, stored in the annotation
// tfws.io/spec-hash so the reconciler can tell "unchanged" without a deep
// comparison against what the API server defaulted. Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace tfws::workspace {

// SHA-256 (OpenSSL) of the canonical dump (object keys sorted, no spaces) of
// `object`, ignoring metadata.annotations["tfws.io/spec-hash"] itself; the
// first 16 hex characters. Equal JSON values give equal hashes on every build.
std::string SpecHash(const nlohmann::json& object);

// Sets metadata.annotations["tfws.io/spec-hash"] = SpecHash(object).
void StampSpecHash(nlohmann::json& object);

}  // namespace tfws::workspace
