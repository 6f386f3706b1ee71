// libFuzzer target: parsing and resolving any kubeconfig text either yields a
// ClusterConfig or throws ConfigError — never a crash, a hang, or another
// exception type. Exec plugins are never run by parsing (only by Get()).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "kube/api_error.h"
#include "kube/kubeconfig.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    tfws::kube::Kubeconfig config = tfws::kube::Kubeconfig::Parse(text, "/nonexistent-fuzz/config");
    try {
      config.Resolve();
    } catch (const tfws::kube::ConfigError&) {
    }
    for (const auto& name : config.ContextNames()) {
      try {
        config.Resolve(name);
      } catch (const tfws::kube::ConfigError&) {
      }
    }
  } catch (const tfws::kube::ConfigError&) {
  }
  return 0;
}
