#include "workspace/written_over.h"

namespace tfws::workspace {

void WrittenOver::Record(const std::string& workspace, const std::string& object, const std::string& version) {
  std::lock_guard lock(mu_);
  writes_[workspace][object] = version;
}

bool WrittenOver::CacheBehind(const std::string& workspace, const std::string& object,
                              const std::string& cached_version) const {
  if (cached_version.empty()) return false;
  std::lock_guard lock(mu_);
  const auto ws = writes_.find(workspace);
  if (ws == writes_.end()) return false;
  const auto it = ws->second.find(object);
  return it != ws->second.end() && it->second == cached_version;
}

void WrittenOver::ForgetWorkspace(const std::string& workspace) {
  std::lock_guard lock(mu_);
  writes_.erase(workspace);
}

WrittenOver& LastWrites() {
  static WrittenOver writes;
  return writes;
}

}  // namespace tfws::workspace
