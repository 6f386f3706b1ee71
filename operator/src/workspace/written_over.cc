#include "workspace/written_over.h"

namespace tfws::workspace {

void WrittenOver::Record(const std::string& workspace, const std::string& object, const std::string& version,
                         time::WallTime at) {
  std::lock_guard lock(mu_);
  writes_[workspace][object] = {version, at};
}

bool WrittenOver::CacheBehind(const std::string& workspace, const std::string& object,
                              const std::string& cached_version) const {
  if (cached_version.empty()) return false;
  const auto last = Last(workspace, object);
  return last && last->version == cached_version;
}

std::optional<WrittenOver::Write> WrittenOver::Last(const std::string& workspace, const std::string& object) const {
  std::lock_guard lock(mu_);
  const auto ws = writes_.find(workspace);
  if (ws == writes_.end()) return std::nullopt;
  const auto it = ws->second.find(object);
  if (it == ws->second.end()) return std::nullopt;
  return it->second;
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
