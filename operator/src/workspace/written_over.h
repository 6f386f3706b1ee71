// WrittenOver: for each object a workspace's pass writes (its status, each
// child), the cached resourceVersion the last write of this process was
// computed from.
//
// After a write the cache keeps showing the old version until the watch event
// of the write arrives (and queues the workspace again). A pass that runs in
// between (another event) would compute the same write from the same stale
// object and send it again: CacheBehind() tells it to wait instead. Once the
// cache moves past that version the memory no longer matches and writing is
// decided on what the cache shows.
//
// Process memory only (a restart starts empty, and status says the rest).
// Thread-safe; the work queue runs one pass per workspace at a time.
#pragma once

#include <map>
#include <mutex>
#include <string>

namespace tfws::workspace {

class WrittenOver {
 public:
  // Records that this process wrote `object` of workspace `workspace`
  // ("namespace/name") on top of cached `version`.
  void Record(const std::string& workspace, const std::string& object, const std::string& version);
  // True when the last recorded write of `object` was computed from
  // `cached_version` (not empty): the cache has not caught up with it yet.
  bool CacheBehind(const std::string& workspace, const std::string& object, const std::string& cached_version) const;
  // The workspace is gone: forget every object of it.
  void ForgetWorkspace(const std::string& workspace);

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::map<std::string, std::string>> writes_;  // workspace -> object -> version
};

// The process-wide memory of the reconciler. Objects: "status" for the
// workspace's status, "<Kind>/<name>" for a child.
WrittenOver& LastWrites();

}  // namespace tfws::workspace
