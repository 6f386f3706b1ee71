// Standard base64 (RFC 4648 §4, with padding), as Kubernetes uses it for
// Secret data and kubeconfig *-data fields.
#pragma once

#include <string>
#include <string_view>

namespace tfws::kube {

std::string Base64Encode(std::string_view bytes);

// Decodes into out; ASCII whitespace (line-wrapped PEM pastes) is ignored.
// Returns false — out then holds garbage — unless the symbols form whole
// groups of four with at most two '=' and nothing after the padding.
bool DecodeBase64(std::string_view text, std::string& out);

}  // namespace tfws::kube
