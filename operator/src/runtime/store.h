// The informer cache: the latest known state of every object of one resource.
//
// Thread-safe: one writer (the Watcher) and any number of readers. Objects pass
// through the transform (e.g. TrimForCache) before they are stored, outside the
// lock, and are kept packed (CBOR, see packed_object.h): readers get a freshly
// decoded std::shared_ptr<const Json> of their own, an immutable snapshot that
// stays valid after the store moves on. Replace() swaps in a whole relist
// atomically: a reader sees either the old contents or the new, never a mix.
// Indexes are declared before the first write (AddIndex throws otherwise).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <stop_token>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/object.h"
#include "runtime/packed_object.h"

namespace tfws::runtime {

// Applied to every object before it is stored. Takes ownership; returns what to keep.
using Transform = std::function<kube::Json(kube::Json)>;
// Values under which an object is indexed (none = not indexed).
using IndexFunc = std::function<std::vector<std::string>(const kube::Json&)>;

// Built-in index names.
inline constexpr const char* kIndexNamespace = "namespace";
inline constexpr const char* kIndexOwnerUid = "owner-uid";  // every ownerReferences[].uid

// What Replace() changed, so the watcher can report it to handlers. Packed, so
// that a relist of N objects is never held decoded all at once.
struct ReplaceDiff {
  std::vector<PackedPtr> added;
  std::vector<std::pair<PackedPtr, PackedPtr>> updated;  // {old, new}, resourceVersion differs
  std::vector<PackedPtr> deleted;                         // last known state of vanished keys
};

class Store {
 public:
  // The namespace and owner-uid indexes always exist.
  explicit Store(Transform transform = {});
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Adds a named index. Throws std::logic_error after the first write.
  void AddIndex(const std::string& name, IndexFunc func);

  // ---- readers
  ObjectPtr Get(const std::string& key) const;  // nullptr when absent
  ObjectPtr Get(const std::string& ns, const std::string& name) const { return Get(MakeKey(ns, name)); }
  std::vector<ObjectPtr> List() const;
  std::vector<std::string> Keys() const;
  // Objects whose index `index` contains `value`. Throws std::out_of_range for an unknown index.
  std::vector<ObjectPtr> ByIndex(const std::string& index, const std::string& value) const;
  std::size_t Size() const;
  // Heap bytes of the packed objects (not the keys and indexes).
  std::size_t PackedBytes() const;
  // The resourceVersion of the last list or event applied ("" before the first list).
  std::string ResourceVersion() const;

  // ---- synced signal: true once the first complete list has been stored.
  bool Synced() const;
  // Blocks until synced, stop requested or timeout (real time). Returns Synced().
  bool WaitForSync(std::stop_token stop,
                   std::chrono::milliseconds timeout = std::chrono::milliseconds::max()) const;

  // ---- writer side (used by the Watcher; also fine for tests)
  // Apply the transform; call outside any lock of yours. Prepare keeps the
  // object decoded (a watch event, which handlers see next); Pack encodes it
  // (a list item, held until Replace).
  ObjectPtr Prepare(kube::Json object) const;
  PackedPtr Pack(kube::Json object) const;
  // Inserts or replaces; returns the previous object (nullptr when new).
  ObjectPtr Upsert(ObjectPtr object);
  // Removes; returns the removed object (nullptr when it was not there).
  ObjectPtr Remove(const std::string& key);
  // Swaps in a complete list (already prepared), records its resourceVersion
  // and marks the store synced. Returns what changed relative to before.
  ReplaceDiff Replace(std::vector<PackedPtr> objects, std::string resource_version);
  void SetResourceVersion(std::string resource_version);

 private:
  using Index = std::map<std::string, std::set<std::string>>;  // value -> keys
  void IndexLocked(const std::string& key, const kube::Json& object);
  void UnindexLocked(const std::string& key, const kube::Json& object);
  void MarkSynced();

  Transform transform_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, PackedPtr> items_;
  std::map<std::string, IndexFunc> index_funcs_;
  std::map<std::string, Index> indexes_;
  std::string resource_version_;
  bool written_ = false;

  mutable std::mutex sync_mu_;
  mutable std::condition_variable_any sync_cv_;
  bool synced_ = false;
};

}  // namespace tfws::runtime
