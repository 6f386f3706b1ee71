// Jupyter access tokens: 32 random bytes from OpenSSL's CSPRNG, hex encoded
// (64 characters, safe in URLs and headers). Never logged.
#pragma once

#include <string>

namespace tfws::workspace {

// Throws std::runtime_error when the CSPRNG fails (never returns a weak token).
std::string GenerateToken();

}  // namespace tfws::workspace
