// Failures of a command, worded for the person at the terminal: what failed,
// on which object, and what to do about it (as the operator's conditions do).
#pragma once

#include <stdexcept>
#include <string>

#include "kube/api_error.h"

namespace tfws::plugin {

// A command failed; what() is the whole sentence printed after "error: ".
class PluginError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The API server refused `verb` on `object` ("tfworkspace \"alice\"") in
// namespace ns: the server's message plus the fix for the common cases
// (not found, forbidden, quota, invalid, conflict).
std::string ExplainApiError(const kube::ApiError& error, const std::string& verb, const std::string& object,
                            const std::string& ns);

}  // namespace tfws::plugin
