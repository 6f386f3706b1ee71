#include "workspace/reference_reads.h"

namespace tfws::workspace {

std::optional<nlohmann::json> ReferenceReads::Get(const std::string& key, time::WallTime now,
                                                  const std::function<std::optional<nlohmann::json>()>& read) {
  {
    std::lock_guard lock(mu_);
    const auto it = entries_.find(key);
    if (it != entries_.end() && now - it->second.at < ttl_) return it->second.kept;
  }
  Entry entry{now, read()};
  std::lock_guard lock(mu_);
  if (++reads_ % 256 == 0) std::erase_if(entries_, [&](const auto& e) { return now - e.second.at >= ttl_; });
  const auto kept = entry.kept;
  entries_[key] = std::move(entry);
  return kept;
}

std::size_t ReferenceReads::Size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace tfws::workspace
