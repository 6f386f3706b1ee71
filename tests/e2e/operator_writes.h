// The operator's writes in one namespace, from the API server's audit log
// (OperatorWritesSince in operator_process.h): what the drift, blocked and
// status-write suites count, each in its own test namespace.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "operator_process.h"

namespace tfws::e2e {

// The operator's writes logged after `offset` whose URI is in namespace `ns`.
inline std::vector<AuditWrite> OperatorWritesIn(const std::string& ns, std::uintmax_t offset) {
  auto writes = OperatorWritesSince(offset);
  std::erase_if(writes, [&](const AuditWrite& w) { return w.uri.find("/namespaces/" + ns + "/") == std::string::npos; });
  return writes;
}

}  // namespace tfws::e2e
