// libFuzzer target: base64 (kube/base64.h), which decodes untrusted kubeconfig
// *-data fields and users' SSH keys. Checks, for any input:
//  - decoding never crashes, and what it accepts re-encodes to the same symbols
//    (whitespace aside): the decoder accepts only canonical groups of four;
//  - encoding any bytes and decoding the result gives the bytes back.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "kube/base64.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  std::string bytes;
  if (tfws::kube::DecodeBase64(input, bytes)) {
    std::string symbols;
    for (char c : input)
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') symbols += c;
    const std::string again = tfws::kube::Base64Encode(bytes);
    // Non-canonical trailing bits ("aB==" vs "aA==") decode to the same bytes;
    // only the last data symbol before padding may differ.
    if (again.size() != symbols.size()) std::abort();
    const std::size_t pad = symbols.find('=');
    const std::size_t last = pad == std::string::npos ? symbols.size() : pad;
    if (again.substr(0, last == 0 ? 0 : last - 1) != symbols.substr(0, last == 0 ? 0 : last - 1)) std::abort();
  }

  std::string round_trip;
  if (!tfws::kube::DecodeBase64(tfws::kube::Base64Encode(input), round_trip) || round_trip != input) std::abort();
  return 0;
}
